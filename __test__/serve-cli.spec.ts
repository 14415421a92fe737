/** `blazerules serve` as a process (node dist/cli.js; run `npm run build` first): the
 * listening line, hot reload, logs without credentials (and none at all when silent), and a
 * SIGTERM that drains. */
import test from 'ava';
import { request } from 'node:http';
import { join } from 'node:path';

import { records, rulesDir, rulesText, writeAtomically } from './helpers/live-kit';
import {
  brokers,
  committedOffsets,
  createTopics,
  eventually,
  produceAll,
  readTopic,
  uniqueName,
} from './helpers/kafka';
import { call, postJson, spawnServe, tempFiles } from './helpers/serve-kit';

test('SIGTERM: in-flight requests finish (none reset), the port closes, exit 0', async (t) => {
  const { file } = rulesDir('v1');
  const p = await spawnServe(['--rules', file]);
  t.teardown(() => p.child.kill('SIGKILL'));
  const body = Buffer.from(records(2000));
  const half = body.length >> 1;
  const n = 20;
  // Each request sends its headers and half its body, so it is in flight when SIGTERM comes.
  const inFlight = Array.from({ length: n }, () => {
    const req = request(`${p.url}/v1/decide/batch`, {
      method: 'POST',
      agent: false,
      headers: { 'content-type': 'application/x-ndjson', 'content-length': String(body.length) },
    });
    const answer = new Promise<{ status: number; lines: number }>((resolve, reject) => {
      req.on('response', (res) => {
        let text = '';
        res.on('data', (c: Buffer) => (text += c.toString('utf8')));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, lines: text.trim().split('\n').length }));
        res.on('error', reject);
      });
      req.on('error', reject);
    });
    req.write(body.subarray(0, half));
    return { req, answer };
  });
  const started = await eventually(() => (p.stderr().match(/incoming request/g) ?? []).length >= n, 30_000, 20);
  t.true(started, p.stderr());
  p.child.kill('SIGTERM');
  t.true(await eventually(() => p.stderr().includes('draining'), 30_000, 20), p.stderr());
  // The listener is closed: a new connection is refused.
  await t.throwsAsync(call(`${p.url}/healthz`, 'GET'));
  for (const r of inFlight) r.req.end(body.subarray(half));
  const answers = await Promise.all(inFlight.map((r) => r.answer));
  for (const a of answers) t.deepEqual(a, { status: 200, lines: 2000 });
  t.is(await p.exited, 0, p.stderr());
});

test('--watch: a saved rules file is live; the admin token never appears in the logs', async (t) => {
  const { file } = rulesDir('v1');
  const token = 'tok-never-logged-8c1f';
  const dir = tempFiles({ token });
  const p = await spawnServe([
    '--rules',
    file,
    '--watch',
    '--admin-token-file',
    join(dir, 'token'),
    '--log-level',
    'debug',
  ]);
  t.teardown(() => p.child.kill('SIGKILL'));
  writeAtomically(file, rulesText('v2'));
  const version = async () => (await call(`${p.url}/v1/rules`, 'GET')).json<{ version: string }>().version;
  t.true(await eventually(async () => (await version()) === 'v2', 30_000));
  const a = await call(`${p.url}/v1/rules`, 'POST', rulesText('v3'), {
    'content-type': 'application/yaml',
    authorization: `Bearer ${token}`,
  });
  t.is(a.status, 200, a.text);
  p.child.kill('SIGINT');
  t.is(await p.exited, 0);
  t.false(p.stderr().includes(token));
  t.regex(p.stderr(), /"msg":"rules replaced by POST \/v1\/rules"/);
});

test('--log-level silent: no logger: requests, a refused body and the shutdown write nothing to stderr', async (t) => {
  const { file } = rulesDir('v1');
  const p = await spawnServe(['--rules', file, '--log-level', 'silent']);
  t.teardown(() => p.child.kill('SIGKILL'));
  const ok = await postJson(`${p.url}/v1/decide`, { amount: 5 });
  t.is(ok.status, 200, ok.text);
  const bad = await call(`${p.url}/v1/decide`, 'POST', '{not json', { 'content-type': 'application/json' });
  t.is(bad.status, 400, bad.text);
  p.child.kill('SIGTERM');
  t.is(await p.exited, 0);
  t.is(p.stderr(), '');
});

test('usage: neither --rules nor --rules-topic, or --events-topic without --brokers: exit 2 with the reason', async (t) => {
  const { file } = rulesDir('v1');
  for (const [args, why] of [
    [[], /--rules FILE or --rules-topic/],
    [['--rules', file, '--events-topic', 'e'], /--events-topic needs --brokers/],
  ] as const) {
    const p = spawnServe(args);
    const err = await t.throwsAsync(p);
    t.regex(err?.message ?? '', /exited 2/);
    t.regex(err?.message ?? '', why);
  }
});

test('--stream and --events-topic: SIGTERM commits the stream, delivers the events, exits 0', async (t) => {
  const B = brokers();
  const input = uniqueName('serve-cli-in');
  const output = uniqueName('serve-cli-out');
  const events = uniqueName('serve-cli-events');
  const group = uniqueName('serve-cli-group');
  await createTopics(B, [
    [input, 2],
    [output, 1],
    [events, 1],
  ]);
  await produceAll(B, input, records(500).trim().split('\n'));
  const { file } = rulesDir('v1');
  const p = await spawnServe([
    ...['--rules', file, '--brokers', B, '--events-topic', events, '--stream', '--input-topic', input],
    ...['--output-topic', output, '--group-id', group],
  ]);
  t.teardown(() => p.child.kill('SIGKILL'));
  const sent = await Promise.all(
    Array.from({ length: 20 }, (_, id) => postJson(`${p.url}/v1/events`, { id, amount: 5, user: 'bob' })),
  );
  t.deepEqual(
    sent.map((a) => a.status),
    Array(20).fill(201),
  );
  type Stats = { stream: { messages: number } | null };
  const decided = async () => (await call(`${p.url}/v1/stats`, 'GET')).json<Stats>().stream?.messages === 500;
  t.true(await eventually(decided, 120_000), p.stderr());
  p.child.kill('SIGTERM');
  t.is(await p.exited, 0, p.stderr());
  // Keyless records may all land in one partition (librdkafka's sticky partitioner): the
  // other then has no committed offset (negative), which counts as 0.
  const committed = await committedOffsets(B, group, input, 2);
  t.is(
    committed.reduce((a, b) => a + Math.max(0, b), 0),
    500,
  );
  t.is((await readTopic(B, events, 20)).length, 20);
  t.is((await readTopic(B, output, 500)).length, 500);
});
