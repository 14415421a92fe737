/**
 * The CLI's vocabulary. Each command declares its options once (name, type, repeatable,
 * allowed values, default, help text); the parser and the help text are both made from that
 * declaration, and a command's `run` receives the parsed values typed by it.
 */

/** A mistake in the command line (exit code 2, `blazerules: <message>`). */
export class UsageError extends Error {}

/**
 * 'string': a value; 'int': a non-negative integer; 'number': a non-negative number;
 * 'flag': bare, or true/1/yes/on (anything else is false); 'choice': one of `values` (or an
 * alias of one); 'kv': `key=value` (repeated, the pairs are merged into one object).
 */
export type OptionType = 'string' | 'int' | 'number' | 'flag' | 'choice' | 'kv';

export interface OptionSpec {
  readonly name: string;
  readonly type: OptionType;
  readonly help: string;
  /** The value's placeholder in usage text (R, F, N…; for a flag, its optional value). */
  readonly arg?: string;
  readonly required?: boolean;
  /** May be given more than once ('string': a list of values; 'kv': merged pairs). */
  readonly repeatable?: boolean;
  /** 'choice': the accepted values, as documented. */
  readonly values?: readonly string[];
  /** 'choice': other spellings of a value (matched case-insensitively, as `values`). */
  readonly aliases?: Readonly<Record<string, string>>;
  /** The value when the option is absent (also shown in help). */
  readonly default?: string | number;
}

type ValueOf<S extends OptionSpec> = S extends { type: 'int' | 'number' }
  ? number
  : S extends { type: 'flag' }
    ? boolean
    : S extends { type: 'kv' }
      ? Record<string, string>
      : S extends { values: readonly (infer V extends string)[] }
        ? V
        : S extends { repeatable: true }
          ? string[]
          : string;

/** Whether a parsed value is always there: the option is required or has a default. */
type Present<S extends OptionSpec> = S extends { required: true }
  ? true
  : S extends { default: string | number }
    ? true
    : false;

/** The parsed options of a command whose options are `O`, keyed by option name. */
export type Values<O extends readonly OptionSpec[]> = {
  [S in O[number] as Present<S> extends true ? S['name'] : never]: ValueOf<S>;
} & {
  [S in O[number] as Present<S> extends true ? never : S['name']]?: ValueOf<S>;
};

export interface Command<O extends readonly OptionSpec[] = readonly OptionSpec[]> {
  readonly name: string;
  readonly summary: string;
  /** A word that must follow the command name (`stream kafka`). */
  readonly source?: string;
  /** Further lines of help text. */
  readonly notes?: readonly string[];
  readonly options: O;
  run(values: Values<O>): Promise<void> | void;
}

/** Declares a command; its `run` gets the values typed by its options. */
export function command<const O extends readonly OptionSpec[]>(c: Command<O>): Command<O> {
  return c;
}

/** The command line split into words: positionals, and options in order (undefined: bare). */
export interface Tokens {
  positionals: string[];
  options: Array<[name: string, value: string | undefined]>;
}

/** `--k v`, `--k=v`, and bare `--k` (followed by nothing or another `--option`). */
export function tokenize(argv: readonly string[]): Tokens {
  const tokens: Tokens = { positionals: [], options: [] };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (!arg.startsWith('--') || arg.length <= 2) {
      tokens.positionals.push(arg);
      continue;
    }
    const eq = arg.indexOf('=');
    if (eq > 0) {
      tokens.options.push([arg.slice(2, eq), arg.slice(eq + 1)]);
      continue;
    }
    const next = argv[i + 1];
    const hasValue = next !== undefined && !next.startsWith('--');
    tokens.options.push([arg.slice(2), hasValue ? next : undefined]);
    if (hasValue) i++;
  }
  return tokens;
}

const TRUE_WORDS = ['true', '1', 'yes', 'on'];

function convert(spec: OptionSpec, raw: string | undefined): string | number | boolean {
  const name = `--${spec.name}`;
  switch (spec.type) {
    case 'flag':
      return raw === undefined || TRUE_WORDS.includes(raw.toLowerCase());
    case 'int': {
      const n = Number(raw);
      if (raw === undefined || !Number.isInteger(n) || n < 0)
        throw new UsageError(`${name} must be a non-negative integer`);
      return n;
    }
    case 'number': {
      const n = Number(raw);
      if (raw === undefined || !Number.isFinite(n) || n < 0)
        throw new UsageError(`${name} must be a non-negative number`);
      return n;
    }
    default:
      break;
  }
  if (raw === undefined) throw new UsageError(spec.required ? `${name} is required` : `${name} needs a value`);
  if (spec.type === 'choice') return choice(spec, raw);
  if (spec.type === 'kv' && raw.indexOf('=') <= 0) throw new UsageError(`${name} takes key=value (got '${raw}')`);
  return raw;
}

