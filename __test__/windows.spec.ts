/**
 * Window conditions through the public API (service.md §1, rules-reference.md §2.16 with
 * choices.md): state shards by `{ partition }`, resetWindowState, windowStats, eviction,
 * records applied in input order (so batch cuts change nothing), event time vs processing
 * time with a fixed clock, and load errors at their line and column.
 */
import test from 'ava';

import { BlazeRulesError, RuleEngine, RulesError } from '../src/index';
import type { EngineConfig } from '../src/index';

const T0 = 1_709_510_400_000; // 2024-03-04T00:00:00Z

/** An engine with one rule per window (`window` mappings, each with its op and value). */
function engineWith(windows: Record<string, object>, config: EngineConfig = {}): RuleEngine {
  const e = new RuleEngine(config);
  const rules = Object.entries(windows).map(([id, w]) => ({ id, action: 'flag', conditions: { window: w } }));
  e.loadRulesFromString(JSON.stringify({ rules }), 'json');
  return e;
}

const lines = (recs: object[]): string => recs.map((r) => JSON.stringify(r)).join('\n');
const matched = (m: Uint8Array): boolean[] => Array.from(m, (x) => x === 1);

test('a record sees the records before it in its own batch', (t) => {
  const e = engineWith({ third: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 2 } });
  const recs = [{ card: 'a' }, { card: 'a' }, { card: 'b' }, { card: 'a' }, { card: 'a' }];
  t.deepEqual(matched(e.evaluateNdjsonSync(lines(recs), { nowMs: T0 }).matched), [false, false, false, true, true]);
  t.true(e.evaluate({ card: 'b' }, { nowMs: T0 }).matched === false, 'b was seen once');
  t.true(e.evaluate({ card: 'b' }, { nowMs: T0 }).matched, 'now twice');
});

/** Records over a few cards with amounts (some null), fees and event times. */
function traffic(n: number): object[] {
  return Array.from({ length: n }, (_, i) => ({
    card: `c${i % 7}`,
    amount: i % 11 === 0 ? null : ((i * 37) % 500) + 0.5,
    fee: i % 4,
    ts: T0 + i * 700 - (i % 5) * 1500,
  }));
}

const EVERY_FUNCTION = {
  count: { entity_field: 'card', duration_seconds: 20, time_field: 'ts', op: 'gte', value: 4 },
  sum: {
    entity_field: 'card',
    function: 'sum',
    sum_field: 'amount',
    duration_seconds: 20,
    time_field: 'ts',
    op: 'gt',
    value: 900,
  },
  avg: {
    entity_field: 'card',
    function: 'avg',
    value_field: 'amount',
    duration_seconds: 20,
    time_field: 'ts',
    op: 'lt',
    value: 200,
  },
  min: {
    entity_field: 'card',
    function: 'min',
    sum_field: 'amount',
    duration_seconds: 20,
    time_field: 'ts',
    op: 'lt',
    value: 60,
  },
  max: {
    entity_field: 'card',
    function: 'max',
    sum_field: 'amount',
    duration_seconds: 20,
    time_field: 'ts',
    op: 'gte',
    value: 450,
  },
  ratio: {
    entity_field: 'card',
    function: 'ratio',
    numerator_field: 'amount',
    denominator_field: 'fee',
    duration_seconds: 20,
    time_field: 'ts',
    op: 'gt',
    value: 150,
  },
  processing: { entity_field: 'card', duration_seconds: 5, op: 'gte', value: 30 },
};

/** Per rule, the indices of the records it matched, evaluating `recs` cut at `cuts`. */
async function hitsWhenCut(
  recs: object[],
  cuts: number[],
  config: EngineConfig = {},
): Promise<Record<string, number[]>> {
  const e = engineWith(EVERY_FUNCTION, config);
  const out: Record<string, number[]> = {};
  let at = 0;
  for (const end of [...cuts, recs.length]) {
    const r = await e.evaluateNdjson(lines(recs.slice(at, end)), { nowMs: T0 });
    for (const [rule, n] of Object.entries(r.matchCounts)) {
      if (n === 0) continue;
      out[rule] = [...(out[rule] ?? []), ...Array.from(r.indicesForRule(rule), (i) => i + at)];
    }
    at = end;
  }
  return out;
}

test('where batches are cut changes nothing', async (t) => {
  const recs = traffic(400);
  const whole = await hitsWhenCut(recs, []);
  t.deepEqual(Object.keys(whole).sort(), Object.keys(EVERY_FUNCTION).sort(), 'every function matches somewhere');
  t.deepEqual(await hitsWhenCut(recs, [1, 2, 3, 150, 151, 399]), whole);
  t.deepEqual(
    await hitsWhenCut(
      recs,
      Array.from({ length: 399 }, (_, i) => i + 1),
    ),
    whole,
    'one record a call',
  );
  t.deepEqual(await hitsWhenCut(recs, [], { threads: 1 }), whole, 'one thread');
});

