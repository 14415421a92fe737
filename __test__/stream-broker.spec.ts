/**
 * The broker stopped and restarted under a running runStream (a private broker, as in
 * kafka-errors.spec.ts): the loop either recovers by itself or rejects with a clear error;
 * either way nothing is lost — after the recovery, or after the loop is started again in the
 * same group, every input record has a decision.
 */
import test from 'ava';

import { PrivateBroker, createTopics, uniqueName } from './helpers/kafka';
import {
  FAST_CONSUMER,
  TopicReader,
  boundedRunStream,
  endOffsets,
  missingSources,
  newEngine,
  outputsPerSource,
  payload,
  produceMany,
  sample,
  sleep,
  statsProblems,
  type StreamRunStats,
} from './helpers/stream-kit';

test('broker stopped and restarted mid-run: the loop recovers or fails clearly; nothing is lost', async (t) => {
  t.timeout(290_000);
  const broker = await PrivateBroker.up();
  const B = broker.address;
  const PARTS = 2;
  const [input, output, groupId] = [uniqueName('brk-in'), uniqueName('brk-out'), uniqueName('brk-g')];
  let reader: TopicReader | undefined;
  const runs: Array<ReturnType<typeof boundedRunStream>> = [];
  try {
    await createTopics(B, [
      [input, PARTS],
      [output, PARTS],
    ]);
    reader = new TopicReader(B, output);
    const engine = newEngine();
    const config = {
      brokers: B,
      groupId,
      inputTopics: [input],
      outputTopic: output,
      outputMode: 'enriched' as const,
      batchSize: 200,
      consumerConf: FAST_CONSUMER,
    };
    const start = (): ReturnType<typeof boundedRunStream> => {
      const r = boundedRunStream(engine, config, { limitMs: 280_000, graceMs: 60_000 });
      runs.push(r);
      return r;
    };
    let run = start();
    let failure: unknown;
    run.done.catch((err: unknown) => (failure = err));

    const N1 = 2000;
    await produceMany(B, input, N1, payload, (i) => `a${i}`);
    await reader.until((r) => r.length >= N1, 90_000, 'decisions of the first records');

    // Stop the broker while the loop polls; keep it down a few seconds; restart it.
    await broker.stop();
    await sleep(5000);
    const failedWhileDown = failure;
    await broker.start();
    const N2 = 2000;
    await produceMany(
      B,
      input,
      N2,
      (i) => payload(N1 + i),
      (i) => `b${i}`,
    );

    // Give the loop time to recover; if it rejected (now or while the broker was down), the
    // error must say what happened, and a new loop in the same group must finish the job.
    const ends = await endOffsets(B, input, PARTS);
    const complete = (): boolean => missingSources(outputsPerSource(reader?.records ?? []), ends).length === 0;
    const deadline = Date.now() + 120_000;
    while (!complete() && failure === undefined && Date.now() < deadline) await sleep(500);
    let outcome: string;
    if (failure !== undefined) {
      const msg = failure instanceof Error ? failure.message : String(failure);
      outcome = `runStream rejected${failedWhileDown !== undefined ? ' while the broker was down' : ' after the restart'}: ${msg}`;
      t.true(failure instanceof Error, `rejects with an Error, got ${String(failure)}`);
      t.true(msg.length > 10, `the rejection says what happened: ${JSON.stringify(msg)}`);
      run = start();
      run.done.catch(() => undefined);
    } else {
      outcome = complete() ? 'runStream recovered by itself' : 'runStream neither recovered nor rejected within 120 s';
      t.true(complete(), outcome);
    }
    t.log(outcome);
    await reader
      .until(complete, 120_000, 'every input record decided')
      .catch((err: Error) =>
        t.fail(`${err.message}; missing ${sample(missingSources(outputsPerSource(reader?.records ?? []), ends))}`),
      );
    run.abort();
    const stats: StreamRunStats | undefined = await run.done.catch((err: Error) => {
      t.fail(`the loop (after ${outcome}) did not resolve on abort: ${err.message}`);
      return undefined;
    });
    if (stats) t.deepEqual(statsProblems(stats), []);
    t.log('final stats', JSON.stringify(stats));
    const per = outputsPerSource(reader.records);
    t.deepEqual(missingSources(per, ends), []);
  } finally {
    for (const r of runs) r.abort();
    await Promise.allSettled(runs.map((r) => r.done));
    await reader?.close();
    await broker.down();
  }
});
