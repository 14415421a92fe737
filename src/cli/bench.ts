/** `blazerules bench`: throughput, batch latency, and per-rule fire counts and cost. */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

import { RuleEngine } from '../engine';
import { yamlToJson } from '../rules-doc';
import type { LoadReport } from '../types';
import { UsageError, command } from './args';
import { RULES, THREADS, engineConfig, round3 } from './common';
import { DEFAULT_MAX_FILE_BYTES, readWholeFile } from './streams';
import { CHUNK_BYTES } from './eval';

/** Sample size for per-rule cost estimates. */
const COST_SAMPLE_BYTES = 4 << 20;

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Splits a buffer into batches of about `size` bytes, cut after newlines (views, no copy). */
export function splitBatches(data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  while (start < data.length) {
    let end = Math.min(data.length, start + size);
    if (end < data.length) {
      const nl = data.lastIndexOf(10, end - 1);
      end = nl >= start ? nl + 1 : data.indexOf(10, end) + 1 || data.length;
    }
    out.push(data.subarray(start, end));
    start = end;
  }
  return out;
}

interface Measured {
  latencies: number[];
  fires: Record<string, number>;
  records: number;
  skipped: number;
  bytes: number;
  passes: number;
  evalMs: number;
  elapsed: number;
}

/** Evaluates the batches over and over for `seconds` (at least one pass). */
async function measure(
  engine: RuleEngine,
  batches: readonly Buffer[],
  ruleIds: readonly string[],
  seconds: number,
  tty: boolean,
): Promise<Measured> {
  const m: Measured = { latencies: [], fires: {}, records: 0, skipped: 0, bytes: 0, passes: 0, evalMs: 0, elapsed: 0 };
  for (const id of ruleIds) m.fires[id] = 0;
  const t0 = performance.now();
  let lastProgress = t0;
  const deadline = t0 + seconds * 1000;
  do {
    for (const b of batches) {
      const s = performance.now();
      const r = await engine.evaluateNdjson(b);
      m.latencies.push(performance.now() - s);
      m.evalMs += r.timing.evalMs;
      m.records += r.nRecords;
      m.skipped += r.messagesSkipped;
      m.bytes += b.length;
      if (m.passes === 0) for (const [id, n] of Object.entries(r.matchCounts)) m.fires[id] = (m.fires[id] ?? 0) + n;
      const now = performance.now();
      if (tty && now - lastProgress >= 1000) {
        lastProgress = now;
        const el = (now - t0) / 1000;
        process.stderr.write(
          `\r${(m.records / el).toFixed(0)} records/s  ${(m.bytes / 1e6 / el).toFixed(1)} MB/s  ${el.toFixed(0)}/${seconds}s `,
        );
      }
      if (now >= deadline && m.passes > 0) break;
    }
    m.passes++;
  } while (performance.now() < deadline);
  m.elapsed = (performance.now() - t0) / 1000;
  if (tty) process.stderr.write('\n');
  m.latencies.sort((a, b) => a - b);
  return m;
}