test('shards: { partition } picks the state, resetWindowState forgets it', (t) => {
  const e = engineWith({ second: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 1 } });
  const a = { card: 'a' };
  const seen = (partition?: number): boolean =>
    e.evaluate(a, partition === undefined ? { nowMs: T0 } : { partition, nowMs: T0 }).matched;
  t.false(seen());
  t.true(seen(0), 'partition 0 is the default');
  t.false(seen(3), 'partition 3 has its own state');
  t.true(seen(3));
  t.like(e.windowStats(), { entities: 2, buckets: 2, evicted: 0 });
  e.resetWindowState(3);
  t.false(seen(3), 'partition 3 forgot');
  t.true(seen(0), 'partition 0 did not');
  e.resetWindowState();
  t.false(seen(0));
  t.false(seen(3));
  t.like(e.windowStats(), { entities: 2, buckets: 2 });
  t.true(e.windowStats().bytes > 0);
});

test('maxWindowEntities: the least recently seen entity is evicted and counted', (t) => {
  const e = engineWith(
    { again: { entity_field: 'card', duration_seconds: 600, op: 'gte', value: 1 } },
    { maxWindowEntities: 2 },
  );
  const run = (cards: string[]): boolean[] =>
    matched(e.evaluateNdjsonSync(lines(cards.map((card) => ({ card }))), { nowMs: T0 }).matched);
  t.deepEqual(run(['a', 'b', 'a', 'c']), [false, false, true, false], 'c evicts b, the least recently seen');
  t.like(e.windowStats(), { entities: 2, evicted: 1 });
  t.deepEqual(run(['a', 'b']), [true, false], 'a kept its state; b starts over');
  t.like(e.windowStats(), { entities: 2, evicted: 2 });
});

test('processing time is the call clock; event time is the record time_field', (t) => {
  const e = engineWith({
    proc: { entity_field: 'card', duration_seconds: 10, op: 'gte', value: 1 },
    event: { entity_field: 'card', duration_seconds: 10, time_field: 'ts', op: 'gte', value: 1 },
  });
  const at = (nowMs: number, ts?: number): string[] => {
    const r = e.evaluateNdjsonSync(JSON.stringify(ts === undefined ? { card: 'a' } : { card: 'a', ts }), { nowMs });
    return Object.entries(r.matchCounts)
      .filter(([, n]) => n > 0)
      .map(([id]) => id)
      .sort();
  };
  t.deepEqual(at(T0, T0), []);
  t.deepEqual(at(T0 + 5_000, T0 + 5_000), ['event', 'proc'], 'both windows hold the first record');
  t.deepEqual(at(T0 + 9_999, T0 + 1_000), ['event', 'proc'], 'a late event reads the window as of its latest time');
  t.deepEqual(at(T0 + 30_000, T0 + 12_000), ['event'], 'the call clock moved 20 s on: the processing window is empty');
  t.deepEqual(at(T0 + 31_000, T0 + 80_000), ['proc'], 'the event clock moved 68 s on: the event window is empty');
  t.deepEqual(at(T0 + 31_500), ['proc'], 'no ts: the event window has nothing to read');
});

test('concurrent calls on one shard are each applied whole', async (t) => {
  const e = engineWith({ late: { entity_field: 'card', duration_seconds: 600, op: 'gte', value: 1000 } });
  const batch = lines(Array.from({ length: 1000 }, () => ({ card: 'a' })));
  const [x, y] = await Promise.all([e.evaluateNdjson(batch, { nowMs: T0 }), e.evaluateNdjson(batch, { nowMs: T0 })]);
  const counts = [x.nMatched, y.nMatched].sort((p, q) => p - q);
  t.deepEqual(counts, [0, 1000], 'one batch saw none of the other, the other all of it');
  t.true(e.evaluate({ card: 'a' }, { nowMs: T0 }).matched);
});

test('entities: a number or boolean and its text are one entity; arrays and objects have none', (t) => {
  const e = engineWith({ seen: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 1 } });
  const recs = [{ card: 42 }, { card: '42' }, { card: [42] }, { card: { id: 42 } }, { card: true }, { card: 'true' }];
  t.deepEqual(matched(e.evaluateNdjsonSync(lines(recs), { nowMs: T0 }).matched), [
    false,
    true,
    false,
    false,
    false,
    true,
  ]);
});

