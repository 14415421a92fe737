/**
 * Broker outages under `blazerules stream kafka` (the CLI process, node dist/cli.js), each on
 * a private broker of its own that the test stops and starts (issue 13):
 * - SIGTERM while the broker is down exits within flushTimeoutMs + a margin, saying what was
 *   left, and the group committed nothing it had not decided;
 * - a 10 s and a 45 s broker bounce mid-stream (200 000 records, 4 partitions): the process
 *   never exits, every input record ends up with a decision (duplicates allowed);
 * - an outage longer than the outage budget (60 s) ends the run with BROKER_OUTAGE's message,
 *   about the budget after the broker went down, and nothing undecided was committed;
 * - KafkaConsumer and KafkaProducer (node-rdkafka) wait an outage out within their budget and
 *   report a longer one;
 * - a missing output or DLQ topic (brokers that do not create topics) fails at once, named;
 * - --idle-timeout-ms counts from the first partition assignment, not the wait to join.
 * The tests run concurrently, at most two private brokers at once; each cleans up its broker
 * and child even on failure.
 */
import test, { type ExecutionContext } from 'ava';

import { KafkaConsumer, KafkaIOError, KafkaProducer } from '../src/io';
import { FAST_GROUP, PrivateBroker, brokers, createTopics, eventually, uniqueName } from './helpers/kafka';
import { Decisions, committedWithoutDecision, stalledMember, stderrLine } from './helpers/outage-kit';
import {
  type CliRun,
  TopicReader,
  cliArgs,
  endOffsets,
  killLiveChildren,
  lastJsonLine,
  missingSources,
  newEngine,
  payload,
  produceMany,
  runStream,
  sample,
  sleep,
  spawnStreamCli,
  within,
} from './helpers/stream-kit';

const PARTS = 4;
const FLUSH_MS = 5000;
const RUNNING = /stream kafka: running/;
const OUTAGE_SEEN = /stream kafka: broker outage 1:/;

test.after.always(() => killLiveChildren());

/** At most this many private brokers at once (the machine, 2 cores, also runs another test
 * file meanwhile): the tests that need one wait for a slot, longest first. */
const SLOTS = 2;
let freeSlots = SLOTS;
const waitingForSlot: Array<() => void> = [];

/** Waits for a slot, given back when the test ends; then sets the test's timeout. */
async function slot(t: ExecutionContext, timeoutMs: number): Promise<void> {
  if (freeSlots > 0) freeSlots--;
  else await new Promise<void>((resolve) => waitingForSlot.push(resolve));
  // Registered first, so it runs after the test's other teardowns (the broker's removal).
  t.teardown(() => {
    const next = waitingForSlot.shift();
    if (next) next();
    else freeSlots++;
  });
  t.timeout(timeoutMs);
}

/** A private broker with an input and an output topic, a reader of the output, the CLI
 * (enriched decisions), and cleanup of all of them, even on failure. */
async function setUp(t: ExecutionContext, prefix: string, timeoutMs: number) {
  await slot(t, timeoutMs);
  const cleanups: Array<() => Promise<unknown>> = [];
  t.teardown(async () => {
    for (const f of cleanups.reverse()) await f().catch(() => undefined);
  });
  const broker = await PrivateBroker.up();
  cleanups.push(() => broker.down());
  const B = broker.address;
  const names = { input: uniqueName(`${prefix}-in`), output: uniqueName(`${prefix}-out`), group: uniqueName(prefix) };
  await createTopics(B, [
    [names.input, PARTS],
    [names.output, PARTS],
  ]);
  const reader = new TopicReader(B, names.output);
  cleanups.push(() => reader.close());
  const decisions = new Decisions();
  const start = (extra: string[]): CliRun => {
    const args = { brokers: B, input: names.input, output: names.output, groupId: names.group, mode: 'enriched' };
    const run = spawnStreamCli(cliArgs({ ...args, extra }));
    cleanups.push(async () => run.child.exitCode === null && run.child.kill('SIGKILL'));
    return run;
  };
  /** Waits until `n` input records have a decision. */
  const decided = (n: number, timeoutMs: number, what: string): Promise<void> =>
    reader.until(() => decisions.update(reader.records).perSource.size >= n, timeoutMs, what);
  /** `records` in the input, then the CLI in small batches (still busy, with batches in
   * flight, when the broker goes), once it decided `first` of them. */
  const busy = async (records: number, first: number, extra: string[]): Promise<CliRun> => {
    await produceMany(B, names.input, records, payload, (i) => `k${i}`);
    const cli = start(['--batch-size', '100', ...extra]);
    await stderrLine(cli, RUNNING, 60_000, 'the CLI starts');
    await decided(first, 90_000, 'the first decisions');
    return cli;
  };
  /** The last line the CLI wrote on stderr. */
  const lastLine = (cli: CliRun): string => cli.stderr().trim().split('\n').slice(-1)[0] ?? '';
  return { broker, ...names, reader, decisions, decided, start, busy, lastLine, cleanups };
}

