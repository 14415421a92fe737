/** Typed, prompt errors: unknown broker, unknown topic, broker down mid-poll, full queue,
 * failed deliveries. */
import test from 'ava';
import { createServer } from 'node:net';

import { KafkaConsumer, KafkaIOError, KafkaProducer } from '../src/io';
import { FAST_GROUP, PrivateBroker, brokers, createTopics, uniqueName } from './helpers/kafka';

let B = '';
test.before(() => {
  B = brokers();
});

/** A 127.0.0.1 port with nothing listening on it. */
async function closedPort(): Promise<string> {
  const srv = createServer();
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  const { port } = srv.address() as { port: number };
  await new Promise<void>((r) => srv.close(() => r()));
  return `127.0.0.1:${port}`;
}

test('unknown broker: consumer poll and producer flush reject with BROKER_UNREACHABLE', async (t) => {
  const nowhere = await closedPort();
  const consumer = new KafkaConsumer({ brokers: nowhere, groupId: 'g', topics: ['t'], connectTimeoutMs: 5000 });
  const err = await t.throwsAsync(consumer.pollBatch({ timeoutMs: 30_000 }), { instanceOf: KafkaIOError });
  t.is(err?.code, 'BROKER_UNREACHABLE');
  t.true(err?.message.includes(nowhere));
  // The failure sticks: the consumer is unusable, and says why.
  t.is((await t.throwsAsync(consumer.pollBatch({ timeoutMs: 10 })))?.message, err?.message);
  await consumer.close();

  const producer = new KafkaProducer({ brokers: nowhere, connectTimeoutMs: 5000 });
  producer.produce('t', 'x'); // queued until connected
  const perr = await t.throwsAsync(producer.flush(30_000), { instanceOf: KafkaIOError });
  t.is(perr?.code, 'BROKER_UNREACHABLE');
  t.is(t.throws(() => producer.produce('t', 'y'), { instanceOf: KafkaIOError })?.code, 'BROKER_UNREACHABLE');
  t.is(
    (await t.throwsAsync(new KafkaProducer({ brokers: nowhere }).connect(), { instanceOf: KafkaIOError }))?.code,
    'BROKER_UNREACHABLE',
  );
  await producer.close();
});

test('unknown topic: poll rejects with UNKNOWN_TOPIC, and the consumer stays usable', async (t) => {
  const missing = uniqueName('no-such-topic');
  const consumer = new KafkaConsumer({
    brokers: B,
    groupId: uniqueName('g'),
    topics: [missing],
    // How long librdkafka waits for a topic to appear before reporting it missing (30 s by default).
    conf: { ...FAST_GROUP, 'topic.metadata.propagation.max.ms': 1000 },
  });
  try {
    let err: unknown;
    for (let i = 0; i < 30 && err === undefined; i++) {
      await consumer.pollBatch({ timeoutMs: 2000 }).catch((e: unknown) => (err = e));
    }
    t.true(err instanceof KafkaIOError);
    t.is((err as KafkaIOError).code, 'UNKNOWN_TOPIC');
    t.true((err as KafkaIOError).message.includes(missing));
    t.deepEqual(await consumer.pollBatch({ timeoutMs: 100 }), []);
  } finally {
    await consumer.close();
  }
});

test('a full producer queue throws QUEUE_FULL at once; flush then drains it', async (t) => {
  const topic = uniqueName('errors-queue');
  await createTopics(B, [[topic, 1]]);
  const producer = new KafkaProducer({ brokers: B, conf: { 'queue.buffering.max.messages': 10, 'linger.ms': 1000 } });
  try {
    await producer.connect();
    let err: unknown;
    let produced = 0;
    try {
      for (; produced < 1000; produced++) producer.produce(topic, `{"i":${produced}}`);
    } catch (e) {
      err = e;
    }
    t.true(err instanceof KafkaIOError);
    t.is((err as KafkaIOError).code, 'QUEUE_FULL');
    t.is(produced, 10);
    t.true(await producer.flush(30_000));
    producer.produce(topic, '{"after":true}');
    t.true(await producer.flush(30_000));
    t.is(producer.stats.delivered, 11);
  } finally {
    await producer.close();
  }
});

