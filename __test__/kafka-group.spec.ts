/** Consumer groups against the real local broker: partitions shared between members,
 * at-least-once across a SIGKILL, nothing lost on a clean shutdown. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { RuleEngine } from '../src/index';
import { KafkaConsumer, KafkaProducer, type KafkaRecord } from '../src/io';
import { runEnrichedLoop } from '../examples/kafka-enriched';
import type { LoopStats } from '../examples/kafka-tutorial';
import {
  FAST_GROUP,
  brokers,
  committedOffsets,
  createTopics,
  eventually,
  produceAll,
  readTopic,
  uniqueName,
} from './helpers/kafka';

const ROOT = join(__dirname, '..');
let B = '';
test.before(() => {
  B = brokers();
});

function engine(): RuleEngine {
  const e = new RuleEngine();
  e.loadRules(join(ROOT, 'examples', 'rules.yaml'));
  return e;
}

const payload = (i: number): string =>
  JSON.stringify({ id: i, amount: (i * 37) % 16000, country: i % 3 ? 'US' : 'KP', account_age_days: i % 30 });

/** Each source (partition/offset) → how many decisions name it. */
function decisionsPerSource(out: readonly KafkaRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of out) {
    const d = JSON.parse(r.value.toString()) as { partition: number; offset: number };
    const id = `${d.partition}/${d.offset}`;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}

test('two consumers in one group split the partitions and share the records', async (t) => {
  const [topic, groupId] = [uniqueName('grp-split'), uniqueName('grp-split-group')];
  await createTopics(B, [[topic, 3]]);
  const a = new KafkaConsumer({ brokers: B, groupId, topics: [topic], conf: FAST_GROUP });
  const b = new KafkaConsumer({ brokers: B, groupId, topics: [topic], conf: FAST_GROUP });
  try {
    await a.connect();
    t.true(await eventually(() => a.assignment().length === 3, 60_000));
    await b.connect();
    const split = (): boolean => {
      const pa = a.assignment().map((p) => p.partition);
      const pb = b.assignment().map((p) => p.partition);
      return pa.length > 0 && pb.length > 0 && pa.length + pb.length === 3 && new Set([...pa, ...pb]).size === 3;
    };
    t.true(
      await eventually(split, 90_000),
      `assignments: a=${JSON.stringify(a.assignment())} b=${JSON.stringify(b.assignment())}`,
    );

    const N = 90;
    await produceAll(
      B,
      topic,
      Array.from({ length: N }, (_, i) => payload(i)),
      (i) => `k${i}`,
    );
    const got = { a: [] as KafkaRecord[], b: [] as KafkaRecord[] };
    const deadline = Date.now() + 60_000;
    while (got.a.length + got.b.length < N && Date.now() < deadline) {
      const [ra, rb] = await Promise.all([a.pollRecords({ timeoutMs: 500 }), b.pollRecords({ timeoutMs: 500 })]);
      got.a.push(...ra);
      got.b.push(...rb);
    }
    await Promise.all([a.commit(), b.commit()]);
    t.is(got.a.length + got.b.length, N);
    t.true(got.a.length > 0 && got.b.length > 0);
    const partsA = new Set(got.a.map((r) => r.partition));
    t.false(got.b.some((r) => partsA.has(r.partition)));
    t.is(new Set([...got.a, ...got.b].map((r) => r.value.toString())).size, N);
  } finally {
    await Promise.all([a.close(), b.close()]);
  }
});

