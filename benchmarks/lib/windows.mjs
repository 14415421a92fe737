// The windows benchmark (issue 9): the benchmark rules plus 3 window rules over 1 M entities,
// against the benchmark rules alone on the same records, taking turns; and the memory of
// 1 M entities' state, measured in a fresh process (windows-mem.mjs).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DATA_DIR, TS_BASE } from '../gen.mjs';
import { fmtInt, fmtMs, fmtRate, fmtX, table } from './format.mjs';
import { HERE } from './setup.mjs';
import { recordsPerSec, timeEach } from './timing.mjs';

export const ENTITIES = 1_000_000;

/** The 3 window rules, over the `acct` field the windows data adds to each record. */
const WINDOW_RULES = `
    - id: w_velocity_10m
      action: review
      weight: 20
      conditions: { window: { entity_field: acct, duration_seconds: 600, op: gt, value: 5 } }

    - id: w_spend_24h
      action: block
      weight: 40
      conditions: { window: { entity_field: acct, function: sum, sum_field: amount, duration_seconds: 86400, op: gt, value: 5000 } }

    - id: w_busy_30d_event_time
      action: flag
      weight: 10
      conditions: { window: { entity_field: acct, duration_seconds: 2592000, time_field: ts, op: gte, value: 20 } }
`;

/** benchmarks/rules.yaml plus the window rules, written to the data directory. */
export function windowRulesFile(rules) {
  const f = path.join(DATA_DIR, 'rules-windows.yaml');
  fs.mkdirSync(DATA_DIR, { recursive: true });
  fs.writeFileSync(f, `${fs.readFileSync(rules, 'utf8').trimEnd()}\n${WINDOW_RULES}`);
  return f;
}

/** Account `k` of record `i`: spread over ENTITIES accounts, the same on every run. */
const acctOf = (i) => (i * 2654435761) % ENTITIES;

/** The main data with `"acct":"a<k>"` first in every object line (malformed lines unchanged). */
export function windowsData(mainFile) {
  const out = mainFile.replace(/\.ndjson$/, '-acct.ndjson');
  if (fs.existsSync(out) && fs.statSync(out).mtimeMs >= fs.statSync(mainFile).mtimeMs) return out;
  const lines = fs.readFileSync(mainFile, 'utf8').split('\n');
  const text = lines.map((l, i) => (l.startsWith('{"') ? `{"acct":"a${acctOf(i)}",${l.slice(1)}` : l)).join('\n');
  fs.writeFileSync(out, text);
  return out;
}

/** `n` small records, one per account from `from`: what fills the state with entities. */
export function prefillChunk(from, n) {
  let s = '';
  for (let k = from; k < from + n; k++)
    s += `{"acct":"a${k}","amount":${(k % 997) + 0.5},"ts":${TS_BASE + (k % 86400) * 1000}}\n`;
  return Buffer.from(s);
}

/** Fills `engine`'s shard 0 with ENTITIES entities. */
export async function prefill(engine) {
  const step = 100_000;
  for (let k = 0; k < ENTITIES; k += step) await engine.evaluateNdjson(prefillChunk(k, step));
}

/** The section: timing, then memory; returns the results' `windows` entry. */
export async function windowsSection({ pkg, rules, mainFile, timing, log }) {
  const load = () =>
    os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' ');
  const loadStart = load();
  const wrules = windowRulesFile(rules);
  const file = windowsData(mainFile);
  const buf = fs.readFileSync(file);
  const stateless = new pkg.RuleEngine();
  stateless.loadRules(rules);
  const windowed = new pkg.RuleEngine({ maxWindowEntities: 2 * ENTITIES });
  windowed.loadRules(wrules);
  log(`windows: filling the state with ${fmtInt(ENTITIES)} entities`);
  const t0 = performance.now();
  await prefill(windowed);
  const prefillMs = performance.now() - t0;
  const [s, w] = await timeEach([() => stateless.evaluateNdjson(buf), () => windowed.evaluateNdjson(buf)], timing);
  const out = {
    file: path.basename(file),
    bytes: buf.length,
    records: w.last.nRecords,
    prefillMs,
    stateless: { medianMs: s.medianMs, rps: recordsPerSec(s), nsPerRecord: (s.medianMs * 1e6) / s.last.nRecords },
    windowed: { medianMs: w.medianMs, rps: recordsPerSec(w), nsPerRecord: (w.medianMs * 1e6) / w.last.nRecords },
    windowMatches: Object.fromEntries(Object.entries(w.last.matchCounts).filter(([id]) => id.startsWith('w_'))),
    stats: windowed.windowStats(),
    memory: memory(wrules),
  };
  out.ratio = out.windowed.medianMs / out.stateless.medianMs;
  out.load = { start: loadStart, end: load(), nproc: os.cpus().length, date: new Date().toISOString() };
  log(
    `windows: stateless ${fmtRate(out.stateless.rps)} rec/s, with 3 windows ${fmtRate(out.windowed.rps)} rec/s (${fmtX(out.ratio)} the time)`,
  );
  return out;
}

