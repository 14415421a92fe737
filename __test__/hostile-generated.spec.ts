/**
 * Issue 13's acceptance: a generated hostile-input suite. Every record case (helpers/
 * hostile-cases.ts) is evaluated on every way into a batch, and every rules case is loaded
 * from a file and from a string; each case's outcome is asserted: decided (with its decision
 * and warnings), skipped with its code and row, or refused with its code and file:line:column.
 * Nothing is lost: every row is decided or skipped with its row, and the counts add up.
 *
 * Cases the engine gets wrong today carry a `bug`; each is a test.failing of its own, named
 * after the case and its bug, so that fixing one makes its test fail until it is moved back.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RuleEngine, RulesError } from '../src/index';
import type { BatchResult, EngineConfig, LoadReport } from '../src/index';
import {
  MAX_RECORD_BYTES,
  RECORD_RULES,
  lookupCases,
  recordCases,
  rejectOutcome,
  rulesCases,
} from './helpers/hostile-cases';
import type { LookupPlaces, RecordCase, RecordOutcome, RulesCase } from './helpers/hostile-cases';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const DIR = mkdtempSync(join(tmpdir(), 'blazerules-hostile-gen-'));
const CASES = recordCases();

function engine(config: EngineConfig = {}): RuleEngine {
  const e = new RuleEngine({ maxErrorSamples: 100_000, maxRecordBytes: MAX_RECORD_BYTES, ...config });
  e.loadRulesFromString(RECORD_RULES);
  return e;
}

// ------------------------------------------------------------------------------ outcomes

/** One record's outcome as a line of text, so that a mismatch shows both sides whole. */
function show(o: RecordOutcome | undefined): string {
  if (o === undefined) return 'nothing (lost)';
  if (o.kind === 'blank') return 'not a row';
  if (o.kind === 'skipped') return `skipped ${o.code}`;
  const warnings = o.warnings ?? [];
  return `decided ${o.decision}${warnings.length > 0 ? ` with DUPLICATE_KEY ${warnings.join(', ')}` : ''}`;
}

/** A batch's outcomes by row, and each skip's message. */
interface Outcomes {
  byRow: Map<number, RecordOutcome>;
  messages: Map<number, string>;
  /** NDJSON: each decided row's input line. */
  lines: Map<number, number>;
  result: BatchResult;
}

function outcomes(r: BatchResult): Outcomes {
  const byRow = new Map<number, RecordOutcome>();
  const lines = new Map<number, number>();
  const warnings = new Map<number, string[]>();
  for (const w of r.warningSamples) warnings.set(w.rowIndex, [...(warnings.get(w.rowIndex) ?? []), w.key]);
  r.inputRows.forEach((row, i) => {
    const w = warnings.get(row);
    byRow.set(row, { kind: 'decided', decision: r.decisions[i] ?? '?', ...(w ? { warnings: w } : {}) });
    lines.set(row, r.inputLines[i] ?? 0);
  });
  const messages = new Map<number, string>();
  for (const s of r.errorSamples) {
    if (byRow.has(s.rowIndex)) throw new Error(`row ${s.rowIndex} is both decided and skipped`);
    byRow.set(s.rowIndex, { kind: 'skipped', code: s.code });
    messages.set(s.rowIndex, s.message);
  }
  return { byRow, messages, lines, result: r };
}

/** How the cases are laid out for one way in: each case's row (undefined: not a row). */
interface Layout {
  cases: RecordCase[];
  rows: (number | undefined)[];
  /** Rows the batch must account for. */
  nRows: number;
}

/** NDJSON: one line a case; rows count the non-blank lines. */
function ndjsonLayout(cases: RecordCase[]): Layout {
  let row = 0;
  const rows = cases.map((c) => (c.expect.kind === 'blank' ? undefined : row++));
  return { cases, rows, nRows: row };
}

