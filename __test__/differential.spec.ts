/**
 * Differential test against the reference BlazeRules engine (PyPI blazerules==0.5.4).
 *
 * Every directory under __test__/fixtures/diff/ holds a rules.yaml (plus any lookup CSVs it
 * names), one or more NDJSON batches (input.ndjson, then input.2.ndjson, … evaluated in order
 * on the same engine) and expected.json: the reference engine's per-record decision, score,
 * risk band, winning rule and matched flag, its match counts and skipped-line count, except for
 * the records listed under "overrides", where choices.md says we deliberately differ and the
 * expected value is ours (each override keeps the reference's answer and the reason).
 *
 * Window cases were fed to the reference one record per call (BlazeRules applies a batch's
 * window updates after the whole batch, we after each record: one-record batches are where
 * the two coincide); we evaluate the whole input in one call, or, for timed cases, one call
 * per second of `now_ms` (the reference's clock for each record) with that clock.
 *
 * The fixtures are committed, so this test needs no Python. To regenerate them:
 *   bash scripts/diff/regen.sh
 */
import test from 'ava';
import { readdirSync, readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';

import { RuleEngine } from '../src/index';

const FIXTURES = join(__dirname, 'fixtures', 'diff');
const SCORE_TOLERANCE = 1e-9;

interface ExpectedRecord {
  decision: string;
  score: number;
  risk_band: string;
  winning_rule_id: string;
  matched: boolean;
}

interface Override {
  record: number;
  changed: Record<string, { reference: unknown; ours: unknown }>;
  reason: string;
}

interface ExpectedBatch {
  input: string;
  n_records: number;
  n_matched: number;
  messages_processed: number;
  messages_skipped: number;
  error_counts: Record<string, number>;
  match_counts: Record<string, number>;
  records: ExpectedRecord[];
  overrides: Override[];
}

interface Expected extends ExpectedBatch {
  case: string;
  description: string;
  next_batches?: ExpectedBatch[];
  /** Timed window cases: the reference's clock (epoch ms) when it evaluated each record. */
  now_ms?: number[];
}

const caseDirs = existsSync(FIXTURES)
  ? readdirSync(FIXTURES, { withFileTypes: true })
      .filter((d) => d.isDirectory() && existsSync(join(FIXTURES, d.name, 'expected.json')))
      .map((d) => d.name)
      .sort()
  : [];

test('differential fixtures are present', (t) => {
  t.true(caseDirs.length >= 25, `expected the committed fixtures under ${FIXTURES}, found ${caseDirs.length}`);
});

/** The non-blank, object-shaped lines of a payload, to show the record behind a mismatch. */
function recordLines(payload: Buffer): string[] {
  const out: string[] = [];
  for (const raw of payload.toString('utf8').split('\n')) {
    const line = raw.replace(/[\r \t]+$/, '');
    if (line.trim() === '') continue;
    try {
      const v: unknown = JSON.parse(line);
      if (v !== null && typeof v === 'object' && !Array.isArray(v)) out.push(line);
    } catch {
      // malformed lines are skipped by the engine too
    }
  }
  return out;
}

/** One record per line (timed cases have no blank or malformed lines). */
function nonBlankLines(payload: Buffer): string[] {
  return payload
    .toString('utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
}

/** A timed case: consecutive records of one clock in one call with that clock, merged back
 * into one result of the same shape as the others'. */
async function byClock(engine: RuleEngine, payload: Buffer, nowMs: number[]): Promise<MergedResult> {
  const lines = nonBlankLines(payload);
  const out: MergedResult = {
    nRecords: 0,
    messagesSkipped: 0,
    errorCounts: {},
    decisions: [],
    scores: [],
    riskBands: [],
    winningRuleIds: [],
    matched: [],
    matchCounts: {},
    nMatched: 0,
  };
  for (let at = 0; at < lines.length; ) {
    let end = at + 1;
    while (end < lines.length && nowMs[end] === nowMs[at]) end++;
    const r = await engine.evaluateNdjson(lines.slice(at, end).join('\n'), { nowMs: nowMs[at] });
    out.nRecords += r.nRecords;
    out.messagesSkipped += r.messagesSkipped;
    out.nMatched += r.nMatched;
    out.decisions.push(...r.decisions);
    out.scores.push(...r.scores);
    out.riskBands.push(...r.riskBands);
    out.winningRuleIds.push(...r.winningRuleIds);
    out.matched.push(...r.matched);
    for (const [k, n] of Object.entries(r.matchCounts)) out.matchCounts[k] = (out.matchCounts[k] ?? 0) + n;
    at = end;
  }
  return out;
}

/** What the comparison reads of a result. */
interface MergedResult {
  nRecords: number;
  messagesSkipped: number;
  errorCounts: Record<string, number>;
  decisions: string[];
  scores: number[];
  riskBands: string[];
  winningRuleIds: string[];
  matched: number[];
  matchCounts: Record<string, number>;
  nMatched: number;
}

for (const name of caseDirs) {
  test(`differential: ${name}`, async (t) => {
    const dir = join(FIXTURES, name);
    const expected: Expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
    const engine = new RuleEngine();
    engine.loadRules(join(dir, 'rules.yaml'));

    const batches: ExpectedBatch[] = [expected, ...(expected.next_batches ?? [])];
    for (const [bi, exp] of batches.entries()) {
      const where = batches.length > 1 ? `${name} batch ${bi + 1} (${exp.input})` : name;
      const payload = readFileSync(join(dir, exp.input));
      const result =
        expected.now_ms === undefined
          ? await engine.evaluateNdjson(payload)
          : await byClock(engine, payload, expected.now_ms);

      t.is(result.nRecords, exp.n_records, `${where}: nRecords`);
      t.is(result.messagesSkipped, exp.messages_skipped, `${where}: messagesSkipped`);
      t.is(
        result.errorCounts.MALFORMED_JSON ?? 0,
        exp.error_counts.MALFORMED_JSON ?? 0,
        `${where}: errorCounts.MALFORMED_JSON`,
      );

      const decisions = result.decisions;
      const scores = result.scores;
      const bands = result.riskBands;
      const winners = result.winningRuleIds;
      const matched = result.matched;
      t.is(decisions.length, exp.records.length, `${where}: decisions length`);
      t.is(scores.length, exp.records.length, `${where}: scores length`);
      t.is(bands.length, exp.records.length, `${where}: riskBands length`);
      t.is(winners.length, exp.records.length, `${where}: winningRuleIds length`);

      const lines = recordLines(payload);
      const mismatches: string[] = [];
      exp.records.forEach((want, i) => {
        const got = {
          decision: decisions[i],
          score: scores[i],
          risk_band: bands[i],
          winning_rule_id: winners[i],
          matched: matched[i] === 1,
        };
        const bad: string[] = [];
        if (got.decision !== want.decision) bad.push(`decision ${got.decision} != ${want.decision}`);
        if (!(typeof got.score === 'number' && Math.abs(got.score - want.score) <= SCORE_TOLERANCE)) {
          bad.push(`score ${got.score} != ${want.score}`);
        }
        if (got.risk_band !== want.risk_band) bad.push(`riskBand ${got.risk_band} != ${want.risk_band}`);
        if (got.winning_rule_id !== want.winning_rule_id) {
          bad.push(`winningRuleId ${JSON.stringify(got.winning_rule_id)} != ${JSON.stringify(want.winning_rule_id)}`);
        }
        if (got.matched !== want.matched) bad.push(`matched ${got.matched} != ${want.matched}`);
        if (bad.length > 0) {
          const ovr = exp.overrides.find((o) => o.record === i);
          mismatches.push(
            `record ${i}: ${bad.join('; ')}\n    input: ${lines[i] ?? '?'}` +
              (ovr ? `\n    (deliberate difference from BlazeRules: ${ovr.reason})` : ''),
          );
        }
      });
      t.deepEqual(mismatches, [], `${where}: per-record results differ from expected.json`);

      t.deepEqual({ ...result.matchCounts }, exp.match_counts, `${where}: matchCounts`);
      t.is(result.nMatched, exp.n_matched, `${where}: nMatched`);
    }
  });
}
