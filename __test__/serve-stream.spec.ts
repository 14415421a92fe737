/** `serve --stream` (runStream in the service's process; its counters and consumer lag on
 * /metrics and /v1/stats) and `serve --rules-topic`, on the shared local broker. */
import test from 'ava';
import { readFileSync } from 'node:fs';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

import { bundleFile } from '../src/live/bundle';
import { publishBundle } from '../src/live/publish';
import { ensureCompactedTopic } from '../src/live/topic-admin';
import { brokers, createTopics, eventually, produceAll, readTopic, uniqueName } from './helpers/kafka';
import { records, rulesDir } from './helpers/live-kit';
import { call, startTestService } from './helpers/serve-kit';

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
