#!/usr/bin/env node
// Kafka stream benchmark: the same local broker, the same input topic, the same records, in one
// run, through three consume → produce loops, each in its own process:
//
//   1. passthrough  a bare librdkafka loop in Rust (benchmarks/stream/passthrough/, rdkafka crate,
//                   the same bundled librdkafka as runStream): consume a batch → produce each
//                   value and key unchanged → flush → commit. No evaluation: the ceiling.
//   2. runStream    blazerules/io runStream (native loop), `enriched` output, benchmarks/rules.yaml
//                   (runstream-child.mjs), with workers 1 (the default) and 2.
//   3. TS loop      the examples/kafka-tutorial.ts loop in JS: KafkaConsumer.pollRecords →
//                   engine.evaluateMessages → KafkaProducer.produce (enriched lines) → flush →
//                   commit (ts-loop-child.mjs).
//
// Throughput: N records produced to a 4-partition topic beforehand; each loop drains it with a
// fresh group. records/s = outputs / (last − first output message timestamp), i.e. the steady
// rate, group join excluded. CPU (cores busy, sampled from /proc/PID/stat) over that same window,
// peak RSS (VmHWM) of the loop's process.
// Latency: each loop on a fresh topic while this process produces records at a fixed rate (half
// the slowest loop's throughput, at most 20k/s): produce time (Date.now() at produce(), = the
// input message timestamp) → decision time (the output message's CreateTime, set by the loop's
// producer when it produced the decision). p50 / p99 / max.
//
//   node benchmarks/stream/run.mjs [--quick] [--out FILE] [--baseline DIR]   (writes the "Kafka
//   stream" section of benchmarks/RESULTS.md); also part of `npm run bench` (benchmarks/run.mjs,
//   or --stream alone). --baseline DIR: runStream of another built checkout too, back to back
//   with this one's in each round, and a "Baseline vs current" table.
// Nothing is asserted: numbers are measured and reported.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DATA_DIR, ensureDataFile } from '../gen.mjs';
import { isObjectLine } from '../lib/data.mjs';
import { baselineTable, fmtRate, table } from '../lib/format.mjs';
import { upsertSection } from '../lib/sections.mjs';
import { commitOf } from '../lib/setup.mjs';
import {
  KAFKA_LOCAL,
  cpuAt,
  createTopics,
  deadlineAfter,
  kafkaUp,
  produceAll,
  sleep,
  startLoop,
  topicReader,
} from './kit.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const PKG = path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || ROOT);
const RULES = path.join(ROOT, 'benchmarks', 'rules.yaml');
const PT_DIR = path.join(HERE, 'passthrough');
const PT_BIN = path.join(PT_DIR, 'target', 'release', 'stream-passthrough');
const require = createRequire(import.meta.url);
const PARTS = 4;
const CLK_TCK = 100;

const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const fmtMs = (x) =>
  x == null || !Number.isFinite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 10 ? x.toFixed(1) : x.toFixed(2);
const fmtPct = (x) => (x == null || !Number.isFinite(x) ? '—' : `${(100 * x).toFixed(0)} %`);
const fmtX = (x) => (x == null || !Number.isFinite(x) ? '—' : `${x.toFixed(2)}×`);
const mib = (kb) => (kb == null ? '—' : (kb / 1024).toFixed(0));

// ------------------------------------------------------------------ the loops
/** The blazerules packages whose runStream is measured: this one and, with --baseline, another. */
function packages(hasRunStream, baseline) {
  const out = [{ dir: PKG, id: '', label: '', skip: hasRunStream ? null : 'runStream is not exported by this build' }];
  if (baseline) {
    const io = path.join(baseline, 'dist', 'io.js');
    const ok = fs.existsSync(io) && fs.readFileSync(io, 'utf8').includes('runStream');
    out.push({
      dir: baseline,
      id: 'Baseline',
      label: ' — baseline',
      skip: ok ? null : `the baseline ${baseline} has no built runStream (dist/io.js)`,
    });
  }
  return out;
}

/**
 * The loops, in groups: each round runs the groups in order, and the loops of a group (the
 * same runStream setting for the current package and the baseline) back to back, the order
 * flipped every other round.
 */