/** Messages: a row per message, its index; blank messages are dropped (docs/kafka.md). */
function messageLayout(cases: RecordCase[]): Layout {
  const rows = cases.map((c, i) => (c.expect.kind === 'blank' ? undefined : i));
  return { cases, rows, nRows: rows.filter((r) => r !== undefined).length };
}

const ndjsonPayload = (cases: RecordCase[]) =>
  Buffer.concat(cases.flatMap((c, i) => (i === 0 ? [c.bytes] : [Buffer.from('\n'), c.bytes])));
const arrayCases = CASES.filter((c) => c.inArray);
const arrayPayload = () =>
  Buffer.concat([
    Buffer.from('[\n'),
    ...arrayCases.flatMap((c, i) => (i === 0 ? [c.bytes] : [Buffer.from(',\n'), c.bytes])),
    Buffer.from('\n]'),
  ]);

interface Surface {
  name: string;
  layout: Layout;
  expect: (c: RecordCase) => RecordOutcome;
  run: () => Promise<BatchResult>;
  /** Input lines are reported (NDJSON). */
  lines: boolean;
}

const NDJSON = ndjsonPayload(CASES);
const NDJSON_FILE = join(DIR, 'records.ndjson');
writeFileSync(NDJSON_FILE, NDJSON);
const last = (c: RecordCase) => c.expect;

const SURFACES: Surface[] = [
  {
    name: 'evaluateNdjson',
    layout: ndjsonLayout(CASES),
    expect: last,
    run: () => engine().evaluateNdjson(NDJSON),
    lines: true,
  },
  {
    name: 'evaluateNdjsonSync',
    layout: ndjsonLayout(CASES),
    expect: last,
    run: async () => engine().evaluateNdjsonSync(NDJSON),
    lines: true,
  },
  {
    name: 'evaluateNdjsonFile',
    layout: ndjsonLayout(CASES),
    expect: last,
    run: () => engine().evaluateNdjsonFile(NDJSON_FILE),
    lines: true,
  },
  {
    name: 'evaluateMessages',
    layout: messageLayout(CASES),
    expect: last,
    run: () => engine().evaluateMessages(CASES.map((c) => c.bytes)),
    lines: false,
  },
  {
    name: 'evaluateJsonArray',
    layout: ndjsonLayout(arrayCases),
    expect: (c) => c.arrayExpect ?? c.expect,
    run: () => engine().evaluateJsonArray(arrayPayload()),
    lines: false,
  },
  {
    name: "evaluateNdjson, duplicateKeys 'reject'",
    layout: ndjsonLayout(CASES),
    expect: rejectOutcome,
    run: () => engine({ duplicateKeys: 'reject' }).evaluateNdjson(NDJSON),
    lines: true,
  },
  {
    name: "evaluateMessages, duplicateKeys 'reject'",
    layout: messageLayout(CASES),
    expect: rejectOutcome,
    run: () => engine({ duplicateKeys: 'reject' }).evaluateMessages(CASES.map((c) => c.bytes)),
    lines: false,
  },
];

/** Each surface evaluated once, shared by its tests. */
const evaluated = new Map<string, Promise<Outcomes>>();
function results(s: Surface): Promise<Outcomes> {
  let p = evaluated.get(s.name);
  if (p === undefined) {
    p = s.run().then(outcomes);
    evaluated.set(s.name, p);
  }
  return p;
}

/** Asserts one case's outcome on one surface. */
function checkCase(t: ExecutionContext, s: Surface, got: Outcomes, i: number): void {
  const c = s.layout.cases[i] as RecordCase;
  const row = s.layout.rows[i];
  const want = s.expect(c);
  const where = `${s.name}: ${c.name}${row === undefined ? '' : ` (row ${row})`}`;
  if (row === undefined) {
    t.is(want.kind, 'blank', `${where}: a case without a row must be blank`);
    return;
  }
  const have = got.byRow.get(row);
  t.is(show(have), show(want), where);
  if (want.kind === 'skipped' && want.message !== undefined && have?.kind === 'skipped')
    t.regex(got.messages.get(row) ?? '', want.message, `${where}: message`);
  if (s.lines && have?.kind === 'decided') t.is(got.lines.get(row), i + 1, `${where}: input line`);
}

