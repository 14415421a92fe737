/** Every file the engine and the CLI read is bounded: regular files only, size limits, lookups
 * confined to the rules file's directory; stdin read in chunks; input line numbers. */
import test from 'ava';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BlazeRulesError, RuleEngine, RulesError } from '../src/index';
import type { EngineConfig } from '../src/index';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'blazerules-files-'));
const RULES_DIR = join(tmp, 'rules');
mkdirSync(join(RULES_DIR, 'sub'), { recursive: true });
writeFileSync(join(RULES_DIR, 'sub', 'users.csv'), 'value\nmallory\n');
writeFileSync(join(tmp, 'outside.csv'), 'value\nmallory\n');
const FIFO = join(tmp, 'fifo');
execFileSync('mkfifo', [FIFO]);

const RULE = 'rules:\n  - {id: big, action: block, conditions: {field: amount, op: gt, value: 100}}\n';

/** A rules file in RULES_DIR: one rule, and with `lookupPath` a lookup rule and its lookup
 * (the lookup's path on line 5). */
function rulesFile(name: string, lookupPath?: string): string {
  const file = join(RULES_DIR, name);
  let text = RULE;
  if (lookupPath !== undefined)
    text +=
      '  - {id: u, action: block, conditions: {field: user, op: in_lookup, lookup: u}}\n' +
      `lookups:\n  u: {type: string_set, path: ${JSON.stringify(lookupPath)}}\n`;
  writeFileSync(file, text);
  return file;
}

function loadError(config: EngineConfig, load: (e: RuleEngine) => unknown): RulesError {
  const e = new RuleEngine(config);
  const err = (() => {
    try {
      load(e);
    } catch (x) {
      return x;
    }
    return undefined;
  })();
  if (!(err instanceof RulesError)) throw new Error(`expected a RulesError, got ${String(err)}`);
  return err;
}

test('rules files: regular files only, at most maxRulesFileBytes', (t) => {
  const file = rulesFile('small.yaml');
  t.is(new RuleEngine().loadRules(file).ruleCount, 1);
  const big = loadError({ maxRulesFileBytes: 10 }, (e) => e.loadRules(file));
  t.like(big, { code: 'FILE_TOO_LARGE', file });
  t.true(
    big.message.endsWith(`rules file ${file} is ${RULE.length} bytes, over the limit of 10 bytes (maxRulesFileBytes)`),
  );
  for (const [path, kind] of [
    [FIFO, 'a FIFO'],
    ['/dev/zero', 'a character device'],
    [tmp, 'a directory'],
  ] as const) {
    const err = loadError({}, (e) => e.loadRules(path));
    t.like(err, { code: 'IO_ERROR', file: path });
    t.is(err.message, `cannot read rules file ${path}: it is ${kind}, not a regular file`);
  }
  t.throws(() => new RuleEngine({ maxRulesFileBytes: -1 }), {
    instanceOf: TypeError,
    message: 'EngineConfig.maxRulesFileBytes must be a non-negative integer',
  });
});

test("lookups: confined to the rules file's directory unless lookupRoots allow more", (t) => {
  t.is(new RuleEngine().loadRules(rulesFile('in.yaml', 'sub/users.csv')).ruleCount, 2);
  const outside = rulesFile('out.yaml', '../outside.csv');
  const err = loadError({}, (e) => e.loadRules(outside));
  t.like(err, { code: 'LOOKUP_OUTSIDE_ROOTS', path: 'lookups.u.path', file: outside });
  t.regex(err.message, /outside\.csv is outside the rules file's directory and every lookupRoots entry$/);
  t.is(
    loadError({}, (e) => e.loadRules(rulesFile('etc.yaml', '../../../../../../etc/passwd'))).code,
    'LOOKUP_OUTSIDE_ROOTS',
  );
  t.is(new RuleEngine({ lookupRoots: [tmp] }).loadRules(outside).ruleCount, 2);
  // Rules from a string: confined to baseDir.
  const text = readFileSync(outside, 'utf8');
  t.is(loadError({}, (e) => e.loadRulesFromString(text, 'yaml', RULES_DIR)).code, 'LOOKUP_OUTSIDE_ROOTS');
  t.is(new RuleEngine({ lookupRoots: [tmp] }).loadRulesFromString(text, 'yaml', RULES_DIR).ruleCount, 2);
  const inside = readFileSync(rulesFile('in.yaml', 'sub/users.csv'), 'utf8');
  t.is(new RuleEngine().loadRulesFromString(inside, 'yaml', RULES_DIR).ruleCount, 2);
  // Devices, FIFOs and large files, once allowed by a root.
  const anywhere = { lookupRoots: ['/'] };
  for (const [path, kind] of [
    ['/dev/zero', 'a character device'],
    [FIFO, 'a FIFO'],
  ] as const) {
    const dev = loadError(anywhere, (e) => e.loadRules(rulesFile('dev.yaml', path)));
    t.like(dev, { code: 'IO_ERROR', path: 'lookups.u.path' });
    t.is(dev.message, `cannot read lookup file ${path}: it is ${kind}, not a regular file`);
  }
  const small = loadError({ maxLookupFileBytes: 5 }, (e) => e.loadRules(rulesFile('in.yaml', 'sub/users.csv')));
  t.is(small.code, 'FILE_TOO_LARGE');
  t.regex(small.message, /users\.csv is 14 bytes, over the limit of 5 bytes \(maxLookupFileBytes\)$/);
  t.like(small, { line: 5 });
});

test('evaluateNdjsonFile: regular files only, at most maxFileBytes', async (t) => {
  const rules = rulesFile('eval.yaml');
  const data = join(tmp, 'in.ndjson');
  writeFileSync(data, '{"amount":500}\n\n{"amount":5}\n');
  const e = new RuleEngine({ maxFileBytes: 30 });
  e.loadRules(rules);
  const r = await e.evaluateNdjsonFile(data);
  t.deepEqual(Array.from(r.inputLines), [1, 3]);
  const small = new RuleEngine({ maxFileBytes: 10 });
  small.loadRules(rules);
  const big = await t.throwsAsync(small.evaluateNdjsonFile(data), { instanceOf: BlazeRulesError });
  t.is(big?.code, 'FILE_TOO_LARGE');
  t.is(big?.message, `record file ${data} is 29 bytes, over the limit of 10 bytes (maxFileBytes)`);
  for (const [path, kind] of [
    ['/dev/zero', 'a character device'],
    [FIFO, 'a FIFO'],
    [tmp, 'a directory'],
  ] as const) {
    const err = await t.throwsAsync(e.evaluateNdjsonFile(path), { instanceOf: BlazeRulesError });
    t.is(err?.code, 'IO_ERROR');
    t.is(err?.message, `cannot read record file ${path}: it is ${kind}, not a regular file`);
  }
});

test('evaluateJsonArray: a bad element skips only itself', async (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(RULE);
  const r = await e.evaluateJsonArray('[{"amount":500}, {"amount":}, {"amount":5}, [1]]');
  t.deepEqual(Array.from(r.inputRows), [0, 2]);
  t.deepEqual(
    r.errorSamples.map((s) => [s.rowIndex, s.code]),
    [
      [1, 'MALFORMED_JSON'],
      [3, 'MALFORMED_JSON'],
    ],
  );
});

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function cli(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: ROOT, input, encoding: 'utf8', maxBuffer: 1 << 26 });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

