/**
 * `engine.explain(record)` (service.md §2; issue 10's acceptance): on records generated from
 * every differential fixture (__test__/fixtures/diff/*), explain agrees with `evaluate` on
 * every rule's matched flag, the winner, the decision and the score, and every leaf's `actual`
 * is the record's value at its field; then trees with and/or/not/sql/array_any, windows
 * (explain leaves the state as it was), lookups, and refused records; and `blazerules explain`.
 */
import test from 'ava';
import type { ExecutionContext } from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { parse as parseYaml } from 'yaml';

import { BlazeRulesError, RuleEngine } from '../src/index';
import type { ConditionTrace, Explanation } from '../src/index';
import { seeded } from './helpers/hostile-cases';

const FIXTURES = join(__dirname, 'fixtures', 'diff');
const PER_FIXTURE = 10_000;
const T0 = 1_709_510_400_000; // 2024-03-04T00:00:00Z

const EXTRAS: unknown[] = [null, 0, -1, 1.5, '', 'x', true, false, [], {}, '10.0.0.1', [{}]];

/** Records mixing the fixture's own values key by key (sometimes missing, sometimes another
 * value, numbers sometimes moved), so that every rule is met on both sides of its operands. */
function generate(samples: Record<string, unknown>[], n: number, seed: number): Record<string, unknown>[] {
  const random = seeded(seed);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)] as T;
  const pools = new Map<string, unknown[]>();
  for (const s of samples) for (const [k, v] of Object.entries(s)) pools.set(k, [...(pools.get(k) ?? []), v]);
  return Array.from({ length: n }, () => {
    const rec: Record<string, unknown> = {};
    for (const [k, pool] of pools) {
      const r = random();
      if (r < 0.15) continue;
      let v = r < 0.2 ? pick(EXTRAS) : pick(pool);
      if (typeof v === 'number' && random() < 0.3) v = pick([v + 1, v - 1, v * 2, v / 2, -v]);
      rec[k] = v;
    }
    return rec;
  });
}

/** The fields a rules file hints `nullable` (an empty string reads as null there). */
function nullableFields(rulesYaml: string): Set<string> {
  const doc = parseYaml(rulesYaml) as Record<string, unknown> | null;
  const hints = doc?.fields ?? doc?.schema;
  const out = new Set<string>();
  const entries: [string, unknown][] = Array.isArray(hints)
    ? hints.map((h: Record<string, unknown>) => [String(h.name), h])
    : Object.entries((hints as Record<string, unknown> | undefined) ?? {});
  for (const [name, h] of entries) if ((h as { nullable?: unknown }).nullable === true) out.add(name);
  return out;
}

/** The value a field of `rec` reads: a literal key, else the dotted path; null when missing
 * (or, in a `nullable` field, empty). */
function valueAt(rec: Record<string, unknown>, field: string, nullable: Set<string>): unknown {
  let v: unknown;
  if (Object.hasOwn(rec, field)) v = rec[field];
  else if (field.includes('.')) {
    v = rec;
    for (const part of field.split('.')) {
      v = v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>)[part] : undefined;
    }
  }
  if (v === undefined || (v === '' && nullable.has(field))) return null;
  return v;
}

/** Every leaf on a record field (not those inside an array_any's `where`, read per element). */
function recordLeaves(c: ConditionTrace, out: ConditionTrace[] = []): ConditionTrace[] {
  if (c.kind === 'leaf') {
    if (c.field !== undefined) out.push(c);
    return out;
  }
  for (const k of c.children ?? []) recordLeaves(k, out);
  return out;
}

interface Fixture {
  name: string;
  dir: string;
  samples: Record<string, unknown>[];
  windows: boolean;
}