/** Nothing lost: every row decided or skipped with its row, every count consistent. */
function checkAccounting(t: ExecutionContext, s: Surface, got: Outcomes): void {
  const r = got.result;
  const n = s.layout.nRows;
  t.is(r.nRecords + r.messagesSkipped, n, `${s.name}: nRecords + messagesSkipped = rows`);
  t.is(r.messagesProcessed, n, `${s.name}: messagesProcessed`);
  const expectedRows = s.layout.rows.filter((x): x is number => x !== undefined).sort((a, b) => a - b);
  t.deepEqual(
    [...got.byRow.keys()].sort((a, b) => a - b),
    expectedRows,
    `${s.name}: rows decided or skipped`,
  );
  t.is(r.errorSamples.length, r.messagesSkipped, `${s.name}: one error sample per skip`);
  const counted = Object.values(r.errorCounts).reduce((a, b) => a + b, 0);
  t.is(counted, r.messagesSkipped, `${s.name}: errorCounts add up to messagesSkipped`);
  const warned = Object.values(r.warningCounts).reduce((a, b) => a + b, 0);
  t.is(warned, r.warningSamples.length, `${s.name}: warningCounts add up to the samples`);
  if (s.lines) t.is(r.inputLineCount, s.layout.cases.length, `${s.name}: inputLineCount`);
}

test('the generator: a few hundred record cases, the same on every run', (t) => {
  t.true(CASES.length >= 250, `${CASES.length} record cases`);
  t.deepEqual(
    recordCases().map((c) => c.name),
    CASES.map((c) => c.name),
  );
  t.is(new Set(CASES.map((c) => c.name)).size, CASES.length, 'case names are unique');
});

for (const s of SURFACES) {
  test(`records through ${s.name}: each case's outcome`, async (t) => {
    const got = await results(s);
    s.layout.cases.forEach((c, i) => {
      if (c.bug === undefined) checkCase(t, s, got, i);
    });
  });

  test(`records through ${s.name}: nothing lost, the counts add up`, async (t) => {
    checkAccounting(t, s, await results(s));
  });
}

// One failing test per case the engine gets wrong today, over every surface.
for (const c of CASES) {
  if (c.bug === undefined) continue;
  test.failing(`records: ${c.name} (bug: ${c.bug})`, async (t) => {
    for (const s of SURFACES) {
      const at = s.layout.cases.indexOf(c);
      if (at >= 0) checkCase(t, s, await results(s), at);
    }
  });
}

/** JSON arrays whose structure is hostile: each element skipped alone (its index the row), or
 * the whole array refused as one row when its structure is broken (README "Limits"). */