/** The rules array of a rules document (top level or under `ruleset`), and its holder. */
function rulesOf(
  rulesFile: string,
): { root: Record<string, unknown>; holder: Record<string, unknown>; rules: unknown[] } | undefined {
  const text = readFileSync(rulesFile, 'utf8');
  let doc: unknown;
  if (rulesFile.toLowerCase().endsWith('.json')) {
    doc = JSON.parse(text);
  } else {
    const converted = yamlToJson(text);
    if ('problems' in converted) return undefined;
    doc = JSON.parse(converted.json);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return undefined;
  const root = doc as Record<string, unknown>;
  const rs = root.ruleset;
  const nested =
    rs !== null && typeof rs === 'object' && !Array.isArray(rs) && Array.isArray((rs as Record<string, unknown>).rules);
  const holder = nested ? (rs as Record<string, unknown>) : root;
  return { root, holder, rules: Array.isArray(holder.rules) ? (holder.rules as unknown[]) : [] };
}

/**
 * Estimates each rule's cost: the time one thread takes to evaluate a sample with a rule set
 * holding only that rule, minus the time with a trivial rule, per record. Rough (it ignores
 * what rules share), but it shows which rules are expensive.
 */
async function ruleCosts(rulesFile: string, data: Buffer, ruleIds: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const doc = rulesOf(rulesFile);
  if (doc === undefined) return out;
  let end = Math.min(data.length, COST_SAMPLE_BYTES);
  if (end < data.length) end = data.lastIndexOf(10, end - 1) + 1 || data.length;
  const sample = data.subarray(0, end);
  const baseDir = dirname(resolve(rulesFile));
  const timeWith = async (rules: unknown[]): Promise<{ ms: number; records: number }> => {
    doc.holder.rules = rules;
    const engine = new RuleEngine({ threads: 1 });
    engine.loadRulesFromString(JSON.stringify(doc.root), 'json', baseDir);
    await engine.evaluateNdjson(sample); // warm-up
    let best = Number.POSITIVE_INFINITY;
    let records = 0;
    for (let i = 0; i < 5; i++) {
      const t = performance.now();
      const r = await engine.evaluateNdjson(sample);
      best = Math.min(best, performance.now() - t);
      records = r.messagesProcessed;
    }
    return { ms: best, records };
  };
  try {
    // Baseline: one rule on a field no record has (a rule set with no rules at all takes a
    // different path through the core).
    const base = await timeWith([
      { id: '__blazerules_bench_baseline__', conditions: { field: '__blazerules_bench_none__', op: 'is_null' } },
    ]);
    for (const id of ruleIds) {
      const rule = doc.rules.find(
        (r) => r !== null && typeof r === 'object' && (r as Record<string, unknown>).id === id,
      );
      if (rule === undefined) continue;
      const t = await timeWith([rule]);
      const n = Math.max(1, t.records);
      out[id] = Math.max(0, Math.round(((t.ms - base.ms) * 1e6) / n));
    }
  } catch {
    // A rule that cannot stand alone (e.g. a duplicate id elsewhere): leave the rest unknown.
  }
  return out;
}

function printText(result: ReturnType<typeof report>, r: LoadReport, batchesPerPass: number): void {
  const lines = [
    `rules:            ${result.rules} (version ${r.rulesetVersion}, ${r.ruleCount} rules)`,
    `input:            ${result.path} (${result.file_bytes} bytes, ${batchesPerPass} batches per pass)`,
    `elapsed:          ${result.seconds} s, ${result.passes} passes, ${result.batches} batches`,
    `records:          ${result.records} (${result.skipped} skipped)`,
    `throughput:       ${result.records_per_sec} records/s, ${result.mb_per_sec} MB/s`,
    `batch latency:    p50 ${result.batch_latency_ms.p50} ms, p99 ${result.batch_latency_ms.p99} ms`,
    'rule fire counts (one pass) and cost (ns per record, one thread, estimated):',
    ...Object.entries(result.rule_fire_counts).map(
      ([id, n]) => `  ${id}: ${n}  (${result.rule_cost_ns_per_record[id] ?? '?'} ns)`,
    ),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function report(rules: string, file: string, size: number, r: LoadReport, m: Measured, costs: Record<string, number>) {
  return {
    rules,
    path: file,
    file_bytes: size,
    ruleset_version: r.rulesetVersion,
    seconds: round3(m.elapsed),
    passes: m.passes,
    batches: m.latencies.length,
    records: m.records,
    skipped: m.skipped,
    bytes: m.bytes,
    records_per_sec: Math.round(m.records / m.elapsed),
    mb_per_sec: Math.round((m.bytes / 1e6 / m.elapsed) * 100) / 100,
    batch_latency_ms: { p50: round3(percentile(m.latencies, 50)), p99: round3(percentile(m.latencies, 99)) },
    eval_ms: round3(m.evalMs),
    rule_fire_counts: m.fires,
    rule_cost_ns_per_record: costs,
  };
}

export const bench = command({
  name: 'bench',
  summary: 'records/s, MB/s, batch latency, per-rule fire counts and cost',
  options: [
    RULES,
    {
      name: 'path',
      type: 'string',
      arg: 'F',
      required: true,
      help: 'an ndjson file (at most 1 GiB), read whole and evaluated over and over',
    },
    { name: 'seconds', type: 'number', arg: 'S', default: 10, help: 'how long to run (at least one pass)' },
    { name: 'json', type: 'flag', help: 'print the results as one JSON line' },
    THREADS,
    { name: 'batch-bytes', type: 'int', default: CHUNK_BYTES, help: 'batch size in bytes (cut at newlines)' },
  ],
  async run(o): Promise<void> {
    if (o['batch-bytes'] < 1) throw new UsageError('--batch-bytes must be positive');
    const engine = new RuleEngine(engineConfig(o));
    const loaded = engine.loadRules(o.rules);
    const data = await readWholeFile(o.path, DEFAULT_MAX_FILE_BYTES);
    const size = data.length;
    const batches = splitBatches(data, o['batch-bytes']);
    if (batches.length === 0) throw new UsageError(`${o.path} is empty`);
    const tty = process.stderr.isTTY === true && o.json !== true;
    const m = await measure(engine, batches, loaded.ruleIds, o.seconds, tty);
    const result = report(o.rules, o.path, size, loaded, m, await ruleCosts(o.rules, data, loaded.ruleIds));
    if (o.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else printText(result, loaded, batches.length);
  },
});
