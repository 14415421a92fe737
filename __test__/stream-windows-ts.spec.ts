/**
 * Window rules in a TypeScript loop (KafkaConsumer + evaluateMessages): `pollPartitions`
 * groups a polled batch by partition, with the state shard runStream would use, so each
 * partition's records go through one `evaluateMessages(values, { partition: shard })` call;
 * `groupInstanceId` sets static membership. Event-time windows: the decisions equal one
 * uninterrupted engine's (this loop does not replay after a restart: docs/kafka.md).
 */
import test from 'ava';

import { RuleEngine } from '../src/index';
import { KafkaConsumer, KafkaIOError, type KafkaRecord } from '../src/io';
import { FAST_GROUP, brokers, createTopics, uniqueName } from './helpers/kafka';
import { payments, producePayments, reference, windowRules } from './helpers/stream-windows-kit';

test('pollPartitions: one evaluateMessages call per partition decides as one uninterrupted engine', async (t) => {
  const B = brokers();
  const input = uniqueName('win-ts-in');
  await createTopics(B, [[input, 3]]);
  const rules = windowRules(true);
  const recs = payments(3000, { partitions: 3, cards: 30 });
  await producePayments(B, input, recs);
  const engine = new RuleEngine();
  engine.loadRules(rules);
  const consumer = new KafkaConsumer({
    brokers: B,
    groupId: uniqueName('win-ts-g'),
    groupInstanceId: uniqueName('win-ts-member'),
    topics: input,
    conf: FAST_GROUP,
  });
  const got = new Map<string, string>();
  try {
    while (got.size < recs.length) {
      for (const g of await consumer.pollPartitions({ maxMessages: 500, timeoutMs: 2000 })) {
        t.is(g.shard, g.partition, 'one topic: the shard is the partition');
        t.true(g.records.every((r: KafkaRecord) => r.partition === g.partition && r.topic === input));
        const r = await engine.evaluateMessages(g.values, { partition: g.shard });
        for (const [i, rec] of g.records.entries())
          got.set(`${rec.partition}/${rec.offset}`, `${r.decisions[i]}|${r.scores[i]}|${r.winningRuleIds[i] ?? ''}`);
      }
    }
  } finally {
    await consumer.close();
  }
  const want = reference(rules, recs);
  const bad = [...want].filter(([k, v]) => got.get(k) !== v);
  t.deepEqual(bad.slice(0, 5), [], `${bad.length} differ`);
});

test('groupInstanceId must be a non-empty string', (t) => {
  const e = t.throws(
    () => new KafkaConsumer({ brokers: '127.0.0.1:1', groupId: 'g', topics: 't', groupInstanceId: '' }),
    { instanceOf: KafkaIOError },
  );
  t.is(e?.code, 'INVALID_CONFIG');
  t.regex(e?.message ?? '', /groupInstanceId/);
});
