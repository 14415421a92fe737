/** `blazerules serve` routes over real HTTP against the service on port 0 (service.md §5). */
import test, { type ExecutionContext } from 'ava';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

import { RuleEngine } from '../src/index';
import { type Answer, call, postJson, startTestService, tempFiles } from './helpers/serve-kit';
import { records, rulesDir, rulesText } from './helpers/live-kit';

const NDJSON = { 'content-type': 'application/x-ndjson' };
type ErrorAnswer = { error: { code: string; message: string; problems?: string[] } };

function errorOf(t: ExecutionContext, a: Answer, status: number, code: string): void {
  t.is(a.status, status, a.text);
  t.true(a.type.startsWith('application/json'), a.type);
  t.is(a.json<ErrorAnswer>().error.code, code, a.text);
  t.is(typeof a.json<ErrorAnswer>().error.message, 'string');
}

/** What POST /v1/decide answers for `rec`: the reference engine's decision, snake_case. */
function answerOf(reference: RuleEngine, rec: object): Record<string, unknown> {
  const d = reference.evaluate(rec);
  return {
    decision: d.decision,
    score: d.score,
    risk_band: d.riskBand,
    winning_rule_id: d.winningRuleId,
    matched_rule_ids: d.matchedRuleIds,
    ruleset_version: d.ruleSetVersion,
  };
}

async function service(o: { admin?: boolean; maxBodyBytes?: number; maxRecordBytes?: number } = {}) {
  const { dir, file } = rulesDir('v1');
  const token = 's3cret-token';
  const adminTokenFile = o.admin ? `${tempFiles({ token: `${token}\n` })}/token` : undefined;
  const engine = o.maxRecordBytes === undefined ? undefined : { maxRecordBytes: o.maxRecordBytes };
  const s = await startTestService({ rules: file, adminTokenFile, maxBodyBytes: o.maxBodyBytes, engine });
  const reference = new RuleEngine();
  reference.loadRules(file);
  return { s, url: s.url, dir, file, token, reference };
}

test('POST /v1/decide answers the decision evaluate() gives, in the answer schema', async (t) => {
  const { s, url, reference } = await service();
  t.teardown(() => s.close());
  for (const rec of [
    { amount: 5, user: 'alice' },
    { amount: 999, user: 'bob' },
    { amount: 1, user: 'mallory' },
  ]) {
    const a = await postJson(`${url}/v1/decide`, rec);
    t.is(a.status, 200, a.text);
    t.deepEqual(a.json(), answerOf(reference, rec));
  }
  // 300 requests at once (decided together, in batches): each gets its own record's decision.
  const recs = records(300)
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as { amount: number; user: string });
  const answers = await Promise.all(recs.map((r) => postJson(`${url}/v1/decide`, r)));
  for (const [i, a] of answers.entries()) {
    t.deepEqual(a.json(), answerOf(reference, recs[i] as object));
  }
});

