/**
 * The `blazerules` command: info, validate, eval, explain, bench, stream kafka (rules-reference.md §7),
 * rules publish (service.md §3), serve (service.md §5), catalog serve (service.md §6).
 * Any error: exit code 2 and `blazerules: <message>` on stderr (rules problems are printed
 * one per line as `file:line:column: CODE message`).
 */
import { BlazeRulesError, RulesError, formatProblem } from '../errors';
import { version } from '../version';
import { type Command, UsageError, commandHelp, parseOptions, tokenize, usage } from './args';
import { bench } from './bench';
import { catalogCommand } from './catalog';
import { evalCommand } from './eval';
import { explainCommand } from './explain';
import { info } from './info';
import { rulesCommand } from './rules';
import { serve } from './serve';
import { stream } from './stream';
import { ValidationFailed, validate } from './validate';

/** The command table: the parser and the help text both come from it. */
const COMMANDS: readonly Command[] = [
  info,
  validate,
  evalCommand,
  explainCommand,
  bench,
  stream,
  rulesCommand,
  serve,
  catalogCommand,
];

const USAGE = usage(COMMANDS);

function print(text: string): void {
  process.stdout.write(`${text}\n`);
}

/** `--version`, `--help` or `help [COMMAND]`; else the command and its arguments. */
function topLevel(
  command: string | undefined,
  positionals: string[],
  hasOption: (name: string) => boolean,
): Command | undefined {
  if (command === undefined) {
    if (hasOption('version')) print(version);
    else if (hasOption('help')) print(USAGE);
    else throw new UsageError(`no command given\n${USAGE}`);
    return undefined;
  }
  if (command === 'help') {
    const topic = positionals.shift();
    const c = COMMANDS.find((x) => x.name === topic);
    if (topic !== undefined && c === undefined) throw new UsageError(`unknown command '${topic}'\n${USAGE}`);
    print(c === undefined ? USAGE : commandHelp(c));
    return undefined;
  }
  const c = COMMANDS.find((x) => x.name === command);
  if (c === undefined) throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  return c;
}

export async function main(argv: readonly string[]): Promise<void> {
  const { positionals, options } = tokenize(argv);
  const hasOption = (name: string): boolean => options.some(([n]) => n === name);
  const c = topLevel(positionals.shift(), positionals, hasOption);
  if (c === undefined) return;
  if (hasOption('help')) {
    print(commandHelp(c));
    return;
  }
  if (c.source !== undefined) {
    const source = positionals.shift();
    if (source !== c.source) {
      throw new UsageError(
        `'${c.name}' needs a source: '${c.name} ${c.source}'${source === undefined ? '' : ` (not '${source}')`}`,
      );
    }
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  await c.run(parseOptions(c, options));
}

function fail(message: string): never {
  process.stderr.write(`blazerules: ${message}\n`);
  process.exit(2);
}

/** Runs the command line of this process; exits 2 on any error. */
export function runCli(): void {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    fail(err.message);
  });
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof ValidationFailed) {
      process.stderr.write(`${err.lines().join('\n')}\n`);
      process.exit(2);
    }
    if (err instanceof RulesError) {
      process.stderr.write(`${err.problems.map((p) => `blazerules: ${formatProblem(p)}`).join('\n')}\n`);
      process.exit(2);
    }
    if (err instanceof UsageError || err instanceof BlazeRulesError || err instanceof Error) fail(err.message);
    fail(String(err));
  });
}
