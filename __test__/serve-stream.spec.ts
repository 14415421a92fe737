/** `serve --stream`: runStream in the service's process, on the shared local broker; its
 * counters and consumer lag on /metrics and /v1/stats. */
import test from 'ava';
import parsePrometheusTextFormat from 'parse-prometheus-text-format';

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
  type Stats = { stream: { messages: number; lag: number | null; partitions: unknown[] } | null };
  const stats = async () => (await call(`${s.url}/v1/stats`, 'GET')).json<Stats>();
  const done = await eventually(async () => {
    const st = (await stats()).stream;
    return st !== null && st.messages === 2000 && st.lag === 0 && st.partitions.length === 2;
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
