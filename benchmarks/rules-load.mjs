#!/usr/bin/env node
// Rules loading: time and peak memory of `loadRules` on large rules files, each load in a fresh
// child process (peak RSS = VmHWM from /proc). Nothing is asserted: numbers are reported.
//
//   node benchmarks/rules-load.mjs                     current build; writes the "## Rules load"
//                                                      section of benchmarks/RESULTS.md
//   node benchmarks/rules-load.mjs --baseline DIR      and another build (a checkout built with
//                                                      `npm run build`), taking turns with it
//   options: --rounds N (default 3), --out FILE, --quick (1 round, files a tenth the size)
//
// The inputs are generated into benchmarks/data/ (git-ignored): a ~10 MB YAML file of many
// rules (gen-rules.mjs's rules), the same document as JSON, and a rule whose `in` list has a
// million values (YAML and JSON).

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { DATA_DIR } from './gen.mjs';
import { generateRules } from './gen-rules.mjs';
import { fmtMB, fmtMs, fmtX, median, table } from './lib/format.mjs';
import { upsertSection } from './lib/sections.mjs';
import { ROOT, commitOf, machine } from './lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const argv = process.argv.slice(2);
const arg = (k) => (argv.includes(k) ? argv[argv.indexOf(k) + 1] : undefined);

/** In a child: load one rules file with one build and print what it took. */
function child() {
  const require = createRequire(import.meta.url);
  const hwmKb = () => Number(/^VmHWM:\s+(\d+)/m.exec(fs.readFileSync('/proc/self/status', 'utf8'))?.[1]);
  const { RuleEngine } = require(path.resolve(arg('--package')));
  const engine = new RuleEngine();
  const beforeKb = hwmKb();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  let report;
  try {
    report = engine.loadRules(arg('--file'));
  } catch (err) {
    console.log(JSON.stringify({ error: String(err.message).slice(0, 200) }));
    return;
  }
  const ms = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const out = { ms, cpuMs: (cpu.user + cpu.system) / 1000, beforeKb, peakKb: hwmKb(), rules: report.ruleCount };
  console.log(JSON.stringify(out));
}

/** The inputs, generated once (regenerated when missing). */
function inputs(quick) {
  fs.mkdirSync(DATA_DIR, { recursive: true });
  const nRules = quick ? 4500 : 45000;
  const nValues = quick ? 100_000 : 1_000_000;
  const file = (name) => path.join(DATA_DIR, name);
  const many = file(`rules-load-${nRules}-rules.yaml`);
  const list = file(`rules-load-${nValues}-values.yaml`);
  const write = (f, make) => {
    if (!fs.existsSync(f)) fs.writeFileSync(f, make());
    return f;
  };
  write(many, () => generateRules(nRules));
  write(list, () => inList(nValues));
  // The same documents as JSON (converted by the `yaml` package the repository depends on).
  const require = createRequire(import.meta.url);
  const yaml = require(path.join(ROOT, 'node_modules', 'yaml'));
  const asJson = (f) =>
    write(f.replace(/\.yaml$/, '.json'), () => JSON.stringify(yaml.parse(fs.readFileSync(f, 'utf8'))));
  return [
    { name: `${nRules.toLocaleString('en-US')} rules, YAML`, file: many },
    { name: `${nRules.toLocaleString('en-US')} rules, JSON`, file: asJson(many) },
    { name: `one \`in\` list of ${nValues.toLocaleString('en-US')} values, YAML`, file: list },
    { name: `one \`in\` list of ${nValues.toLocaleString('en-US')} values, JSON`, file: asJson(list) },
  ];
}

/** A rule set whose one rule tests a field against `n` distinct strings. */
function inList(n) {
  const values = [];
  for (let i = 0; i < n; i++) values.push(`v${(i * 7919) % 10_000_019}`);
  return `ruleset:\n  version: "1"\n  rules:\n    - id: big_list\n      action: block\n      conditions:\n        field: merchant.id\n        op: in\n        values: [${values.join(', ')}]\n`;
}

function runChild(pkg, file) {
  const out = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), '--child', '--package', pkg, '--file', file],
    {
      encoding: 'utf8',
      maxBuffer: 1 << 20,
    },
  );
  return JSON.parse(out.trim().split('\n').pop());
}

