/** The event loop stays responsive while consumers poll, and polling never starves the
 * libuv thread pool (file reads and DNS lookups still complete during long polls). */
import test from 'ava';
import { lookup } from 'node:dns/promises';
import { readFile } from 'node:fs/promises';

import { KafkaConsumer } from '../src/io';
import { FAST_GROUP, brokers, createTopics, produceAll, uniqueName } from './helpers/kafka';

let B = '';
test.before(() => {
  B = brokers();
});

/** Worst lateness of a 10 ms interval timer while `work` runs. */
async function worstTimerDelay<T>(work: () => Promise<T>): Promise<{ result: T; worstMs: number; ticks: number }> {
  let worstMs = 0;
  let ticks = 0;
  let last = performance.now();
  const timer = setInterval(() => {
    const now = performance.now();
    worstMs = Math.max(worstMs, now - last - 10);
    last = now;
    ticks++;
  }, 10);
  try {
    const result = await work();
    return { result, worstMs, ticks };
  } finally {
    clearInterval(timer);
  }
}

test('a 10 ms timer keeps ticking while a poll loop consumes 20 000 records', async (t) => {
  const topic = uniqueName('loop-lag');
  await createTopics(B, [[topic, 3]]);
  const N = 20_000;
  const pad = 'x'.repeat(100);
  await produceAll(
    B,
    topic,
    Array.from({ length: N }, (_, i) => JSON.stringify({ id: i, amount: i % 1000, pad })),
    (i) => `k${i}`,
  );

  const consumer = new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP });
  try {
    await consumer.connect();
    const {
      result: n,
      worstMs,
      ticks,
    } = await worstTimerDelay(async () => {
      let seen = 0;
      let batches = 0;
      while (seen < N) {
        const batch = await consumer.pollBatch({ maxMessages: 1000, timeoutMs: 30_000 });
        if (batch.length === 0) break;
        seen += batch.length;
        if (++batches % 5 === 0) await consumer.commit();
      }
      await consumer.commit();
      return seen;
    });
    t.is(n, N);
    t.log(`worst 10 ms-timer delay while polling ${N} records: ${worstMs.toFixed(1)} ms over ${ticks} ticks`);
    t.true(worstMs < 1000, `worst timer delay ${worstMs.toFixed(1)} ms`);

    // Idle long polls (nothing to read) and close() keep it ticking too.
    const idle = await worstTimerDelay(async () => {
      await consumer.pollBatch({ timeoutMs: 1500 });
      await consumer.close();
    });
    t.log(`worst 10 ms-timer delay during an idle 1.5 s poll and close(): ${idle.worstMs.toFixed(1)} ms`);
    t.true(idle.worstMs < 1000);
  } finally {
    await consumer.close();
  }
});

test('long polls of more consumers than libuv pool threads do not starve file reads or DNS lookups', async (t) => {
  const topic = uniqueName('loop-pool');
  await createTopics(B, [[topic, 1]]);
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  const consumers = Array.from(
    { length: poolSize + 2 },
    () => new KafkaConsumer({ brokers: B, groupId: uniqueName('g'), topics: [topic], conf: FAST_GROUP }),
  );
  try {
    await Promise.all(consumers.map((c) => c.connect()));
    let pollsDone = 0;
    const polls = consumers.map((c) =>
      c.pollBatch({ timeoutMs: 4000 }).then((v) => {
        pollsDone++;
        return v;
      }),
    );
    await new Promise((r) => setTimeout(r, 200)); // every consumer is now inside its long poll

    // fs.readFile and dns.lookup both run on the libuv pool.
    const t0 = performance.now();
    const [file, addr] = await Promise.all([readFile(__filename, 'utf8'), lookup('localhost')]);
    const tookMs = performance.now() - t0;
    const finishedWhilePolling = pollsDone === 0;
    t.log(
      `readFile + dns.lookup during ${consumers.length} long polls (pool size ${poolSize}): ${tookMs.toFixed(1)} ms`,
    );
    t.true(file.includes('do not starve file reads'));
    t.truthy(addr.address);
    t.true(
      finishedWhilePolling,
      `a file read and a DNS lookup finished while ${consumers.length} long polls were still waiting`,
    );
    t.deepEqual(
      await Promise.all(polls),
      consumers.map(() => []),
    );
  } finally {
    await Promise.all(consumers.map((c) => c.close()));
  }
});