test('eval --path: a FIFO, a device or a directory is refused by name', (t) => {
  const rules = rulesFile('cli.yaml');
  for (const [path, kind] of [
    [FIFO, 'a FIFO'],
    ['/dev/zero', 'a character device'],
    [tmp, 'a directory'],
  ] as const) {
    const r = cli(['eval', '--rules', rules, '--path', path]);
    t.is(r.status, 2);
    t.is(r.stderr.trim(), `blazerules: cannot read ${path}: it is ${kind}, not a regular file`);
  }
  const r = cli(['eval', '--rules', FIFO, '--path', join(tmp, 'in.ndjson')]);
  t.is(r.status, 2);
  t.regex(r.stderr, /IO_ERROR cannot read rules file .*fifo: it is a FIFO, not a regular file/);
});

test('eval --stdin: chunks, long lines skipped as RECORD_TOO_LARGE, `line` numbers', (t) => {
  const rules = rulesFile('stdin.yaml');
  const long = `{"amount":500,"pad":"${'x'.repeat(3 << 20)}"}`;
  const filler = '{"amount":5}\n'.repeat(80_000); // ~1 MB: a chunk of its own
  const part = `${['{"amount":500}', '', long, 'bad', '{"amount":5}'].join('\n')}\n${filler}`;
  const input = part.repeat(3);
  const args = ['eval', '--rules', rules, '--stdin', '--batch-size', '1', '--max-record-bytes', '1000'];
  const s = cli([...args, '--output', 'summary'], input);
  t.is(s.status, 0, s.stderr);
  const summary = JSON.parse(s.stdout) as { batches: number };
  t.like(summary, {
    records: 3 * 80_002,
    messages_skipped: 6,
    error_counts: { RECORD_TOO_LARGE: 3, MALFORMED_JSON: 3 },
  });
  t.true(summary.batches >= 3, `batches: ${summary.batches}`);
  const d = cli([...args, '--output', 'decisions-jsonl'], input);
  t.is(d.status, 0, d.stderr);
  const got = d.stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { row: number; line: number; decision: string });
  t.is(got.length, 3 * 80_002);
  t.deepEqual(
    got.filter((x) => x.decision === 'BLOCK').map((x) => [x.row, x.line]),
    [
      [0, 1],
      [80_002, 80_006],
      [160_004, 160_011],
    ],
  );
  t.deepEqual(got[1], { ...got[1], row: 1, line: 5 });
  t.deepEqual(got.at(-1), { ...got.at(-1), row: 3 * 80_002 - 1, line: 3 * 80_005 });
});

test('eval --stdin never holds an endless line: /dev/zero through a pipe ends with RECORD_TOO_LARGE', async (t) => {
  const rules = rulesFile('zero.yaml');
  // 64 MiB of zero bytes and no newline, with records kept to 1 MiB.
  const child = spawn(
    'sh',
    [
      '-c',
      `head -c 67108864 /dev/zero | "${process.execPath}" "${CLI}" eval --rules "${rules}" --stdin --max-record-bytes 1048576`,
    ],
    { cwd: ROOT },
  );
  let out = '';
  child.stdout.on('data', (c: Buffer) => {
    out += c.toString();
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  t.is(status, 0);
  t.like(JSON.parse(out), { records: 0, messages_skipped: 1, error_counts: { RECORD_TOO_LARGE: 1 } });
});

test('eval --output-path: no listener leak over many drain waits', (t) => {
  const rules = rulesFile('drain.yaml');
  const data = join(tmp, 'many.ndjson');
  // ~15 MB: fifteen 1 MiB chunks, each written with a wait for 'drain'.
  writeFileSync(data, `{"amount":500,"pad":"${'p'.repeat(100)}"}\n`.repeat(130_000));
  const out = join(tmp, 'many.out');
  const r = cli(['eval', '--rules', rules, '--path', data, '--batch-size', '1', '--output-path', out]);
  t.is(r.status, 0, r.stderr);
  t.notRegex(r.stderr, /MaxListenersExceededWarning/);
  t.is(readFileSync(out, 'utf8').split('\n').length, 130_001);
});
