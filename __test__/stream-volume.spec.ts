/**
 * runStream at volume (issue #4): 200 000 records over 4 partitions → 200 000 output records,
 * each matching `engine.evaluateNdjson` on its input, in `rows` and in `enriched` mode; in
 * `enriched` mode every input (partition, offset) appears. The input is produced, and the
 * output read, by node-rdkafka clients in this same process (runStream coexists with them).
 */
import test from 'ava';

import { brokers, committedOffsets, createTopics, uniqueName } from './helpers/kafka';
import {
  FAST_CONSUMER,
  boundedRunStream,
  endOffsets,
  expectedFor,
  missingSources,
  newEngine,
  outcomeKey,
  outputsPerSource,
  parseOut,
  payload,
  produceMany,
  readAll,
  sample,
  statsProblems,
  type Expected,
} from './helpers/stream-kit';

const N = 200_000;
const PARTS = 4;
let B = '';
let input = '';
let expected: Expected[] = [];
let expectedMatched = 0;
const values = Array.from({ length: N }, (_, i) => payload(i));

test.before(async () => {
  B = brokers();
  input = uniqueName('stream-vol-in');
  await createTopics(B, [[input, PARTS]]);
  await produceMany(
    B,
    input,
    N,
    (i) => values[i] as string,
    (i) => `k${i}`,
  );
  const e = await expectedFor(newEngine(), values);
  expected = e.rows;
  expectedMatched = e.nMatched;
});

test.serial(
  'rows mode: 200 000 records over 4 partitions -> 200 000 decisions, as evaluateNdjson gives them',
  async (t) => {
    t.timeout(240_000);
    const [output, groupId] = [uniqueName('stream-vol-rows-out'), uniqueName('stream-vol-rows-g')];
    await createTopics(B, [[output, PARTS]]);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'rows',
        maxMessages: N,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 150_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut(), `runStream did not finish ${N} messages within 150 s: ${JSON.stringify(stats)}`);
    t.deepEqual(statsProblems(stats), []);
    t.is(stats.messages, N);
    t.is(stats.emitted, N);
    t.is(stats.skipped, 0);
    t.is(stats.dlqRouted, 0);
    t.is(stats.deliveryErrors, 0);
    t.is(stats.matched, expectedMatched);
    t.true(stats.batches >= Math.ceil(N / 2048), `batches=${stats.batches}, batchSize defaults to 2048`);
    // Resolved after a final commit of everything.
    t.deepEqual(await committedOffsets(B, groupId, input, PARTS), await endOffsets(B, input, PARTS));

    const out = await readAll(B, output, N);
    t.is(out.length, N, 'one decision record per input record, no duplicates in a clean run');
    // Rows carry no source reference: the multiset of outcomes must equal evaluateNdjson's.
    const want = new Map<string, number>();
    const rowKey = (o: Parameters<typeof outcomeKey>[0], matched: unknown): string =>
      `${outcomeKey(o)}|matched=${String(matched)}`;
    for (const e of expected) want.set(rowKey(e, e.matched), (want.get(rowKey(e, e.matched)) ?? 0) + 1);
    const got = new Map<string, number>();
    const shapeProblems: string[] = [];
    for (const r of out) {
      const o = parseOut(r);
      if ((typeof o.batch_row !== 'number' || typeof o.matched !== 'boolean') && shapeProblems.length < 5)
        shapeProblems.push(r.value.toString());
      got.set(rowKey(o, o.matched), (got.get(rowKey(o, o.matched)) ?? 0) + 1);
    }
    t.deepEqual(shapeProblems, [], 'every rows record has a numeric batch_row and a boolean matched');
    const diff = [...new Set([...want.keys(), ...got.keys()])]
      .filter((k) => want.get(k) !== got.get(k))
      .map((k) => `${k}: want ${want.get(k) ?? 0}, got ${got.get(k) ?? 0}`);
    t.deepEqual(
      diff.slice(0, 20),
      [],
      `outcome counts differ for ${diff.length} (decision|score|band|winner|version) combinations`,
    );
  },
);

test.serial(
  'enriched mode (2 workers): every input (partition, offset) decided once, keyed by its source key, as evaluateNdjson decides it',
  async (t) => {
    t.timeout(240_000);
    const [output, groupId] = [uniqueName('stream-vol-enr-out'), uniqueName('stream-vol-enr-g')];
    await createTopics(B, [[output, PARTS]]);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'enriched',
        workers: 2,
        maxMessages: N,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 150_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut(), `runStream did not finish ${N} messages within 150 s: ${JSON.stringify(stats)}`);
    t.deepEqual(statsProblems(stats), []);
    t.is(stats.messages, N);
    t.is(stats.emitted, N);
    t.is(stats.matched, expectedMatched);
    t.is(stats.deliveryErrors, 0);
    const ends = await endOffsets(B, input, PARTS);
    t.is(
      ends.reduce((a, b) => a + b, 0),
      N,
    );
    t.deepEqual(await committedOffsets(B, groupId, input, PARTS), ends);

    const out = await readAll(B, output, N);
    t.is(out.length, N);
    const per = outputsPerSource(out);
    const missing = missingSources(per, ends);
    t.is(missing.length, 0, `input offsets without a decision: ${sample(missing)}`);
    const dup = [...per].filter(([, n]) => n > 1).map(([id]) => id);
    t.is(dup.length, 0, `input offsets decided more than once: ${sample(dup)}`);

    const wrong: string[] = [];
    const keyless: string[] = [];
    const sourceBySeq = new Map<number, string>();
    for (const r of out) {
      const o = parseOut(r);
      if (o.source_topic !== input && wrong.length < 10) wrong.push(`source_topic ${o.source_topic}`);
      const key = r.key?.toString() ?? '';
      const seq = /^k(\d+)$/.exec(key) ? Number(key.slice(1)) : -1;
      if (seq < 0 || seq >= N) {
        if (keyless.length < 10) keyless.push(`${o.partition}/${o.offset} key=${JSON.stringify(key)}`);
        continue;
      }
      const prev = sourceBySeq.get(seq);
      const src = `${o.partition}/${o.offset}`;
      if (prev !== undefined && prev !== src && wrong.length < 10) wrong.push(`key ${key} names ${prev} and ${src}`);
      sourceBySeq.set(seq, src);
      const want = outcomeKey(expected[seq] as Expected);
      if (outcomeKey(o) !== want && wrong.length < 10)
        wrong.push(`${key} (${src}): got ${outcomeKey(o)}, evaluateNdjson ${want}`);
    }
    t.deepEqual(keyless, [], 'every enriched record is keyed by its source key');
    t.is(sourceBySeq.size, N);
    t.deepEqual(wrong, [], 'every decision equals evaluateNdjson on its input');
  },
);