function main() {
  const quick = argv.includes('--quick');
  const rounds = Number(arg('--rounds') ?? (quick ? 1 : 3));
  const out = path.resolve(arg('--out') ?? path.join(HERE, 'RESULTS.md'));
  const builds = [{ label: 'current', dir: ROOT }];
  if (arg('--baseline')) builds.push({ label: 'baseline', dir: path.resolve(arg('--baseline')) });
  const cases = inputs(quick);
  const results = [];
  for (const c of cases) {
    const runs = Object.fromEntries(builds.map((b) => [b.label, []]));
    for (let r = 0; r < rounds; r++) {
      // Take turns: each round the other build goes first.
      const order = r % 2 === 0 ? builds : [...builds].reverse();
      for (const b of order) {
        const got = runChild(b.dir, c.file);
        runs[b.label].push(got);
        console.error(`${c.name} [${b.label}] ${JSON.stringify(got)}`);
      }
    }
    results.push({ ...c, bytes: fs.statSync(c.file).size, runs });
  }
  const md = markdown(results, builds, rounds);
  upsertSection(out, md);
  fs.writeFileSync(path.join(DATA_DIR, 'rules-load-last-run.json'), JSON.stringify({ builds, results }, null, 2));
  console.log(md);
}

/** One build's runs of one case: median times, highest peak. */
function summary(runs) {
  if (runs.some((r) => r.error)) return { error: runs.find((r) => r.error).error };
  const peak = Math.max(...runs.map((r) => r.peakKb)) / 1024;
  const before = median(runs.map((r) => r.beforeKb)) / 1024;
  return { ms: median(runs.map((r) => r.ms)), cpuMs: median(runs.map((r) => r.cpuMs)), peak, before };
}

function markdown(results, builds, rounds) {
  const m = machine();
  const names = builds.map((b) => `${b.label}: ${b.dir}${commitOf(b.dir) ? ` (${commitOf(b.dir)})` : ''}`).join('; ');
  const L = ['## Rules load', ''];
  L.push(
    `\`node benchmarks/rules-load.mjs${builds.length > 1 ? ' --baseline DIR' : ''}\`: \`loadRules(file)\` in a fresh process per load, ${rounds} round(s) per build taking turns; time and CPU time are medians, peak RSS (VmHWM) the highest, the process before loading included. ${names}. Machine: ${m.cpu}, ${m.nproc} cores, load average ${m.loadavg} (shared: wall times are noisy, CPU time less so).`,
    '',
  );
  const rows = [];
  for (const r of results) {
    for (const b of builds) {
      const s = summary(r.runs[b.label]);
      const name = `${r.name} (${fmtMB(r.bytes / 2 ** 20)} MB)${builds.length > 1 ? ` — ${b.label}` : ''}`;
      if (s.error) rows.push([name, '—', '—', '—', '—', s.error]);
      else
        rows.push([
          name,
          fmtMs(s.ms),
          fmtMs(s.cpuMs),
          fmtMB(s.peak),
          fmtMB(s.peak - s.before),
          fmtX(((s.peak - s.before) * 2 ** 20) / r.bytes),
        ]);
    }
  }
  L.push(
    table(['rules file', 'load ms', 'CPU ms', 'peak RSS MB', 'of which loading MB', 'loading / file size'], rows),
    '',
  );
  if (builds.length > 1) {
    const ratio = results.map((r) => {
      const [cur, base] = [summary(r.runs.current), summary(r.runs.baseline)];
      return [r.name, fmtX(base.ms / cur.ms), fmtX(base.cpuMs / cur.cpuMs), fmtX(base.peak / cur.peak)];
    });
    L.push(table(['rules file', 'faster (time)', 'faster (CPU)', 'less peak RSS'], ratio), '');
  }
  L.push(
    'The promise (README, Limits): loading a rules file takes at most about 20 times its size in memory on top of the process (the 10 MB files above: under 300 MB peak RSS, the process included). Raw numbers: `benchmarks/data/rules-load-last-run.json`.',
  );
  return `${L.join('\n')}\n`;
}

if (argv.includes('--child')) child();
else main();
