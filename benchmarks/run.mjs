#!/usr/bin/env node
// blazerules benchmark suite: `npm run bench` (= node benchmarks/run.mjs) or
// `node benchmarks/run.mjs --quick` for a short smoke run.
//
// Competitors, all on the same generated records and the same benchmarks/rules.yaml logic:
//   1. blazerules  RuleEngine.evaluateNdjson(Buffer) -> BatchResult, timed end to end
//   2. hand-written JavaScript over JSON.parse of each line   (competitors/handwritten.mjs)
//   3. json-rules-engine (npm)                                   (competitors/jre.mjs)
//   4. @gorules/zen-engine (npm), JDM graph + first-hit table   (competitors/zen.mjs)
//   5. BlazeRules Python 0.5.4 (PyPI) in benchmarks/.venv, its own process (python_bench.py)
// plus throughput vs batch size and vs rule count, peak RSS vs batch size, and a
// record-by-record cross-check of the engines' decisions.  Prints tables and writes
// benchmarks/RESULTS.md.  No timed assertions: numbers are reported, never asserted.
//
// Options: --quick, --no-python, --no-competitors, --out FILE (default benchmarks/RESULTS.md),
// --stream (only the Kafka stream benchmarks, benchmarks/stream/run.mjs and replay.mjs: update
// their sections of the results file), --no-stream (everything but it), --windows (only the windows benchmark,
// lib/windows.mjs: updates its section), --baseline DIR (another built checkout of
// this repository: the blazerules measurements and the runStream loops run for both, alternately,
// and a "Baseline vs current" table gives the ratios), --hostile (only the peak memory of the
// worst hostile inputs, benchmarks/hostile-memory.mjs: updates its section), --no-hostile,
// --serve (only `blazerules serve` over HTTP with autocannon, benchmarks/serve/run.mjs: updates
// its section), --no-serve.

import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { ensureRulesFile } from './gen-rules.mjs';
import { DATA_DIR, ensureDataFile } from './gen.mjs';
import { isObjectLine, nonEmptyLines, sliceFile } from './lib/data.mjs';
import { fmtInt, fmtMB, fmtRate } from './lib/format.mjs';
import { competitorsSection, verifySection } from './lib/checks.mjs';
import { report } from './lib/report.mjs';
import { sectionOf, upsertSection } from './lib/sections.mjs';
import { HERE, ROOT, ensureNodeDeps, ensurePython, loadBlazerules, machine, runPython } from './lib/setup.mjs';
import { pick, recordsPerSec, timeEach, timeLoop } from './lib/timing.mjs';
import { windowsMarkdown, windowsSection } from './lib/windows.mjs';

const argv = process.argv.slice(2);
/** The value of `--name V` or `--name=V`, or undefined. */
const argValue = (name) => {
  const eq = argv.find((a) => a.startsWith(`--${name}=`));
  if (eq) return eq.slice(name.length + 3);
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = argv.includes('--quick');
const NO_PY = argv.includes('--no-python');
const NO_COMP = argv.includes('--no-competitors');
const STREAM_ONLY = argv.includes('--stream');
const NO_STREAM = argv.includes('--no-stream');
const HOSTILE_ONLY = argv.includes('--hostile');
const NO_HOSTILE = argv.includes('--no-hostile');
const WINDOWS_ONLY = argv.includes('--windows');
const SERVE_ONLY = argv.includes('--serve');
const NO_SERVE = argv.includes('--no-serve');
const OUT = argValue('out') ? path.resolve(argValue('out')) : path.join(HERE, 'RESULTS.md');
// the package to benchmark: the repository root (its package.json `main`, i.e. dist/), or
// BLAZERULES_BENCH_PACKAGE=/path/to/another/build; --baseline DIR: a second one to compare with
const PKG = path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || ROOT);
const BASELINE = argValue('baseline') ? path.resolve(argValue('baseline')) : undefined;
const RULES = path.join(HERE, 'rules.yaml');
const T_START = Date.now();