function fixtures(): Fixture[] {
  return readdirSync(FIXTURES, { withFileTypes: true })
    .filter((d) => d.isDirectory())
    .map((d) => {
      const dir = join(FIXTURES, d.name);
      const inputs = readdirSync(dir).filter((f) => f.endsWith('.ndjson'));
      const samples: Record<string, unknown>[] = [];
      for (const f of inputs) {
        for (const line of readFileSync(join(dir, f), 'utf8').split('\n')) {
          try {
            const v: unknown = JSON.parse(line);
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) samples.push(v as Record<string, unknown>);
          } catch {
            // the fixtures' malformed lines are not records
          }
        }
      }
      const windows = /\bwindow\s*:/.test(readFileSync(join(dir, 'rules.yaml'), 'utf8'));
      return { name: d.name, dir, samples, windows };
    });
}

/** Checks one record's explanation against its evaluation; returns what differs. */
function disagreement(
  e: Explanation,
  d: ReturnType<RuleEngine['evaluate']>,
  rec: Record<string, unknown>,
  nullable: Set<string>,
): string[] {
  const bad: string[] = [];
  const matched = e.rules.filter((r) => r.matched).map((r) => r.id);
  if (matched.join() !== d.matchedRuleIds.join()) bad.push(`matched ${matched} != ${d.matchedRuleIds}`);
  for (const r of e.rules) if (r.condition.result !== r.matched) bad.push(`${r.id}: tree ${r.condition.result}`);
  if (e.decision !== d.decision) bad.push(`decision ${e.decision} != ${d.decision}`);
  if (e.score !== d.score) bad.push(`score ${e.score} != ${d.score}`);
  if (e.riskBand !== d.riskBand) bad.push(`riskBand ${e.riskBand} != ${d.riskBand}`);
  if (e.winningRuleId !== d.winningRuleId || (e.winner?.ruleId ?? '') !== d.winningRuleId)
    bad.push(`winner ${e.winningRuleId}/${e.winner?.ruleId} != ${d.winningRuleId}`);
  if (e.ruleSetVersion !== d.ruleSetVersion) bad.push('ruleSetVersion');
  const sum = e.rules.reduce((s, r) => s + r.scoreContribution, 0);
  if (Math.abs(sum - e.score) > 1e-9) bad.push(`contributions add up to ${sum}, not ${e.score}`);
  const read = JSON.parse(JSON.stringify(rec)) as Record<string, unknown>; // as the engine reads it (-0 is 0)
  for (const r of e.rules) {
    for (const leaf of recordLeaves(r.condition)) {
      const want = valueAt(read, leaf.field ?? '', nullable);
      if (!isDeepStrictEqual(leaf.actual, want))
        bad.push(`${leaf.path}: actual ${JSON.stringify(leaf.actual)} != ${JSON.stringify(want)}`);
    }
  }
  return bad;
}

/** Explains each record, then evaluates it (window state: explain reads it, evaluate then
 * adds the record, so each explanation sees the state its evaluation sees). */
function agree(t: ExecutionContext, f: Fixture, seed: number): void {
  const engine = new RuleEngine({ threads: 1 });
  engine.loadRules(join(f.dir, 'rules.yaml'));
  const nullable = nullableFields(readFileSync(join(f.dir, 'rules.yaml'), 'utf8'));
  const records = generate(f.samples, PER_FIXTURE, seed);
  const random = seeded(seed ^ 0x5bd1e995);
  let nowMs = T0;
  const problems: string[] = [];
  const fired = new Map<string, number>();
  for (const rec of records) {
    if (f.windows) nowMs += Math.floor(random() * 1500); // windows expire along the way
    const e = engine.explain(rec, { nowMs });
    const d = engine.evaluate(rec, { nowMs });
    for (const id of d.matchedRuleIds) fired.set(id, (fired.get(id) ?? 0) + 1);
    const bad = disagreement(e, d, rec, nullable);
    if (bad.length > 0 && problems.length < 5) problems.push(`${JSON.stringify(rec)}\n  ${bad.join('\n  ')}`);
  }
  t.deepEqual(problems, [], `${f.name}: explain and evaluate differ`);
  const silent = engine.ruleIds.filter((id) => !fired.has(id));
  t.log(`${f.name}: ${records.length} records, ${fired.size}/${engine.ruleIds.length} rules fired`);
  t.true(fired.size > 0, `${f.name}: no rule ever matched (${silent})`);
}