test("POST /v1/decide reads the body as sent: the answer is the engine's text, bad bodies among good ones get their own error", async (t) => {
  const { s, url, reference } = await service({ maxRecordBytes: 200 });
  t.teardown(() => s.close());
  const json = { 'content-type': 'application/json' };
  const good = { amount: 999, user: 'mallory' };
  // The answer's bytes: the keys in the schema's order, numbers as JSON.stringify writes them.
  const one = await call(`${url}/v1/decide`, 'POST', JSON.stringify(good), json);
  t.is(one.text, JSON.stringify(answerOf(reference, good)));
  t.is(one.type, 'application/json; charset=utf-8');
  const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify(good))]);
  t.is(
    (await call(`${url}/v1/decide`, 'POST', bom, { 'content-type': 'application/json; charset=utf-8' })).text,
    one.text,
  );
  // Sent at once (decided in one batch): each bad body gets its error, each good one its answer.
  const bodies: Array<[body: string, status: number, code?: string]> = [
    ['{"amount": 5}x', 400, 'MALFORMED_JSON'],
    ['{"amount": 5,}', 400, 'MALFORMED_JSON'],
    ['  ', 400, 'MALFORMED_JSON'],
    ['5', 400, 'INVALID_REQUEST'],
    ['null', 400, 'INVALID_REQUEST'],
    ['"x"', 400, 'INVALID_REQUEST'],
    [JSON.stringify({ amount: 5, pad: 'x'.repeat(300) }), 400, 'INVALID_REQUEST'],
  ];
  const recs = records(40).trim().split('\n');
  const mixed = recs.flatMap((r, i) => [
    [r, 200] as [string, number],
    ...(i < bodies.length ? [bodies[i] as [string, number, string]] : []),
  ]);
  const answers = await Promise.all(mixed.map(([body]) => call(`${url}/v1/decide`, 'POST', body, json)));
  for (const [i, a] of answers.entries()) {
    const [body, status, code] = mixed[i] as [string, number, string?];
    if (code === undefined) {
      t.is(a.status, status, a.text);
      t.is(a.text, JSON.stringify(answerOf(reference, JSON.parse(body) as object)));
    } else errorOf(t, a, status, code);
  }
  const tooLarge = answers[mixed.findIndex(([b]) => b.includes('pad'))];
  t.true(tooLarge?.json<ErrorAnswer>().error.message.startsWith('RECORD_TOO_LARGE: '), tooLarge?.text);
});

test('POST /v1/decide?explain=1 adds the explanation, which agrees with the decision', async (t) => {
  const { s, url } = await service();
  t.teardown(() => s.close());
  for (let i = 0; i < 200; i++) {
    const rec = { amount: (i * 37) % 1000, user: ['alice', 'mallory'][i % 2] };
    const plain = (await postJson(`${url}/v1/decide`, rec)).json<Record<string, unknown>>();
    const a = await postJson(`${url}/v1/decide?explain=1`, rec);
    const body = a.json<Record<string, unknown> & { explanation: Record<string, unknown> }>();
    const { explanation, ...decision } = body;
    t.deepEqual(decision, plain);
    t.is(explanation.decision, plain.decision);
    t.is(explanation.score, plain.score);
    t.is(explanation.winningRuleId, plain.winning_rule_id);
    const rules = explanation.rules as Array<{ id: string; matched: boolean }>;
    t.deepEqual(
      rules.filter((r) => r.matched).map((r) => r.id),
      plain.matched_rule_ids,
    );
  }
});

test('POST /v1/decide/batch: NDJSON and JSON arrays, one line per record with its row, error lines for bad records', async (t) => {
  const { s, url, reference } = await service();
  t.teardown(() => s.close());
  const good = records(300).trim().split('\n');
  const input = [...good.slice(0, 10), '{"amount": 5,', ...good.slice(10, 200), 'not json', '', ...good.slice(200)];
  const payload = `${input.join('\n')}\n`;
  const a = await call(`${url}/v1/decide/batch`, 'POST', payload, NDJSON);
  t.is(a.status, 200, a.text);
  t.true(a.type.startsWith('application/x-ndjson'));
  const lines = a.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.is(lines.length, 302);
  t.deepEqual(
    lines.map((l) => l.row),
    [...Array(302).keys()],
  );
  t.is((lines[10]?.error as { code?: string } | undefined)?.code, 'MALFORMED_JSON');
  t.is((lines[201]?.error as { code?: string } | undefined)?.code, 'MALFORMED_JSON');
  // The decisions equal evaluateNdjson's on the good records, in order.
  const expected = JSON.parse(
    `[${(await reference.evaluateNdjson(`${good.join('\n')}\n`)).toJSONLines({ format: 'decisions-jsonl' }).toString().trim().split('\n').join(',')}]`,
  ) as Array<Record<string, unknown>>;
  const decided = lines.filter((l) => l.error === undefined);
  t.is(decided.length, 300);
  for (const [i, l] of decided.entries()) {
    const { row: _r, line: _l, ...rest } = l;
    const { row: _r2, line: _l2, ...want } = expected[i] ?? {};
    t.deepEqual(rest, want);
  }
  // A JSON array: the same decisions, rows 0..n-1.
  const arr = await call(`${url}/v1/decide/batch`, 'POST', `[${good.join(',')}]`, {
    'content-type': 'application/json',
  });
  t.is(arr.status, 200, arr.text);
  const arrLines = arr.text
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  t.deepEqual(
    arrLines.map((l) => l.row),
    [...Array(300).keys()],
  );
  t.deepEqual(
    arrLines.map((l) => l.decision),
    expected.map((l) => l.decision),
  );
});

