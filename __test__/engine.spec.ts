/** RuleEngine / BatchResult API surface. */
import test from 'ava';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { BatchResult, BlazeRulesError, RuleEngine, RulesError } from '../src/index';
import type { Decision, LoadReport } from '../src/index';

const FIXTURES = join(__dirname, 'fixtures');
const BASIC = join(FIXTURES, 'rules', 'basic.yaml');

const RECORDS = [
  { amount: 5000, country: 'US', user: 'alice' }, // big_amount (BLOCK) + audit
  { amount: 500, country: 'NG', user: 'bob' }, // risky_country (REVIEW) + audit
  { amount: 10, country: 'US', user: 'mallory' }, // blocked_user (FLAG) + audit
  { amount: 5, country: 'US', user: 'carol' }, // audit only (shadow): APPROVE, matched
  { country: 'US' }, // nothing
];
const NDJSON = `${RECORDS.map((r) => JSON.stringify(r)).join('\n')}\n`;

function engine(): RuleEngine {
  const e = new RuleEngine();
  e.loadRules(BASIC);
  return e;
}

function checkBasic(t: import('ava').ExecutionContext, r: BatchResult): void {
  t.true(r instanceof BatchResult);
  t.is(r.nRecords, 5);
  t.is(r.nMatched, 4);
  t.is(r.messagesProcessed, 5);
  t.is(r.messagesSkipped, 0);
  t.deepEqual(r.decisions, ['BLOCK', 'REVIEW', 'FLAG', 'APPROVE', 'APPROVE']);
  t.true(r.decisionCodes instanceof Int32Array);
  t.deepEqual(r.decisionLabelMap, ['APPROVE', 'SCORE', 'FLAG', 'REVIEW', 'BLOCK']);
  t.deepEqual(Array.from(r.decisionCodes), [4, 3, 2, 0, 0]);
  t.true(r.scores instanceof Float64Array);
  t.deepEqual(Array.from(r.scores), [10, 30, 10, 0, 0]);
  t.deepEqual(r.riskBands, ['HIGH', 'MEDIUM', 'LOW', 'LOW', 'LOW']);
  t.deepEqual(r.winningRuleIds, ['big_amount', 'risky_country', 'blocked_user', '', '']);
  t.true(r.matched instanceof Uint8Array);
  t.deepEqual(Array.from(r.matched), [1, 1, 1, 1, 0]);
  t.true(r.matchedIndices instanceof Uint32Array);
  t.deepEqual(Array.from(r.matchedIndices), [0, 1, 2, 3]);
  t.deepEqual({ ...r.matchCounts }, { big_amount: 1, risky_country: 1, blocked_user: 1, audit_everything: 4 });
  t.is(r.ruleSetVersion, '3.1.4');
  t.deepEqual({ ...r.errorCounts }, {});
  t.deepEqual(r.errorSamples, []);
  t.is(typeof r.timing.parseMs, 'number');
  t.is(typeof r.timing.evalMs, 'number');
  t.is(typeof r.timing.totalMs, 'number');
  t.deepEqual(Array.from(r.indicesForDecision('APPROVE')), [3, 4]);
  t.deepEqual(Array.from(r.indicesForDecision('BLOCK')), [0]);
  t.deepEqual(Array.from(r.indicesForDecision('NOPE')), []);
  const grouped = r.groupedDecisionIndices();
  t.deepEqual(Object.keys(grouped).sort(), ['APPROVE', 'BLOCK', 'FLAG', 'REVIEW']);
  t.deepEqual(Array.from(grouped.REVIEW ?? []), [1]);
  t.deepEqual(Array.from(r.indicesForRule('audit_everything')), [0, 1, 2, 3]);
  t.deepEqual(Array.from(r.indicesForRule('blocked_user')), [2]);
  t.throws(() => r.indicesForRule('no_such_rule'), { instanceOf: RangeError });
}

