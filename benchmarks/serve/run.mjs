// The `serve` benchmark section: `blazerules serve` over HTTP on loopback, measured with
// autocannon in this process against servers in their own processes, in the same run:
//   POST /v1/decide  req/s, p50, p99 for blazerules serve and three Fastify servers with the
//   same route and answer schema (benchmarks/serve/server-child.mjs): (a) a constant answer
//   (the ceiling), (b) the hand-written JS rules, (c) zen-engine;
//   POST /v1/decide/batch  records/s (1000-record NDJSON bodies) against evaluateNdjson alone.
// Servers are measured in turns (a b c d, then d c b a, …); each figure is the median of its turns.
// Two setups, in the same run: "shared" (server and autocannon share every core, one request
// in flight per connection) and, where `taskset` can pin them, "server-bound" (the server on
// core 0, autocannon on core 1, 10 requests pipelined per connection as Fastify's own
// benchmarks run autocannon): there the server's core is the bottleneck, so requests/s
// measure the server rather than how the two processes share the machine.
// Run: node benchmarks/run.mjs --serve [--quick] (updates the section of RESULTS.md).
import { execFileSync, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { generate } from '../gen.mjs';
import { ensureNodeDeps, machine } from '../lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const autocannon = require('autocannon');
const RULES = path.join(ROOT, 'benchmarks', 'rules.yaml');
const CONNECTIONS = 32;
const BATCH_RECORDS = 1000;

// Where `taskset` can pin processes to cores (Linux with util-linux, 2 cores or more).
const CAN_PIN = (() => {
  try {
    execFileSync('taskset', ['-p', String(process.pid)], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

/** Runs `fn` with this process (autocannon) on core 1 only, then as it was. */
async function onCoreOne(fn) {
  const mask = execFileSync('taskset', ['-p', String(process.pid)], { encoding: 'utf8' })
    .trim()
    .split(' ')
    .pop();
  execFileSync('taskset', ['-p', '-c', '1', String(process.pid)], { stdio: 'ignore' });
  try {
    return await fn();
  } finally {
    execFileSync('taskset', ['-p', mask, String(process.pid)], { stdio: 'ignore' });
  }
}

function startServer(args, log, pin = false) {
  const [cmd, argv] = pin ? ['taskset', ['-c', '0', process.execPath, ...args]] : [process.execPath, args];
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], cwd: ROOT });
  let err = '';
  child.stderr.on('data', (c) => (err += c));
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ url: m[1], pid: child.pid, stop: () => stopChild(child) });
    });
    child.on('exit', (code) => {
      log(`server ${args.join(' ')} exited ${code}: ${err.slice(0, 300)}`);
      reject(new Error(`server exited ${code}: ${err.slice(0, 300)}`));
    });
  });
}

// Clock ticks per second of /proc/<pid>/stat's CPU times (undefined where there is no /proc).
const CLK_TCK = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || undefined;
  } catch {
    return undefined;
  }
})();

