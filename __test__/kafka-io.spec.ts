/** blazerules/io against the real local broker: records, batches, timeouts, commits, close. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { KafkaConsumer, KafkaIOError, KafkaProducer, hasKafka, librdkafkaVersion } from '../src/io';
import { FAST_GROUP, brokers, committedOffsets, createTopics, produceAll, uniqueName } from './helpers/kafka';

let B = '';
test.before(() => {
  B = brokers();
});

test('hasKafka is true and names librdkafka', (t) => {
  t.true(hasKafka);
  t.regex(librdkafkaVersion, /^\d+\.\d+\.\d+/);
});

test('without node-rdkafka: hasKafka is false and the clients throw KAFKA_UNAVAILABLE', async (t) => {
  // A process in which node-rdkafka cannot be resolved.
  const script = `
    const M = require('node:module');
    const resolve = M._resolveFilename;
    M._resolveFilename = function (r, ...a) {
      if (r === 'node-rdkafka') throw Object.assign(new Error("Cannot find module 'node-rdkafka'"), { code: 'MODULE_NOT_FOUND' });
      return resolve.call(this, r, ...a);
    };
    const io = require('./src/io.ts');
    const codes = [];
    for (const make of [() => new io.KafkaConsumer({ brokers: 'h:1', groupId: 'g', topics: ['t'] }), () => new io.KafkaProducer({ brokers: 'h:1' })]) {
      try { make(); } catch (e) { codes.push(e.name + ':' + e.code); }
    }
    console.log(JSON.stringify({ hasKafka: io.hasKafka, codes, engine: typeof require('./src/index.ts').RuleEngine }));`;
  const { stdout: out } = await promisify(execFile)(process.execPath, ['--import', 'tsx', '-e', script], {
    cwd: join(__dirname, '..'),
    encoding: 'utf8',
  });
  t.deepEqual(JSON.parse(out), {
    hasKafka: false,
    codes: ['KafkaIOError:KAFKA_UNAVAILABLE', 'KafkaIOError:KAFKA_UNAVAILABLE'],
    engine: 'function',
  });
});

test('pollRecords returns topic, partition, offset, key, timestamp, headers and value', async (t) => {
  const topic = uniqueName('io-records');
  await createTopics(B, [[topic, 1]]);
  const before = Date.now() - 60_000;
  const producer = new KafkaProducer({ brokers: B });
  producer.produce(topic, '{"a":1}', 'k1', { trace: 'abc', multi: ['x', 'y'] });
  producer.produce(topic, Buffer.from('{"a":2}'));
  producer.produce(topic, ''); // empty values are left out (their offsets still count)
  producer.produce(topic, '{"a":3}', Buffer.from([0, 1, 2]), [{ key: 'utf8', value: Buffer.from('é') }]);
  // node-rdkafka sends header values as UTF-8 text: other bytes are refused, not altered.
  const bad = t.throws(() => producer.produce(topic, '{}', null, { bin: Buffer.from([255]) }), {
    instanceOf: KafkaIOError,
  });
  t.is(bad?.code, 'PRODUCE_FAILED');
  t.true(await producer.flush(10_000));
  await producer.close();

  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  try {
    const recs = [];
    while (recs.length < 3) {
      const got = await consumer.pollRecords({ maxMessages: 10, timeoutMs: 20_000 });
      if (got.length === 0) break;
      recs.push(...got);
    }
    t.is(recs.length, 3);
    const [r1, r2, r3] = recs;
    t.like(r1, { topic, partition: 0, offset: 0 });
    t.is(r1?.value.toString(), '{"a":1}');
    t.is(r1?.key?.toString(), 'k1');
    t.true((r1?.timestampMs ?? 0) > before);
    t.deepEqual(r1?.headers, { trace: Buffer.from('abc'), multi: [Buffer.from('x'), Buffer.from('y')] });
    t.is(r2?.key, null);
    t.is(r2?.offset, 1);
    t.deepEqual(r2?.headers, {});
    t.is(r3?.offset, 3);
    t.deepEqual(r3?.key, Buffer.from([0, 1, 2]));
    t.deepEqual(r3?.headers, { utf8: Buffer.from('é') });
    await consumer.commit();
    t.deepEqual(await committedOffsets(B, consumer.groupId, topic, 1), [4]);
  } finally {
    await consumer.close();
  }
});

test('send() resolves with the partition and offset of its own message; a refused one rejects', async (t) => {
  const topic = uniqueName('io-send');
  await createTopics(B, [[topic, 2]]);
  const producer = new KafkaProducer({ brokers: B });
  // Sent before the client connected, interleaved with produce(): each its own report.
  const sent = [producer.send(topic, 'a', 'k'), producer.send(topic, 'b', 'k')];
  producer.produce(topic, 'c', 'k');
  sent.push(producer.send(topic, 'd', 'k'));
  const got = await Promise.all(sent);
  t.deepEqual(
    got.map((d) => d.offset),
    [0, 1, 3],
  );
  t.true(got.every((d) => d.topic === topic && d.partition === got[0]?.partition));
  t.true(producer.reachable);
  // produce()'s errors reject the promise (a message over message.max.bytes, refused at once).
  const big = Buffer.alloc(2_000_000, 0x61);
  const refused = await t.throwsAsync(producer.send(topic, big), { instanceOf: KafkaIOError });
  t.is(refused?.code, 'PRODUCE_FAILED');
  await producer.close();
  t.is((await t.throwsAsync(producer.send(topic, 'e'), { instanceOf: KafkaIOError }))?.code, 'CLOSED');
});

test('pollBatch timeoutMs bounds the whole call; maxMessages bounds the batch', async (t) => {
  const topic = uniqueName('io-batch');
  await createTopics(B, [[topic, 3]]);
  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  try {
    // Nothing to read: the call (connect and group join included) ends by its deadline.
    const t0 = Date.now();
    t.deepEqual(await consumer.pollBatch({ maxMessages: 10, timeoutMs: 300 }), []);
    const took = Date.now() - t0;
    t.log(`empty pollBatch({timeoutMs: 300}) took ${took} ms`);
    t.true(took < 5000);

    await produceAll(
      B,
      topic,
      Array.from({ length: 50 }, (_, i) => JSON.stringify({ i })),
      (i) => `k${i}`,
    );
    const seen: string[] = [];
    while (seen.length < 50) {
      const batch = await consumer.pollBatch({ maxMessages: 7, timeoutMs: 20_000 });
      if (batch.length === 0) break;
      t.true(batch.length <= 7);
      seen.push(...batch.map((b) => b.toString()));
    }
    t.is(seen.length, 50);
    t.is(new Set(seen).size, 50);
  } finally {
    await consumer.close();
  }
});

test('commit() commits exactly what poll returned, once the broker confirmed it', async (t) => {
  const topic = uniqueName('io-commit');
  await createTopics(B, [[topic, 1]]);
  await produceAll(
    B,
    topic,
    Array.from({ length: 20 }, (_, i) => `{"i":${i}}`),
  );
  const groupId = uniqueName('g');
  const consumer = new KafkaConsumer({
    brokers: B,
    groupId,
    topics: [topic],
    conf: FAST_GROUP,
    maxBufferedMessages: 100,
  });
  try {
    const first = await consumer.pollBatch({ maxMessages: 5, timeoutMs: 20_000 });
    t.is(first.length, 5);
    // Fetched (buffered) but not returned: not committed.
    await consumer.commit();
    t.deepEqual(await committedOffsets(B, groupId, topic, 1), [5]);
    await consumer.commit(); // nothing new: a no-op
    const rest: Buffer[] = [];
    while (rest.length < 15) rest.push(...(await consumer.pollBatch({ maxMessages: 100, timeoutMs: 10_000 })));
    await consumer.commit();
    t.deepEqual(await committedOffsets(B, groupId, topic, 1), [20]);
  } finally {
    await consumer.close();
  }
  // A new member of the group starts after the commit: nothing left.
  const again = new KafkaConsumer({ brokers: B, groupId, topics: [topic], conf: FAST_GROUP });
  try {
    t.deepEqual(await again.pollBatch({ timeoutMs: 3000 }), []);
  } finally {
    await again.close();
  }
});

test('a closed consumer or producer rejects with CLOSED; close is idempotent', async (t) => {
  const topic = uniqueName('io-closed');
  await createTopics(B, [[topic, 1]]);
  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  await consumer.pollBatch({ timeoutMs: 200 });
  await consumer.close();
  await consumer.close();
  t.true(consumer.closed);
  for (const call of [
    () => consumer.pollBatch(),
    () => consumer.pollRecords(),
    () => consumer.commit(),
    () => consumer.connect(),
  ]) {
    const err = await t.throwsAsync(call(), { instanceOf: KafkaIOError });
    t.is(err?.code, 'CLOSED');
  }

  const producer = new KafkaProducer({ brokers: B });
  producer.produce(topic, 'x');
  await producer.close();
  await producer.close();
  t.is(t.throws(() => producer.produce(topic, 'y'), { instanceOf: KafkaIOError })?.code, 'CLOSED');
  t.is((await t.throwsAsync(producer.flush(), { instanceOf: KafkaIOError }))?.code, 'CLOSED');

  // A consumer closed before it ever connected.
  const never = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic] });
  await never.close();
  t.is((await t.throwsAsync(never.pollBatch(), { instanceOf: KafkaIOError }))?.code, 'CLOSED');
});

test('close() while a poll waits ends that poll with CLOSED', async (t) => {
  const topic = uniqueName('io-close-poll');
  await createTopics(B, [[topic, 1]]);
  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  await consumer.pollBatch({ timeoutMs: 200 });
  const pending = consumer.pollBatch({ timeoutMs: 60_000 });
  await new Promise((r) => setTimeout(r, 100));
  await consumer.close();
  t.is((await t.throwsAsync(pending, { instanceOf: KafkaIOError }))?.code, 'CLOSED');
});

test('bad arguments are INVALID_CONFIG / INVALID_STATE errors', async (t) => {
  const code = (f: () => unknown): string | undefined => t.throws(f, { instanceOf: KafkaIOError })?.code;
  t.is(
    code(() => new KafkaConsumer({ brokers: '', groupId: 'g', topics: ['t'] })),
    'INVALID_CONFIG',
  );
  t.is(
    code(() => new KafkaConsumer({ brokers: B, groupId: '', topics: ['t'] })),
    'INVALID_CONFIG',
  );
  t.is(
    code(() => new KafkaConsumer({ brokers: B, groupId: 'g', topics: [] })),
    'INVALID_CONFIG',
  );
  t.is(
    code(() => new KafkaConsumer({ brokers: B, groupId: 'g', topics: ['t'], conf: { 'no.such.property': 1 } })),
    'INVALID_CONFIG',
  );
  t.is(
    code(() => new KafkaProducer({ brokers: B, conf: { 'linger.ms': 'soon' } })),
    'INVALID_CONFIG',
  );

  const topic = uniqueName('io-state');
  await createTopics(B, [[topic, 1]]);
  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  try {
    const first = consumer.pollBatch({ timeoutMs: 1000 });
    t.is(
      (await t.throwsAsync(consumer.pollBatch({ timeoutMs: 10 }), { instanceOf: KafkaIOError }))?.code,
      'INVALID_STATE',
    );
    await first;
    t.is(
      (await t.throwsAsync(consumer.pollBatch({ maxMessages: 0 }), { instanceOf: KafkaIOError }))?.code,
      'INVALID_CONFIG',
    );
  } finally {
    await consumer.close();
  }
});