function loopGroups(address, ptError, pkgs) {
  const node = process.execPath;
  const passthrough = (id, name, extra, latency) => ({
    id,
    name,
    skip: ptError,
    cmd: (i, o, g, max) => [
      PT_BIN,
      [
        '--brokers',
        address,
        '--input-topic',
        i,
        '--output-topic',
        o,
        '--group-id',
        g,
        '--max-messages',
        String(max),
        ...extra,
      ],
    ],
    stopSignal: 'SIGTERM',
    latency,
  });
  const runStream = (p, workers, latency) => ({
    id: `runStream${workers === 1 ? '' : workers}${p.id}`,
    name: `runStream (enriched, workers ${workers})${p.label}`,
    skip: p.skip,
    cmd: (i, o, g, max) => [
      node,
      [path.join(HERE, 'runstream-child.mjs'), p.dir, RULES, address, i, o, g, String(max), String(workers)],
    ],
    stopSignal: 'SIGINT',
    latency,
  });
  return [
    [passthrough('passthrough', 'bare librdkafka passthrough (Rust, no evaluation)', [], true)],
    [passthrough('passthroughSync', 'the same passthrough, synchronous commits', ['--sync-commit'], false)],
    pkgs.map((p) => runStream(p, 1, true)),
    pkgs.map((p) => runStream(p, 2, false)),
    [
      {
        id: 'tsLoop',
        name: 'TS loop (KafkaConsumer + evaluateMessages + KafkaProducer)',
        skip: null,
        cmd: (i, o, g, max) => [
          node,
          [path.join(HERE, 'ts-loop-child.mjs'), PKG, RULES, address, i, o, g, String(max), '2048'],
        ],
        stopSignal: 'SIGINT',
        latency: true,
      },
    ],
  ];
}

const uniq = (p) => `bench-${p}-${process.pid}-${Date.now().toString(36)}`;

async function throughputRun(io, address, loop, input, n, log) {
  const output = uniq(`${loop.id}-out`);
  await createTopics(address, [[output, PARTS]]);
  const [cmd, args] = loop.cmd(input, output, uniq(`${loop.id}-g`), n);
  const p = startLoop(cmd, args);
  let reader = null;
  try {
    const exit = await Promise.race([p.exited, deadlineAfter(180_000)]);
    if (!exit) {
      await p.stop('SIGKILL');
      throw new Error(`did not finish ${n} records within 180 s`);
    }
    if (exit.code !== 0)
      throw new Error(`exited ${exit.code ?? exit.signal}: ${p.stderr.trim().split('\n').slice(-3).join(' | ')}`);
    // Read the outputs once the loop is done (a reader running alongside would take CPU from it).
    reader = topicReader(io, address, output);
    await reader.until(n, 120_000);
    await sleep(500);
    const ts = [...reader.ts].sort((a, b) => a - b);
    const first = ts[0];
    const last = ts[ts.length - 1];
    const wallMs = Math.max(1, last - first);
    const cores = (cpuAt(p.samples, last) - cpuAt(p.samples, first)) / CLK_TCK / (wallMs / 1000);
    const totalCpuS = p.samples.length ? p.samples[p.samples.length - 1].cpu / CLK_TCK : NaN;
    let childStats = null;
    try {
      childStats = JSON.parse(p.stdout.trim().split('\n').pop());
    } catch {}
    let maxGapMs = 0;
    for (let i = 1; i < ts.length; i++) maxGapMs = Math.max(maxGapMs, ts[i] - ts[i - 1]);
    // steady rate: the last 90 % of the outputs (the first ones wait for the fetches to start)
    const from = Math.floor(ts.length * 0.1);
    const steadyMs = Math.max(1, last - ts[from]);
    const steadyCores = (cpuAt(p.samples, last) - cpuAt(p.samples, ts[from])) / CLK_TCK / (steadyMs / 1000);
    const res = {
      maxGapMs,
      outputs: reader.keys.length,
      distinctKeys: new Set(reader.keys).size,
      windowMs: wallMs,
      overallRps: (reader.keys.length - 1) / (wallMs / 1000),
      rps: (ts.length - 1 - from) / (steadyMs / 1000),
      steadyCores,
      cores,
      cpuSPerM: (cores * (wallMs / 1000) * 1e6) / reader.keys.length,
      totalCpuS,
      peakHwmKb: p.peakHwmKb,
      threads: p.threads,
      childStats,
    };
    log(
      `  ${loop.id}: ${fmtRate(res.rps)} rec/s steady (${fmtRate(res.overallRps)} first to last output, ${wallMs} ms), ${res.cores.toFixed(2)} cores, peak RSS ${mib(res.peakHwmKb)} MiB, longest pause between outputs ${maxGapMs} ms, ${JSON.stringify(childStats)}`,
    );
    return res;
  } finally {
    await p.stop('SIGKILL');
    await reader?.close();
  }
}