test('GET /v1/rules, /healthz, /readyz, /metrics (parses), / (the dashboard), /v1/stats', async (t) => {
  const { s, url, file } = await service();
  t.teardown(() => s.close());
  const rules = (await call(`${url}/v1/rules`, 'GET')).json<Record<string, unknown>>();
  t.is(rules.name, 'live-test');
  t.is(rules.version, 'v1');
  t.deepEqual(rules.ruleIds, ['big', 'listed']);
  t.is(rules.source, file);
  t.false(Number.isNaN(Date.parse(String(rules.loadedAt))));
  t.is((await call(`${url}/healthz`, 'GET')).status, 200);
  t.is((await call(`${url}/readyz`, 'GET')).status, 200);
  await postJson(`${url}/v1/decide`, { amount: 999, user: 'bob' });
  const m = await call(`${url}/metrics`, 'GET');
  t.is(m.status, 200);
  t.true(m.type.startsWith('text/plain; version=0.0.4'), m.type);
  const families = parsePrometheusTextFormat(m.text) as Array<{ name: string; metrics: Array<{ value?: string }> }>;
  const evaluated = families.find((f) => f.name === 'blazerules_records_evaluated_total');
  t.is(Number(evaluated?.metrics[0]?.value), 1);
  const page = await call(`${url}/`, 'GET');
  t.is(page.status, 200);
  t.true(page.type.startsWith('text/html'));
  t.regex(page.text, /v1\/stats/);
  const stats = (await call(`${url}/v1/stats`, 'GET')).json<{ records: number; rules: { version: string } }>();
  t.is(stats.records, 1);
  t.is(stats.rules.version, 'v1');
});