test('flush resolves false when a delivery fails, and true again afterwards', async (t) => {
  const topic = uniqueName('errors-delivery');
  await createTopics(B, [[topic, 1]]);
  const producer = new KafkaProducer({
    brokers: B,
    conf: { 'allow.auto.create.topics': false, 'message.timeout.ms': 1500 },
  });
  try {
    producer.produce(uniqueName('never-created'), '{"lost":true}');
    producer.produce(topic, '{"fine":true}');
    t.false(await producer.flush(30_000));
    t.is(producer.stats.deliveryErrors, 1);
    t.is(producer.lastDeliveryError?.code, 'DELIVERY_FAILED');
    producer.produce(topic, '{"fine":2}');
    t.true(await producer.flush(30_000));
  } finally {
    await producer.close();
  }
});

/** Kafka's refusals of a commit from a member the group has not taken back yet. */
const REJOINING = new Set([22 /* ILLEGAL_GENERATION */, 25 /* UNKNOWN_MEMBER_ID */, 27 /* REBALANCE_IN_PROGRESS */]);

/**
 * Commits what `consumer` polled, polling again while the group refuses the commit because
 * the member is rejoining; returns what those polls delivered again.
 */
async function commitThroughRejoin(consumer: KafkaConsumer): Promise<string[]> {
  const again: string[] = [];
  for (let i = 0; ; i++) {
    try {
      await consumer.commit();
      return again;
    } catch (e) {
      const rejoining = e instanceof KafkaIOError && e.code === 'COMMIT_FAILED' && REJOINING.has(e.kafkaCode ?? -1);
      if (!rejoining || i >= 120) throw e;
      const polled = await consumer
        .pollBatch({ timeoutMs: 1000 })
        .catch((err: KafkaIOError) => (err.code === 'BROKER_DOWN' ? [] : Promise.reject(err)));
      again.push(...polled.map(String));
    }
  }
}

test('broker down mid-poll: the poll rejects with BROKER_DOWN; after a restart the consumer carries on', async (t) => {
  const broker = await PrivateBroker.up();
  // outageBudgetMs 0: the outage is reported at once (stream-outage.spec.ts rides one out).
  const consumer = new KafkaConsumer({
    brokers: broker.address,
    groupId: uniqueName('g'),
    topics: [uniqueName('down')],
    conf: FAST_GROUP,
    outageBudgetMs: 0,
  });
  const topic = consumer.topics[0] as string;
  const producer = new KafkaProducer({ brokers: broker.address, outageBudgetMs: 0 });
  try {
    await createTopics(broker.address, [[topic, 1]]);
    producer.produce(topic, '{"n":1}');
    t.true(await producer.flush(30_000));
    t.is((await consumer.pollBatch({ timeoutMs: 30_000 })).length, 1);
    await consumer.commit();

    const polling = consumer.pollBatch({ timeoutMs: 120_000 });
    await broker.stop();
    const err = await t.throwsAsync(polling, { instanceOf: KafkaIOError });
    t.is(err?.code, 'BROKER_DOWN');
    t.true(err?.message.includes(broker.address));
    producer.produce(topic, '{"n":2}'); // waits in librdkafka's queue
    t.false(await producer.flush(500));

    await broker.start();
    t.true(await producer.flush(60_000));
    const after: Buffer[] = [];
    // Rejoining the group after the restart takes seconds, more on a busy machine (the whole
    // suite runs in parallel on 2 cores): wait up to 150 s, stopping at the first record.
    for (let i = 0; i < 150 && after.length === 0; i++) {
      // A BROKER_DOWN reported before the reconnect may still come out once: retry.
      after.push(
        ...(await consumer
          .pollBatch({ timeoutMs: 1000 })
          .catch((e: KafkaIOError) => (e.code === 'BROKER_DOWN' ? [] : Promise.reject(e)))),
      );
    }
    t.deepEqual(after.map(String), ['{"n":2}']);
    // Its commit can race the group's recovery: until the coordinator has the member back, a
    // commit is refused (COMMIT_FAILED, naming Kafka's code) and the record comes again once
    // the member has rejoined (at least once). Nothing else may come.
    const again = await commitThroughRejoin(consumer);
    t.true(
      again.every((v) => v === '{"n":2}'),
      again.join(),
    );
  } finally {
    await consumer.close();
    await producer.close();
    await broker.down();
  }
});
