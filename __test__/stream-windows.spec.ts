/**
 * runStream with window rules on the local broker (service.md §1): a state shard per
 * partition, records at their Kafka timestamps, and on assignment the shard rebuilt by
 * replaying the partition from offsetsForTimes(committed record's timestamp − longest window)
 * to the committed offset, so that a restarted loop decides exactly as an uninterrupted one.
 * Pitfalls: timestamps going backwards (and a committed record older than the longest
 * window: offsetsForTimes then starts at the log start), a rebalance during the replay, a
 * replay longer than max.poll.interval.ms.
 */
import test from 'ava';

import { RuleEngine } from '../src/index';
import { brokers, createTopics, uniqueName } from './helpers/kafka';
import {
  FAST_CONSUMER,
  killLiveChildren,
  lastJsonLine,
  readAll,
  runStream,
  spawnStreamCli,
  type StreamRunConfig,
  type StreamRunStats,
} from './helpers/stream-kit';
import {
  type Payment,
  decided,
  deleteRecordsBelow,
  differences,
  payments,
  producePayments,
  reference,
  throttle,
  windowRules,
} from './helpers/stream-windows-kit';

let B = '';
/** How long a run waits for more input once it had none (see runOnce). */
const IDLE_MS = 8000;
test.before(() => {
  B = brokers();
});
test.after.always(() => killLiveChildren());

interface Setup {
  input: string;
  output: string;
  groupId: string;
  rules: string;
}

async function setup(prefix: string, partitions: number, eventTimeOnly = false): Promise<Setup> {
  const input = uniqueName(`${prefix}-in`);
  const output = uniqueName(`${prefix}-out`);
  await createTopics(B, [
    [input, partitions],
    [output, 1],
  ]);
  return { input, output, groupId: uniqueName(`${prefix}-g`), rules: windowRules(eventTimeOnly) };
}

/** One run of the loop with a fresh engine (no state of its own) until the input is idle. */
async function runOnce(s: Setup, extra: Partial<StreamRunConfig> = {}): Promise<StreamRunStats> {
  const engine = new RuleEngine();
  engine.loadRules(s.rules);
  return runStream(engine, {
    brokers: B,
    groupId: s.groupId,
    inputTopics: s.input,
    outputTopic: s.output,
    outputMode: 'enriched',
    // Idle counts from the first assignment; under CI load the first fetch after it can take
    // seconds (a shorter bound ended runs before their first record).
    idleTimeoutMs: IDLE_MS,
    consumerConf: { ...FAST_CONSUMER },
    ...extra,
  });
}

/** Runs over `first`, then over `second` with a fresh engine (a restart), and checks every
 * decision against one uninterrupted engine. Returns the second run's stats. */
async function restartMatches(
  t: import('ava').ExecutionContext,
  s: Setup,
  first: Payment[],
  second: Payment[],
): Promise<StreamRunStats> {
  await producePayments(B, s.input, first);
  // Until all are decided (and committed), not until an idle pause that load can bring early.
  const a = await runOnce(s, { maxMessages: first.length });
  t.is(a.messages, first.length);
  t.is(a.windowReplayRecords, 0, 'nothing committed yet: nothing to replay');
  await producePayments(B, s.input, second);
  const b = await runOnce(s);
  t.is(b.messages, second.length, 'the restart decides only what was not committed');
  const all = [...first, ...second];
  const got = decided(await readAll(B, s.output, all.length));
  const bad = differences(got, reference(s.rules, all));
  t.deepEqual(bad.slice(0, 10), [], `${bad.length} decisions differ from an uninterrupted run`);
  return b;
}

/** The decisions a loop without the replay would make of `second`: a fresh engine. */
function withoutReplay(rules: string, first: Payment[], second: Payment[]): number {
  const want = reference(rules, [...first, ...second]);
  const fresh = reference(rules, second);
  const base = new Map<number, number>();
  for (const r of first) base.set(r.partition, (base.get(r.partition) ?? 0) + 1);
  const seen = new Map<number, number>();
  let differ = 0;
  for (const r of second) {
    const o = seen.get(r.partition) ?? 0;
    seen.set(r.partition, o + 1);
    if (fresh.get(`${r.partition}/${o}`) !== want.get(`${r.partition}/${o + (base.get(r.partition) ?? 0)}`)) differ++;
  }
  return differ;
}

