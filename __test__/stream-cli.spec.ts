/**
 * `blazerules stream kafka` (node dist/cli.js; run `npm run build` first) as real processes:
 * SIGINT drains and exits 0 with the stats JSON; SIGKILLed at random moments 10 times and
 * restarted each time, no input offset is left without a decision and duplicates stay within
 * the batches in flight; two processes in one group share the partitions and the survivor
 * takes over the partitions of one that is killed. Enriched mode maps outputs to input offsets.
 */
import test from 'ava';

import { brokers, createTopics, uniqueName } from './helpers/kafka';
import {
  Trickle,
  TopicReader,
  cliArgs,
  endOffsets,
  killLiveChildren,
  lastJsonLine,
  missingSources,
  outputsPerSource,
  parseOut,
  produceMany,
  payload,
  sample,
  sleep,
  spawnStreamCli,
  waitCommittedToEnd,
  within,
  type CliRun,
} from './helpers/stream-kit';

let B = '';
test.before(() => {
  B = brokers();
});
test.after.always(() => killLiveChildren());

/** Waits until the reader saw an output produced at or after `since` (this process is live). */
async function liveOutput(
  reader: TopicReader,
  since: number,
  cli: CliRun,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!reader.records.some((r) => r.timestampMs >= since)) {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) {
      throw new Error(
        `${what}: the CLI exited (${cli.child.exitCode ?? cli.child.signalCode}) before producing output; stderr: ${cli.stderr().slice(-800)}`,
      );
    }
    if (Date.now() > deadline)
      throw new Error(`${what}: no output within ${timeoutMs} ms; stderr: ${cli.stderr().slice(-800)}`);
    await sleep(100);
  }
}

/** SIGINTs a CLI run and checks it drains, exits 0 and prints the stats JSON. */
async function interrupt(cli: CliRun, sig: NodeJS.Signals = 'SIGINT'): Promise<Record<string, unknown>> {
  // A signal that arrives before the CLI installed its handlers would kill it outright.
  const deadline = Date.now() + 60_000;
  while (!cli.stderr().includes('stream kafka: running')) {
    if (cli.child.exitCode !== null || cli.child.signalCode !== null) break;
    if (Date.now() > deadline)
      throw new Error(`the CLI never said it was running; stderr: ${cli.stderr().slice(-800)}`);
    await sleep(50);
  }
  cli.child.kill(sig);
  const { code, signal } = await within(cli.exited, 60_000, `the CLI after ${sig}`);
  if (code !== 0)
    throw new Error(`after ${sig} the CLI exited with ${code ?? signal}; stderr: ${cli.stderr().slice(-800)}`);
  return lastJsonLine(cli.stdout());
}

for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  test.serial(`${sig}: the CLI drains, commits, exits 0 and prints the stats JSON`, async (t) => {
    t.timeout(290_000);
    const [input, output, groupId] = [uniqueName('cli-int-in'), uniqueName('cli-int-out'), uniqueName('cli-int-g')];
    await createTopics(B, [
      [input, 2],
      [output, 2],
    ]);
    const N = 2000;
    await produceMany(B, input, N, payload, (i) => `k${i}`);
    const cli = spawnStreamCli(cliArgs({ brokers: B, input, output, groupId, mode: 'enriched' }));
    try {
      await waitCommittedToEnd(B, groupId, input, 2, 90_000).catch((err: Error) => {
        throw new Error(`${err.message}; CLI stderr: ${cli.stderr().slice(-800)}`);
      });
      const stats = await interrupt(cli, sig);
      t.log('stats', JSON.stringify(stats));
      t.is(stats.messages, N);
      t.is(stats.emitted, N);
      for (const f of ['batches', 'messages', 'matched', 'emitted', 'consumer_lag_total'])
        t.is(typeof stats[f], 'number', `stats JSON has a number ${f}`);
      // The lag of the input's partitions known at the end (librdkafka's last statistics).
      const lag = stats.consumer_lag as Array<{ topic: string; partition: number; lag: number }>;
      t.true(Array.isArray(lag));
      for (const l of lag) t.true(l.topic === input && (l.partition === 0 || l.partition === 1) && l.lag <= N);
      t.is(
        stats.consumer_lag_total,
        lag.reduce((sum, l) => sum + l.lag, 0),
      );
    } finally {
      cli.child.kill('SIGKILL');
    }
    const reader = new TopicReader(B, output);
    try {
      const per = outputsPerSource(await reader.catchUp(B, output, 2, 60_000));
      t.deepEqual(missingSources(per, await endOffsets(B, input, 2)), []);
    } finally {
      await reader.close();
    }
  });
}

