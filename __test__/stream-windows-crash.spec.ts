/**
 * Issue 9's crash test on the real local broker: 200 000 payments keyed by card over 4
 * partitions, with event-time count and sum windows, decided by `blazerules stream kafka`
 * (node dist/cli.js; run `npm run build` first) with static membership (`--instance-id`)
 * while it is SIGKILLed at random moments and restarted 3 times, and a second process joins
 * the group and leaves it. The decisions on the output topic (the last one per input offset)
 * must equal `blazerules eval` of the same records in one uninterrupted run, record for
 * record, none missing; and each restarted process decides again within 10 s.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';

import { brokers, createTopics, uniqueName } from './helpers/kafka';
import {
  CLI,
  FAST_CONSUMER,
  TopicReader,
  type CliRun,
  killLiveChildren,
  lastJsonLine,
  sleep,
  spawnStreamCli,
  waitCommittedToEnd,
} from './helpers/stream-kit';
import {
  type Payment,
  decided,
  paymentJson,
  payments,
  producePayments,
  windowRules,
} from './helpers/stream-windows-kit';

let B = '';
test.before(() => {
  B = brokers();
});
test.after.always(() => killLiveChildren());

const N = 200_000;
const PARTITIONS = 4;

/** What `blazerules eval` decides of the records (in production order), by "partition/offset". */
function evalReference(rules: string, recs: readonly Payment[]): Promise<Map<string, string>> {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-crash-'));
  const input = join(dir, 'records.ndjson');
  const output = join(dir, 'decisions.jsonl');
  writeFileSync(input, `${recs.map(paymentJson).join('\n')}\n`);
  const args = [CLI, 'eval', '--rules', rules, '--path', input, '--output', 'decisions-jsonl'];
  return new Promise((resolve, reject) =>
    execFile(process.execPath, [...args, '--output-path', output], { timeout: 120_000 }, (err) => {
      if (err) return reject(err);
      const next = new Map<number, number>();
      const out = new Map<string, string>();
      const lines = readFileSync(output, 'utf8').trim().split('\n');
      lines.forEach((line, i) => {
        const d = JSON.parse(line) as { row: number; decision: string; score: number; winning_rule_id: string };
        const p = (recs[d.row] as Payment).partition;
        const o = next.get(p) ?? 0;
        next.set(p, o + 1);
        if (d.row !== i) reject(new Error(`eval row ${d.row} at line ${i}`));
        out.set(`${p}/${o}`, `${d.decision}|${d.score}|${d.winning_rule_id}`);
      });
      resolve(out);
    }),
  );
}

/** Produces the records in slices over about `seconds` (a live input to crash under). */
async function trickle(topic: string, recs: readonly Payment[], seconds: number): Promise<void> {
  const slices = seconds * 4;
  const per = Math.ceil(recs.length / slices);
  for (let i = 0; i < recs.length; i += per) {
    const t0 = Date.now();
    await producePayments(B, topic, recs.slice(i, i + per));
    await sleep(Math.max(0, 250 - (Date.now() - t0)));
  }
}

/** Waits until the output shows a decision produced by a process started at `since`. */
async function firstDecision(reader: TopicReader, since: number, cli: CliRun): Promise<number> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const hit = reader.records.find((r) => r.timestampMs >= since);
    if (hit) return hit.timestampMs - since;
    if (cli.child.exitCode !== null) throw new Error(`the restarted CLI exited: ${cli.stderr().slice(-800)}`);
    if (Date.now() > deadline) throw new Error(`no decision within 60 s of a restart: ${cli.stderr().slice(-800)}`);
    await sleep(50);
  }
}

test('SIGKILLed 3 times and a member joining and leaving: every decision equals one uninterrupted eval', async (t) => {
  const input = uniqueName('win-crash-in');
  const output = uniqueName('win-crash-out');
  await createTopics(B, [
    [input, PARTITIONS],
    [output, 1],
  ]);
  const groupId = uniqueName('win-crash-g');
  const rules = windowRules(true);
  // 20 ms apart in event time, each card every 20 s on average at irregular gaps: its 60 s
  // count reaches 3 now and then, its 120 s sum passes 1500 often (a mix of outcomes).
  const recs = payments(N, { partitions: PARTITIONS, cards: 1000, stepMs: 20, scatter: true });
  const want = evalReference(rules, recs);
  const args = (instance: string): string[] => {
    const a = ['--rules', rules, '--brokers', B, '--input-topic', input, '--output-topic', output];
    a.push('--output-mode', 'enriched', '--group-id', groupId, '--instance-id', instance);
    for (const [k, v] of Object.entries(FAST_CONSUMER)) a.push('--consumer-conf', `${k}=${v}`);
    return a;
  };
  const reader = new TopicReader(B, output);
  let w1 = spawnStreamCli(args('w1'));
  const runs = [w1];
  const producing = trickle(input, recs, 30);
  const restartsMs: number[] = [];
  try {
    for (let kill = 1; kill <= 3; kill++) {
      await sleep(2000 + Math.random() * 3000);
      w1.child.kill('SIGKILL');
      await w1.exited;
      const since = Date.now();
      w1 = spawnStreamCli(args('w1'));
      runs.push(w1);
      restartsMs.push(await firstDecision(reader, since, w1));
      if (kill === 2) {
        // A second member joins (a rebalance), decides for a while, and leaves (another).
        const w2 = spawnStreamCli(args('w2'));
        runs.push(w2);
        await sleep(4000);
        w2.child.kill('SIGINT');
        const { code } = await w2.exited;
        t.is(code, 0, w2.stderr().slice(-800));
      }
    }
    await producing;
    await waitCommittedToEnd(B, groupId, input, PARTITIONS, 120_000);
    w1.child.kill('SIGINT');
    const { code } = await w1.exited;
    t.is(code, 0, w1.stderr().slice(-800));
    t.log(`last run: ${JSON.stringify(lastJsonLine(w1.stdout()))}`);
  } finally {
    w1.child.kill('SIGKILL');
  }
  const out = await reader.catchUp(B, output, 1, 60_000);
  await reader.close();
  const got = decided(out);
  const reference = await want;
  const bad: string[] = [];
  for (const [k, v] of reference) if (got.get(k) !== v) bad.push(`${k}: got ${got.get(k) ?? 'nothing'}, want ${v}`);
  t.is(reference.size, N);
  const mix = new Map<string, number>();
  for (const v of reference.values()) mix.set(v, (mix.get(v) ?? 0) + 1);
  t.true([...mix.values()].filter((c) => c >= 1000).length >= 3, `outcomes: ${JSON.stringify([...mix])}`);
  // Every replay covered its whole window (a short one warns on stderr and counts in stats).
  const shorts = runs.flatMap((r) => r.stderr().split('\n')).filter((l) => l.includes('rebuilt from less than'));
  t.deepEqual(shorts, []);
  t.deepEqual(bad.slice(0, 10), [], `${bad.length} of ${N} decisions differ or are missing`);
  t.log(`first decision after each restart (ms): ${restartsMs.join(', ')}; ${out.length} outputs for ${N} records`);
  for (const ms of restartsMs) t.true(ms < 10_000, `a restarted process decided after ${ms} ms`);
});