async function latencyRun(io, address, loop, values, rate, seconds, log) {
  const [input, output] = [uniq(`${loop.id}-lat-in`), uniq(`${loop.id}-lat-out`)];
  await createTopics(address, [
    [input, PARTS],
    [output, PARTS],
  ]);
  const [cmd, args] = loop.cmd(input, output, uniq(`${loop.id}-lat-g`), 0);
  const reader = topicReader(io, address, output);
  const producer = new io.KafkaProducer({ brokers: address, conf: { 'linger.ms': 1 } });
  const p = startLoop(cmd, args);
  try {
    // Wait until the loop decides records (group joined), probing every 300 ms.
    const deadline = Date.now() + 90_000;
    let probes = 0;
    while (reader.keys.length === 0) {
      if (p.child.exitCode !== null)
        throw new Error(`exited early: ${p.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      if (Date.now() > deadline) throw new Error('no output for probe records within 90 s');
      producer.produce(input, values[probes % values.length], `P${probes++}`);
      await producer.flush(5000);
      await sleep(300);
    }
    await sleep(1000);
    // Paced input: `rate` records/s in 10 ms ticks, for `seconds`.
    const total = Math.round(rate * seconds);
    const sent = new Float64Array(total);
    const t0 = Date.now();
    let seq = 0;
    while (seq < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
      for (; seq < due; seq++) {
        sent[seq] = Date.now();
        producer.produce(input, values[seq % values.length], `L${seq}`);
      }
      await sleep(10);
    }
    if (!(await producer.flush(60_000))) throw new Error('paced input not delivered');
    await reader.until(probes + total, 90_000);
    const lat = [];
    const seen = new Set();
    for (let i = 0; i < reader.keys.length; i++) {
      const k = reader.keys[i];
      if (k[0] !== 'L' || seen.has(k)) continue;
      seen.add(k);
      lat.push(reader.ts[i] - sent[Number(k.slice(1))]);
    }
    lat.sort((a, b) => a - b);
    const res = {
      rate,
      seconds,
      records: lat.length,
      p50: pct(lat, 50),
      p99: pct(lat, 99),
      max: lat[lat.length - 1],
      min: lat[0],
    };
    log(`  ${loop.id}: latency p50 ${fmtMs(res.p50)} ms, p99 ${fmtMs(res.p99)} ms at ${fmtRate(rate)} rec/s`);
    return res;
  } finally {
    await producer.close().catch(() => {});
    await p.stop(loop.stopSignal);
    await reader.close();
  }
}

// ------------------------------------------------------------------ main
/** blazerules/io of the package under test, or an error text. */
function loadIo() {
  try {
    require(PKG);
    const io = require(path.join(PKG, 'dist', 'io.js'));
    if (!io.hasKafka) throw new Error('blazerules/io has no Kafka support (node-rdkafka missing)');
    return { io };
  } catch (e) {
    return { error: `blazerules/io not loadable: ${String(e.message || e).slice(0, 300)}` };
  }
}

/** Builds the Rust passthrough; an error text or null. */
function buildPassthrough(log) {
  log('building the passthrough (cargo build --release, benchmarks/stream/passthrough)');
  // --target-dir: PT_BIN's, even where CARGO_TARGET_DIR points elsewhere.
  const args = ['build', '--release', '--quiet', '--manifest-path', path.join(PT_DIR, 'Cargo.toml')];
  const b = spawnSync('cargo', [...args, '--target-dir', path.join(PT_DIR, 'target')], {
    encoding: 'utf8',
    timeout: 1_200_000,
  });
  if (b.status !== 0)
    return `cargo build failed: ${(b.stderr || String(b.error || '')).trim().split('\n').slice(-3).join(' | ')}`;
  return fs.existsSync(PT_BIN) ? null : `cargo build did not write ${PT_BIN}`;
}

/** benchmarks/gen.mjs card transactions, valid ones only, as message values. */
function recordValues(n) {
  const lines = fs.readFileSync(ensureDataFile(`${n}r`, { malformedRate: 0 }), 'utf8').split('\n');
  return lines
    .map((l) => l.trim())
    .filter((l) => l && isObjectLine(l))
    .slice(0, n)
    .map((l) => Buffer.from(l));
}

/** Each loop drains the same input topic with a fresh group, `R.rounds` times; the best round counts. */
async function throughputRounds(R, io, address, groups, input, n, log) {
  for (let round = 1; round <= R.rounds; round++) {
    log(`throughput, round ${round} of ${R.rounds}: each loop drains the same topic with a fresh group`);
    for (const loop of groups.flatMap((g) => (round % 2 ? g : [...g].reverse()))) {
      if (loop.skip) {
        R.skipped[loop.id] = loop.skip;
        continue;
      }
      try {
        const res = await throughputRun(io, address, loop, input, n, log);
        const prev = R.loops[loop.id];
        const rounds = [...(prev?.rounds ?? []), res.rps];
        // the best round counts (the machine is shared: slower rounds are interference)
        R.loops[loop.id] = { name: loop.name, ...(prev && prev.rps >= res.rps ? prev : res), rounds };
      } catch (e) {
        R.skipped[`${loop.id} (round ${round})`] = String(e.message || e).slice(0, 400);
        log(`  ${loop.id}: ${String(e.message || e).slice(0, 400)}`);
      }
    }
  }
}

/** Each loop with `latency` on a fresh topic, fed at half the slowest loop's rate (≤ 20k/s). */
async function latencyRuns(R, io, address, loops, values, seconds, log) {
  const rates = Object.values(R.loops)
    .map((x) => x.rps)
    .filter(Number.isFinite);
  const rate = rates.length
    ? Math.max(1000, Math.min(20_000, Math.floor((0.5 * Math.min(...rates)) / 1000) * 1000))
    : 5000;
  log(`latency: ${fmtRate(rate)} records/s for ${seconds} s into each loop`);
  for (const loop of loops.filter((l) => l.latency && !l.skip && R.loops[l.id])) {
    try {
      R.latency[loop.id] = await latencyRun(io, address, loop, values, rate, seconds, log);
    } catch (e) {
      R.skipped[`${loop.id} latency`] = String(e.message || e).slice(0, 400);
      log(`  ${loop.id} latency: ${R.skipped[`${loop.id} latency`]}`);
    }
  }
}

/**
 * Runs the stream benchmark; `baseline`: another built checkout whose runStream is measured
 * alongside (the same rounds, back to back with this package's). Returns { results, markdown }.
 */
export async function runStreamBenchmark({
  quick = false,
  log = (...a) => console.error('[stream]', ...a),
  baseline,
} = {}) {
  const T0 = Date.now();
  const N = quick ? 50_000 : 200_000;
  const R = {
    quick,
    records: N,
    partitions: PARTS,
    loops: {},
    latency: {},
    skipped: {},
    date: new Date().toISOString(),
    nproc: os.cpus().length,
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
  };
  const { io, error } = loadIo();
  if (error) {
    R.error = error;
    return { results: R, markdown: report(R) };
  }
  R.librdkafka = io.librdkafkaVersion;
  const pkgs = packages(typeof io.runStream === 'function', baseline);
  if (baseline) R.baseline = { dir: baseline, commit: commitOf(baseline), current: commitOf(PKG) };
  const ptError = buildPassthrough(log);
  log('local Kafka broker (scripts/kafka-local.sh up)');
  const { address, wasRunning } = kafkaUp();
  R.broker = address;
  try {
    const values = recordValues(N);
    R.records = values.length;
    R.bytesPerRecord = values.reduce((a, v) => a + v.length, 0) / values.length;
    const input = uniq('in');
    await createTopics(address, [[input, PARTS]]);
    log(
      `producing ${values.length} records (${R.bytesPerRecord.toFixed(0)} bytes each) to ${input} (${PARTS} partitions)`,
    );
    await produceAll(
      io,
      address,
      input,
      values.length,
      (i) => values[i],
      (i) => `T${i}`,
    );
    const groups = loopGroups(address, ptError, pkgs);
    R.rounds = quick ? 1 : 2;
    await throughputRounds(R, io, address, groups, input, values.length, log);
    await latencyRuns(R, io, address, groups.flat(), values, quick ? 3 : 8, log);
  } finally {
    if (!wasRunning) spawnSync(KAFKA_LOCAL, ['down'], { stdio: 'ignore' });
  }
  R.elapsedSec = (Date.now() - T0) / 1000;
  R.loadavgEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(path.join(DATA_DIR, 'stream-last-run.json'), JSON.stringify(R, null, 2));
  return { results: R, markdown: report(R) };
}

export function report(R) {
  const L = ['## Kafka stream', ''];
  if (R.error) {
    L.push(`Not measured: ${R.error}.`, '');
    return L.join('\n');
  }
  const E = R.loops;
  const pt = E.passthrough;
  const rs = E.runStream;
  const rs2 = E.runStream2;
  const ts = E.tsLoop;
  const best = [rs, rs2].filter(Boolean).sort((a, b) => b.rps - a.rps)[0];
  L.push(
    `\`benchmarks/stream/run.mjs\`${R.quick ? ' (quick run)' : ''}: one local Kafka broker (scripts/kafka-local.sh, 127.0.0.1, the same machine: ${R.nproc} cores shared by the broker, the loop and this harness; load average ${R.loadavg} at start, ${R.loadavgEnd} at end); librdkafka 2.10.0 (rdkafka-sys 4.9.0, built from source) in the passthrough and in runStream, ${R.librdkafka || '?'} (node-rdkafka) in the TS loop; ${R.records.toLocaleString('en-US')} card-transaction records of \`benchmarks/gen.mjs\` (${R.bytesPerRecord?.toFixed(0)} bytes each) in one ${R.partitions}-partition topic, drained by each loop in its own process with a fresh consumer group; rules \`benchmarks/rules.yaml\`. Every loop is at-least-once (produce the batch, wait for every acknowledgement, then commit). records/s is the steady rate: the last 90 % of the outputs / the time between their first and last output message timestamps (every loop pauses ~0.9 s after its first outputs while the fetches start; "first → last output" includes that pause), the best of ${R.rounds} round(s) run one loop after the other; CPU is the loop process's cores busy over the steady window (from /proc/PID/stat), CPU s / 1M records over the whole first → last window, memory its peak RSS (VmHWM). Run time ${R.elapsedSec?.toFixed(0)} s.`,
    '',
  );
  L.push(
    table(
      [
        'loop',
        'records/s (best round)',
        'rounds',
        'vs passthrough',
        'first → last output',
        'outputs',
        'CPU (cores)',
        'CPU s / 1M records',
        'peak RSS MiB',
        'threads',
        'longest pause ms',
      ],
      Object.values(E).map((x) => [
        x.name,
        fmtRate(x.rps),
        (x.rounds || []).map(fmtRate).join(' / '),
        pt ? fmtPct(x.rps / pt.rps) : '—',
        `${fmtRate(x.overallRps)} rec/s in ${(x.windowMs / 1000).toFixed(1)} s`,
        `${x.outputs.toLocaleString('en-US')}${x.distinctKeys !== x.outputs ? ` (${x.distinctKeys.toLocaleString('en-US')} distinct)` : ''}`,
        x.steadyCores.toFixed(2),
        x.cpuSPerM.toFixed(1),
        mib(x.peakHwmKb),
        x.threads,
        x.maxGapMs,
      ]),
    ),
    '',
  );
  const tgt = [];
  const verdict = (ok) => (ok == null ? 'NOT MEASURED' : ok ? 'MET' : 'NOT MET');
  const rel = best && pt ? best.rps / pt.rps : null;
  const vsTs = best && ts ? best.rps / ts.rps : null;
  tgt.push([
    "runStream ≥ 85 % of the passthrough's records/s",
    rel == null ? '—' : `${fmtPct(rel)} (${best.name})`,
    verdict(rel == null ? null : rel >= 0.85),
  ]);
  tgt.push([
    'runStream ≥ 3× the TS loop',
    vsTs == null ? '—' : `${fmtX(vsTs)} (${best.name})`,
    verdict(vsTs == null ? null : vsTs >= 3),
  ]);
  L.push('### Target (issue #4)', '', table(['criterion', 'measured', 'verdict'], tgt), '');
  const lat = Object.entries(R.latency);
  if (lat.length) {
    const first = lat[0][1];
    L.push(
      `### End-to-end latency`,
      '',
      `Each loop on a fresh topic while the harness produced ${fmtRate(first.rate)} records/s for ${first.seconds} s (after the loop had joined its group). Latency = the decision's output message timestamp (CreateTime, set by the loop's producer) − the time the harness produced the input record. It includes the harness producer's linger (1 ms), the loop's batching (up to its batch size or poll timeout) and its flush before each commit.`,
      '',
    );
    L.push(
      table(
        ['loop', 'records', 'p50 ms', 'p99 ms', 'max ms'],
        lat.map(([id, x]) => [
          E[id]?.name || id,
          x.records.toLocaleString('en-US'),
          fmtMs(x.p50),
          fmtMs(x.p99),
          fmtMs(x.max),
        ]),
      ),
      '',
    );
  }
  if (R.baseline) baselineSection(L, R);
  for (const [k, why] of Object.entries(R.skipped)) L.push(`- Not measured: **${k}**: ${why}`);
  if (Object.keys(R.skipped).length) L.push('');
  L.push(
    'The machine was shared with other work and the broker runs on the same 2 cores as the loop: treat differences of ±30 % between runs as noise. Raw numbers: `benchmarks/data/stream-last-run.json`.',
    '',
  );
  return L.join('\n');
}

/** `--baseline DIR`: runStream of the baseline build against this one's, from the same rounds. */
function baselineSection(L, R) {
  const E = R.loops;
  const rows = [];
  for (const [id, w] of [
    ['runStream', 1],
    ['runStream2', 2],
  ]) {
    if (E[id] || E[`${id}Baseline`])
      rows.push({
        what: `runStream, workers ${w}: records/s (best round)`,
        current: E[id]?.rps,
        baseline: E[`${id}Baseline`]?.rps,
      });
  }
  const lat = [R.latency.runStream, R.latency.runStreamBaseline];
  if (lat[0] || lat[1]) {
    for (const q of ['p50', 'p99'])
      rows.push({
        what: `runStream, workers 1: latency ${q}`,
        unit: 'ms',
        current: lat[0]?.[q],
        baseline: lat[1]?.[q],
      });
  }
  const names = `baseline ${R.baseline.dir}${R.baseline.commit ? ` (commit ${R.baseline.commit})` : ''}, current ${R.baseline.current ?? 'this checkout'}`;
  L.push(
    '### Baseline vs current',
    '',
    `runStream of two builds (${names}) in the same run: in each round the two run back to back, in turns first. records/s: higher is better; latency: lower is better.`,
    '',
  );
  L.push(baselineTable(rows), '');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const argv = process.argv.slice(2);
  const out = argv.includes('--out')
    ? path.resolve(argv[argv.indexOf('--out') + 1])
    : path.join(ROOT, 'benchmarks', 'RESULTS.md');
  const baseline = argv.includes('--baseline') ? path.resolve(argv[argv.indexOf('--baseline') + 1]) : undefined;
  runStreamBenchmark({ quick: argv.includes('--quick'), baseline })
    .then(({ markdown }) => {
      upsertSection(out, markdown);
      console.log(markdown);
      process.exit(0);
    })
    .catch((e) => {
      console.error(e);
      process.exit(1);
    });
}