test('loadRules returns a LoadReport and sets the active rule set', (t) => {
  const e = new RuleEngine();
  t.is(e.activeRuleSetVersion, '');
  t.deepEqual(e.ruleIds, []);
  const report: LoadReport = e.loadRules(BASIC);
  t.is(report.rulesetName, 'basic');
  t.is(report.rulesetVersion, '3.1.4');
  t.is(report.ruleCount, 4);
  t.deepEqual(report.ruleIds, ['big_amount', 'risky_country', 'blocked_user', 'audit_everything']);
  t.deepEqual(report.decisionLabels, ['APPROVE', 'SCORE', 'FLAG', 'REVIEW', 'BLOCK']);
  t.is(report.format, 'yaml');
  t.is(report.file, BASIC);
  t.is(e.activeRuleSetVersion, '3.1.4');
  t.deepEqual(e.ruleIds, report.ruleIds);
});

test('loadRules reads JSON by extension, with lookups relative to the file', async (t) => {
  const e = new RuleEngine();
  const report = e.loadRules(join(FIXTURES, 'rules', 'basic.json'));
  t.is(report.format, 'json');
  t.is(e.activeRuleSetVersion, '9.0.0');
  const r = await e.evaluateNdjson('{"amount":1,"user":"trudy"}\n{"amount":1,"user":"x"}\n');
  t.deepEqual(r.winningRuleIds, ['blocked_user', '']);
});

test('loadRulesFromString: yaml and json, baseDir for lookups', (t) => {
  const e = new RuleEngine();
  const yaml = readFileSync(BASIC, 'utf8');
  t.is(e.loadRulesFromString(yaml, 'yaml', join(FIXTURES, 'rules')).rulesetName, 'basic');
  const json = readFileSync(join(FIXTURES, 'rules', 'basic.json'), 'utf8');
  t.is(e.loadRulesFromString(json, 'json', join(FIXTURES, 'rules')).rulesetName, 'basic-json');
  // YAML is the default format and reads JSON text too.
  t.is(e.loadRulesFromString(json, undefined, join(FIXTURES, 'rules')).rulesetName, 'basic-json');
  // Without baseDir, relative lookups resolve against the current directory: not found here.
  const err = t.throws(() => e.loadRulesFromString(yaml), { instanceOf: RulesError });
  t.is(err?.code, 'MISSING_REQUIRED_FIELD');
  t.is(e.activeRuleSetVersion, '9.0.0');
});

test('rules defaults: ruleset name/version', (t) => {
  const e = new RuleEngine();
  const report = e.loadRulesFromString('rules:\n  - id: a\n    conditions: {field: x, op: gt, value: 1}\n');
  t.is(report.rulesetName, 'ruleset');
  t.is(report.rulesetVersion, '1.0.0');
  t.deepEqual(report.ruleIds, ['a']);
});

test('evaluateNdjson (async) result', async (t) => {
  checkBasic(t, await engine().evaluateNdjson(Buffer.from(NDJSON)));
});

test('evaluateNdjsonSync gives the same result', (t) => {
  checkBasic(t, engine().evaluateNdjsonSync(Buffer.from(NDJSON)));
});

test('payload as string and as a Uint8Array view', async (t) => {
  const e = engine();
  checkBasic(t, await e.evaluateNdjson(NDJSON));
  const padded = Buffer.from(`xxxx${NDJSON}yyyy`);
  const view = new Uint8Array(padded.buffer, padded.byteOffset + 4, padded.length - 8);
  checkBasic(t, await e.evaluateNdjson(view));
});

test('evaluateMessages: one record per message (Buffer or string)', async (t) => {
  const e = engine();
  const msgs = RECORDS.map((r, i) => (i % 2 === 0 ? Buffer.from(JSON.stringify(r)) : JSON.stringify(r)));
  checkBasic(t, await e.evaluateMessages(msgs));
  checkBasic(t, e.evaluateMessagesSync(msgs));
  const bad = await e.evaluateMessages(['{"amount":5000}', 'nope', '{"amount":1}\n{"amount":2}']);
  t.is(bad.messagesProcessed, 3);
  t.is(bad.messagesSkipped, 2);
  t.deepEqual(Array.from(bad.inputRows), [0]);
});

