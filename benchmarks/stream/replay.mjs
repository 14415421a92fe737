#!/usr/bin/env node
// Window replay speed: how fast runStream rebuilds a partition's window state when it is
// assigned (service.md §1, docs/kafka.md "Window rules"). One local broker, one 1-partition
// topic of N card payments whose event times all fall inside the rules' 1 h windows (count,
// sum, avg by card over 100k cards), so that a restart replays every committed record.
// A first runStream decides and commits them all; a second one, with a fresh engine, replays
// them (state only) before deciding the few records produced since. Reported: the second run's
// windowReplayRecords / windowReplayMs (the wall time the partition waited for its state,
// including reading it from the broker), the best of 2 rounds.
//
//   node benchmarks/stream/replay.mjs [--quick]   (writes the "Window replay" section of
//   benchmarks/RESULTS.md); also part of `npm run bench` (benchmarks/run.mjs, unless --no-stream).
// Nothing is asserted: numbers are measured and reported.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtRate, table } from '../lib/format.mjs';
import { upsertSection } from '../lib/sections.mjs';
import { createTopics, kafkaUp, produceAll } from './kit.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PKG = path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || ROOT);
const require = createRequire(import.meta.url);
const CARDS = 100_000;
const T0 = 1_709_510_400_000;

const RULES = {
  ruleset: {
    name: 'replay-bench',
    version: '1',
    rules: [
      ['velocity', { duration_seconds: 3600, op: 'gte', value: 5 }],
      ['spend', { function: 'sum', sum_field: 'amount', duration_seconds: 3600, op: 'gt', value: 5000 }],
      ['average', { function: 'avg', value_field: 'amount', duration_seconds: 3600, op: 'gt', value: 900 }],
    ].map(([id, w]) => ({
      id,
      action: 'score',
      weight: 10,
      conditions: { window: { entity_field: 'card', time_field: 'ts', ...w } },
    })),
  },
};

const value = (i) => JSON.stringify({ card: `c${(i * 7919) % CARDS}`, amount: (i * 37) % 1000, ts: T0 + i * 5 });

/** One round: a fresh topic of `n` records decided once, then replayed by a second run. */
async function round(io, mod, address, rulesFile, n) {
  const tag = `${process.pid}-${Date.now().toString(36)}`;
  const topic = `bench-replay-${tag}`;
  await createTopics(address, [[topic, 1]]);
  await produceAll(io, address, topic, n, value, (i) => `c${(i * 7919) % CARDS}`);
  const cfg = { brokers: address, groupId: `bench-replay-g-${tag}`, inputTopics: topic, outputMode: 'none' };
  const run = () => {
    const e = new mod.RuleEngine();
    e.loadRules(rulesFile);
    return io.runStream(e, { ...cfg, idleTimeoutMs: 3000 });
  };
  await run();
  await produceAll(
    io,
    address,
    topic,
    10,
    (i) => value(n + i),
    (i) => `c${i}`,
  );
  const s = await run();
  return {
    records: s.windowReplayRecords,
    ms: s.windowReplayMs,
    rps: s.windowReplayRecords / (s.windowReplayMs / 1e3),
  };
}

export async function runReplayBenchmark({ quick = false, log = console.error } = {}) {
  const { address } = kafkaUp();
  const mod = require(PKG);
  const io = require(path.join(PKG, 'dist', 'io.js'));
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'blazerules-replay-bench-'));
  const rulesFile = path.join(dir, 'rules.json');
  fs.writeFileSync(rulesFile, JSON.stringify(RULES));
  const n = quick ? 100_000 : 500_000;
  const rounds = [];
  for (let r = 0; r < 2; r++) {
    rounds.push(await round(io, mod, address, rulesFile, n));
    log(`window replay round ${r + 1}: ${rounds[r].records} records in ${rounds[r].ms.toFixed(0)} ms`);
  }
  const best = rounds.reduce((a, b) => (b.rps > a.rps ? b : a));
  const rows = [
    [
      `${n.toLocaleString('en-US')} records, 1 partition`,
      fmtRate(best.rps),
      rounds.map((x) => fmtRate(x.rps)).join(' / '),
      best.records.toLocaleString('en-US'),
      best.ms.toFixed(0),
    ],
  ];
  const markdown = [
    '## Window replay',
    '',
    `\`benchmarks/stream/replay.mjs\`: how fast runStream rebuilds an assigned partition's window state (docs/kafka.md, "Window rules"). One local broker on the same 2 cores; a 1-partition topic of card payments (${CARDS.toLocaleString('en-US')} cards, ~70 bytes each) whose event times all fall in the rules' 1 h windows (count, sum, avg by card), so that a restart replays every committed record. A first runStream decides and commits them; a second one, with a fresh engine, replays them (state only) and then decides 10 new records. records/s = windowReplayRecords / windowReplayMs of the second run: the wall time the partition waited for its state, reading the records from the broker included (committed offset, watermarks, the probe of the last committed record and offsetsForTimes too). Best of 2 rounds. Reading the topic is the limit: compare the bare librdkafka passthrough of the "Kafka stream" section, on the same broker and cores.`,
    '',
    table(['replay', 'records/s (best round)', 'rounds', 'records replayed', 'ms'], rows),
    '',
  ].join('\n');
  return { markdown, rounds };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { markdown } = await runReplayBenchmark({ quick: process.argv.includes('--quick') });
  upsertSection(path.join(ROOT, 'benchmarks', 'RESULTS.md'), markdown);
  console.log(markdown);
  process.exit(0);
}
