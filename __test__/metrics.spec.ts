/** Metrics (service.md §4): the counters equal the batch results they count, in the snapshot
 * and in the Prometheus text (read back with a Prometheus text parser); runStream's stats and
 * consumer lag. */
import test from 'ava';
import parsePrometheus from 'parse-prometheus-text-format';

import { type BatchResult, RuleEngine } from '../src/index';
import { brokers, createTopics, uniqueName } from './helpers/kafka';
import { records, rulesDir, rulesText } from './helpers/live-kit';
import { produceMany, runStream, type StreamRunStats } from './helpers/stream-kit';

interface Parsed {
  name: string;
  type: string;
  metrics: { value?: string; labels?: Record<string, string>; buckets?: Record<string, string>; count?: string }[];
}

/** What a set of batch results adds up to. */
class Expected {
  records = 0;
  skipped = 0;
  matched = 0;
  batches = 0;
  fired = new Map<string, number>();
  decisions = new Map<string, number>();

  add(r: BatchResult): void {
    this.batches++;
    this.records += r.nRecords;
    this.skipped += r.messagesSkipped;
    this.matched += r.nMatched;
    for (const [id, n] of Object.entries(r.matchCounts)) this.fired.set(id, (this.fired.get(id) ?? 0) + n);
    for (const d of r.decisions) this.decisions.set(d, (this.decisions.get(d) ?? 0) + 1);
  }
}

async function someBatches(engine: RuleEngine, expected: Expected): Promise<void> {
  const payload = records(997);
  expected.add(await engine.evaluateNdjson(`${payload}{not json\n`));
  expected.add(engine.evaluateNdjsonSync(records(13)));
  expected.add(await engine.evaluateMessages(payload.trim().split('\n').slice(0, 50)));
  expected.add(await engine.evaluateJsonArray(`[${payload.trim().split('\n').slice(0, 7).join(',')}]`));
}

function value(parsed: Parsed[], name: string, labels: Record<string, string> = {}): number | undefined {
  const family = parsed.find((f) => f.name === name);
  const m = family?.metrics.find((x) => Object.entries(labels).every(([k, v]) => x.labels?.[k] === v));
  return m?.value === undefined ? undefined : Number(m.value);
}

test('the counters equal the batch results they count, across a reload, in the snapshot and the Prometheus text', async (t) => {
  const { dir, file } = rulesDir('m1');
  const engine = new RuleEngine();
  engine.loadRules(file);
  const expected = new Expected();
  await someBatches(engine, expected);
  engine.loadRulesFromString(rulesText('m2', 10), 'yaml', dir); // the same rule ids, other decisions
  await someBatches(engine, expected);
  const one = engine.evaluate({ amount: 5000, user: 'mallory' });
  expected.batches++;
  expected.records++;
  expected.matched++;
  for (const id of one.matchedRuleIds) expected.fired.set(id, (expected.fired.get(id) ?? 0) + 1);
  expected.decisions.set(one.decision, (expected.decisions.get(one.decision) ?? 0) + 1);

  const snap = engine.metricsSnapshot();
  t.is(snap.counters['blazerules.records_evaluated_total'], expected.records);
  t.is(snap.counters['blazerules.records_skipped_total'], expected.skipped);
  t.is(snap.counters['blazerules.records_matched_total'], expected.matched);
  t.is(snap.counters['blazerules.batches_evaluated_total'], expected.batches);
  for (const [id, n] of expected.fired) t.is(snap.counters[`blazerules.rule_fired_total{rule_id=${id}}`], n, id);
  for (const [d, n] of expected.decisions) t.is(snap.counters[`blazerules.decisions_total{action=${d}}`], n, d);
  const latency = snap.histograms['blazerules.batch_total_latency_us'];
  t.is(latency?.count, expected.batches - 1, 'every batch call, not evaluate()');
  t.true((latency?.max ?? 0) >= (latency?.min ?? 0));

  const text = engine.metricsText();
  const parsed = parsePrometheus(text) as Parsed[];
  t.is(value(parsed, 'blazerules_records_evaluated_total'), expected.records);
  t.is(value(parsed, 'blazerules_records_skipped_total'), expected.skipped);
  t.is(value(parsed, 'blazerules_batches_evaluated_total'), expected.batches);
  for (const [id, n] of expected.fired) t.is(value(parsed, 'blazerules_rule_fired_total', { rule_id: id }), n, id);
  for (const [d, n] of expected.decisions) t.is(value(parsed, 'blazerules_decisions_total', { decision: d }), n, d);
  t.is(value(parsed, 'blazerules_rules_info', { version: 'm2', name: 'live-test' }), 1);
  const hist = parsed.find((f) => f.name === 'blazerules_batch_total_latency_seconds');
  t.is(hist?.type, 'HISTOGRAM');
  // (an object: its integer-like keys come first, so sorted by bound here)
  const buckets = Object.entries(hist?.metrics[0]?.buckets ?? {}).sort(([a], [b]) => Number(a) - Number(b));
  t.true(buckets.length > 10);
  const counts = buckets.map(([, c]) => Number(c));
  t.deepEqual(
    counts,
    [...counts].sort((a, b) => a - b),
    'cumulative buckets',
  );
  t.is(Number(hist?.metrics[0]?.count), expected.batches - 1);
  t.regex(text, /^# TYPE blazerules_rule_fired_total counter$/m);

  // A second snapshot adds nothing by itself.
  t.deepEqual(engine.metricsSnapshot().counters, snap.counters);
});

test('window gauges follow windowStats()', async (t) => {
  const engine = new RuleEngine();
  const rules = [
    {
      id: 'bursty',
      action: 'review',
      conditions: { window: { entity_field: 'acct', duration_seconds: 60, op: 'gt', value: 2 } },
    },
  ];
  engine.loadRulesFromString(JSON.stringify({ rules }), 'json');
  const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ acct: `a${i % 4}` })).join('\n');
  await engine.evaluateNdjson(lines, { nowMs: 1_700_000_000_000 });
  const stats = engine.windowStats();
  t.true(stats.entities > 0);
  const parsed = parsePrometheus(engine.metricsText()) as Parsed[];
  t.is(value(parsed, 'blazerules_window_entities'), stats.entities);
  t.is(value(parsed, 'blazerules_window_bytes'), stats.bytes);
  t.is(engine.metricsSnapshot().gauges['blazerules.window_buckets'], stats.buckets);
});

