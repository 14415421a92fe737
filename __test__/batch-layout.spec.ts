/**
 * The batch wire layout round trip: a header and arrays packed by Rust into one buffer
 * (crates/blazerules-node/src/batch.rs, following layout.rs) read back identically through
 * the generated TypeScript reader (src/generated/batch-layout.ts) and BatchResult, for odd
 * sizes (so the byte sections' padding is exercised), and the decision lines written
 * natively from the same buffer.
 */
import test from 'ava';

import { BatchResult } from '../src/batch-result';
import { RISK_BAND_NAMES, batchViews } from '../src/generated/batch-layout';
import { native } from '../src/native';
import { RuleEngine } from '../src/index';

interface Parts {
  inputRows: number[];
  inputLines: number[];
  decisionCodes: number[];
  scores: number[];
  riskBands: number[];
  winners: number[];
  matched: number[];
  matchCounts: number[];
  ruleHits: number[][];
}

/** Deterministic, distinct-looking values for `n` records and `rules` rules. */
function parts(n: number, rules: number): Parts {
  const idx = Array.from({ length: n }, (_, i) => i);
  const ruleHits = Array.from({ length: rules }, (_, r) => idx.filter((i) => (i + r) % 3 === 0));
  return {
    inputRows: idx.map((i) => 2 * i + 1),
    inputLines: idx.map((i) => 3 * i + 2),
    decisionCodes: idx.map((i) => i % 3),
    scores: idx.map((i) => i * 1.25 - 0.5),
    riskBands: idx.map((i) => (i * 2) % 3),
    winners: idx.map((i) => (rules === 0 || i % 2 === 1 ? -1 : i % rules)),
    matched: idx.map((i) => (i % 2 === 0 && rules > 0 ? 1 : 0)),
    matchCounts: ruleHits.map((h) => h.length),
    ruleHits,
  };
}

for (const n of [0, 1, 3]) {
  for (const rules of [0, 1, 65]) {
    test(`round trip: ${n} records, ${rules} rules`, (t) => {
      const p = parts(n, rules);
      const raw = native.packBatch(p);
      const head = batchViews(raw.data);
      t.is(head.records, n);
      t.is(head.rules, rules);
      t.is(raw.notes, undefined);
      const ruleIds = Array.from({ length: rules }, (_, r) => `r${r}`);
      const labels = ['APPROVE', 'REVIEW', 'BLOCK'];
      const b = new BatchResult(raw, labels, ruleIds);
      t.deepEqual([...b.inputRows], p.inputRows);
      t.deepEqual([...b.inputLines], p.inputLines);
      t.deepEqual([...b.decisionCodes], p.decisionCodes);
      t.deepEqual([...b.scores], p.scores);
      t.deepEqual([...b.riskBandCodes], p.riskBands);
      t.deepEqual(
        b.riskBands,
        p.riskBands.map((c) => RISK_BAND_NAMES[c]),
      );
      t.deepEqual([...b.winnerIndices], p.winners);
      t.deepEqual([...b.matched], p.matched);
      t.deepEqual(Object.values(b.matchCounts), p.matchCounts);
      ruleIds.forEach((id, r) => {
        t.deepEqual([...b.indicesForRule(id)], p.ruleHits[r]);
      });
      // Records per decision code, up to the highest one a record got.
      const counts = p.decisionCodes.reduce<number[]>((c, code) => {
        for (let k = c.length; k <= code; k++) c.push(0);
        c[code] = (c[code] ?? 0) + 1;
        return c;
      }, []);
      t.deepEqual([...b.decisionCountsView], counts);
      // A header of 11 f64s, the f64 sections, the words, then the bytes padded to a whole word.
      const floats = n + rules + counts.length;
      const words = 2 * (11 + floats) + 4 * n + p.ruleHits.flat().length + rules + Math.ceil((2 * n) / 4);
      t.is(raw.data.length, words);
      // The native line writer reads the same buffers.
      const lines = b
        .toJSONLines({ includeRuleSetVersion: false })
        .toString('utf8')
        .split('\n')
        .filter((l) => l !== '');
      t.is(lines.length, n);
      lines.forEach((line, i) => {
        const o = JSON.parse(line) as Record<string, unknown>;
        t.is(o.batch_row, i);
        t.is(o.decision, labels[p.decisionCodes[i] ?? 0]);
        t.is(o.score, p.scores[i]);
        t.is(o.risk_band, RISK_BAND_NAMES[p.riskBands[i] ?? 0]);
        t.is(o.matched, p.matched[i] === 1);
        t.is(o.winning_rule_id, (p.winners[i] ?? -1) >= 0 ? ruleIds[p.winners[i] ?? 0] : undefined);
      });
    });
  }
}

test('risk band names come from the core', (t) => {
  t.deepEqual([...RISK_BAND_NAMES], ['LOW', 'MEDIUM', 'HIGH']);
});

test("toJSONLines: format 'decisions-jsonl' with a global row offset, and a non-finite score is null", (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
ruleset: {version: "9"}
rules:
  - {id: big, action: score, weight: 72.5, conditions: {field: a, op: eq, value: 1}}
  - {id: huge, action: score, weight: 1.0e308, conditions: {field: a, op: eq, value: 2}}
  - {id: huge2, action: score, weight: 1.0e308, conditions: {field: a, op: eq, value: 2}}
`);
  const r = e.evaluateNdjsonSync('{"a":1}\n{"a":3}\n{"a":2}\n');
  t.deepEqual(r.toJSONLines({ format: 'decisions-jsonl', rowOffset: 10 }).toString('utf8').split('\n'), [
    '{"row":10,"line":1,"matched":true,"decision":"SCORE","score":72.5,"risk_band":"MEDIUM","winning_rule_id":"big"}',
    '{"row":11,"line":2,"matched":false,"decision":"APPROVE","score":0,"risk_band":"LOW","winning_rule_id":""}',
    '{"row":12,"line":3,"matched":true,"decision":"SCORE","score":null,"risk_band":"HIGH","winning_rule_id":"huge"}',
    '',
  ]);
  const rows = r.toJSONLines().toString('utf8').split('\n');
  t.is(
    rows[2],
    '{"batch_row":2,"matched":true,"decision":"SCORE","score":null,"risk_band":"HIGH","winning_rule_id":"huge","ruleset_version":"9"}',
  );
});