const CFG = QUICK
  ? {
      main: '4MB',
      verifyLines: 3000,
      jre: 1000,
      zen: 1000,
      iters: 3,
      minSec: 0.3,
      maxSec: 3,
      batch: ['1r', '100r', '1MB', '10000r'],
      ruleData: '1MB',
      ruleCounts: [10, 100, 1000],
      memIters: 2,
    }
  : {
      main: '64MB',
      verifyLines: 20000,
      jre: 10000,
      zen: 10000,
      iters: 5,
      minSec: 1.5,
      maxSec: 8,
      batch: ['1r', '100r', '10000r', '1MB', '16MB', '64MB'],
      ruleData: '16MB',
      ruleCounts: [10, 100, 1000],
      memIters: 3,
    };

const log = (...a) => console.error(`[bench +${((Date.now() - T_START) / 1000).toFixed(0)}s]`, ...a);
const errText = (err) => String(err?.message || err);
/** Timing settings: the run's defaults, overridden by `opts`. */
const timing = (opts = {}) => ({ minIters: CFG.iters, minSec: CFG.minSec, maxSec: CFG.maxSec, warm: 1, ...opts });
const rate = (records, bytes, t) => ({
  ...pick(t),
  rps: records / (t.medianMs / 1e3),
  mbps: bytes / 1e6 / (t.medianMs / 1e3),
});
const countLabels = (codes, labelOf) => {
  const out = {};
  for (const c of codes) out[labelOf(c)] = (out[labelOf(c)] || 0) + 1;
  return out;
};

const results = {
  machine: machine(),
  quick: QUICK,
  config: CFG,
  engines: {},
  verify: [],
  verifyEdge: [],
  batch: [],
  rulesScaling: [],
  memory: [],
  skipped: {},
};

// ------------------------------------------------------------------ blazerules, current and baseline

/** A RuleEngine of a loaded package with `rules` loaded. */
function engineOf(pkg, rules = RULES) {
  const e = new pkg.mod.RuleEngine();
  e.loadRules(rules);
  return e;
}

/**
 * Times a blazerules measurement: `makeFn(pkg)` prepares one package and returns the function
 * to time. With a baseline, both packages take turns and the pair goes into the "Baseline vs
 * current" table as `what` (a text, or a function of the current timing). Returns the current
 * package's timing.
 */
async function timeBlaze(ctx, label, makeFn, opts) {
  const base = ctx.baseline?.mod ? ctx.baseline : null;
  const what = (t) => (typeof label === 'function' ? label(t) : label);
  if (!base) return timeLoop(makeFn(ctx.current), opts);
  const fnCurrent = makeFn(ctx.current);
  let fnBase;
  try {
    fnBase = makeFn(base);
  } catch (err) {
    const cur = await timeLoop(fnCurrent, opts);
    results.baseline.rows.push({ what: what(cur), current: recordsPerSec(cur), error: errText(err) });
    return cur;
  }
  const [cur, b] = await timeEach([fnCurrent, fnBase], opts);
  results.baseline.rows.push({ what: what(cur), current: recordsPerSec(cur), baseline: recordsPerSec(b) });
  log(`  baseline vs current, ${what(cur)}: ${fmtRate(recordsPerSec(b))} vs ${fmtRate(recordsPerSec(cur))} rec/s`);
  return cur;
}

function loadPackages(ctx) {
  ctx.current = loadBlazerules(PKG, RULES);
  if (ctx.current.error) {
    results.skipped.blazerules = ctx.current.error;
    log(`blazerules NOT available: ${ctx.current.error}`);
  } else log(`blazerules ${ctx.current.version} loaded from ${PKG}`);
  results.blazerulesVersion = ctx.current.version;
  results.current = { dir: PKG, commit: ctx.current.commit };
  if (BASELINE === undefined) return;
  ctx.baseline = loadBlazerules(BASELINE, RULES);
  const { dir, version, commit, error } = ctx.baseline;
  results.baseline = { dir, version, commit, error, rows: [] };
  log(error ? `baseline NOT available: ${error}` : `baseline blazerules ${version} loaded from ${dir}`);
}

// ------------------------------------------------------------------ sections