// CPU time (user + system, µs) a process has used so far; undefined where it cannot be read.
// Unlike requests/s, CPU per request barely moves with what else the machine runs.
function cpuMicros(pid) {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1e6) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function stopChild(child) {
  return new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.on('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

function cannon(opts) {
  return new Promise((resolve, reject) => {
    const inst = autocannon(opts, (err, res) => (err ? reject(err) : resolve(res)));
    autocannon.track(inst, { renderProgressBar: false, renderResultsTable: false, renderLatencyTable: false });
  });
}

const SERVERS = [
  {
    key: 'blazerules',
    label: '`blazerules serve --log-level silent` (no logger, as the Fastify servers)',
    args: ['dist/cli.js', 'serve', '--rules', RULES, '--port', '0', '--log-level', 'silent'],
  },
  {
    key: 'blazerulesWarn',
    label: '`blazerules serve --log-level warn` (pino: a child logger a request, nothing written)',
    args: ['dist/cli.js', 'serve', '--rules', RULES, '--port', '0', '--log-level', 'warn'],
  },
  {
    key: 'const',
    label: '(a) Fastify, constant answer (ceiling)',
    args: [path.join(HERE, 'server-child.mjs'), 'const'],
  },
  {
    key: 'handwritten',
    label: '(b) Fastify + hand-written JS rules',
    args: [path.join(HERE, 'server-child.mjs'), 'handwritten'],
  },
  {
    key: 'zen',
    label: '(c) Fastify + zen-engine',
    args: [path.join(HERE, 'server-child.mjs'), 'zen'],
    needsDeps: true,
  },
];

async function measureDecide(server, requests, seconds, log, setup) {
  const s = await startServer(server.args, log, setup.pin);
  try {
    const opts = { url: s.url, connections: CONNECTIONS, pipelining: setup.pipelining, requests };
    await cannon({ ...opts, duration: 1 }); // warm-up
    const cpu0 = cpuMicros(s.pid);
    const r = await cannon({ ...opts, duration: seconds });
    const cpu = (cpuMicros(s.pid) - cpu0) / r.requests.total;
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`${server.key}: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, cpu };
  } finally {
    await s.stop();
  }
}

async function measureBatch(body, seconds, log) {
  const s = await startServer(SERVERS[0].args, log);
  try {
    const opts = {
      url: `${s.url}/v1/decide/batch`,
      method: 'POST',
      connections: 4,
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    };
    await cannon({ ...opts, duration: 1 });
    const r = await cannon({ ...opts, duration: seconds });
    if (r.non2xx > 0 || r.errors > 0) throw new Error(`batch: ${r.non2xx} non-2xx, ${r.errors} errors`);
    return { recordsPerSec: r.requests.average * BATCH_RECORDS, p50: r.latency.p50, p99: r.latency.p99 };
  } finally {
    await s.stop();
  }
}

async function evaluateNdjsonAlone(body, seconds) {
  const { RuleEngine } = require(path.join(ROOT, 'dist', 'index.js'));
  const engine = new RuleEngine();
  engine.loadRules(RULES);
  for (let i = 0; i < 20; i++) await engine.evaluateNdjson(body);
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < seconds * 1000) {
    n += (await engine.evaluateNdjson(body)).nRecords;
  }
  return n / ((performance.now() - t0) / 1000);
}

const fmt = (x) => (x >= 1e6 ? `${(x / 1e6).toFixed(2)}M` : x >= 1e3 ? `${(x / 1e3).toFixed(1)}k` : x.toFixed(0));

export async function runServeBenchmark({ quick = false, log = console.error } = {}) {
  // Short turns, many of them: the machine's speed drifts (a VM's neighbours: the same server
  // varies by a third from one turn to the next), turns in alternating order share it out
  // evenly, and the ratios are taken within a round (servers measured seconds apart).
  const seconds = quick ? 3 : 4;
  const rounds = quick ? 1 : 10;
  const depErr = ensureNodeDeps(log);
  const { buf } = generate({ records: 256, seed: 11, malformedRate: 0 });
  const bodies = buf.toString().trim().split('\n');
  const requests = bodies.map((body) => ({
    method: 'POST',
    path: '/v1/decide',
    headers: { 'content-type': 'application/json' },
    body,
  }));
  const servers = SERVERS.filter((s) => !(s.needsDeps && depErr));
  const setups = [SHARED, ...(CAN_PIN && machine().nproc >= 2 ? [SERVER_BOUND] : [])];
  const decide = {};
  for (const setup of setups) {
    const measure = () => decideTurns(servers, requests, seconds, rounds, log, setup);
    decide[setup.key] = setup.pin ? await onCoreOne(measure) : await measure();
  }
  const batchBody = generate({ records: BATCH_RECORDS, seed: 12, malformedRate: 0 }).buf;
  log(`serve benchmark: /v1/decide/batch, ${seconds} s`);
  const batch = await measureBatch(batchBody, seconds, log);
  const alone = await evaluateNdjsonAlone(batchBody, seconds);
  const m = machine();
  const markdown = [
    '## serve',
    '',
    `\`node benchmarks/run.mjs --serve${quick ? ' --quick' : ''}\` (benchmarks/serve/run.mjs), ${m.date}, ${m.cpu}, ${m.nproc} cores, Node ${m.node}, load ${m.loadavg}.`,
    `autocannon in the benchmark process, each server in its own process, loopback; ${CONNECTIONS} connections, ${seconds} s per turn after 1 s of warm-up, ${rounds} turn(s) each in alternating order, medians. Bodies: 256 generated records (benchmarks/gen.mjs), ~450 bytes each, cycled. Every server answers the same JSON with the same response schema.`,
    ...setups.flatMap((setup) => decideTable(setup, servers, decide[setup.key], depErr)),
    '',
    `| POST /v1/decide/batch (${BATCH_RECORDS}-record NDJSON bodies, 4 connections) | records/s | p50 ms | p99 ms |`,
    '| --- | ---: | ---: | ---: |',
    `| blazerules serve | ${fmt(batch.recordsPerSec)} | ${batch.p50.toFixed(2)} | ${batch.p99.toFixed(2)} |`,
    `| \`engine.evaluateNdjson\` alone, same bodies, one call at a time | ${fmt(alone)} | | |`,
    '',
    `Over HTTP, a batch keeps ${((100 * batch.recordsPerSec) / alone).toFixed(0)} % of evaluateNdjson's records/s (on ${m.nproc} cores shared with autocannon).`,
    '',
  ].join('\n');
  return { markdown, decide, batch, alone };
}

const SHARED = {
  key: 'shared',
  title: 'shared: server and autocannon on every core, one request in flight per connection',
  pin: false,
  pipelining: 1,
};
const SERVER_BOUND = {
  key: 'serverBound',
  title:
    'server-bound: the server pinned to core 0, autocannon to core 1, 10 requests pipelined per connection (as Fastify runs its own benchmarks): the server is the bottleneck',
  pin: true,
  pipelining: 10,
};

/** Every server's medians over `rounds` turns in alternating order, in one setup, and the
 * median over rounds of each server's ratio to blazerules serve in that round (`paired`). */
async function decideTurns(servers, requests, seconds, rounds, log, setup) {
  const runs = Object.fromEntries(servers.map((s) => [s.key, []]));
  for (let round = 0; round < rounds; round++) {
    for (const s of round % 2 ? [...servers].reverse() : servers) {
      log(`serve benchmark (${setup.key}): /v1/decide, ${s.key}, ${seconds} s`);
      runs[s.key].push(await measureDecide(s, requests, seconds, log, setup));
    }
  }
  const median = (v) => {
    const x = [...v].sort((a, b) => a - b);
    return (x[(x.length - 1) >> 1] + x[x.length >> 1]) / 2;
  };
  const ours = runs.blazerules;
  return Object.fromEntries(
    servers.map((s) => {
      const r = runs[s.key];
      const at = (k) => median(r.map((x) => x[k]));
      const paired = {
        rps: median(r.map((x, i) => ours[i].rps / x.rps)),
        cpu: median(r.map((x, i) => x.cpu / ours[i].cpu)),
      };
      return [s.key, { rps: at('rps'), p50: at('p50'), p99: at('p99'), cpu: at('cpu'), paired }];
    }),
  );
}

/** Issue 11's goal for /v1/decide, judged on the same-round ratios of requests/s. */
function targetLine(decide) {
  const r = (k) => decide[k]?.paired.rps ?? Number.NaN;
  const met = r('const') >= 0.7 && r('handwritten') > 1 && r('zen') >= 3;
  return `Target (issue 11): at least 70 % of (a), ahead of (b), at least 3x (c): **${met ? 'MET' : 'NOT MET'}**.`;
}

/** One setup's /v1/decide table and ratios. */
function decideTable(setup, servers, decide, depErr) {
  const ceiling = decide.const?.rps ?? Number.NaN;
  const rows = servers.map((s) => {
    const d = decide[s.key];
    const cpu = Number.isFinite(d.cpu) ? d.cpu.toFixed(1) : 'n/a';
    return `| ${s.label} | ${fmt(d.rps)} | ${((100 * d.rps) / ceiling).toFixed(0)} % | ${d.p50.toFixed(2)} | ${d.p99.toFixed(2)} | ${cpu} |`;
  });
  const ratio = (k) => (decide[k] ? `${decide[k].paired.rps.toFixed(2)}x` : 'not measured');
  const warn = decide.blazerulesWarn;
  const cpuRatio = (k) => (decide[k] ? `${decide[k].paired.cpu.toFixed(2)}x` : 'not measured');
  return [
    '',
    `**${setup.title}.**`,
    '',
    '| POST /v1/decide | requests/s | of (a) | p50 ms | p99 ms | server CPU µs/request |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...rows,
    '',
    `blazerules serve's requests/s (median over rounds of its ratio to the other server measured in the same round): ${ratio('const')} of (a) the ceiling; ${ratio('handwritten')} of (b) hand-written JS; ${ratio('zen')} of (c) zen-engine${depErr ? ` (zen not measured: ${depErr})` : ''}.`,
    `Server CPU per request (user + system time of the server process over the turn, /proc; median of the same-round ratios): (a) uses ${cpuRatio('const')}, (b) ${cpuRatio('handwritten')}, (c) ${cpuRatio('zen')} of blazerules serve's.`,
    targetLine(decide),
    ...(warn
      ? [
          `With pino at --log-level warn, blazerules serve keeps ${(1 / warn.paired.rps).toFixed(2)}x of its requests/s without a logger.`,
        ]
      : []),
  ];
}