test('evaluateMessagesSync: calls one after another (one reused buffer) each decide their own messages', (t) => {
  const e = engine();
  const msgs = RECORDS.map((r) => JSON.stringify(r));
  // A long call, then shorter ones laid out in the same buffer, then a longer one again.
  const padded = msgs.map((m) => `${m}${' '.repeat(300)}`);
  checkBasic(t, e.evaluateMessagesSync(padded));
  const one = e.evaluateMessagesSync([msgs[2] as string]);
  t.deepEqual([...one.decisions], ['FLAG']);
  const basic = e.evaluateMessagesSync(msgs);
  checkBasic(t, basic);
  const longer = [...padded, ...padded].map((m) => `${m}${' '.repeat(500)}`);
  t.deepEqual([...e.evaluateMessagesSync(longer).decisions], [...basic.decisions, ...basic.decisions]);
});

test('evaluateJsonArray: one top-level array', async (t) => {
  const e = engine();
  checkBasic(t, await e.evaluateJsonArray(JSON.stringify(RECORDS)));
  checkBasic(t, e.evaluateJsonArraySync(Buffer.from(JSON.stringify(RECORDS))));
});

test('evaluateNdjsonFile reads the file natively', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-'));
  const file = join(dir, 'in.ndjson');
  writeFileSync(file, NDJSON);
  checkBasic(t, await engine().evaluateNdjsonFile(file));
  const err = await t.throwsAsync(engine().evaluateNdjsonFile(join(dir, 'missing.ndjson')), {
    instanceOf: BlazeRulesError,
  });
  t.is(err?.code, 'IO_ERROR');
});

test('evaluate(record) returns a Decision', (t) => {
  const e = engine();
  const d: Decision = e.evaluate({ amount: 500, country: 'RU', user: 'x' });
  t.deepEqual(d, {
    decision: 'REVIEW',
    decisionCode: 3,
    score: 30,
    riskBand: 'MEDIUM',
    winningRuleId: 'risky_country',
    matched: true,
    matchedRuleIds: ['risky_country', 'audit_everything'],
    ruleSetVersion: '3.1.4',
  });
  const none = e.evaluate({ country: 'US' });
  t.is(none.decision, 'APPROVE');
  t.is(none.score, 0);
  t.is(none.riskBand, 'LOW');
  t.is(none.winningRuleId, '');
  t.false(none.matched);
  t.deepEqual(none.matchedRuleIds, []);
  t.throws(() => e.evaluate([1, 2] as unknown as object), { instanceOf: TypeError });
});

test('a rule set without rules: the default decision for every record', async (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString('decisions: {default: review}\nruleset: {name: empty, version: "0"}\n');
  const r = await e.evaluateNdjson('{"a":1}\n{"a":2}\n');
  t.is(r.messagesProcessed, 2);
  t.is(r.nMatched, 0);
  t.true(r.decisions.every((d) => d === 'REVIEW'));
  const d = e.evaluate({ a: 1 });
  t.is(d.decision, 'REVIEW');
  t.is(d.riskBand, 'MEDIUM');
  t.false(d.matched);
});

// A deliberate difference (docs/compatibility.md): BlazeRules leaves per-record lists empty
// (or fails) for a rule set without rules; here every record gets the default decision.
test('a rule set without rules: every record gets the default decision', async (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString('ruleset: {name: empty}\n');
  const r = await e.evaluateNdjson('{"a":1}\n{"a":2}\n');
  t.is(r.nRecords, 2);
  t.deepEqual(r.decisions, ['APPROVE', 'APPROVE']);
  t.deepEqual(Array.from(r.scores), [0, 0]);
  t.deepEqual(r.winningRuleIds, ['', '']);
});

test('no rules loaded: clear error', async (t) => {
  const e = new RuleEngine();
  const err = await t.throwsAsync(e.evaluateNdjson('{}\n'), { instanceOf: BlazeRulesError });
  t.is(err?.code, 'NO_RULES');
  t.throws(() => e.evaluateNdjsonSync('{}\n'), { instanceOf: BlazeRulesError });
  t.throws(() => e.evaluate({}), { instanceOf: BlazeRulesError });
});