test.serial(
  'crash safety: SIGKILLed at random moments 10 times and restarted -> every input offset decided, duplicates only from batches in flight',
  async (t) => {
    t.timeout(290_000);
    const PARTS = 4;
    const BATCH = 500;
    const WORKERS = 1;
    const KILLS = 10;
    const [input, output, groupId] = [uniqueName('cli-kill-in'), uniqueName('cli-kill-out'), uniqueName('cli-kill-g')];
    await createTopics(B, [
      [input, PARTS],
      [output, PARTS],
    ]);
    const args = cliArgs({
      brokers: B,
      input,
      output,
      groupId,
      mode: 'enriched',
      batchSize: BATCH,
      extra: ['--workers', String(WORKERS)],
    });
    const reader = new TopicReader(B, output);
    const trickle = new Trickle(B, input, 50, 50).start(); // ~1000 records/s keep arriving
    const kills: string[] = [];
    try {
      for (let k = 1; k <= KILLS; k++) {
        const since = Date.now();
        const cli = spawnStreamCli(args);
        // Kill while it is processing: after its first output, at a random moment within 2 s.
        await liveOutput(reader, since, cli, 90_000, `run ${k}`);
        const delay = Math.floor(Math.random() * 2000);
        await sleep(delay);
        cli.child.kill('SIGKILL');
        const { signal } = await within(cli.exited, 30_000, `run ${k} after SIGKILL`);
        kills.push(`${k}: +${Date.now() - since} ms (${delay} ms after its first output), ${signal}`);
      }
      const produced = await trickle.stop();
      t.log(`killed ${KILLS} times: ${kills.join('; ')}; ${produced} records produced`);

      // The last run, undisturbed, finishes the backlog; then SIGINT.
      const last = spawnStreamCli(args);
      try {
        await waitCommittedToEnd(B, groupId, input, PARTS, 120_000).catch((err: Error) => {
          throw new Error(`${err.message}; CLI stderr: ${last.stderr().slice(-800)}`);
        });
        t.log('last run', JSON.stringify(await interrupt(last)));
      } finally {
        last.child.kill('SIGKILL');
      }

      const ends = await endOffsets(B, input, PARTS);
      t.is(
        ends.reduce((a, b) => a + b, 0),
        produced,
      );
      const per = outputsPerSource(await reader.catchUp(B, output, PARTS, 90_000));
      const missing = missingSources(per, ends);
      t.is(missing.length, 0, `input offsets without a decision after ${KILLS} kills: ${sample(missing)}`);
      const dups = [...per.values()].reduce((a, n) => a + n - 1, 0);
      const bound = KILLS * BATCH * WORKERS;
      t.log(`${reader.records.length} outputs for ${produced} inputs: ${dups} duplicates (bound ${bound})`);
      t.true(
        dups <= bound,
        `${dups} duplicate decisions > ${KILLS} kills × batch ${BATCH} × ${WORKERS} worker(s) = ${bound}`,
      );
      // Every output carries the source key of the offset it names.
      const keyMismatch = reader.records.filter((r) => !/^k\d+$/.test(r.key?.toString() ?? '')).length;
      t.is(keyMismatch, 0, 'enriched outputs are keyed by the source key');
    } finally {
      await trickle.stop().catch(() => undefined);
      await reader.close();
    }
  },
);

