/**
 * Catalog-routed KafkaProducer/KafkaConsumer (given { catalog }) against two
 * real clusters (the shared local broker as cluster A, a private one as cluster B) and the
 * real catalog server: they follow `kafka://example.com/payments` when the catalog moves it
 * from A's topic to B's topic, and when only the topic name changes; every record produced
 * before and after the move is consumed, duplicates counted.
 */
import test from 'ava';

import { KafkaConsumer, KafkaIOError, KafkaProducer } from '../src/io';
import { type CatalogDoc, CatalogKit, PAYMENTS, catalogOf } from './helpers/catalog-kit';
import { FAST_GROUP, PrivateBroker, brokers, createTopics, uniqueName } from './helpers/kafka';

const PASSWORD = 'pw-Kafka-5521';
const TTL_MS = 1000;

function twoClusters(a: string, b: string, cluster: 'a' | 'b', topic: string): CatalogDoc {
  return {
    clusters: {
      a: {
        connection: { 'bootstrap.servers': a },
        credentials: { 'sasl.username': 'svc-a', 'sasl.password': 'cred-A-0042' },
      },
      b: {
        connection: { 'bootstrap.servers': b },
        credentials: { 'sasl.username': 'svc-b', 'sasl.password': 'cred-B-0043' },
      },
    },
    channels: { [PAYMENTS]: { cluster, topic } },
    configProfiles: { p: { 'socket.keepalive.enable': true } },
  };
}

let A = '';
let broker: PrivateBroker | undefined;
test.before(async () => {
  A = brokers();
  broker = await PrivateBroker.up();
});
test.after.always(async () => {
  await broker?.down();
});

/** Reads until every value in `want` was seen; counts duplicates. */
async function consumeAll(consumer: KafkaConsumer, want: Set<string>, seen: Map<string, number>): Promise<void> {
  const deadline = Date.now() + 120_000;
  while ([...want].some((v) => !seen.has(v)) && Date.now() < deadline) {
    const values = await consumer.pollBatch({ maxMessages: 500, timeoutMs: 1000 });
    for (const v of values) seen.set(String(v), (seen.get(String(v)) ?? 0) + 1);
    await consumer.commit();
  }
}

/** A catalog server on `doc` and a producer and consumer routed through it (closed after `t`). */
async function routedPair(t: import('ava').ExecutionContext, doc: CatalogDoc) {
  const kit = await CatalogKit.start(doc, { user: 'app', password: PASSWORD });
  const catalog = catalogOf(kit, TTL_MS);
  const producer = new KafkaProducer({ catalog, channels: [PAYMENTS] });
  const consumer = new KafkaConsumer({ catalog, groupId: uniqueName('cat-g'), channels: PAYMENTS, conf: FAST_GROUP });
  t.teardown(async () => {
    await consumer.close().catch(() => undefined);
    await producer.close().catch(() => undefined);
    await kit.stop();
  });
  return { kit, producer, consumer };
}

async function moveTest(
  t: import('ava').ExecutionContext,
  before: { cluster: 'a' | 'b'; topic: string },
  after: { cluster: 'a' | 'b'; topic: string },
): Promise<void> {
  const B = broker?.address ?? '';
  await createTopics(before.cluster === 'a' ? A : B, [[before.topic, 2]]);
  await createTopics(after.cluster === 'a' ? A : B, [[after.topic, 2]]);
  const { kit, producer, consumer } = await routedPair(t, twoClusters(A, B, before.cluster, before.topic));
  const seen = new Map<string, number>();
  const first = Array.from({ length: 300 }, (_, i) => `before-${i}`);
  for (const [i, v] of first.entries()) producer.produce(PAYMENTS, v, `k${i % 7}`);
  t.true(await producer.flush(30_000), 'the records before the move were delivered');
  // Half of them consumed (and committed) before the move.
  while (seen.size < 150) {
    for (const v of await consumer.pollBatch({ maxMessages: 50, timeoutMs: 1000 })) {
      seen.set(String(v), (seen.get(String(v)) ?? 0) + 1);
    }
    await consumer.commit();
  }
  t.is(consumer.topics.join(), before.topic);

  kit.write(twoClusters(A, B, after.cluster, after.topic));
  // Produced on while the clients notice the move, each at its own refresh.
  const during: string[] = [];
  const deadline = Date.now() + 15_000;
  while (producer.rebuilds < 1 && Date.now() < deadline) {
    for (let j = 0; j < 5; j++) {
      const v = `during-${during.length}`;
      during.push(v);
      producer.produce(PAYMENTS, v, `k${during.length % 7}`);
    }
    await new Promise((r) => setTimeout(r, 20));
  }
  t.is(producer.rebuilds, 1, 'the producer followed the move');
  const second = Array.from({ length: 300 }, (_, i) => `after-${i}`);
  for (const [i, v] of second.entries()) producer.produce(PAYMENTS, v, `k${i % 7}`);
  t.true(await producer.flush(30_000), 'the records after the move were delivered');

  const all = [...first, ...during, ...second];
  await consumeAll(consumer, new Set(all), seen);
  const missing = all.filter((v) => !seen.has(v));
  t.deepEqual(missing, [], 'nothing lost');
  const duplicates = [...seen.values()].reduce((n, c) => n + c - 1, 0);
  t.log(`duplicates: ${duplicates} of ${seen.size} (${during.length} produced during the move)`);
  t.true(duplicates <= 150, 'duplicates only within the at-least-once bound (one uncommitted poll)');
  t.is(consumer.rebuilds, 1);
  t.is(consumer.topics.join(), after.topic);
  t.is(consumer.brokers, after.cluster === 'a' ? A : B);
  const status = JSON.stringify([consumer.catalogStatus(), producer.catalogStatus()]);
  for (const secret of [PASSWORD, 'cred-A-0042', 'cred-B-0043']) t.false(status.includes(secret));
  for (const line of kit.lines) t.false(line.includes(PASSWORD), line);
}