test('bad payload types are rejected with TypeError', async (t) => {
  const e = engine();
  await t.throwsAsync(e.evaluateNdjson(42 as unknown as string), { instanceOf: TypeError });
  t.throws(() => e.evaluateNdjsonSync({} as unknown as string), { instanceOf: TypeError });
  await t.throwsAsync(e.evaluateMessages('x' as unknown as string[]), { instanceOf: TypeError });
});

test('a failed load leaves the previous rules active', async (t) => {
  const e = engine();
  t.throws(() => e.loadRules(join(FIXTURES, 'rules', 'problems.yaml')), { instanceOf: RulesError });
  t.throws(() => e.loadRulesFromString('ruleset: [unclosed'), { instanceOf: RulesError });
  t.throws(() => e.loadRules(join(FIXTURES, 'rules', 'does-not-exist.yaml')), { instanceOf: RulesError });
  t.is(e.activeRuleSetVersion, '3.1.4');
  t.deepEqual(e.ruleIds, ['big_amount', 'risky_country', 'blocked_user', 'audit_everything']);
  checkBasic(t, await e.evaluateNdjson(NDJSON));
});

test('a batch is evaluated wholly by the rule set active when it started', async (t) => {
  const e = engine();
  const big = Buffer.from(NDJSON.repeat(20000));
  const pending = e.evaluateNdjson(big);
  e.loadRulesFromString(
    'ruleset:\n  version: "2"\n  rules:\n    - id: other\n      action: block\n      conditions: {field: amount, op: gte, value: 0}\n',
  );
  const r = await pending;
  t.is(r.ruleSetVersion, '3.1.4');
  t.deepEqual(
    { ...r.matchCounts },
    { big_amount: 20000, risky_country: 20000, blocked_user: 20000, audit_everything: 80000 },
  );
  t.is(r.decisions[0], 'BLOCK');
  const after = await e.evaluateNdjson(NDJSON);
  t.is(after.ruleSetVersion, '2');
  t.deepEqual(after.winningRuleIds, ['other', 'other', 'other', 'other', '']);
});

test("evaluation never mutates the caller's buffer", async (t) => {
  const e = engine();
  const text = `\ufeff${NDJSON}{"amount": 1e400}\r\n  {"amount":"\\u0041"}  \r\n{bad\n${NDJSON}`;
  const buf = Buffer.from(text);
  const copy = Buffer.from(buf);
  await e.evaluateNdjson(buf);
  e.evaluateNdjsonSync(buf);
  await e.evaluateJsonArray(buf);
  await e.evaluateMessages([buf]);
  t.true(buf.equals(copy));
});

test('toJSONLines: the rows format', async (t) => {
  const r = await engine().evaluateNdjson(NDJSON);
  const lines = r.toJSONLines().toString('utf8').split('\n');
  t.is(lines.length, 6);
  t.is(lines[5], '');
  t.is(
    lines[0],
    '{"batch_row":0,"matched":true,"decision":"BLOCK","score":10.000000,"risk_band":"HIGH","winning_rule_id":"big_amount","ruleset_version":"3.1.4"}',
  );
  t.is(
    lines[4],
    '{"batch_row":4,"matched":false,"decision":"APPROVE","score":0.000000,"risk_band":"LOW","ruleset_version":"3.1.4"}',
  );
  const parsed = JSON.parse(lines[1] ?? '') as Record<string, unknown>;
  t.deepEqual(Object.keys(parsed), [
    'batch_row',
    'matched',
    'decision',
    'score',
    'risk_band',
    'winning_rule_id',
    'ruleset_version',
  ]);
  const shifted = r.toJSONLines({ rowOffset: 100, includeRuleSetVersion: false }).toString('utf8').split('\n');
  t.is(shifted[3], '{"batch_row":103,"matched":true,"decision":"APPROVE","score":0.000000,"risk_band":"LOW"}');
});