for (const [i, f] of fixtures().entries()) {
  test(`explain agrees with evaluate: ${f.name}`, (t) => agree(t, f, 0x1234 + i));
}

// ------------------------------------------------------------------------------- trees

function engineWith(rules: object, baseDir?: string): RuleEngine {
  const e = new RuleEngine();
  e.loadRulesFromString(JSON.stringify(rules), 'json', baseDir);
  return e;
}

const node = (c: ConditionTrace, path: string): ConditionTrace => {
  const found = [c, ...(c.children ?? []).flatMap((k) => flat(k))].find((x) => x.path.endsWith(path));
  if (found === undefined) throw new Error(`no node at …${path}`);
  return found;
};
const flat = (c: ConditionTrace): ConditionTrace[] => [c, ...(c.children ?? []).flatMap(flat)];

test('and / or / not: the tree as written, paths as load errors name them', (t) => {
  const e = engineWith({
    ruleset: {
      version: '9',
      rules: [
        {
          id: 'r',
          action: 'block',
          conditions: {
            and: [
              { field: 'amount', op: 'GTE', value: 100 },
              {
                or: [
                  { field: 'country', op: 'in', values: ['RU', 'KP'] },
                  { not: { field: 'vip', op: 'eq', value: 1 } },
                ],
              },
            ],
          },
        },
      ],
    },
  });
  const x = e.explain({ amount: 120, country: 'FR', vip: 0 });
  t.is(x.ruleSetVersion, '9');
  t.is(x.decision, 'BLOCK');
  t.deepEqual(x.winner, { ruleId: 'r', why: 'highest precedence BLOCK; the only matching rule' });
  const c = x.rules[0]?.condition as ConditionTrace;
  t.like(c, { kind: 'and', result: true, path: 'ruleset.rules[0].conditions' });
  t.like(node(c, 'and[0]'), { kind: 'leaf', op: 'gte', field: 'amount', actual: 120, expected: 100, result: true });
  t.like(node(c, 'and[1]'), { kind: 'or', result: true });
  t.like(node(c, 'or[0]'), { op: 'in', actual: 'FR', expected: ['RU', 'KP'], result: false });
  t.like(node(c, 'or[1]'), { kind: 'not', result: true });
  t.like(node(c, 'or[1].not'), { op: 'eq', actual: 0, expected: 1, result: false });
  // The same record as JSON text or a Buffer explains the same.
  t.deepEqual(e.explain('{"amount":120,"country":"FR","vip":0}'), x);
  t.deepEqual(e.explain(Buffer.from('{"amount":120,"country":"FR","vip":0}')), x);
  // `not` over a leaf flips its operator: a missing value leaves both false.
  const missing = e.explain({ amount: 120, country: 'FR' }).rules[0]?.condition as ConditionTrace;
  t.like(node(missing, 'or[1]'), { kind: 'not', result: false });
  t.like(node(missing, 'or[1].not'), { actual: null, result: false });
});