test.serial('producer and consumer follow a channel moved from cluster A’s topic to cluster B’s', async (t) => {
  const suffix = uniqueName('x');
  await moveTest(t, { cluster: 'a', topic: `pay-a-${suffix}` }, { cluster: 'b', topic: `pay-b-${suffix}` });
});

test.serial('producer and consumer follow a topic-name-only change (same cluster)', async (t) => {
  const suffix = uniqueName('x');
  await moveTest(t, { cluster: 'a', topic: `pay-old-${suffix}` }, { cluster: 'a', topic: `pay-new-${suffix}` });
});

test.serial(
  'the catalog down for several TTLs: the clients keep working on the last answer; back with a move: followed',
  async (t) => {
    const B = broker?.address ?? '';
    const suffix = uniqueName('x');
    const [before, after] = [`pay-down-a-${suffix}`, `pay-down-b-${suffix}`];
    await createTopics(A, [[before, 1]]);
    await createTopics(B, [[after, 1]]);
    const { kit, producer, consumer } = await routedPair(t, twoClusters(A, B, 'a', before));
    const seen = new Map<string, number>();
    producer.produce(PAYMENTS, 'first');
    t.true(await producer.flush(30_000));
    await consumeAll(consumer, new Set(['first']), seen);
    await kit.stop();
    // Several TTLs without a catalog: each client's refreshes fail, the last answer stays.
    const down: string[] = [];
    const until = Date.now() + 4 * TTL_MS;
    while (Date.now() < until) {
      const v = `down-${down.length}`;
      down.push(v);
      producer.produce(PAYMENTS, v);
      t.true(await producer.flush(10_000), 'delivered on the last answer');
      await consumeAll(consumer, new Set([v]), seen);
    }
    t.true(
      down.every((v) => seen.has(v)),
      'consumed on the last answer',
    );
    const stale = consumer.catalogStatus();
    t.true((stale?.failures ?? 0) >= 2 && stale?.stale === true, JSON.stringify(stale));
    t.is(consumer.topics.join(), before);
    // Back, with the channel moved: followed within one TTL of the restart (+ the drain).
    kit.write(twoClusters(A, B, 'b', after));
    await kit.restart();
    const back = Date.now();
    while (producer.rebuilds < 1 && Date.now() - back < 10 * TTL_MS) {
      producer.produce(PAYMENTS, `moving-${Date.now()}`);
      await producer.flush(10_000);
    }
    t.is(producer.rebuilds, 1, 'the producer followed the move once the catalog was back');
    producer.produce(PAYMENTS, 'last');
    t.true(await producer.flush(30_000));
    await consumeAll(consumer, new Set(['last']), seen);
    t.true(seen.has('last'), 'the consumer followed the move');
    t.is(consumer.topics.join(), after);
  },
);

test('a channel the answer does not map: a clear error naming it; no catalog secret in it', async (t) => {
  const kit = await CatalogKit.start(twoClusters(A, A, 'a', 'unused'), { user: 'app', password: PASSWORD });
  t.teardown(() => kit.stop());
  const consumer = new KafkaConsumer({
    catalog: catalogOf(kit, TTL_MS),
    groupId: uniqueName('cat-g'),
    channels: 'kafka://example.com/refunds',
  });
  const err = await t.throwsAsync(consumer.pollBatch({ timeoutMs: 100 }));
  t.regex(err?.message ?? '', /cannot resolve kafka:\/\/example.com\/refunds through the catalog: .*unknown channel/);
  t.false(err?.message.includes(PASSWORD));
  await consumer.close();
  const producer = new KafkaProducer({ catalog: catalogOf(kit, TTL_MS) });
  producer.produce('kafka://example.com/refunds', 'x');
  await t.throwsAsync(producer.flush(5000), { message: /unknown channel 'kafka:\/\/example.com\/refunds'/ });
  t.throws(() => producer.produce('payments', 'x'), { message: /not a kafka:\/\/<domain>\/<name> channel/ });
  await producer.close();
});

test('KafkaConsumer / KafkaProducer given a catalog: the same classes and members, the routed ones filled in', async (t) => {
  const catalog = { url: 'http://127.0.0.1:1/', configProfile: 'p' };
  const c = new KafkaConsumer({ catalog, groupId: 'g', channels: PAYMENTS });
  const p = new KafkaProducer({ catalog });
  t.true(c instanceof KafkaConsumer && p instanceof KafkaProducer);
  t.deepEqual([c.channels, c.topics, c.brokers, c.rebuilds, c.reachable], [[PAYMENTS], [], '', 0, false]);
  t.is(c.catalogStatus()?.requests, 0, 'nothing asked before the first poll');
  t.deepEqual([p.brokers, p.outstanding, p.rebuilds], ['', 0, 0]);
  // Without a catalog, the routed members say so.
  const plain = new KafkaConsumer({ brokers: '127.0.0.1:1', groupId: 'g', topics: 't' });
  t.deepEqual([plain.channels, plain.rebuilds, plain.catalogStatus()], [[], 0, undefined]);
  // A bad catalog option is the catalog's INVALID_CONFIG, naming the field.
  const bad = t.throws(
    () => new KafkaConsumer({ catalog: { url: 'nope', configProfile: 'p' }, groupId: 'g', channels: PAYMENTS }),
    {
      instanceOf: KafkaIOError,
    },
  );
  t.regex(bad?.message ?? '', /url/);
  await Promise.all([c.close(), p.close(), plain.close()]);
});