test('a restart rebuilds each partition’s shard from the last window and decides as one uninterrupted run', async (t) => {
  const s = await setup('win-restart', 2);
  const all = payments(1200, { partitions: 2, cards: 10 });
  const [first, second] = [all.slice(0, 700), all.slice(700)];
  t.true(withoutReplay(s.rules, first, second) > 20, 'the test is sensitive: state matters after the restart');
  const b = await restartMatches(t, s, first, second);
  // 1 record a second per card overall: the longest window (120 s) holds ~120 records over
  // both partitions; offsetsForTimes starts there, not at the log start.
  t.true(b.windowReplayRecords >= 120 && b.windowReplayRecords < 200, `replayed ${b.windowReplayRecords}`);
  t.true(b.windowReplayMs > 0);
  t.is(b.windowReplayShort, 0);
});

test('timestamps going backwards, and a committed record older than the longest window', async (t) => {
  const s = await setup('win-backwards', 2);
  const all = payments(900, { partitions: 2, cards: 6 }).map((p, i) => ({
    ...p,
    // Event and Kafka times jump back by up to 40 s every few records.
    ts: p.ts - (i % 5) * 10_000,
    kafkaTs: p.ts - (i % 7) * 6000,
  }));
  // The last records before the restart carry an epoch-early Kafka timestamp: committed
  // record's timestamp − longest window is negative (never -1 / -2, the end / start).
  for (const p of all.slice(594, 600)) p.kafkaTs = 5000;
  t.true(withoutReplay(s.rules, all.slice(0, 600), all.slice(600)) > 20, 'state matters after the restart');
  const b = await restartMatches(t, s, all.slice(0, 600), all.slice(600));
  t.true(b.windowReplayRecords > 0);
});

test('one shard per topic and partition with several input topics', async (t) => {
  const s = await setup('win-topics', 1);
  const other = uniqueName('win-topics-in2');
  await createTopics(B, [[other, 1]]);
  // The same cards in both topics: their partitions 0 must not share a shard.
  const recs = payments(300, { partitions: 1, cards: 3 });
  await producePayments(B, s.input, recs);
  await producePayments(B, other, recs);
  const stats = await runOnce(s, { inputTopics: [s.input, other] });
  t.is(stats.messages, 600);
  const out = await readAll(B, s.output, 600);
  const want = reference(s.rules, recs);
  for (const topic of [s.input, other]) {
    const got = decided(out.filter((r) => JSON.parse(r.value.toString()).source_topic === topic));
    const bad = differences(got, want);
    t.deepEqual(bad.slice(0, 5), [], `${topic}: ${bad.length} differ`);
  }
});

/** Fetches small enough for a broker quota to pace them (it throttles after a response). */
const SMALL_FETCHES = { 'max.partition.fetch.bytes': 65_536, 'fetch.max.bytes': 65_536, 'message.max.bytes': 65_536 };

/** A partition history replayed in full (a dense window) of 10 000 records of ~700 bytes,
 * read through a client throttled to `bytesPerSecond`: a broker averages a client's rate over
 * at least 10 s, so the first 10 s worth of bytes come at once, the rest at that pace. */
async function slowReplay(prefix: string, partitions: number, bytesPerSecond: number) {
  const s = await setup(prefix, partitions, true);
  const clientId = uniqueName(`${prefix}-client`);
  const n = 10_000;
  // 10 ms apart: all within the 120 s window, so every committed record is replayed.
  const all = payments(n + 40, { partitions, cards: 200, stepMs: 10 }).map((p) => ({ ...p, pad: 600 }));
  const [first, second] = [all.slice(0, n), all.slice(n)];
  await producePayments(B, s.input, first);
  // Until all n are decided (and committed), not until an idle pause: under load a pause in
  // the middle ended the first run early, and the replay then covered only part of them.
  await runOnce(s, { maxMessages: n });
  await producePayments(B, s.input, second);
  await throttle(B, clientId, bytesPerSecond);
  return { s, all, first, clientId };
}