const ARRAYS: [string, string, string[]][] = [
  ['a trailing comma', '[{"amount":20000},]', ['decided BLOCK', 'skipped MALFORMED_JSON']],
  ['a leading comma', '[,{"amount":20000}]', ['skipped MALFORMED_JSON', 'decided BLOCK']],
  ['two commas', '[{"amount":1},,{"amount":20000}]', ['decided APPROVE', 'skipped MALFORMED_JSON', 'decided BLOCK']],
  ['two elements without a comma', '[{"amount":1}{"amount":2}]', ['skipped MALFORMED_JSON']],
  ['brackets inside strings', '[{"amount":20000,"s":"]"},{"t":"[{","amount":1}]', ['decided BLOCK', 'decided APPROVE']],
  ['a CRLF before the bracket', '[{"amount":20000}\r\n]', ['decided BLOCK']],
  [
    'an element nested 2000 deep',
    `[${'['.repeat(2000)}${']'.repeat(2000)},{"amount":20000}]`,
    ['skipped MALFORMED_JSON', 'decided BLOCK'],
  ],
  ['empty', '[]', []],
  ['empty, with newlines', '\n[\n]\n', []],
  [
    'bytes after the array',
    '[{"amount":20000}] x',
    ['skipped MALFORMED_JSON: malformed json array: bytes after the closing bracket'],
  ],
  [
    'a bracket too many',
    '[{"amount":20000}]]',
    ['skipped MALFORMED_JSON: malformed json array: bytes after the closing bracket'],
  ],
  ['not closed', '[{"amount":20000}', ['skipped MALFORMED_JSON: malformed json array: the array is not closed']],
  [
    'an object not closed',
    '[{"amount":20000,]',
    ['skipped MALFORMED_JSON: malformed json array: the array is not closed'],
  ],
  ['a BOM before the array', '\ufeff[{"amount":20000}]', ['skipped MALFORMED_JSON: malformed json array']],
  ['nothing', '', ['skipped MALFORMED_JSON: malformed json array']],
  ['only spaces', '   ', ['skipped MALFORMED_JSON: malformed json array']],
  ['an object', '{"amount":20000}', ['skipped MALFORMED_JSON: json-array input must be a top-level array']],
  ['null', 'null', ['skipped MALFORMED_JSON: json-array input must be a top-level array']],
];

test('evaluateJsonArray: hostile array structure, each element or the whole array accounted for', async (t) => {
  const e = engine();
  for (const [name, payload, want] of ARRAYS) {
    const got = outcomes(await e.evaluateJsonArray(payload));
    const rows = [...got.byRow.keys()].sort((a, b) => a - b);
    t.deepEqual(rows, [...want.keys()], `${name}: rows`);
    const shown = rows.map((row) => {
      const o = got.byRow.get(row);
      // A whole-array refusal is told by its message.
      const message = got.messages.get(row) ?? '';
      const whole = message.startsWith('malformed json array') || message.startsWith('json-array');
      return whole ? `${show(o)}: ${message}` : show(o);
    });
    t.deepEqual(shown, want, name);
    t.is(got.result.messagesProcessed, want.length, `${name}: messagesProcessed`);
  }
});

// ------------------------------------------------------------------------------ the CLI

interface DecisionLine {
  row: number;
  line: number;
  decision: string;
}

test('records through `eval --path` (decisions-jsonl): each decided line, the skipped ones counted', (t) => {
  const rules = join(DIR, 'records.yaml');
  writeFileSync(rules, RECORD_RULES);
  const args = ['eval', '--rules', rules, '--max-record-bytes', String(MAX_RECORD_BYTES)];
  const run = spawnSync(process.execPath, [CLI, ...args, '--path', NDJSON_FILE, '--output', 'decisions-jsonl'], {
    encoding: 'utf8',
    maxBuffer: 1 << 26,
  });
  t.is(run.status, 0, run.stderr);
  const got = new Map<number, DecisionLine>();
  for (const l of run.stdout.trim().split('\n')) {
    const d = JSON.parse(l) as DecisionLine;
    got.set(d.line, d);
  }
  const layout = ndjsonLayout(CASES);
  let skipped = 0;
  CASES.forEach((c, i) => {
    if (c.bug !== undefined) return;
    const want = c.expect;
    const line = got.get(i + 1);
    if (want.kind === 'decided') t.is(line?.decision, want.decision, `eval: ${c.name} (line ${i + 1})`);
    else t.is(line, undefined, `eval: ${c.name} (line ${i + 1}) has no decision`);
    if (want.kind === 'skipped') skipped++;
  });
  const summary = spawnSync(process.execPath, [CLI, ...args, '--path', NDJSON_FILE], { encoding: 'utf8' });
  t.is(summary.status, 0, summary.stderr);
  const s = JSON.parse(summary.stdout) as { records: number; messages_skipped: number; messages_processed: number };
  const bugs = CASES.filter((c) => c.bug !== undefined && c.expect.kind !== 'blank').length;
  t.is(s.messages_processed, layout.nRows);
  t.is(s.records + s.messages_skipped, layout.nRows);
  t.true(s.messages_skipped >= skipped && s.messages_skipped <= skipped + bugs, `skipped ${s.messages_skipped}`);
  t.is(s.records, got.size);
});