function choice(spec: OptionSpec, raw: string): string {
  const values = spec.values ?? [];
  const key = raw.toLowerCase();
  const found = values.find((v) => v.toLowerCase() === key) ?? spec.aliases?.[key];
  if (found === undefined) throw new UsageError(`--${spec.name} must be one of ${values.join(', ')} (got '${raw}')`);
  return found;
}

/** Checks and converts a command's options against its declaration. */
export function parseOptions<O extends readonly OptionSpec[]>(cmd: Command<O>, options: Tokens['options']): Values<O> {
  const specs = new Map<string, OptionSpec>(cmd.options.map((o) => [o.name, o]));
  const out: Record<string, unknown> = {};
  for (const [name, raw] of options) {
    const spec = specs.get(name);
    if (spec === undefined) throw new UsageError(`unknown option --${name} for '${cmd.name}'`);
    if (Object.hasOwn(out, name) && !spec.repeatable) throw new UsageError(`option --${name} given more than once`);
    const value = convert(spec, raw);
    if (spec.type === 'kv') {
      const kv = String(value);
      const eq = kv.indexOf('=');
      out[name] = { ...(out[name] as Record<string, string> | undefined), [kv.slice(0, eq)]: kv.slice(eq + 1) };
    } else if (spec.repeatable) {
      out[name] = [...((out[name] as unknown[] | undefined) ?? []), value];
    } else {
      out[name] = value;
    }
  }
  for (const spec of cmd.options) {
    if (Object.hasOwn(out, spec.name)) continue;
    if (spec.required) throw new UsageError(`--${spec.name} is required`);
    if (spec.default !== undefined) out[spec.name] = spec.default;
  }
  return out as Values<O>;
}

// ------------------------------------------------------------------ help text

const WIDTH = 100;

function placeholder(o: OptionSpec): string {
  if (o.type === 'flag') return o.arg === undefined ? '' : ` [${o.arg}]`;
  if (o.type === 'choice') return ` ${(o.values ?? []).join('|')}`;
  return ` ${o.arg ?? (o.type === 'int' || o.type === 'number' ? 'N' : 'V')}`;
}

/** `--k V`, `[--k V]` or `[--k V]...`. */
function synopsisOf(o: OptionSpec): string {
  const word = `--${o.name}${placeholder(o)}`;
  return `${o.required ? word : `[${word}]`}${o.repeatable ? '...' : ''}`;
}

/** Words joined into lines of at most WIDTH characters; continuation lines indented. */
function wrap(first: string, words: readonly string[], indent: string): string[] {
  const lines: string[] = [];
  let line = first;
  for (const w of words) {
    if (line.length + 1 + w.length > WIDTH && line.trim().length > 0) {
      lines.push(line);
      line = indent + w;
    } else {
      line = line.length === 0 || line.endsWith(' ') ? line + w : `${line} ${w}`;
    }
  }
  lines.push(line);
  return lines;
}

function commandWords(c: Command): string {
  return c.source === undefined ? c.name : `${c.name} ${c.source}`;
}

/** One command's synopsis (for the overall usage). */
function synopsis(c: Command): string[] {
  return wrap(`  ${commandWords(c)}`, c.options.map(synopsisOf), '       ');
}

/** `blazerules help COMMAND`: the synopsis, then each option with its help and default. */
export function commandHelp(c: Command): string {
  const rows = c.options.map((o) => {
    const extra = [
      o.required ? 'required' : '',
      o.repeatable ? 'repeatable' : '',
      o.default !== undefined ? `default ${o.default}` : '',
    ]
      .filter(Boolean)
      .join(', ');
    return [`--${o.name}${placeholder(o)}`, extra === '' ? o.help : `${o.help} (${extra})`] as const;
  });
  const width = Math.min(36, Math.max(0, ...rows.map(([left]) => left.length)));
  const indent = ' '.repeat(width + 4);
  const lines = [`usage: blazerules ${commandWords(c)}${c.options.length > 0 ? ' [options]' : ''}`, ''];
  for (const text of [c.summary, ...(c.notes ?? [])]) lines.push(...wrap('', text.split(' '), ''));
  if (rows.length > 0) lines.push('', 'options:');
  for (const [left, help] of rows) {
    // A long option name gets a line of its own, its help text below.
    if (left.length > width) lines.push(`  ${left}`);
    lines.push(...wrap(left.length > width ? indent : `  ${left.padEnd(width)}  `, help.split(' '), indent));
  }
  return lines.join('\n');
}

/** The overall usage: every command's synopsis and summary. */
export function usage(commands: readonly Command[]): string {
  const lines = ['usage: blazerules <command> [options]', '', 'commands:'];
  for (const c of commands) lines.push(...synopsis(c), ...wrap('       ', c.summary.split(' '), '       '));
  lines.push('  --version, --help, help <command>');
  return lines.join('\n');
}