/** The data, the hand-written reference over all of it, the competitors and the packages. */
async function setup() {
  const M = results.machine;
  log(`machine: ${M.nproc} cpu, ${M.cpu}, node ${M.node}${QUICK ? ' (quick run)' : ''}`);
  const ctx = {
    cfg: CFG,
    results,
    log,
    rules: RULES,
    quick: QUICK,
    depErr: NO_COMP ? 'disabled (--no-competitors)' : ensureNodeDeps(log),
    pyErr: NO_PY ? 'disabled (--no-python)' : ensurePython(log),
  };
  if (ctx.depErr) results.skipped.npm = ctx.depErr;
  if (ctx.pyErr) results.skipped.python = ctx.pyErr;
  log('generating data (seeded; cached in benchmarks/data/)');
  ctx.mainFile = ensureDataFile(CFG.main);
  ctx.mainBuf = fs.readFileSync(ctx.mainFile);
  ctx.H = await import('./competitors/handwritten.mjs');
  const all = ctx.H.evaluateNdjson(ctx.mainBuf, { keepSkippedLines: true });
  const lines = all.nRecords + all.messagesSkipped;
  results.data = {
    file: path.relative(ROOT, ctx.mainFile),
    bytes: ctx.mainBuf.length,
    lines,
    records: all.nRecords,
    malformed: all.messagesSkipped,
    bytesPerLine: ctx.mainBuf.length / lines,
  };
  log(
    `data: ${results.data.file} ${fmtMB(ctx.mainBuf.length / 1e6)} MB, ${fmtInt(lines)} lines, ${fmtInt(all.messagesSkipped)} malformed`,
  );
  loadPackages(ctx);
  return ctx;
}

/** blazerules (async and sync) and the hand-written JS on the main file; blazerules also on
 * lean records, the record size the issue's target assumes. */
async function engineSection(ctx) {
  const E = results.engines;
  const { mainBuf, H } = ctx;
  if (ctx.current.mod) {
    try {
      const t = await timeBlaze(
        ctx,
        `evaluateNdjson, ${CFG.main} of ${results.data.bytesPerLine.toFixed(0)}-byte records`,
        (pkg) => {
          const e = engineOf(pkg);
          return async () => {
            const r = await e.evaluateNdjson(mainBuf);
            if (r.decisionCodes.length !== r.nRecords || r.scores.length !== r.nRecords)
              throw new Error('short result');
            return r;
          };
        },
        timing(),
      );
      const r = t.last;
      E.blazerules = {
        name: 'blazerules evaluateNdjson (async)',
        records: r.nRecords,
        bytes: mainBuf.length,
        ...rate(r.nRecords, mainBuf.length, t),
        decisions: countLabels(r.decisionCodes, (c) => r.decisionLabelMap[c]),
        skipped: r.messagesSkipped,
        nativeTiming: r.timing,
      };
      log(`blazerules async: ${fmtRate(E.blazerules.rps)} rec/s, ${fmtMB(E.blazerules.mbps)} MB/s`);
      const e = engineOf(ctx.current);
      if (typeof e.evaluateNdjsonSync === 'function') {
        const ts = await timeLoop(async () => e.evaluateNdjsonSync(mainBuf), timing());
        E.blazerulesSync = {
          name: 'blazerules evaluateNdjsonSync',
          records: ts.last.nRecords,
          bytes: mainBuf.length,
          ...rate(ts.last.nRecords, mainBuf.length, ts),
        };
      }
    } catch (err) {
      results.skipped.blazerulesMain = errText(err);
    }
  }
  const t = await timeLoop(async () => H.evaluateNdjson(mainBuf), timing({ minIters: Math.min(CFG.iters, 3) }));
  E.handwritten = {
    name: 'hand-written JS (JSON.parse per line)',
    records: t.last.nRecords,
    bytes: mainBuf.length,
    ...rate(t.last.nRecords, mainBuf.length, t),
    decisions: countLabels(t.last.decisionCodes, (c) => H.LABELS[c]),
    skipped: t.last.messagesSkipped,
  };
  log(`hand-written JS: ${fmtRate(E.handwritten.rps)} rec/s`);
  if (ctx.current.mod && E.blazerules) await leanRecords(ctx);
}

/** The same measurement at the record size the issue's target assumes (~370 bytes: the
 * generator's --lean records, without the geo and items no rule reads). */