/** Peak RSS of 1 M entities' state, in a fresh process. */
function memory(wrules) {
  const r = spawnSync(process.execPath, [path.join(HERE, 'windows-mem.mjs'), '--rules', wrules], {
    encoding: 'utf8',
    timeout: 600000,
    env: process.env,
  });
  if (r.status !== 0) return { error: (r.stderr || '').trim().split('\n').slice(-1)[0] };
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** The section of RESULTS.md. */
export function windowsMarkdown(W, command) {
  if (!W) return '';
  if (W.error) return `## Windows\n\nNot measured: ${W.error}\n`;
  const m = W.memory;
  const perEntity = (kb) => (kb * 1024) / ENTITIES;
  const rows = [
    [
      'benchmark rules (stateless)',
      fmtMs(W.stateless.medianMs),
      fmtInt(W.stateless.nsPerRecord),
      fmtRate(W.stateless.rps),
      '1×',
    ],
    [
      'benchmark rules + 3 window rules, 1 M entities',
      fmtMs(W.windowed.medianMs),
      fmtInt(W.windowed.nsPerRecord),
      fmtRate(W.windowed.rps),
      fmtX(W.ratio),
    ],
  ];
  const memRows = m.error
    ? [['error', m.error]]
    : [
        ['entities / buckets', `${fmtInt(m.entities)} / ${fmtInt(m.buckets)}`],
        [
          'RSS added by the state (after − before the fill)',
          `${fmtInt(m.rssDeltaKb / 1024)} MiB = ${fmtInt(perEntity(m.rssDeltaKb))} bytes a entity`,
        ],
        [
          'peak RSS of the process (VmHWM)',
          `${fmtInt(m.peakHwmKb / 1024)} MiB (${fmtInt(m.baselineRssKb / 1024)} MiB before the fill)`,
        ],
        [
          '`windowStats().bytes` (the estimate)',
          `${fmtInt(m.statsBytes / 2 ** 20)} MiB = ${fmtInt(m.statsBytes / ENTITIES)} bytes a entity`,
        ],
      ];
  return `## Windows

Command: \`${command}\` (this section alone: \`node benchmarks/run.mjs --windows\`).

The same ${fmtInt(W.records)} records (\`${W.file}\`: the main data with an \`acct\` field spread
over ${fmtInt(ENTITIES)} accounts) evaluated by \`benchmarks/rules.yaml\` alone and by those rules
plus 3 window rules on \`acct\` (a 10-minute count, a 24-hour sum of \`amount\`, a 30-day count by
the event time \`ts\`; \`lib/windows.mjs\`), the state filled first with ${fmtInt(ENTITIES)}
accounts (${fmtInt(W.prefillMs)} ms), the two engines taking turns; medians. Target: at most 1.5× the
stateless time per record. Measured ${W.load.date} on ${W.load.nproc} cpus, load average (1, 5, 15 min)
${W.load.start} at the start, ${W.load.end} at the end.

${table(['rules', 'ms (median)', 'ns / record', 'records/s', 'time vs stateless'], rows)}

**Target (at most 1.5×): ${W.ratio <= 1.5 ? 'met' : 'NOT MET'} (${fmtX(W.ratio)}).**

Window rules matched (last run): ${Object.entries(W.windowMatches)
    .map(([k, v]) => `${k} ${fmtInt(v)}`)
    .join(', ')}; state after the runs: ${fmtInt(W.stats.entities)} entities, ${fmtInt(W.stats.buckets)} buckets.
Every turn evaluates the same records again into the same state, so these counts grow with the
number of timed turns (the 30-day event-time count reaches 20 for every account after about 20 turns):
they differ from run to run by design.

Memory of ${fmtInt(ENTITIES)} entities with 3 windows each (one bucket each), in a fresh process
(\`windows-mem.mjs\`):

${table(['', ''], memRows)}
`;
}