/** After a restart: reads the output topic to its end, then the group's committed offsets
 * and those of them without a decision. */
async function committedVsDecided(
  s: Awaited<ReturnType<typeof setUp>>,
): Promise<{ committed: number[]; undecided: string[] }> {
  const B = s.broker.address;
  const total = (await endOffsets(B, s.output, PARTS)).reduce((a, b) => a + b, 0);
  await s.reader.until(() => s.decisions.update(s.reader.records).read.size >= total, 120_000, 'the output topic');
  let result: { committed: number[]; undecided: string[] } | undefined;
  await eventually(async () => {
    result = await committedWithoutDecision(B, s.group, s.input, PARTS, s.decisions).catch(() => undefined);
    return result !== undefined;
  }, 60_000);
  if (result === undefined) throw new Error(`cannot read the committed offsets of ${s.group}`);
  return result;
}

test('an outage longer than outageBudgetMs ends the run with a clear error; nothing undecided is committed', async (t) => {
  const BUDGET_MS = 60_000;
  const s = await setUp(t, 'outage', 300_000);
  const cli = await s.busy(200_000, 10_000, ['--outage-budget-ms', String(BUDGET_MS)]);

  // The outage is meant to last 200 s; the broker comes back once the CLI has given up.
  await s.broker.stop();
  const downAt = Date.now();
  await stderrLine(cli, OUTAGE_SEEN, 30_000, 'the loop sees the outage');
  const { code } = await within(cli.exited, BUDGET_MS + 90_000, 'the CLI during a long outage');
  const afterMs = Date.now() - downAt;
  const message = s.lastLine(cli);
  t.log(`exited ${code} ${afterMs} ms after the broker stopped: ${message}`);
  t.is(code, 2);
  t.true(afterMs >= BUDGET_MS - 10_000, `gave up after ${afterMs} ms, before the ${BUDGET_MS} ms budget`);
  t.true(afterMs <= BUDGET_MS + 30_000, `gave up ${afterMs} ms after the broker stopped`);
  t.regex(message, /unreachable for [\d.]+ s \(outageBudgetMs: 60000 ms\)/);
  t.regex(message, /read again at the next start/);

  await s.broker.start();
  const { committed, undecided } = await committedVsDecided(s);
  t.log(`committed ${JSON.stringify(committed)}; ${s.decisions.perSource.size} records decided`);
  t.deepEqual(undecided, [], `committed offsets without a decision: ${sample(undecided)}`);
});

test('a 45 s broker bounce mid-stream: the CLI rides it out, every record is decided', (t) => bounce(t, 45_000));

test('a 10 s broker bounce mid-stream: the CLI rides it out, every record is decided', (t) => bounce(t, 10_000));

/** A broker bounce of `downMs` while 200 000 records stream through the CLI. The input is
 * all there before the CLI starts (the CLI, not a producer of the test, is what rides the
 * outage out; KafkaProducer's outages are the clients test's). */
async function bounce(t: ExecutionContext, downMs: number): Promise<void> {
  const N = 200_000;
  const s = await setUp(t, `bounce${downMs / 1000}`, downMs + 240_000);
  const B = s.broker.address;
  await produceMany(B, s.input, N, payload, (i) => `k${i}`);
  const ends = await endOffsets(B, s.input, PARTS);
  t.is(
    ends.reduce((a, b) => a + b, 0),
    N,
  );
  const cli = s.start(['--batch-size', '500']);
  let exited: { code: number | null } | undefined;
  void cli.exited.then((e) => (exited ??= e));
  await stderrLine(cli, RUNNING, 60_000, 'the CLI starts');
  await s.decided(20_000, 120_000, 'decisions before the bounce');

  await s.broker.stop();
  await sleep(downMs); // the outage itself
  t.is(exited, undefined, `the CLI exited during the outage: ${cli.stderr().slice(-1000)}`);
  await s.broker.start();
  const exitedFirst = cli.exited.then((e) => {
    throw new Error(`the CLI exited (${e.code}): ${cli.stderr().slice(-1000)}`);
  });
  await Promise.race([s.decided(N, 180_000, 'every input record decided'), exitedFirst]).catch(async (err: Error) => {
    const out = await endOffsets(B, s.output, PARTS).catch((e: unknown) => String(e));
    const missing = sample(missingSources(s.decisions.perSource, ends));
    t.fail(`${err.message}; missing ${missing}; the output topic ends at ${JSON.stringify(out)}`);
  });
  exitedFirst.catch(() => undefined);
  t.is(exited, undefined, `the CLI exited: ${cli.stderr().slice(-1000)}`);

  cli.child.kill('SIGTERM');
  const { code } = await within(cli.exited, 60_000, 'the CLI after SIGTERM');
  t.is(code, 0, cli.stderr());
  const stats = lastJsonLine(cli.stdout());
  t.deepEqual(missingSources(s.decisions.perSource, ends), []);
  t.true(Number(stats.outages) >= 1, `the loop counted the outage: ${JSON.stringify(stats)}`);
  const out = s.decisions.read.size;
  t.log(
    `${downMs / 1000} s bounce: ${N} records in, ${out} decisions out, ${out - s.decisions.perSource.size} duplicates; ` +
      `stats ${JSON.stringify(stats)}`,
  );
}