test('errors are JSON {error: {code, message}}: 400 malformed, 400 not an object, 413, 415, 404, 503 while draining', async (t) => {
  const { s, url } = await service({ maxBodyBytes: 1000 });
  t.teardown(() => s.close());
  const json = { 'content-type': 'application/json' };
  errorOf(t, await call(`${url}/v1/decide`, 'POST', '{"amount": ', json), 400, 'MALFORMED_JSON');
  errorOf(t, await call(`${url}/v1/decide`, 'POST', '', json), 400, 'MALFORMED_JSON');
  errorOf(t, await call(`${url}/v1/decide`, 'POST', '[1,2]', json), 400, 'INVALID_REQUEST');
  errorOf(t, await postJson(`${url}/v1/decide`, { pad: 'x'.repeat(2000) }), 413, 'BODY_TOO_LARGE');
  errorOf(t, await call(`${url}/v1/decide/batch`, 'POST', records(100), NDJSON), 413, 'BODY_TOO_LARGE');
  errorOf(
    t,
    await call(`${url}/v1/decide`, 'POST', 'amount=5', { 'content-type': 'text/plain' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  errorOf(
    t,
    await call(`${url}/v1/decide/batch`, 'POST', '{}', { 'content-type': 'text/csv' }),
    415,
    'UNSUPPORTED_MEDIA_TYPE',
  );
  // A batch never fails for its content: a broken array is one error line (the engine's report).
  const broken = await call(`${url}/v1/decide/batch`, 'POST', '[{"a":1}, {"a":', json);
  t.is(broken.status, 200);
  t.is(broken.json<{ row: number; error: { code: string } }>().error.code, 'MALFORMED_JSON');
  errorOf(t, await call(`${url}/v1/nothing`, 'GET'), 404, 'NOT_FOUND');
  errorOf(t, await postJson(`${url}/v1/events`, { id: 1 }), 404, 'NOT_FOUND'); // no --events-topic
  errorOf(t, await call(`${url}/v1/rules`, 'POST', 'x', { 'content-type': 'text/yaml' }), 404, 'NOT_FOUND');
  s.state.draining = true;
  errorOf(t, await call(`${url}/readyz`, 'GET'), 503, 'NOT_READY');
  errorOf(t, await postJson(`${url}/v1/decide`, { amount: 1 }), 503, 'NOT_READY');
});

test('POST /v1/rules: 401 without a token, 403 with a wrong one, 400 with every problem as file:line:column, 200 swaps', async (t) => {
  const { s, url, token } = await service({ admin: true });
  t.teardown(() => s.close());
  const yaml = { 'content-type': 'application/yaml' };
  const v2 = rulesText('v2', 10);
  errorOf(t, await call(`${url}/v1/rules`, 'POST', v2, yaml), 401, 'UNAUTHORIZED');
  errorOf(t, await call(`${url}/v1/rules`, 'POST', v2, { ...yaml, authorization: 'Bearer nope' }), 403, 'FORBIDDEN');
  const auth = { ...yaml, authorization: `Bearer ${token}` };
  const bad = v2.replace('op: gt', 'op: no_such_op').replace('field: user', 'field: [user]');
  const refused = await call(`${url}/v1/rules`, 'POST', bad, auth);
  errorOf(t, refused, 400, 'RULES_INVALID');
  const problems = refused.json<ErrorAnswer>().error.problems ?? [];
  t.true(problems.length >= 2, refused.text);
  for (const p of problems) t.regex(p, /^<posted rules>:\d+:\d+: [A-Z_]+ /);
  t.is((await call(`${url}/v1/rules`, 'GET')).json<{ version: string }>().version, 'v1');
  const ok = await call(`${url}/v1/rules`, 'POST', v2, auth);
  t.is(ok.status, 200, ok.text);
  t.is(ok.json<{ version: string }>().version, 'v2');
  const d = (await postJson(`${url}/v1/decide`, { amount: 50, user: 'bob' })).json<{
    decision: string;
    ruleset_version: string;
  }>();
  t.is(d.ruleset_version, 'v2');
  t.is(d.decision, 'BLOCK');
  t.is((await call(`${url}/v1/rules`, 'GET')).json<{ source: string }>().source, '<string>');
});

test('window rules: HTTP records share one state, in arrival order, across /v1/decide and the batch route', async (t) => {
  const rules = {
    rules: [
      {
        id: 'third',
        action: 'flag',
        conditions: { window: { entity_field: 'card', duration_seconds: 600, op: 'gte', value: 2 } },
      },
    ],
  };
  const dir = tempFiles({ 'rules.json': JSON.stringify(rules) });
  const s = await startTestService({ rules: `${dir}/rules.json` });
  t.teardown(() => s.close());
  const decide = async (card: string) =>
    (await postJson(`${s.url}/v1/decide`, { card })).json<{ matched_rule_ids: string[] }>().matched_rule_ids;
  t.deepEqual(await decide('a'), []);
  t.deepEqual(await decide('a'), []);
  t.deepEqual(await decide('a'), ['third']);
  // ?explain=1 reads the window as the decision does (before adding the record): they agree.
  for (const want of [[], [], ['third']]) {
    const a = (await postJson(`${s.url}/v1/decide?explain=1`, { card: 'c' })).json<{
      matched_rule_ids: string[];
      explanation: { rules: Array<{ id: string; matched: boolean }> };
    }>();
    t.deepEqual(a.matched_rule_ids, want);
    t.deepEqual(
      a.explanation.rules.filter((r) => r.matched).map((r) => r.id),
      want,
    );
  }
  const batch = await call(`${s.url}/v1/decide/batch`, 'POST', '{"card":"b"}\n{"card":"a"}\n', NDJSON);
  t.deepEqual(
    batch.text
      .trim()
      .split('\n')
      .map((l) => (JSON.parse(l) as { matched: boolean }).matched),
    [false, true],
  );
});