test('sql: the tree the string parses to; array_any: the element that matched', (t) => {
  const e = engineWith({
    rules: [
      { id: 'q', conditions: { sql: "amount > 10 AND NOT country IN ('RU')" } },
      {
        id: 'items',
        conditions: { array_any: { path: 'items', where: { field: 'sku', op: 'starts_with', value: 'GIFT' } } },
      },
    ],
  });
  const x = e.explain({ amount: 11, country: 'FR', items: [{ sku: 'A1' }, 'x', { sku: 'GIFT-9' }] });
  const q = x.rules[0]?.condition as ConditionTrace;
  t.like(q, { kind: 'and', result: true, path: 'rules[0].conditions.sql' });
  t.like(node(q, 'sql.and[0]'), { op: 'gt', field: 'amount', actual: 11, expected: 10 });
  t.like(node(q, 'sql.and[1]'), { kind: 'not', result: true });
  const items = x.rules[1]?.condition as ConditionTrace;
  t.like(items, { kind: 'leaf', op: 'array_any', field: 'items', result: true });
  t.is(items.children?.length, 1);
  t.like(items.children?.[0], { element: 2, field: 'sku', actual: 'GIFT-9', result: true });
  t.is(items.children?.[0]?.path, 'rules[1].conditions.array_any.where');
  const none = e.explain({ items: [{ sku: 'A1' }, { sku: 'B2' }] }).rules[1]?.condition;
  t.deepEqual(
    none?.children?.map((c) => [c.element, c.actual, c.result]),
    [
      [0, 'A1', false],
      [1, 'B2', false],
    ],
  );
});

test('windows: the value for this record, read without changing the state', (t) => {
  const e = engineWith({
    rules: [
      {
        id: 'burst',
        action: 'block',
        conditions: { window: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 2 } },
      },
    ],
  });
  const twin = engineWith({
    rules: [
      {
        id: 'burst',
        action: 'block',
        conditions: { window: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 2 } },
      },
    ],
  });
  const feed = [{ card: 'a' }, { card: 'a' }, { card: 'b' }].map((r) => JSON.stringify(r)).join('\n');
  e.evaluateNdjsonSync(feed, { nowMs: T0 });
  twin.evaluateNdjsonSync(feed, { nowMs: T0 });
  const stats = e.windowStats();
  const x = e.explain({ card: 'a' }, { nowMs: T0 + 1000 });
  t.like(x.rules[0]?.condition, { kind: 'leaf', op: 'gte', actual: 2, expected: 2, result: true });
  t.is(x.rules[0]?.condition.computed, 'window count() by card over 60 s');
  t.is(x.rules[0]?.condition.field, undefined);
  t.deepEqual(e.explain({ card: 'a' }, { nowMs: T0 + 1000 }), x, 'explaining again sees the same state');
  t.deepEqual(e.windowStats(), stats, 'explain adds nothing');
  // The engine that explained decides every later record as the one that did not.
  for (const rec of [{ card: 'a' }, { card: 'b' }, { card: 'b' }, { card: 'c' }]) {
    t.deepEqual(e.evaluate(rec, { nowMs: T0 + 2000 }), twin.evaluate(rec, { nowMs: T0 + 2000 }));
  }
  t.like(e.explain({ card: 'b' }, { nowMs: T0 + 2000, partition: 3 }).rules[0]?.condition, { actual: 0 });
  t.like(e.explain({ other: 1 }, { nowMs: T0 }).rules[0]?.condition, { actual: null, result: false });
});

test('lookups: the lookup named, the value read', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-explain-'));
  writeFileSync(join(dir, 'bins.csv'), 'value\n411111\n522222\n');
  const e = engineWith(
    {
      lookups: { bad_bins: { type: 'int_set', path: 'bins.csv' } },
      rules: [{ id: 'bin', action: 'review', conditions: { field: 'bin', op: 'not_in_lookup', lookup: 'bad_bins' } }],
    },
    dir,
  );
  t.like(e.explain({ bin: 411111 }).rules[0]?.condition, {
    op: 'not_in_lookup',
    field: 'bin',
    actual: 411111,
    expected: 'bad_bins',
    result: false,
  });
  t.like(e.explain({ bin: 1 }), { decision: 'REVIEW', riskBand: 'MEDIUM', winningRuleId: 'bin' });
});