async function leanRecords(ctx) {
  const leanBuf = fs.readFileSync(ensureDataFile(CFG.main, { lean: true }));
  const bytesPerLine = (t) => leanBuf.length / (t.last.nRecords + t.last.messagesSkipped);
  const what = (t) => `evaluateNdjson, ${CFG.main} of ${bytesPerLine(t).toFixed(0)}-byte (lean) records`;
  const t = await timeBlaze(
    ctx,
    what,
    (pkg) => {
      const e = engineOf(pkg);
      return async () => e.evaluateNdjson(leanBuf);
    },
    timing(),
  );
  const th = await timeLoop(async () => ctx.H.evaluateNdjson(leanBuf), timing({ minIters: Math.min(CFG.iters, 3) }));
  results.lean = {
    bytes: leanBuf.length,
    records: t.last.nRecords,
    bytesPerLine: bytesPerLine(t),
    ...rate(t.last.nRecords, leanBuf.length, t),
    handRps: recordsPerSec(th),
  };
  log(`blazerules async, lean records: ${fmtRate(results.lean.rps)} rec/s`);
}

/** The batch sizes measured: prefixes of the main file, smallest first, one per distinct size. */
function batchSpecs(ctx) {
  const specs = [];
  for (const spec of CFG.batch) {
    const file = sliceFile(ctx.mainFile, spec);
    const size = fs.statSync(file).size;
    if (/MB$/.test(spec) && size < (Number(spec.slice(0, -2)) << 20) * 0.9) continue; // main file too small
    if (specs.some((b) => b.size === size)) continue;
    specs.push({ spec, file, size });
  }
  return specs.sort((a, b) => a.size - b.size);
}

/** Throughput vs batch size: blazerules (async, sync), hand-written JS and Python on each prefix. */
async function batchSection(ctx) {
  log('scaling: batch size');
  ctx.batchSpecs = batchSpecs(ctx);
  results.batchSpecs = ctx.batchSpecs.map((b) => b.spec);
  for (const { spec, file } of ctx.batchSpecs) {
    const buf = fs.readFileSync(file);
    const row = { spec, bytes: buf.length };
    const small = buf.length < 1 << 20;
    const opts = timing({ minIters: small ? 50 : CFG.iters, minSec: small ? 0.5 : CFG.minSec, warm: small ? 20 : 1 });
    if (ctx.current.mod) {
      try {
        const t = await timeBlaze(
          ctx,
          `evaluateNdjson, batch of ${spec.replace(/r$/, ' rec')}`,
          (pkg) => {
            const e = engineOf(pkg);
            return () => e.evaluateNdjson(buf);
          },
          opts,
        );
        row.records = t.last.nRecords;
        row.blaze = rate(t.last.nRecords, buf.length, t);
        const e = engineOf(ctx.current);
        if (typeof e.evaluateNdjsonSync === 'function') {
          const ts = await timeLoop(async () => e.evaluateNdjsonSync(buf), opts);
          row.blazeSync = { ...pick(ts), rps: recordsPerSec(ts) };
        }
      } catch (err) {
        row.blazeError = errText(err);
      }
    }
    const th = await timeLoop(async () => ctx.H.evaluateNdjson(buf), opts);
    row.records ??= th.last.nRecords;
    row.hand = { ...pick(th), rps: recordsPerSec(th) };
    if (!ctx.pyErr) {
      try {
        const s = runPython([
          '--rules',
          RULES,
          '--data',
          file,
          '--iterations',
          String(opts.minIters),
          '--min-seconds',
          String(opts.minSec),
        ]);
        row.py = { medianMs: s.medianMs, rps: s.recordsPerSec, mbps: s.mbPerSec, hwmKb: s.vmHwmKb };
      } catch (err) {
        row.pyError = errText(err);
      }
    }
    results.batch.push(row);
    log(
      `  ${spec}: blazerules ${fmtRate(row.blaze?.rps)} rec/s, hand JS ${fmtRate(row.hand.rps)}, python ${fmtRate(row.py?.rps)}`,
    );
  }
}

