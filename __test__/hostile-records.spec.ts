/** Records with numbers beyond 64 bits or f64's range, and with repeated keys: decided as
 * JSON.parse reads them (docs/compatibility.md), on every way into a batch. */
import test from 'ava';

import { RuleEngine } from '../src/index';
import type { BatchResult, EngineConfig } from '../src/index';

const RULES = `
ruleset:
  version: "1"
  rules:
    - id: big
      action: block
      conditions: {field: amount, op: gt, value: 10000}
    - id: bin
      action: review
      conditions: {field: card.bin, op: eq, value: "b999"}
`;

function engine(config: EngineConfig = {}): RuleEngine {
  const e = new RuleEngine(config);
  e.loadRulesFromString(RULES);
  return e;
}

/** The same records through NDJSON, messages and a JSON array. */
async function everyWay(e: RuleEngine, records: string[]): Promise<BatchResult[]> {
  return [
    await e.evaluateNdjson(records.join('\n')),
    await e.evaluateMessages(records),
    await e.evaluateJsonArray(`[${records.join(',')}]`),
  ];
}

test('an integer beyond 64 bits is read, not skipped (the record is decided)', async (t) => {
  const rec = '{"txn_id":123456789012345678901234567890,"amount":15000}';
  for (const r of await everyWay(engine(), [rec])) {
    t.is(r.messagesSkipped, 0);
    t.deepEqual(r.decisions, ['BLOCK']);
  }
  // evaluate(record) serialises with JSON.stringify: the same decision.
  t.is(engine().evaluate(JSON.parse(rec) as object).decision, 'BLOCK');
});

test('numbers beyond f64 read as ±Infinity and compare as JavaScript does', async (t) => {
  const recs = ['{"amount":1e400}', '{"amount":-1e400}', '{"amount":5,"x":[1e999,-1e999],"y":1e-999}'];
  for (const r of await everyWay(engine(), recs)) {
    t.is(r.messagesSkipped, 0);
    // 1e400 > 10000 (Infinity > 10000 in JS); -Infinity is not.
    t.deepEqual(r.decisions, ['BLOCK', 'APPROVE', 'APPROVE']);
  }
  // An amount beyond 64 bits that is a huge integer still compares as a number.
  const big = await engine().evaluateNdjson('{"amount":99999999999999999999999999}');
  t.deepEqual(big.decisions, ['BLOCK']);
});

test('a repeated key: the last occurrence wins, with a DUPLICATE_KEY warning', async (t) => {
  const recs = ['{"amount":1}', '{"amount":5,"amount":20000}', '{"x":1,"x":2,"amount":3}'];
  for (const r of await everyWay(engine(), recs)) {
    t.deepEqual(r.decisions, ['APPROVE', 'BLOCK', 'APPROVE']);
    t.is(r.messagesSkipped, 0);
    // Keys no rule reads are not tracked (they cannot change a decision).
    t.deepEqual(r.warningCounts, { DUPLICATE_KEY: 1 });
    t.deepEqual(r.warningSamples, [{ rowIndex: 1, code: 'DUPLICATE_KEY', key: 'amount' }]);
  }
});

test('a repeated object key replaces the whole object, as JSON.parse', async (t) => {
  const e = engine();
  const r = await e.evaluateNdjson(
    [
      '{"card":{"bin":"1"},"card":{"bin":"b999"}}',
      '{"card":{"bin":"b999"},"card":{"country":"FR"}}',
      '{"card":{"bin":"1","bin":"b999"}}',
    ].join('\n'),
  );
  t.deepEqual(r.decisions, ['REVIEW', 'APPROVE', 'REVIEW']);
  t.deepEqual(
    r.warningSamples.map((w) => [w.rowIndex, w.key]),
    [
      [0, 'card'],
      [1, 'card'],
      [2, 'card.bin'],
    ],
  );
});

test("duplicateKeys 'reject' skips the record as DUPLICATE_KEY", async (t) => {
  const e = engine({ duplicateKeys: 'reject' });
  for (const r of await everyWay(e, ['{"amount":5,"amount":20000}', '{"amount":20000}'])) {
    t.deepEqual(r.decisions, ['BLOCK']);
    t.is(r.messagesSkipped, 1);
    t.deepEqual(r.errorCounts, { DUPLICATE_KEY: 1 });
    t.is(r.errorSamples[0]?.rowIndex, 0);
    t.is(r.errorSamples[0]?.message, 'duplicate key "amount" at byte 12');
    t.deepEqual(r.warningSamples, []);
  }
  const bad = t.throws(() => new RuleEngine({ duplicateKeys: 'first' as 'last' }), { instanceOf: TypeError });
  t.regex(bad?.message ?? '', /duplicateKeys must be 'last' or 'reject'/);
});