test('records through `eval --stdin --input json-array`: the same decisions as evaluateJsonArray', async (t) => {
  const rules = join(DIR, 'records-array.yaml');
  writeFileSync(rules, RECORD_RULES);
  const run = spawnSync(
    process.execPath,
    [
      CLI,
      'eval',
      '--rules',
      rules,
      '--stdin',
      '--input',
      'json-array',
      '--max-record-bytes',
      String(MAX_RECORD_BYTES),
      '--output',
      'decisions-jsonl',
    ],
    { input: arrayPayload(), encoding: 'utf8', maxBuffer: 1 << 26 },
  );
  t.is(run.status, 0, run.stderr);
  const lines = run.stdout
    .trim()
    .split('\n')
    .map((l) => (JSON.parse(l) as DecisionLine).decision);
  const api = (await results(SURFACES.find((s) => s.name === 'evaluateJsonArray') as Surface)).result;
  t.deepEqual(lines, api.decisions);
});

// ------------------------------------------------------------------------------ rules files

/** The rules files' directory, with the files the lookup cases name around it. */
function lookupPlaces(): LookupPlaces {
  const dir = join(DIR, 'rules');
  mkdirSync(dir);
  const p: LookupPlaces = {
    dir,
    inside: join(dir, 'inside.csv'),
    outside: join(DIR, 'outside.csv'),
    linkOut: join(dir, 'link-out.csv'),
    linkZero: join(dir, 'link-zero.csv'),
    fifo: join(dir, 'fifo'),
    big: join(dir, 'big.csv'),
  };
  writeFileSync(p.inside, 'value\nmallory\n');
  writeFileSync(p.outside, 'value\nmallory\n');
  writeFileSync(p.big, `value\n${'m'.repeat(57)}\n`);
  symlinkSync(p.outside, p.linkOut);
  symlinkSync('/dev/zero', p.linkZero);
  execFileSync('mkfifo', [p.fifo]);
  return p;
}

const PLACES = lookupPlaces();
type RulesCaseWithConfig = RulesCase & { config?: EngineConfig };
const RULES_CASES: RulesCaseWithConfig[] = [...rulesCases(), ...lookupCases(PLACES)];

type Loaded = { kind: 'loaded'; report: LoadReport } | { kind: 'refused'; err: RulesError };

function load(c: RulesCaseWithConfig, run: (e: RuleEngine) => LoadReport): Loaded {
  try {
    return { kind: 'loaded', report: run(new RuleEngine(c.config ?? {})) };
  } catch (err) {
    if (err instanceof RulesError) return { kind: 'refused', err };
    throw err;
  }
}

/** The rules file a case is written to (once), named after its index. */
const written = new Map<RulesCase, string>();
function fileOf(c: RulesCase): string {
  let file = written.get(c);
  if (file === undefined) {
    const slug = c.name.replace(/[^a-z0-9]+/gi, '-').slice(0, 40);
    file = join(PLACES.dir, `${RULES_CASES.indexOf(c)}-${slug}.${c.format === 'json' ? 'json' : 'yaml'}`);
    writeFileSync(file, c.text);
    written.set(c, file);
  }
  return file;
}

/** The ways in: from a file, and (for text) from a string with the same directory. */
function rulesSurfaces(c: RulesCase): { name: string; file?: string; run: (e: RuleEngine) => LoadReport }[] {
  const out: { name: string; file?: string; run: (e: RuleEngine) => LoadReport }[] = [];
  if (!c.slow) {
    const file = fileOf(c);
    out.push({ name: 'loadRules', file, run: (e) => e.loadRules(file) });
  }
  const text = c.text;
  if (typeof text === 'string')
    out.push({ name: 'loadRulesFromString', run: (e) => e.loadRulesFromString(text, c.format, PLACES.dir) });
  return out;
}