test('a replay longer than max.poll.interval.ms: the member keeps polling, nothing is replayed twice', async (t) => {
  const { s, all, first, clientId } = await slowReplay('win-maxpoll', 1, 400_000);
  const maxPoll = 6000;
  const stats = await runOnce(s, {
    consumerConf: { ...FAST_CONSUMER, ...SMALL_FETCHES, 'client.id': clientId, 'max.poll.interval.ms': maxPoll },
  });
  t.log(`replayed ${stats.windowReplayRecords} records in ${stats.windowReplayMs.toFixed(0)} ms`);
  t.true(stats.windowReplayMs > maxPoll, `the replay took ${stats.windowReplayMs} ms`);
  // Kicked out of the group, the member would have been assigned the partition again and
  // replayed it a second time.
  t.is(stats.windowReplayRecords, first.length);
  t.is(stats.messages, all.length - first.length);
  const bad = differences(decided(await readAll(B, s.output, all.length)), reference(s.rules, all));
  t.deepEqual(bad.slice(0, 10), [], `${bad.length} decisions differ`);
});

test('a rebalance during the replay: every decision still equals an uninterrupted run', async (t) => {
  const { s, all, clientId } = await slowReplay('win-rebalance', 4, 400_000);
  const conf = { ...FAST_CONSUMER, ...SMALL_FETCHES, 'client.id': clientId };
  let replaying: () => void = () => {};
  const started = new Promise<void>((resolve) => {
    replaying = resolve;
  });
  const engine = new RuleEngine();
  engine.loadRules(s.rules);
  const base: StreamRunConfig = {
    brokers: B,
    groupId: s.groupId,
    inputTopics: s.input,
    outputTopic: s.output,
    outputMode: 'enriched',
    idleTimeoutMs: 5000,
    consumerConf: conf,
  };
  const a = runStream(engine, base, {
    onStats: (st) => {
      if (st.windowReplayRecords > 0) replaying();
    },
  });
  await started;
  // A second member joins while the first is replaying: the group rebalances under it.
  const other = new RuleEngine();
  other.loadRules(s.rules);
  const b = runStream(other, base);
  const [sa, sb] = await Promise.all([a, b]);
  t.log(
    `replayed ${sa.windowReplayRecords} + ${sb.windowReplayRecords} records; decided ${sa.messages} + ${sb.messages}`,
  );
  t.true(sb.messages > 0 || sb.windowReplayRecords > 0, 'the second member took partitions');
  t.is(sa.windowReplayShort + sb.windowReplayShort, 0);
  const bad = differences(decided(await readAll(B, s.output, all.length)), reference(s.rules, all));
  t.deepEqual(bad.slice(0, 10), [], `${bad.length} decisions differ`);
});

test('retention shorter than the window: counted, warned about on stderr, and the CLI still finishes', async (t) => {
  const s = await setup('win-retention', 1, true);
  const all = payments(400, { partitions: 1, cards: 5 });
  const args = ['--rules', s.rules, '--brokers', B, '--input-topic', s.input, '--output-topic', s.output];
  args.push(
    '--output-mode',
    'enriched',
    '--group-id',
    s.groupId,
    '--instance-id',
    'only',
    '--idle-timeout-ms',
    String(IDLE_MS),
  );
  for (const [k, v] of Object.entries(FAST_CONSUMER)) args.push('--consumer-conf', `${k}=${v}`);
  await producePayments(B, s.input, all.slice(0, 300));
  const first = spawnStreamCli(args);
  t.is((await first.exited).code, 0, first.stderr());
  // The log now starts 20 records before the committed offset: well inside the 120 s window.
  await deleteRecordsBelow(B, s.input, 0, 280);
  await producePayments(B, s.input, all.slice(300));
  const second = spawnStreamCli(args);
  t.is((await second.exited).code, 0, second.stderr());
  const stats = lastJsonLine(second.stdout());
  t.is(stats.messages, 100);
  t.is(stats.window_replay_records, 20);
  t.is(stats.window_replay_short, 1);
  t.regex(
    second.stderr(),
    /warning: runStream: the window state of .* \[0\] was rebuilt from less than the longest window: the topic's retention does not cover the longest window/,
  );
});