test.serial(
  'two processes in one group: both get partitions; one is SIGKILLed; the other takes over its partitions; nothing lost',
  async (t) => {
    t.timeout(290_000);
    const PARTS = 4;
    const [input, outA, outB, groupId] = [
      uniqueName('cli-grp-in'),
      uniqueName('cli-grp-outa'),
      uniqueName('cli-grp-outb'),
      uniqueName('cli-grp-g'),
    ];
    await createTopics(B, [
      [input, PARTS],
      [outA, PARTS],
      [outB, PARTS],
    ]);
    // Each process writes to its own output topic, so the outputs say who decided what.
    const readerA = new TopicReader(B, outA);
    const readerB = new TopicReader(B, outB);
    const trickle = new Trickle(B, input, 50, 50).start(); // ~1000 records/s
    const partitionsSince = (r: TopicReader, since: number): Set<number> =>
      new Set(r.records.filter((x) => x.timestampMs >= since).map((x) => parseOut(x).partition as number));
    let a: CliRun | undefined;
    let b: CliRun | undefined;
    try {
      const t0 = Date.now();
      a = spawnStreamCli(cliArgs({ brokers: B, input, output: outA, groupId, mode: 'enriched', batchSize: 200 }));
      await liveOutput(readerA, t0, a, 90_000, 'process A');
      const tb = Date.now();
      b = spawnStreamCli(cliArgs({ brokers: B, input, output: outB, groupId, mode: 'enriched', batchSize: 200 }));
      await liveOutput(readerB, tb, b, 90_000, 'process B');
      // After the rebalance both decide records, of disjoint partitions.
      const tSplit = Date.now();
      await readerA.until(
        () => partitionsSince(readerA, tSplit + 1000).size > 0 && partitionsSince(readerB, tSplit + 1000).size > 0,
        60_000,
        'both processes deciding after the rebalance',
      );
      const pa = partitionsSince(readerA, tSplit + 1000);
      const pb = partitionsSince(readerB, tSplit + 1000);
      t.log(`split: A ${[...pa]} / B ${[...pb]}`);
      t.true(pa.size > 0 && pb.size > 0, 'both processes got partitions');
      t.deepEqual(
        [...pa].filter((p) => pb.has(p)),
        [],
        'no partition decided by both after the split',
      );

      a.child.kill('SIGKILL');
      await within(a.exited, 30_000, 'A after SIGKILL');
      const tKill = Date.now();
      // B takes over: it decides records of every partition, A's included.
      await readerB.until(
        () => partitionsSince(readerB, tKill).size === PARTS,
        90_000,
        `B deciding all ${PARTS} partitions after A was killed`,
      );
      t.true(
        [...pa].every((p) => partitionsSince(readerB, tKill).has(p)),
        "B decides A's former partitions",
      );

      const produced = await trickle.stop();
      await waitCommittedToEnd(B, groupId, input, PARTS, 120_000).catch((err: Error) => {
        throw new Error(`${err.message}; B stderr: ${b?.stderr().slice(-800)}`);
      });
      t.log('B stats', JSON.stringify(await interrupt(b)));

      await readerA.catchUp(B, outA, PARTS, 60_000);
      await readerB.catchUp(B, outB, PARTS, 60_000);
      const all = [...readerA.records, ...readerB.records];
      const per = outputsPerSource(all);
      const missing = missingSources(per, await endOffsets(B, input, PARTS));
      t.is(missing.length, 0, `input offsets decided by neither process: ${sample(missing)}`);
      // The rebalance when B joined gave A's partitions up cleanly (A commits what it delivered
      // first): duplicates may only come from the batch A had in flight when it was killed.
      const dups = [...per.values()].reduce((x, n) => x + n - 1, 0);
      t.log(
        `${produced} inputs; ${readerA.records.length} outputs by A, ${readerB.records.length} by B; ${dups} duplicates`,
      );
      t.true(dups <= 200, `${dups} duplicates > 1 kill × batch 200 × 1 worker`);
    } finally {
      a?.child.kill('SIGKILL');
      b?.child.kill('SIGKILL');
      await trickle.stop().catch(() => undefined);
      await Promise.all([readerA.close(), readerB.close()]);
    }
  },
);