/** One rule count of the rule-scaling table: blazerules (and the baseline) and Python. */
async function rulesRow(ctx, n, rdFile, rdBuf) {
  const rf = ensureRulesFile(n);
  const row = { rules: n, bytes: rdBuf.length };
  if (ctx.current.mod) {
    try {
      const loadMs = [];
      const t = await timeBlaze(
        ctx,
        `evaluateNdjson, ${n} generated rules, ${CFG.ruleData}`,
        (pkg) => {
          const e = new pkg.mod.RuleEngine();
          const t0 = performance.now();
          e.loadRules(rf);
          loadMs.push(performance.now() - t0);
          return () => e.evaluateNdjson(rdBuf);
        },
        timing(),
      );
      row.loadMs = loadMs[0];
      row.records = t.last.nRecords;
      row.blaze = rate(t.last.nRecords, rdBuf.length, t);
      row.blazeDecisions = countLabels(t.last.decisionCodes, (c) => t.last.decisionLabelMap[c]);
      row.blazeMatchCounts = { ...t.last.matchCounts };
    } catch (err) {
      row.blazeError = errText(err);
    }
  }
  if (!ctx.pyErr) {
    try {
      const s = runPython([
        '--rules',
        rf,
        '--data',
        rdFile,
        '--iterations',
        String(CFG.iters),
        '--min-seconds',
        String(CFG.minSec),
      ]);
      row.records ??= s.nRecords;
      row.py = { medianMs: s.medianMs, rps: s.recordsPerSec, mbps: s.mbPerSec, loadMs: s.loadMs };
      row.pyDecisions = s.decisionCounts;
      row.pyMatchCounts = s.matchCounts;
      row.pySkipped = s.messagesSkipped;
    } catch (err) {
      row.pyError = errText(err);
    }
  }
  return { row, rf };
}

/** Per-rule match counts of blazerules and Python on the same prefix without its malformed lines
 * (BlazeRules Python keeps some malformed lines as records, which would shift the counts of
 * rules that ignore `amount`). */
async function rulesCrossCheck(ctx, row, rf, rdClean) {
  try {
    const rb = await engineOf(ctx.current, rf).evaluateNdjson(fs.readFileSync(rdClean));
    const s = runPython(['--rules', rf, '--data', rdClean, '--iterations', '1']);
    row.cleanRecords = rb.nRecords;
    row.cleanPyRecords = s.nRecords;
    const ids = [...new Set([...Object.keys(s.matchCounts), ...Object.keys(rb.matchCounts)])];
    row.ruleCountDiffs = ids
      .filter((id) => (s.matchCounts[id] ?? 0) !== (rb.matchCounts[id] ?? 0))
      .map((id) => ({ rule: id, blazerules: rb.matchCounts[id] ?? 0, python: s.matchCounts[id] ?? 0 }));
  } catch (err) {
    row.crossCheckError = errText(err);
  }
}

/** Throughput vs rule count (generated rule sets), with the match-count cross-check. */
async function rulesSection(ctx) {
  log('scaling: rule count');
  const rdFile = sliceFile(ctx.mainFile, CFG.ruleData);
  const rdBuf = fs.readFileSync(rdFile);
  const rdClean = rdFile.replace(/\.ndjson$/, '-clean.ndjson');
  fs.writeFileSync(rdClean, `${nonEmptyLines(rdBuf).filter(isObjectLine).join('\n')}\n`);
  for (const n of CFG.ruleCounts) {
    const { row, rf } = await rulesRow(ctx, n, rdFile, rdBuf);
    if (ctx.current.mod && !ctx.pyErr && !row.blazeError && !row.pyError) await rulesCrossCheck(ctx, row, rf, rdClean);
    results.rulesScaling.push(row);
    log(`  ${n} rules: blazerules ${fmtRate(row.blaze?.rps)} rec/s, python ${fmtRate(row.py?.rps)}`);
  }
}

/** Cost per rule by operator family: the 1000-rule set split by the operator of each rule's
 * first leaf, each part timed alone on the 1 MB prefix, minus a one-rule baseline. */