test("runStream's stats are the blazerules_stream_* counters", async (t) => {
  const address = brokers();
  const input = uniqueName('metrics-in');
  await createTopics(address, [[input, 2]]);
  await produceMany(address, input, 200, (i) => JSON.stringify({ amount: i * 7, user: i % 3 ? 'bob' : 'mallory' }));
  const { file } = rulesDir('s1');
  const engine = new RuleEngine();
  engine.loadRules(file);
  const stats = await runStream(engine, {
    brokers: address,
    groupId: uniqueName('metrics-group'),
    inputTopics: [input],
    outputMode: 'none',
    maxMessages: 200,
  });
  t.is(stats.messages, 200);
  const snap = engine.metricsSnapshot().counters;
  t.is(snap['blazerules.stream_messages_total'], 200);
  t.is(snap['blazerules.stream_matched_total'], stats.matched);
  const parsed = parsePrometheus(engine.metricsText()) as Parsed[];
  t.is(value(parsed, 'blazerules_stream_messages_total'), 200);
  t.is(value(parsed, 'blazerules_stream_batches_total'), stats.batches);
  t.is(value(parsed, 'blazerules_stream_running'), 0);
});

test('runStream reports the consumer lag of its assigned partitions, in its stats and as blazerules_stream_consumer_lag', async (t) => {
  const address = brokers();
  const input = uniqueName('lag-in');
  const N = 200; // committed by a first run
  const M = 37; // produced after that commit: the lag of a run that never commits
  await createTopics(address, [[input, 2]]);
  const record = (i: number): string => JSON.stringify({ amount: i, user: 'bob' });
  const key = (i: number): string => `k${i}`; // keyed: both partitions get records
  await produceMany(address, input, N, record, key);
  const { file } = rulesDir('lag');
  const engine = new RuleEngine();
  engine.loadRules(file);
  const config = {
    brokers: address,
    groupId: uniqueName('lag-group'),
    inputTopics: [input],
    outputMode: 'none' as const,
    batchSize: 10,
  };
  const first = await runStream(engine, { ...config, maxMessages: N });
  t.is(first.messages, N);
  await produceMany(
    address,
    input,
    M,
    (i) => record(N + i),
    (i) => key(N + i),
  );

  // The second run reads the M records and commits nothing: the group's lag stays M. It is
  // stopped from the first onStats that knows the lag of both partitions.
  const stop = new AbortController();
  let seen: StreamRunStats | undefined;
  let text = '';
  let gauges: Record<string, number> = {};
  const all: StreamRunStats[] = [];
  const second = await runStream(
    engine,
    { ...config, commitOffsets: false },
    {
      signal: stop.signal,
      onStats: (s) => {
        all.push(s);
        if (seen !== undefined || s.consumerLag.length < 2) return;
        seen = s;
        text = engine.metricsText();
        gauges = engine.metricsSnapshot().gauges;
        stop.abort();
      },
    },
  );
  t.truthy(seen, 'an onStats call knew the lag of both partitions');
  if (seen === undefined) return;
  t.deepEqual(
    seen.consumerLag.map((l) => [l.topic, l.partition]),
    [
      [input, 0],
      [input, 1],
    ],
  );
  t.is(seen.consumerLagTotal, M);
  for (const s of all) {
    t.is(
      s.consumerLagTotal,
      s.consumerLag.reduce((sum, l) => sum + l.lag, 0),
    );
    for (const l of s.consumerLag) t.true(l.lag >= 0 && l.lag <= M, `${l.topic}/${l.partition}: ${l.lag}`);
  }
  const parsed = parsePrometheus(text) as Parsed[];
  t.is(parsed.find((f) => f.name === 'blazerules_stream_consumer_lag')?.type, 'GAUGE');
  for (const { topic, partition, lag } of seen.consumerLag) {
    t.is(value(parsed, 'blazerules_stream_consumer_lag', { topic, partition: String(partition) }), lag);
    t.is(gauges[`blazerules.stream_consumer_lag{topic=${topic},partition=${partition}}`], lag);
  }
  t.true(second.messages <= M);

  // Once the loops ended, no partition is theirs: the lag gauges are gone; the text parses.
  const after = parsePrometheus(engine.metricsText()) as Parsed[];
  t.is(value(after, 'blazerules_stream_running'), 0);
  t.is(
    after.find((f) => f.name === 'blazerules_stream_consumer_lag'),
    undefined,
  );
  t.false(Object.keys(engine.metricsSnapshot().gauges).some((k) => k.includes('consumer_lag')));
});