test('not over a window flips its operator, a between_* scalar (gt) included', (t) => {
  const e = engineWith({});
  const rules = [
    {
      id: 'not_gt',
      conditions: { not: { window: { entity_field: 'card', duration_seconds: 60, op: 'gt', value: 1 } } },
    },
    {
      id: 'not_btw',
      conditions: {
        not: { window: { entity_field: 'card', duration_seconds: 60, op: 'between_including', value: 1 } },
      },
    },
    {
      id: 'not_range',
      conditions: {
        not: { window: { entity_field: 'card', duration_seconds: 60, op: 'between_including', value: [1, 2] } },
      },
    },
  ];
  e.loadRulesFromString(JSON.stringify({ rules }), 'json');
  const r = e.evaluateNdjsonSync(lines([{ card: 'a' }, { card: 'a' }, { card: 'a' }, { card: 'a' }, {}]), {
    nowMs: T0,
  });
  const hits = (id: string): number[] => Array.from(r.indicesForRule(id));
  t.deepEqual(hits('not_gt'), [0, 1], 'count 0 and 1 are not gt 1; no card: false');
  t.deepEqual(hits('not_btw'), [0, 1], 'flipped to lte 1 (BlazeRules ignores this not: gt 1)');
  t.deepEqual(hits('not_range'), [0, 3], 'outside [1, 2]; no card: false');
});

test('windows over two entity fields and two value fields read each record its own', (t) => {
  const w = (entity: string, extra: object): object => ({ entity_field: entity, duration_seconds: 60, ...extra });
  const e = engineWith({
    card_amount: w('card', { function: 'sum', sum_field: 'amount', op: 'gt', value: 14 }),
    card_fee: w('card', { function: 'sum', sum_field: 'fee', op: 'gt', value: 4.5 }),
    ip_count: w('ip', { op: 'gte', value: 2 }),
    ip_fee: w('ip', { function: 'sum', sum_field: 'fee', op: 'gt', value: 2.5 }),
  });
  const recs = [
    { card: 'a', ip: 'x', amount: 10, fee: 1 },
    { card: 'a', ip: 'y', amount: 5, fee: 3 },
    { card: 'b', ip: 'x', amount: 7 },
    { card: 'a', ip: 'x', amount: 1, fee: 2 },
    { ip: 'x', amount: 100, fee: 100 },
    { card: 'a', amount: 2 },
  ];
  const r = e.evaluateNdjsonSync(lines(recs), { nowMs: T0 });
  const hits = (id: string): number[] => Array.from(r.indicesForRule(id));
  t.deepEqual(hits('card_amount'), [3, 5], "card a's amounts before: 15 at 3, 16 at 5; no card at 4");
  t.deepEqual(hits('card_fee'), [5], "card a's fees before: 4 at 3, 6 at 5");
  t.deepEqual(hits('ip_count'), [3, 4], 'ip x seen twice before 3, three times before 4; no ip at 5');
  t.deepEqual(hits('ip_fee'), [4], "ip x's fees before: 1 at 2 and 3, 3 at 4");
});

test('bad options are refused', (t) => {
  const e = engineWith({ w: { entity_field: 'card', duration_seconds: 60, op: 'gte', value: 1 } });
  for (const partition of [-1, 1.5, 2 ** 31]) {
    const err = t.throws(() => e.evaluateNdjsonSync('{}', { partition }), { instanceOf: BlazeRulesError });
    t.is(err?.code, 'INVALID_ARGUMENT');
  }
  t.throws(() => e.resetWindowState(-2), { instanceOf: BlazeRulesError });
  t.throws(() => new RuleEngine({ maxWindowEntities: 0 }), { instanceOf: TypeError, message: /maxWindowEntities/ });
});

test('window load errors carry their code and position', (t) => {
  const yaml = [
    'rules:',
    '  - id: fast',
    '    conditions:',
    '      window:',
    '        entity_field: card',
    '        duration_seconds: 0',
    '        op: gt',
    '        value: 5',
    '  - id: average',
    '    conditions:',
    '      window: {entity_field: card, function: avg, duration_seconds: 60, op: gt, value: 5}',
    '  - id: member',
    '    conditions: {window: {entity_field: card, duration_seconds: 60}, op: in, value: 5}',
    '',
  ].join('\n');
  const err = t.throws(() => new RuleEngine().loadRulesFromString(yaml), { instanceOf: RulesError });
  const [zero, avg, member] = err?.problems ?? [];
  t.like(zero, { code: 'YAML_SYNTAX_ERROR', ruleId: 'fast', line: 6, column: 27 });
  t.like(avg, { code: 'MISSING_REQUIRED_FIELD', message: 'avg window requires sum_field', ruleId: 'average' });
  t.is(avg?.line, 11);
  t.like(member, { code: 'UNKNOWN_OP', ruleId: 'member', line: 13 });
});