async function familiesSection(ctx) {
  if (!ctx.current.mod) return;
  log('scaling: cost per rule by operator family');
  try {
    const famBuf = fs.readFileSync(sliceFile(ctx.mainFile, '1MB'));
    const text = fs.readFileSync(ensureRulesFile(1000), 'utf8');
    const [head, body] = text.split('  rules:\n');
    const fams = {};
    for (const blk of body.split(/(?= {4}- id: )/)) {
      const cond = blk.split('conditions:\n')[1] || '';
      const op = (/\bsql:/.test(cond) ? 'sql' : (/op: ([a-z_]+)/.exec(cond) || [])[1]) || '?';
      const key = /expr:/.test(cond) ? 'expr (div)' : op + (/\bnot:/.test(cond) ? ' + not/or' : '');
      fams[key] ||= [];
      fams[key].push(blk);
    }
    const timeRules = async (yaml) => {
      const f = path.join(DATA_DIR, 'rules-family.yaml');
      fs.writeFileSync(f, yaml);
      const e = engineOf(ctx.current, f);
      const t = await timeLoop(() => e.evaluateNdjson(famBuf), timing({ minIters: 3, minSec: 0.3, maxSec: 3 }));
      return { ms: t.medianMs, n: t.last.nRecords };
    };
    const base = await timeRules(
      `${head}  rules:\n    - id: baseline\n      conditions: { field: amount, op: gt, value: 1000000000000 }\n`,
    );
    results.families = { baselineMs: base.ms, records: base.n, bytes: famBuf.length, rows: [] };
    for (const [key, blks] of Object.entries(fams).sort()) {
      const t = await timeRules(`${head}  rules:\n${blks.join('')}`);
      results.families.rows.push({
        family: key,
        rules: blks.length,
        ms: t.ms,
        nsPerRuleRecord: ((t.ms - base.ms) * 1e6) / (blks.length * t.n),
        rps: t.n / (t.ms / 1e3),
      });
    }
  } catch (err) {
    results.skipped.families = errText(err);
  }
}

/** Peak memory vs batch size, a fresh process (mem-child.mjs) per engine and batch. */
function memorySection(ctx) {
  log('peak memory vs batch size');
  for (const { spec, file, size } of ctx.batchSpecs) {
    const row = { spec, bytes: size };
    for (const eng of [ctx.current.mod ? 'blazerules' : null, 'handwritten'].filter(Boolean)) {
      const args = [
        path.join(HERE, 'mem-child.mjs'),
        '--engine',
        eng,
        '--rules',
        RULES,
        '--data',
        file,
        '--iterations',
        String(CFG.memIters),
      ];
      const r = spawnSync(process.execPath, args, {
        encoding: 'utf8',
        timeout: 300000,
        env: { ...process.env, BLAZERULES_BENCH_PACKAGE: PKG },
      });
      if (r.status === 0) row[eng] = JSON.parse(r.stdout.trim().split('\n').pop());
      else row[`${eng}Error`] = (r.stderr || '').trim().split('\n').slice(-1)[0];
    }
    const b = results.batch.find((x) => x.spec === spec);
    if (b?.py?.hwmKb) row.pythonHwmKb = b.py.hwmKb;
    results.memory.push(row);
  }
}

/** The windows benchmark (lib/windows.mjs), on the main data, in this run. */
async function windowsRun(ctx) {
  if (!ctx.current.mod) return undefined;
  log('windows: the benchmark rules plus 3 window rules over 1 M entities');
  try {
    return await windowsSection({
      pkg: ctx.current.mod,
      rules: RULES,
      mainFile: ctx.mainFile,
      timing: timing(),
      log,
    });
  } catch (err) {
    return { error: errText(err) };
  }
}

const COMMAND = `node benchmarks/run.mjs ${argv.join(' ')}`.trim();

/** The Kafka stream benchmark (benchmarks/stream/run.mjs): its own section of the report. */
async function streamSection() {
  log('Kafka stream benchmark (benchmarks/stream/run.mjs)');
  try {
    return (await (await import('./stream/run.mjs')).runStreamBenchmark({ quick: QUICK, log, baseline: BASELINE }))
      .markdown;
  } catch (err) {
    return `## Kafka stream\n\nNot measured: ${errText(err).slice(0, 300)}\n`;
  }
}

/** Window replay speed (benchmarks/stream/replay.mjs): its own section, after the stream's. */
async function replaySection() {
  log('window replay benchmark (benchmarks/stream/replay.mjs)');
  try {
    return (await (await import('./stream/replay.mjs')).runReplayBenchmark({ quick: QUICK, log })).markdown;
  } catch (err) {
    return `## Window replay\n\nNot measured: ${errText(err).slice(0, 300)}\n`;
  }
}

/** The worst hostile inputs' peak memory (benchmarks/hostile-memory.mjs): its own section. */
async function hostileSection() {
  log('hostile input: peak memory (benchmarks/hostile-memory.mjs)');
  try {
    return (await (await import('./hostile-memory.mjs')).runHostileBenchmark({ log })).markdown;
  } catch (err) {
    return `## Hostile input: peak memory\n\nNot measured: ${errText(err).slice(0, 300)}\n`;
  }
}