test('a record that cannot be read: a coded error naming what is wrong', (t) => {
  const e = engineWith({ rules: [{ id: 'r', conditions: { field: 'a', op: 'gt', value: 1 } }] });
  const malformed = t.throws(() => e.explain('{"a": '), { instanceOf: BlazeRulesError });
  t.is(malformed?.code, 'MALFORMED_JSON');
  t.regex(malformed?.message ?? '', /^malformed json: at byte \d+/);
  const notObject = t.throws(() => e.explain('[1, 2]'), { instanceOf: BlazeRulesError });
  t.like(notObject, { code: 'MALFORMED_JSON', message: 'record is not a JSON object' });
  t.throws(() => e.explain(Buffer.from('')), { instanceOf: BlazeRulesError, message: 'the record is empty' });
  t.throws(() => e.explain(42 as unknown as object), { instanceOf: TypeError });
  t.throws(() => e.explain([1] as unknown as object), { instanceOf: TypeError });
  t.throws(() => new RuleEngine().explain({}), { instanceOf: BlazeRulesError, message: /no rules loaded/ });
});

// ---------------------------------------------------------------------------------- CLI

const CLI = join(__dirname, '..', 'dist', 'cli.js');

function cli(args: string[]): { status: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, 'explain', ...args], { encoding: 'utf8' });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('blazerules explain: a tree to read, the Explanation with --json, rows as eval numbers them', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-explain-cli-'));
  const rules = join(dir, 'rules.yaml');
  writeFileSync(
    rules,
    [
      'ruleset:',
      '  version: "4"',
      '  rules:',
      '    - {id: big, action: block, severity: high, conditions: {and: [{field: amount, op: gt, value: 100}, {not: {field: country, op: in, values: [US]}}]}}',
      '    - {id: any, action: flag, conditions: {sql: "amount > 1"}}',
    ].join('\n'),
  );
  const data = join(dir, 'data.ndjson');
  writeFileSync(data, '{"amount": 5}\n\n{"amount": 500, "country": "NG"}\n{"amount": \n');
  const tree = cli(['--rules', rules, '--path', data, '--row', '1']);
  t.is(tree.status, 0, tree.stderr);
  const lines = tree.stdout.split('\n');
  t.is(lines[0], `${data} row 1 (line 3): BLOCK  score 40  risk HIGH  (rules version 4)`);
  t.is(lines[1], 'winner: big (highest precedence BLOCK; BLOCK ranks above FLAG of rule any)');
  t.true(lines.includes('MATCH big  BLOCK  score +30   @ruleset.rules[0].conditions'), tree.stdout);
  t.true(lines.includes('        ✓ amount gt 100   (actual: 500)   @.and[0]'), tree.stdout);
  t.true(lines.includes('        ✓ not   @.and[1]'), tree.stdout);
  t.true(lines.includes('          ✗ country in ["US"]   (actual: "NG")   @.and[1].not'), tree.stdout);
  const record = '{"amount": 500, "country": "NG"}';
  const asJson = cli(['--rules', rules, '--record', record, '--json']);
  t.is(asJson.status, 0, asJson.stderr);
  const engine = new RuleEngine();
  engine.loadRules(rules);
  t.deepEqual(JSON.parse(asJson.stdout), engine.explain(record));
  // Errors: exit 2, naming the row and the file.
  const bad = cli(['--rules', rules, '--path', data, '--row', '2']);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /^blazerules: .*data\.ndjson row 2 \(line 4\): malformed json: at byte \d+/);
  const beyond = cli(['--rules', rules, '--path', data, '--row', '9']);
  t.is(beyond.status, 2);
  t.is(beyond.stderr, `blazerules: ${data} has 3 rows (0 to 2): no row 9\n`);
  const notObject = cli(['--rules', rules, '--record', '[1]']);
  t.is(notObject.stderr, 'blazerules: record: record is not a JSON object\n');
  t.is(cli(['--rules', rules]).status, 2);
  t.is(cli(['--rules', rules, '--path', data]).stderr, 'blazerules: --path needs --row N\n');
  t.regex(cli(['--rules', join(dir, 'missing.yaml'), '--record', '{}']).stderr, /missing\.yaml/);
});