function checkRulesCase(t: ExecutionContext, c: RulesCaseWithConfig): void {
  for (const s of rulesSurfaces(c)) {
    const where = `${s.name}: ${c.name}`;
    const got = load(c, s.run);
    const want = c.expect;
    if (want.kind === 'loaded') {
      t.is(got.kind, 'loaded', `${where}: ${got.kind === 'refused' ? got.err.format() : ''}`);
      if (got.kind === 'loaded' && want.ruleIds) t.deepEqual(got.report.ruleIds, want.ruleIds, `${where}: rule ids`);
      continue;
    }
    if (got.kind !== 'refused') {
      t.fail(`${where}: loaded, expected ${want.code}`);
      continue;
    }
    const err = got.err;
    t.is(err.code, want.code, `${where}: code (${err.format()})`);
    if (typeof want.line === 'number')
      t.is(`${err.line}:${err.column}`, `${want.line}:${want.column}`, `${where}: line:column`);
    else {
      const [lo, hi] = want.line;
      t.true(err.line !== undefined && err.line >= lo && err.line <= hi, `${where}: line ${err.line} in ${lo}..${hi}`);
    }
    if (typeof want.message === 'string') t.is(err.message, want.message, `${where}: message`);
    else if (want.message) t.regex(err.message, want.message, `${where}: message`);
    t.is(err.file, s.file, `${where}: file`);
    for (const p of err.problems)
      t.true((p.line ?? 0) >= 1 && (p.column ?? 0) >= 1, `${where}: never 0:0 (${p.line}:${p.column} ${p.message})`);
  }
}

test('the generator: rules cases of every kind', (t) => {
  t.true(RULES_CASES.length >= 150, `${RULES_CASES.length} rules cases`);
  t.is(new Set(RULES_CASES.map((c) => c.name)).size, RULES_CASES.length, 'case names are unique');
});

test('rules files: each case loaded or refused with its code at file:line:column', (t) => {
  for (const c of RULES_CASES) if (c.bug === undefined) checkRulesCase(t, c);
});

for (const c of RULES_CASES) {
  if (c.bug === undefined) continue;
  test.failing(`rules: ${c.name} (bug: ${c.bug})`, (t) => {
    checkRulesCase(t, c);
  });
}

test('`validate` prints each refusal as file:line:column: CODE message and exits 2', (t) => {
  const sample = [
    'duplicate key: condition op (block)',
    'rule weight: "abc"',
    'invalid UTF-8 0xff in a quoted value',
    'unknown operator inside and[1]',
    'lookup: ../ out of the directory',
    'document precedence: a scalar',
  ];
  for (const name of sample) {
    const c = RULES_CASES.find((x) => x.name === name);
    if (c === undefined || c.expect.kind !== 'refused') throw new Error(`no refused case ${name}`);
    const file = fileOf(c);
    const r = spawnSync(process.execPath, [CLI, 'validate', '--rules', file], { encoding: 'utf8' });
    t.is(r.status, 2, `validate ${name}`);
    // Every problem on a line of its own, in file order (a lookup refused is also an unknown
    // lookup where a rule names it, on an earlier line).
    const at = `${file}:${c.expect.line}:${c.expect.column}: ${c.expect.code} `;
    t.true(
      r.stderr.split('\n').some((l) => l.startsWith(at)),
      `validate ${name}: ${r.stderr}`,
    );
  }
  const ok = RULES_CASES.find((x) => x.name === 'lookup: a CSV beside the rules file loads') as RulesCase;
  const r = spawnSync(process.execPath, [CLI, 'validate', '--rules', fileOf(ok)], { encoding: 'utf8' });
  t.is(r.status, 0, r.stderr);
  t.like(JSON.parse(r.stdout), { ok: true, rules: 1 });
});