/** `blazerules serve` over HTTP (benchmarks/serve/run.mjs): its own section. */
async function serveSection() {
  log('serve benchmark (benchmarks/serve/run.mjs)');
  try {
    return (await (await import('./serve/run.mjs')).runServeBenchmark({ quick: QUICK, log })).markdown;
  } catch (err) {
    return `## serve\n\nNot measured: ${errText(err).slice(0, 300)}\n`;
  }
}

async function serveOnly() {
  const markdown = await serveSection();
  upsertSection(OUT, markdown);
  console.log(markdown);
  log(`wrote the serve section of ${path.relative(process.cwd(), OUT)}`);
}

async function hostileOnly() {
  const H = await import('./hostile-memory.mjs');
  const { markdown } = await H.runHostileBenchmark({ log });
  upsertSection(OUT, markdown);
  console.log(markdown);
  log(`wrote the hostile input section of ${path.relative(process.cwd(), OUT)}`);
}

function writeResults(streamMd, hostileMd) {
  const windowsMd = windowsMarkdown(results.windows, COMMAND);
  // rules-load.mjs writes its section on its own: keep it.
  const kept = fs.existsSync(OUT) ? sectionOf(fs.readFileSync(OUT, 'utf8'), '## Rules load') : undefined;
  const md =
    report(results) +
    (windowsMd ? `\n${windowsMd}` : '') +
    (streamMd ? `\n${streamMd}` : '') +
    (hostileMd ? `\n${hostileMd}` : '') +
    (kept ? `\n${kept}\n` : '');
  fs.writeFileSync(OUT, md);
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(path.join(DATA_DIR, 'last-run.json'), JSON.stringify(results, null, 2));
  console.log(md.replace(/<details>[\s\S]*?<\/details>\n?/g, '').replace(/^## How the competitors[\s\S]*$/m, ''));
  if (streamMd) console.log(streamMd);
  if (hostileMd) console.log(hostileMd);
  log(
    `wrote ${path.relative(process.cwd(), OUT)} (raw numbers: ${path.relative(process.cwd(), path.join(DATA_DIR, 'last-run.json'))}) in ${results.elapsedSec.toFixed(0)} s`,
  );
}

async function streamOnly() {
  const S = await import('./stream/run.mjs');
  const { markdown } = await S.runStreamBenchmark({ quick: QUICK, log, baseline: BASELINE });
  upsertSection(OUT, markdown);
  console.log(markdown);
  const replay = await replaySection();
  upsertSection(OUT, replay);
  console.log(replay);
  log(`wrote the Kafka stream section of ${path.relative(process.cwd(), OUT)}`);
}

/** Only the windows benchmark: updates its section of the results file. */
async function windowsOnly() {
  const ctx = { mainFile: ensureDataFile(CFG.main) };
  loadPackages(ctx);
  const W = await windowsRun(ctx);
  const markdown = windowsMarkdown(W, COMMAND);
  upsertSection(OUT, markdown);
  console.log(markdown);
  log(`wrote the Windows section of ${path.relative(process.cwd(), OUT)}`);
}

async function main() {
  if (STREAM_ONLY) return streamOnly();
  if (HOSTILE_ONLY) return hostileOnly();
  if (SERVE_ONLY) return serveOnly();
  if (WINDOWS_ONLY) return windowsOnly();
  const ctx = await setup();
  await verifySection(ctx);
  await engineSection(ctx);
  results.windows = await windowsRun(ctx);
  await competitorsSection(ctx);
  await batchSection(ctx);
  await rulesSection(ctx);
  await familiesSection(ctx);
  memorySection(ctx);
  results.elapsedSec = (Date.now() - T_START) / 1000;
  results.loadavgEnd = os
    .loadavg()
    .map((x) => x.toFixed(2))
    .join(' ');
  const streamMd = NO_STREAM ? '' : `${await streamSection()}\n${await replaySection()}`;
  const serveMd = NO_SERVE ? '' : await serveSection();
  writeResults(`${streamMd}${serveMd ? `\n${serveMd}` : ''}`, NO_HOSTILE ? '' : await hostileSection());
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