test('SIGTERM with the broker down exits within flushTimeoutMs + margin; nothing undecided is committed', async (t) => {
  const s = await setUp(t, 'sigterm', 240_000);
  const cli = await s.busy(50_000, 5000, ['--flush-timeout-ms', String(FLUSH_MS)]);

  await s.broker.stop();
  await stderrLine(cli, OUTAGE_SEEN, 30_000, 'the loop sees the outage');
  const t0 = Date.now();
  cli.child.kill('SIGTERM');
  const { code } = await within(cli.exited, FLUSH_MS + 60_000, 'the CLI after SIGTERM');
  const tookMs = Date.now() - t0;
  const message = s.lastLine(cli);
  t.log(`SIGTERM to exit with the broker down: ${tookMs} ms (flushTimeoutMs ${FLUSH_MS}); exit ${code}: ${message}`);
  t.true(tookMs <= FLUSH_MS + 10_000, `exited ${tookMs} ms after SIGTERM, more than flushTimeoutMs + 10 s`);
  // Batches were in flight: the stop cannot deliver them, and says so.
  t.is(code, 2);
  t.regex(message, /blazerules: runStream: stopped during a broker outage: .*unreachable for [\d.]+ s/);
  t.regex(message, /not acknowledged.*read again at the next start/);

  await s.broker.start();
  const { committed, undecided } = await committedVsDecided(s);
  t.log(`committed ${JSON.stringify(committed)}; ${s.decisions.perSource.size} records decided`);
  t.deepEqual(undecided, [], `committed offsets without a decision: ${sample(undecided)}`);
});

test('KafkaConsumer and KafkaProducer wait out an outage within outageBudgetMs and report a longer one', async (t) => {
  await slot(t, 420_000);
  const BUDGET_MS = 15_000;
  const broker = await PrivateBroker.up();
  const B = broker.address;
  const topic = uniqueName('clients');
  const consumer = new KafkaConsumer({
    brokers: B,
    groupId: uniqueName('clients'),
    topics: [topic],
    conf: FAST_GROUP,
    outageBudgetMs: BUDGET_MS,
  });
  const riding = new KafkaProducer({ brokers: B }); // the default budget, 60 s
  const strict = new KafkaProducer({ brokers: B, outageBudgetMs: 0 });
  t.teardown(async () => {
    await Promise.allSettled([consumer.close(), riding.close(1000), strict.close(1000)]);
    await broker.down();
  });
  await createTopics(B, [[topic, 1]]);
  riding.produce(topic, '{"n":1}');
  strict.produce(topic, '{"n":0}');
  t.true(await riding.flush(30_000));
  t.true(await strict.flush(30_000));
  const first: Buffer[] = [];
  await eventually(async () => {
    first.push(...(await consumer.pollBatch({ timeoutMs: 1000 })));
    return first.length >= 2;
  }, 60_000);
  t.is(first.length, 2);

  await broker.stop();
  const downAt = Date.now();
  const commit = consumer.commit(); // its offsets wait for the broker
  commit.catch(() => undefined);
  riding.produce(topic, '{"n":2}');
  const ridingFlush = riding.flush(1000);
  let flushed: boolean | undefined;
  void ridingFlush.then((ok) => (flushed = ok));
  strict.produce(topic, '{"n":3}');
  t.false(await strict.flush(1000), 'with outageBudgetMs 0, flush gives up at its timeout');
  // Polls return nothing while the outage is within the budget, then one rejects.
  let rejected: unknown;
  while (rejected === undefined && Date.now() - downAt < BUDGET_MS + 60_000) {
    await consumer.pollBatch({ timeoutMs: 1000 }).then(
      (v) => t.deepEqual(v, []),
      (err: unknown) => (rejected = err),
    );
  }
  const afterMs = Date.now() - downAt;
  t.log(`poll rejected ${afterMs} ms after the broker stopped: ${String(rejected)}`);
  t.true(rejected instanceof KafkaIOError && rejected.code === 'BROKER_DOWN', String(rejected));
  t.regex(String(rejected), /down for [\d.]+ s, longer than outageBudgetMs \(15000 ms\)/);
  t.true(afterMs >= BUDGET_MS - 5000, `rejected after ${afterMs} ms, within the ${BUDGET_MS} ms budget`);
  const commitErr = await t.throwsAsync(commit, { instanceOf: KafkaIOError });
  t.is(commitErr?.code, 'BROKER_DOWN');
  t.is(flushed, undefined, 'a flush with the 60 s budget still waits, past its 1000 ms timeout');

  await broker.start();
  t.true(await ridingFlush, 'delivered once the broker is back');
  t.true(await strict.flush(60_000), 'the message queued during the outage went too');
  // The consumer carries on: the records of the outage arrive (after a rejoin, the first two
  // may come again: nothing was committed), and commits work again.
  const after = new Set<string>();
  await eventually(async () => {
    for (const v of await consumer.pollBatch({ timeoutMs: 1000 }).catch(() => [])) after.add(String(v));
    return after.has('{"n":2}') && after.has('{"n":3}');
    // The rejoin after a broker restart waits out the old member's session; under CI load it
    // took close to two minutes.
  }, 300_000);
  t.deepEqual([...after].filter((v) => v === '{"n":2}' || v === '{"n":3}').sort(), ['{"n":2}', '{"n":3}']);
  await consumer.commit();
});

