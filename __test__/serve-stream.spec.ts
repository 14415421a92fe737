/** `serve --stream` (runStream in the service's process; its counters and consumer lag on
 * /metrics and /v1/stats) and `serve --rules-topic`, on the shared local broker. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

import { bundleFile } from '../src/live/bundle';
import { publishBundle } from '../src/live/publish';
import { ensureCompactedTopic } from '../src/live/topic-admin';
import { PrivateBroker, brokers, createTopics, eventually, produceAll, readTopic, uniqueName } from './helpers/kafka';
import { records, rulesDir } from './helpers/live-kit';
import { call, postJson, startTestService } from './helpers/serve-kit';

type Family = { name: string; metrics: Array<{ value?: string; labels?: Record<string, string> }> };

test('--stream: every input record decided and produced; stream counters and lag on /metrics and /v1/stats', async (t) => {
  const B = brokers();
  const input = uniqueName('serve-in');
  const output = uniqueName('serve-out');
  await createTopics(B, [
    [input, 2],
    [output, 1],
  ]);
  const lines = records(2000).trim().split('\n');
  await produceAll(B, input, lines, (i) => `k${i % 7}`);
  const { file } = rulesDir('v1');
  const s = await startTestService({
    rules: file,
    brokers: B,
    stream: {
      groupId: uniqueName('serve-group'),
      inputTopics: input,
      outputTopic: output,
      consumerConf: { 'auto.offset.reset': 'earliest' },
    },
  });
  t.teardown(() => s.close());
  type Stats = { stream: { messages: number; consumerLagTotal: number; consumerLag: unknown[] } | null };
  const stats = async () => (await call(`${s.url}/v1/stats`, 'GET')).json<Stats>();
  const done = await eventually(async () => {
    const st = (await stats()).stream;
    return st !== null && st.messages === 2000 && st.consumerLagTotal === 0 && st.consumerLag.length === 2;
  }, 120_000);
  t.true(done, JSON.stringify(await stats()));
  const families = parsePrometheusTextFormat((await call(`${s.url}/metrics`, 'GET')).text) as Family[];
  const value = (name: string) => families.find((f) => f.name === name)?.metrics;
  t.is(Number(value('blazerules_stream_messages_total')?.[0]?.value), 2000);
  const lag = value('blazerules_stream_consumer_lag') ?? [];
  t.deepEqual(lag.map((m) => [m.labels?.partition, Number(m.value)]).sort(), [
    ['0', 0],
    ['1', 0],
  ]);
  t.is((await readTopic(B, output, 2000)).length, 2000);
});

test('--rules-topic: the latest bundle is loaded before listening; GET /v1/rules names its offset', async (t) => {
  const B = brokers();
  const topic = uniqueName('serve-rules');
  const { file } = rulesDir('v7');
  await ensureCompactedTopic(B, topic, {}, 30_000);
  const at = await publishBundle(
    B,
    topic,
    Buffer.from(JSON.stringify(bundleFile(file, readFileSync(file)))),
    {},
    30_000,
  );
  const s = await startTestService({ rulesTopic: topic, brokers: B });
  t.teardown(() => s.close());
  const rules = (await call(`${s.url}/v1/rules`, 'GET')).json<{ version: string; source: string }>();
  t.is(rules.version, 'v7');
  t.is(rules.source, `kafka:${topic}/${at.partition}@${at.offset}`);
  t.is((await call(`${s.url}/readyz`, 'GET')).status, 200);
});

test('/readyz is 503 naming --rules-topic and --stream while their brokers are down, 200 once back', async (t) => {
  t.timeout(300_000);
  const broker = await PrivateBroker.up();
  t.teardown(() => broker.down());
  const B = broker.address;
  const rulesTopic = uniqueName('serve-ready-rules');
  const input = uniqueName('serve-ready-in');
  await createTopics(B, [[input, 1]]);
  await ensureCompactedTopic(B, rulesTopic, {}, 30_000);
  const { file } = rulesDir('v1');
  await publishBundle(B, rulesTopic, Buffer.from(JSON.stringify(bundleFile(file, readFileSync(file)))), {}, 30_000);
  const s = await startTestService({
    rulesTopic,
    brokers: B,
    stream: { groupId: uniqueName('serve-ready-g'), inputTopics: input, outputMode: 'none' },
  });
  t.teardown(() => s.close());
  const ready = async () => (await call(`${s.url}/readyz`, 'GET')).status === 200;
  t.true(await eventually(ready, 60_000), 'ready with the broker up');
  await broker.stop();
  // Both followers of the brokers see the outage (librdkafka's events, statistics every second).
  let body = '';
  const bothDown = await eventually(async () => {
    const r = await call(`${s.url}/readyz`, 'GET');
    body = r.text;
    return r.status === 503 && body.includes('--rules-topic') && body.includes('--stream');
  }, 60_000);
  t.true(bothDown, body);
  // Decisions go on from the active rules meanwhile.
  t.is((await postJson(`${s.url}/v1/decide`, { amount: 10 })).status, 200);
  await broker.start();
  t.true(await eventually(ready, 120_000), 'ready again once the broker is back');
});