test('lazy views are cached', async (t) => {
  const r = await engine().evaluateNdjson(NDJSON);
  t.is(r.decisions, r.decisions);
  t.is(r.riskBands, r.riskBands);
  t.is(r.winningRuleIds, r.winningRuleIds);
  t.is(r.matchCounts, r.matchCounts);
  t.is(r.matchedIndices, r.matchedIndices);
});

test('EngineConfig is validated', (t) => {
  t.throws(() => new RuleEngine({ threads: -1 }), { instanceOf: TypeError });
  t.throws(() => new RuleEngine({ maxErrorSamples: 1.5 }), { instanceOf: TypeError });
  t.throws(() => new RuleEngine({ ingestErrorMode: 'explode' as 'skip' }), { instanceOf: TypeError });
  t.throws(() => new RuleEngine({ ingestErrorMode: 'deadLetter' }), { instanceOf: TypeError });
  t.notThrows(() => new RuleEngine({ threads: 1, maxErrorSamples: 4, ingestErrorMode: 'skip', maxRecordBytes: 1024 }));
});

test('maxErrorSamples bounds the samples, counts stay exact', async (t) => {
  const e = new RuleEngine({ maxErrorSamples: 3 });
  e.loadRules(BASIC);
  const r = await e.evaluateNdjson(`${'bad\n'.repeat(10)}{"amount":1}\n`);
  t.is(r.messagesSkipped, 10);
  t.is(r.errorCounts.MALFORMED_JSON, 10);
  t.is(r.errorSamples.length, 3);
  t.deepEqual(
    r.errorSamples.map((s) => s.rowIndex),
    [0, 1, 2],
  );
});

test("ingestErrorMode 'fail' rejects the batch with MALFORMED_JSON", async (t) => {
  const e = new RuleEngine({ ingestErrorMode: 'fail' });
  e.loadRules(BASIC);
  const err = await t.throwsAsync(e.evaluateNdjson('{"amount":1}\nbad\n'), { instanceOf: BlazeRulesError });
  t.is(err?.code, 'MALFORMED_JSON');
  const ok = await e.evaluateNdjson('{"amount":1}\n');
  t.is(ok.nRecords, 1);
});

test("ingestErrorMode 'deadLetter' appends bad records to the file", async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-'));
  const dl = join(dir, 'dead.ndjson');
  const e = new RuleEngine({ ingestErrorMode: 'deadLetter', deadLetterPath: dl });
  e.loadRules(BASIC);
  const r = await e.evaluateNdjson('{"amount":1}\nbad\n[1]\n');
  t.is(r.messagesSkipped, 2);
  const lines = readFileSync(dl, 'utf8').trim().split('\n');
  t.is(lines.length, 2);
  const first = JSON.parse(lines[0] ?? '{}') as Record<string, unknown>;
  t.is(first.code, 'MALFORMED_JSON');
  t.is(first.row_index, 1);
});

test('maxRecordBytes skips long records', async (t) => {
  const e = new RuleEngine({ maxRecordBytes: 100 });
  e.loadRules(BASIC);
  const long = JSON.stringify({ amount: 5000, pad: 'x'.repeat(200) });
  const r = await e.evaluateNdjson(`${long}\n{"amount":5000}\n`);
  t.is(r.nRecords, 1);
  t.is(r.messagesSkipped, 1);
  t.is(r.errorSamples[0]?.rowIndex, 0);
  t.is(r.errorSamples[0]?.code, 'RECORD_TOO_LARGE');
});