test('at-least-once: a consumer SIGKILLed after producing but before committing -> its batch is re-delivered, no record without a decision', async (t) => {
  const [input, output, groupId] = [uniqueName('alo-in'), uniqueName('alo-out'), uniqueName('alo-group')];
  await createTopics(B, [
    [input, 3],
    [output, 3],
  ]);
  const N = 60;
  await produceAll(
    B,
    input,
    Array.from({ length: N }, (_, i) => payload(i)),
    (i) => `k${i}`,
  );

  const child = spawn(
    process.execPath,
    ['--import', 'tsx', join(__dirname, 'helpers', 'kafka-child.ts'), B, groupId, input, output],
    {
      cwd: ROOT,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.once('exit', (_code, sig) => resolve(sig)));
  let firstBatch = 0;
  try {
    firstBatch = await new Promise<number>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        const m = /FLUSHED (\d+)/.exec(out);
        if (m) resolve(Number(m[1]));
      });
      child.once('exit', (code) => reject(new Error(`child exited (${code}) before its first batch was flushed`)));
      setTimeout(() => reject(new Error('child did not flush a batch within 120 s')), 120_000).unref();
    });
  } finally {
    child.kill('SIGKILL');
  }
  t.is(await exited, 'SIGKILL');
  t.true(firstBatch > 0);
  // Its decisions were delivered, its offsets never committed.
  t.deepEqual(await committedOffsets(B, groupId, input, 3), [-1001, -1001, -1001]);

  // A restarted consumer in the same group (it waits for the dead member's session to expire).
  const consumer = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const producer = new KafkaProducer({ brokers: B });
  try {
    const stats = await runEnrichedLoop({
      engine: engine(),
      consumer,
      producer,
      outputTopic: output,
      maxMessages: N,
      idleTimeoutMs: 90_000,
    });
    t.is(stats.messages, N);
  } finally {
    await consumer.close();
    await producer.close();
  }
  t.is(
    (await committedOffsets(B, groupId, input, 3)).reduce((x, y) => x + y, 0),
    N,
  );

  const out = await readTopic(B, output, N + firstBatch);
  const per = decisionsPerSource(out);
  t.is(per.size, N); // every input record has a decision...
  t.is(out.length, N + firstBatch); // ...and exactly the killed batch was decided twice
  t.is([...per.values()].filter((n) => n === 2).length, firstBatch);
});

test('clean shutdown: stop the loop, close the consumer, close (flush) the producer: nothing lost, nothing repeated', async (t) => {
  const [input, output, groupId] = [uniqueName('stop-in'), uniqueName('stop-out'), uniqueName('stop-group')];
  await createTopics(B, [
    [input, 3],
    [output, 3],
  ]);
  const N = 200;
  await produceAll(
    B,
    input,
    Array.from({ length: N }, (_, i) => payload(i)),
    (i) => `k${i}`,
  );
  const e = engine();

  // First run: stopped by its signal after a few batches.
  const ac = new AbortController();
  let batches = 0;
  const c1 = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const p1 = new KafkaProducer({ brokers: B });
  let first: LoopStats;
  try {
    first = await runEnrichedLoop({
      engine: e,
      consumer: c1,
      producer: p1,
      outputTopic: output,
      batchSize: 25,
      signal: ac.signal,
      beforeCommit: () => {
        if (++batches === 3) ac.abort();
      },
    });
  } finally {
    await c1.close();
    await p1.close();
  }
  t.is(first.batches, 3);
  t.true(first.messages > 0 && first.messages < N);
  t.is(
    (await committedOffsets(B, groupId, input, 3)).map((o) => Math.max(o, 0)).reduce((x, y) => x + y, 0),
    first.messages,
  );

  // Second run, same group: picks up exactly where the first stopped.
  const c2 = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const p2 = new KafkaProducer({ brokers: B });
  try {
    const second = await runEnrichedLoop({
      engine: e,
      consumer: c2,
      producer: p2,
      outputTopic: output,
      maxMessages: N - first.messages,
      idleTimeoutMs: 60_000,
    });
    t.is(second.messages, N - first.messages);
  } finally {
    await c2.close();
    await p2.close();
  }
  const out = await readTopic(B, output, N);
  t.is(out.length, N);
  const per = decisionsPerSource(out);
  t.is(per.size, N);
  t.true([...per.values()].every((n) => n === 1));
});