test('a missing output or DLQ topic fails at once, naming it, when the brokers do not create topics', async (t) => {
  await slot(t, 180_000);
  brokers(); // the shared broker starts (if it must) before the environment changes
  // PrivateBroker.up reads the environment synchronously, before its first await.
  process.env.KAFKA_AUTO_CREATE_TOPICS = 'false';
  const starting = PrivateBroker.up();
  delete process.env.KAFKA_AUTO_CREATE_TOPICS;
  const broker = await starting;
  t.teardown(() => broker.down());
  const B = broker.address;
  const [input, output, missing] = [uniqueName('nt-in'), uniqueName('nt-out'), uniqueName('nt-missing')];
  await createTopics(B, [
    [input, 1],
    [output, 1],
  ]);
  const base = { input, groupId: uniqueName('nt') };
  for (const [args, field] of [
    [cliArgs({ brokers: B, ...base, output: missing }), 'outputTopic'],
    [cliArgs({ brokers: B, ...base, output, extra: ['--dlq-topic', missing] }), 'dlqTopic'],
  ] as const) {
    const cli = spawnStreamCli(args);
    const { code } = await within(cli.exited, 60_000, `the CLI with a missing ${field}`);
    t.is(code, 2);
    t.regex(cli.stderr(), new RegExp(`blazerules: runStream: ${field} '${missing}' does not exist on ${B}`));
  }
  const err = await t.throwsAsync(
    runStream(newEngine(), { brokers: B, groupId: uniqueName('nt'), inputTopics: input, outputTopic: missing }),
    { instanceOf: KafkaIOError },
  );
  t.is(err?.code, 'UNKNOWN_TOPIC');
});

test('--idle-timeout-ms counts from the first partition assignment, not the wait to join the group', async (t) => {
  t.timeout(180_000);
  const B = brokers();
  const [input, output, group] = [uniqueName('join-in'), uniqueName('join-out'), uniqueName('join')];
  await createTopics(B, [
    [input, 2],
    [output, 2],
  ]);
  // The CLI's join waits for this member to be dropped (15 s), longer than its idle timeout (4 s).
  const stalled = await stalledMember(B, group, input, 15_000);
  t.teardown(() => stalled.close());
  const cli = spawnStreamCli(
    cliArgs({ brokers: B, input, output, groupId: group, mode: 'enriched', extra: ['--idle-timeout-ms', '4000'] }),
  );
  await stderrLine(cli, RUNNING, 60_000, 'the CLI starts');
  const N = 500;
  await produceMany(B, input, N, payload, (i) => `k${i}`);
  const { code } = await within(cli.exited, 120_000, 'the CLI after its idle timeout');
  t.is(code, 0, cli.stderr());
  const stats = lastJsonLine(cli.stdout());
  t.is(stats.messages, N, `records produced while the group was still joining are decided: ${JSON.stringify(stats)}`);
});