test('toJSONLines prints scores as C printf("%.6f") does (ties to even)', (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
rules:
  - {id: tie_even, action: score, weight: 0.0078125, conditions: {field: a, op: eq, value: 1}}
  - {id: tie_odd, action: score, weight: 0.0234375, conditions: {field: a, op: eq, value: 2}}
  - {id: plain, action: score, weight: 72.5, conditions: {field: a, op: eq, value: 3}}
  - {id: third, action: score, weight: 0.1, conditions: {field: a, op: eq, value: 4}}
`);
  const r = e.evaluateNdjsonSync('{"a":1}\n{"a":2}\n{"a":3}\n{"a":4}\n');
  const scores = r
    .toJSONLines()
    .toString('utf8')
    .trim()
    .split('\n')
    .map((l) => /"score":([^,]+),/.exec(l)?.[1]);
  t.deepEqual(scores, ['0.007812', '0.023438', '72.500000', '0.100000']);
});

test('every entry point agrees on the same records', async (t) => {
  const e = new RuleEngine();
  e.loadRules(join(__dirname, '..', 'examples', 'rules.yaml'));
  let seed = 7;
  const rand = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };
  const countries = ['US', 'CA', 'KP', 'IR', 'DE', 'BR'];
  const records = Array.from({ length: 3000 }, (_, i) => {
    const r: Record<string, unknown> = {
      id: i,
      amount: rand(20000) / 2,
      country: countries[rand(6)],
      account_age_days: rand(30),
    };
    if (rand(4) > 0) r.email = `u${i}${rand(3) === 0 ? '@mailinator.com' : '@example.com'}`;
    if (rand(3) > 0) r.ip = `${rand(3) === 0 ? 10 : 203}.0.${rand(255)}.${rand(255)}`;
    return r;
  });
  const lines = records.map((r) => JSON.stringify(r));
  const views = (r: BatchResult): unknown => ({
    decisions: r.decisions,
    scores: Array.from(r.scores),
    bands: r.riskBands,
    winners: r.winningRuleIds,
    matched: Array.from(r.matched),
    counts: { ...r.matchCounts },
    hits: r.ruleIds.map((id) => Array.from(r.indicesForRule(id))),
  });
  const expected = views(await e.evaluateNdjson(lines.join('\n')));
  t.deepEqual(views(e.evaluateNdjsonSync(`${lines.join('\r\n')}\r\n`)), expected);
  t.deepEqual(views(await e.evaluateMessages(lines)), expected);
  t.deepEqual(views(await e.evaluateJsonArray(`[${lines.join(',')}]`)), expected);
  const single = records.slice(0, 200).map((r) => e.evaluate(r));
  const batch = expected as { decisions: string[]; scores: number[]; winners: string[]; hits: number[][] };
  single.forEach((d, i) => {
    if (d.decision !== batch.decisions[i] || d.score !== batch.scores[i] || d.winningRuleId !== batch.winners[i]) {
      t.fail(`record ${i}: ${JSON.stringify(d)}`);
    }
    const ids = e.ruleIds.filter((_, r) => batch.hits[r]?.includes(i));
    if (JSON.stringify(ids) !== JSON.stringify(d.matchedRuleIds))
      t.fail(`record ${i}: matchedRuleIds ${JSON.stringify(d.matchedRuleIds)}`);
  });
  t.pass();
});

test('toJSONLines writes each batch with the rule set that decided it, across a reload', (t) => {
  const e = new RuleEngine();
  const rules = (id: string, version: string) =>
    `version: "2.0"\nruleset: {name: r, version: "${version}"}\nrules:\n  - id: ${id}\n    action: BLOCK\n    conditions: {field: amount, op: gt, value: 1000}\n`;
  e.loadRulesFromString(rules('first_rule', '1'), 'yaml');
  const before = e.evaluateNdjsonSync('{"amount":5000}\n');
  e.loadRulesFromString(rules('second_rule', '2'), 'yaml');
  const after = e.evaluateNdjsonSync('{"amount":5000}\n');
  const line = (r: BatchResult) => JSON.parse(r.toJSONLines().toString('utf8')) as Record<string, unknown>;
  t.like(line(before), { winning_rule_id: 'first_rule', ruleset_version: '1' });
  t.like(line(after), { winning_rule_id: 'second_rule', ruleset_version: '2' });
  t.like(line(before), { winning_rule_id: 'first_rule' }, 'again, after the other rule set wrote its lines');
});
