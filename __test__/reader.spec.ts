/** The NDJSON reader (a validating single-pass reader that follows learnt record shapes)
 * against the JSON-array path (a full simd-json parse of every element): the same records,
 * however their keys are ordered, spaced, escaped or duplicated, must get the same results. */
import path from 'node:path';

import test from 'ava';

import { RuleEngine, type BatchResult } from '../src/index';
// @ts-expect-error: the benchmark generator is plain JavaScript without types.
import { generate } from '../benchmarks/gen.mjs';

const RULES = path.join(__dirname, '..', 'benchmarks', 'rules.yaml');

/** Deterministic variations of a record's text that keep it valid JSON. */
function vary(line: string, i: number): string {
  switch (i % 9) {
    case 1: {
      // Top-level keys in reverse order (a second shape).
      const o = JSON.parse(line) as Record<string, unknown>;
      return JSON.stringify(Object.fromEntries(Object.entries(o).reverse()));
    }
    case 2:
      return line.replace(/":/g, '": ').replace(/,"/g, ', "');
    case 3:
      // An escaped key and an escaped value.
      return line.replace('"amount"', '"\\u0061mount"').replace('"ecom"', '"\\u0065com"');
    case 4:
      // A duplicate key after the first (the first wins) and a literal dotted key.
      return line.replace(/}$/, ',"amount":999999,"merchant.country":"KP"}');
    case 5:
      return `  ${line}\t`;
    default:
      return line;
  }
}

function records(): string[] {
  const { buf } = generate({ records: 6000, seed: 11, malformedRate: 0, edgeRate: 0.4 }) as { buf: Buffer };
  const out: string[] = [];
  let i = 0;
  for (const raw of buf.toString('utf8').split('\n')) {
    const line = raw.replace(/\r$/, '');
    let v: unknown;
    try {
      v = JSON.parse(line);
    } catch {
      continue;
    }
    if (v === null || typeof v !== 'object' || Array.isArray(v)) continue;
    out.push(vary(line, i++));
  }
  return out;
}

function same(t: import('ava').ExecutionContext, a: BatchResult, b: BatchResult): void {
  t.is(a.nRecords, b.nRecords);
  t.is(a.messagesSkipped, 0);
  t.is(b.messagesSkipped, 0);
  t.deepEqual(a.decisions, b.decisions);
  t.deepEqual(Array.from(a.scores), Array.from(b.scores));
  t.deepEqual(Array.from(a.winnerIndices), Array.from(b.winnerIndices));
  t.deepEqual(a.matchCounts, b.matchCounts);
  for (const id of a.ruleIds) t.deepEqual(Array.from(a.indicesForRule(id)), Array.from(b.indicesForRule(id)), id);
}

test('NDJSON records read along learnt shapes give what a full parse gives', async (t) => {
  const lines = records();
  t.true(lines.length > 5000);
  const e = new RuleEngine();
  e.loadRules(RULES);
  const ndjson = await e.evaluateNdjson(Buffer.from(`${lines.join('\n')}\n`));
  const array = await e.evaluateJsonArray(Buffer.from(`[${lines.join(',')}]`));
  same(t, ndjson, array);
  t.true(ndjson.nMatched > 100, 'the rules fire on this data');
  // One record per message: a fresh reader per message, no shapes.
  const messages = await e.evaluateMessages(lines.map((l) => Buffer.from(l)));
  same(t, messages, array);
});

test('a record that leaves the learnt shape midway is read in full', async (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
ruleset:
  rules:
    - {id: big, action: block, conditions: {field: amount, op: gt, value: 100}}
    - {id: kp, action: review, conditions: {field: merchant.country, op: eq, value: KP}}
`);
  const base = '{"id":"a","amount":5,"merchant":{"country":"US","mcc":"1"},"tail":[1,2]}';
  const rows = [
    base,
    base,
    '{"id":"a","amount":5,"merchant":{"country":"KP","mcc":"1"},"tail":[1,2]}',
    '{"id":"a","amount":500,"merchant":{"mcc":"1","country":"KP"},"tail":[1,2]}',
    '{"id":"a","amount":5,"merchant":{"country":"US","mcc":"1"},"tail":[1,2],"amount":700}',
    '{"id":"a","amount":5,"merchant":{"country":"US","mcc":"1"},"tail":[1,2,}',
    '{"id":"a","amount":5e400,"merchant":{"country":"US","mcc":"1"},"tail":[1,2]}',
    base,
  ];
  const r = await e.evaluateNdjson(Buffer.from(rows.join('\n')));
  // A repeated amount: the last (700) wins; 5e400 is +Infinity (issue 13).
  t.deepEqual(r.decisions, ['APPROVE', 'APPROVE', 'REVIEW', 'BLOCK', 'BLOCK', 'BLOCK', 'APPROVE']);
  t.deepEqual(Array.from(r.inputRows), [0, 1, 2, 3, 4, 6, 7]);
  t.deepEqual(
    r.errorSamples.map((s) => [s.rowIndex, s.code]),
    [[5, 'MALFORMED_JSON']],
  );
  t.deepEqual(r.warningSamples, [{ rowIndex: 4, code: 'DUPLICATE_KEY', key: 'amount' }]);
});
