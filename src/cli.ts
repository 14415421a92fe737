#!/usr/bin/env node
/**
 * The `blazerules` command: info, validate, eval, bench, stream kafka (rules-reference.md §7).
 * Any error: exit code 2 and `blazerules: <message>` on stderr (rules problems are printed
 * one per line as `file:line:column: CODE message`).
 */
import { createWriteStream, openSync, closeSync, fstatSync, readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { once } from 'node:events';
import { dirname, resolve } from 'node:path';

import { BatchResult, sixDecimals, shortestNumber } from './batch-result';
import { RuleEngine } from './engine';
import { BlazeRulesError, RulesError, formatProblem } from './errors';
import type { EngineConfig } from './types';
import { yamlToJson } from './rules-doc';
import { runStream } from './kafka/stream';
import type { StreamRunConfig, StreamRunStats } from './kafka/stream';
import { ruleYamlCompatibility, version } from './version';

/** ndjson files are read in chunks of this many bytes, each cut at its last newline. */
const CHUNK_BYTES = 10_240_000;

class UsageError extends Error {}

type Options = Map<string, string[]>;

const REPEATABLE = new Set(['path', 'consumer-conf', 'producer-conf']);

const KNOWN: Record<string, readonly string[]> = {
  info: [],
  validate: ['rules', 'sample', 'threads'],
  eval: ['rules', 'path', 'stdin', 'input', 'format', 'output', 'output-path', 'batch-size', 'threads', 'max-error-samples', 'max-record-bytes', 'ingest-error-mode', 'dead-letter-path'],
  bench: ['rules', 'path', 'seconds', 'json', 'threads', 'batch-bytes'],
  stream: [
    'rules', 'brokers', 'input-topic', 'input-topics', 'output-topic', 'dlq-topic', 'group-id',
    'batch-size', 'workers', 'output-mode', 'max-messages', 'max-batches', 'idle-timeout-ms',
    'poll-timeout-ms', 'flush-timeout-ms', 'connect-timeout-ms', 'commit-offsets',
    'consumer-conf', 'producer-conf',
  ],
};

const USAGE = `usage: blazerules <command> [options]

commands:
  info                                  version and features as JSON
  validate --rules R [--sample F]       check a rules file (and evaluate a sample)
  eval --rules R (--path F | --stdin) [--input ndjson|json-array]
       [--output summary|decisions-jsonl|grouped-decisions|rule-counts|none] [--output-path P]
       [--batch-size N] [--threads N] [--max-record-bytes N] [--max-error-samples N]
       [--ingest-error-mode skip|dead-letter|fail] [--dead-letter-path P]
  bench --rules R --path F [--seconds S] [--json]
  stream kafka --rules R --brokers B --input-topic T [--output-topic O] [--dlq-topic D]
       [--group-id G] [--batch-size N] [--workers N] [--output-mode rows|enriched|grouped|none]
       [--max-messages N] [--max-batches N] [--idle-timeout-ms N] [--poll-timeout-ms N]
       [--flush-timeout-ms N] [--connect-timeout-ms N] [--commit-offsets true|false]
       [--consumer-conf k=v]... [--producer-conf k=v]...
       runs until SIGINT/SIGTERM (then drains, flushes, commits) or a limit; prints the stats
  --version, --help`;

/** Parses `--k v`, `--k=v` and bare flags (`"true"`). */
export function parseArgs(argv: readonly string[]): { command: string | undefined; positionals: string[]; options: Options } {
  const options: Options = new Map();
  const positionals: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] ?? '';
    if (arg.startsWith('--') && arg.length > 2) {
      const eq = arg.indexOf('=');
      let key: string;
      let value: string;
      if (eq > 0) {
        key = arg.slice(2, eq);
        value = arg.slice(eq + 1);
      } else {
        key = arg.slice(2);
        const next = argv[i + 1];
        if (next !== undefined && !next.startsWith('--')) {
          value = next;
          i++;
        } else {
          value = 'true';
        }
      }
      const list = options.get(key) ?? [];
      if (list.length > 0 && !REPEATABLE.has(key)) throw new UsageError(`option --${key} given more than once`);
      list.push(value);
      options.set(key, list);
    } else {
      positionals.push(arg);
    }
  }
  return { command: positionals.shift(), positionals, options };
}

function opt(options: Options, key: string): string | undefined {
  return options.get(key)?.[0];
}

function required(options: Options, key: string): string {
  const v = opt(options, key);
  if (v === undefined || v === 'true') throw new UsageError(`--${key} is required`);
  return v;
}

function flag(options: Options, key: string): boolean {
  const v = opt(options, key);
  return v !== undefined && ['true', '1', 'yes', 'on'].includes(v.toLowerCase());
}

function intOpt(options: Options, key: string): number | undefined {
  const v = opt(options, key);
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new UsageError(`--${key} must be a non-negative integer`);
  return n;
}

function engineConfig(options: Options): EngineConfig {
  const config: EngineConfig = {};
  const threads = intOpt(options, 'threads');
  if (threads !== undefined) config.threads = threads;
  const samples = intOpt(options, 'max-error-samples');
  if (samples !== undefined) config.maxErrorSamples = samples;
  const maxBytes = intOpt(options, 'max-record-bytes');
  if (maxBytes !== undefined) config.maxRecordBytes = maxBytes;
  const mode = opt(options, 'ingest-error-mode');
  if (mode !== undefined) {
    const modes: Record<string, EngineConfig['ingestErrorMode']> = {
      skip: 'skip',
      skip_and_count: 'skip',
      deadletter: 'deadLetter',
      dead_letter: 'deadLetter',
      'dead-letter': 'deadLetter',
      skip_to_dead_letter: 'deadLetter',
      fail: 'fail',
      hard_fail: 'fail',
    };
    const m = modes[mode.toLowerCase()];
    if (m === undefined) throw new UsageError(`--ingest-error-mode must be skip, dead-letter or fail`);
    config.ingestErrorMode = m;
  }
  const dl = opt(options, 'dead-letter-path');
  if (dl !== undefined) config.deadLetterPath = dl;
  return config;
}

function checkOptions(command: string, options: Options): void {
  const known = KNOWN[command] ?? [];
  for (const key of options.keys()) {
    if (!known.includes(key)) throw new UsageError(`unknown option --${key} for '${command}'`);
  }
}

/** Where output goes: stdout or a file, with backpressure. */
class Out {
  readonly #stream: NodeJS.WritableStream;
  readonly #isFile: boolean;
  #error: Error | undefined;

  private constructor(stream: NodeJS.WritableStream, isFile: boolean) {
    this.#stream = stream;
    this.#isFile = isFile;
    stream.on('error', (err: Error) => {
      this.#error ??= err;
    });
  }

  /** Opens the output (the file is created before any evaluation starts). */
  static async open(file: string | undefined): Promise<Out> {
    if (file === undefined) return new Out(process.stdout, false);
    const stream = createWriteStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(new UsageError(`cannot write ${file}: ${err.message}`)));
    });
    return new Out(stream, true);
  }

  async write(data: string | Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.write(data)) {
      await Promise.race([once(this.#stream, 'drain'), once(this.#stream, 'error')]);
      if (this.#error) throw this.#error;
    }
  }

  async close(): Promise<void> {
    if (this.#isFile) {
      const s = this.#stream;
      await new Promise<void>((resolve) => {
        s.end(() => resolve());
        s.once('error', () => resolve());
      });
    }
    if (this.#error) throw this.#error;
  }
}

/** Whether `blazerules/io` can talk to Kafka (its optional node-rdkafka dependency loads). */
function kafkaAvailable(): boolean {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const io = require('./io') as { hasKafka?: unknown };
    return io.hasKafka === true;
  } catch {
    return false;
  }
}

function info(): void {
  const out = {
    version,
    rule_yaml_compatibility: ruleYamlCompatibility,
    features: { kafka: kafkaAvailable() },
    threads: availableParallelism(),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Exit code 2 with every problem as `file:line:column: CODE message`, in file order. */
class ValidationFailed extends Error {
  constructor(readonly err: RulesError) {
    super(err.message);
  }
  lines(): string[] {
    const problems = [...this.err.problems];
    const key = (n: number | undefined): number => (n === undefined || n === 0 ? Number.MAX_SAFE_INTEGER : n);
    problems.sort((a, b) => key(a.line) - key(b.line) || key(a.column) - key(b.column));
    return problems.map((p) => formatProblem(p));
  }
}

async function validate(options: Options): Promise<void> {
  const rules = required(options, 'rules');
  const engine = new RuleEngine(engineConfig(options));
  let report;
  try {
    report = engine.loadRules(rules);
  } catch (err) {
    if (err instanceof RulesError) throw new ValidationFailed(err);
    throw err;
  }
  const out: Record<string, unknown> = {
    ok: true,
    ruleset_name: report.rulesetName,
    ruleset_version: report.rulesetVersion,
    rules: report.ruleCount,
    decision_labels: report.decisionLabels,
  };
  const sample = opt(options, 'sample');
  if (sample !== undefined) {
    const result = await engine.evaluateNdjsonFile(sample);
    out.sample_records = result.nRecords;
    out.sample_skipped = result.messagesSkipped;
    out.sample_matched = result.nMatched;
    out.rule_match_counts = result.matchCounts;
    out.error_counts = result.errorCounts;
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

type OutputKind = 'summary' | 'decisions-jsonl' | 'grouped-decisions' | 'rule-counts' | 'none';
const OUTPUTS: readonly OutputKind[] = ['summary', 'decisions-jsonl', 'grouped-decisions', 'rule-counts', 'none'];

/** Accumulates per-batch results into the chosen output. */
class EvalSink {
  batches = 0;
  records = 0;
  matched = 0;
  processed = 0;
  skipped = 0;
  parseMs = 0;
  evalMs = 0;
  totalMs = 0;
  readonly errorCounts: Record<string, number> = {};
  readonly ruleCounts: Record<string, number> = {};
  readonly grouped = new Map<string, number[]>();
  version = '';

  constructor(readonly kind: OutputKind, readonly out: Out, ruleIds: readonly string[]) {
    for (const id of ruleIds) this.ruleCounts[id] = 0;
  }

  async add(r: BatchResult): Promise<void> {
    const offset = this.records;
    this.batches++;
    this.records += r.nRecords;
    this.matched += r.nMatched;
    this.processed += r.messagesProcessed;
    this.skipped += r.messagesSkipped;
    this.parseMs += r.timing.parseMs;
    this.evalMs += r.timing.evalMs;
    this.totalMs += r.timing.totalMs;
    this.version = r.ruleSetVersion;
    for (const [code, n] of Object.entries(r.errorCounts)) this.errorCounts[code] = (this.errorCounts[code] ?? 0) + n;
    for (const [id, n] of Object.entries(r.matchCounts)) this.ruleCounts[id] = (this.ruleCounts[id] ?? 0) + n;
    if (this.kind === 'decisions-jsonl') {
      await this.out.write(decisionsJsonl(r, offset));
    } else if (this.kind === 'grouped-decisions') {
      for (const [label, idx] of Object.entries(r.groupedDecisionIndices())) {
        let list = this.grouped.get(label);
        if (list === undefined) {
          list = [];
          this.grouped.set(label, list);
        }
        for (const i of idx) list.push(i + offset);
      }
    }
  }

  async finish(wallMs: number): Promise<void> {
    switch (this.kind) {
      case 'summary': {
        const summary = {
          batches: this.batches,
          records: this.records,
          matched_records: this.matched,
          messages_processed: this.processed,
          messages_skipped: this.skipped,
          rule_match_count_entries: Object.keys(this.ruleCounts).length,
          timing_ms: { parse: round3(this.parseMs), eval: round3(this.evalMs), total: round3(this.totalMs), wall: round3(wallMs) },
          error_counts: this.errorCounts,
          ruleset_version: this.version,
        };
        await this.out.write(`${JSON.stringify(summary)}\n`);
        break;
      }
      case 'grouped-decisions': {
        const labels = [...this.grouped.keys()].sort();
        const parts = labels.map((l) => `${JSON.stringify(l)}:[${(this.grouped.get(l) ?? []).join(',')}]`);
        await this.out.write(`{${parts.join(',')}}\n`);
        break;
      }
      case 'rule-counts':
        await this.out.write(`${JSON.stringify(this.ruleCounts)}\n`);
        break;
      default:
        break;
    }
  }
}

function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}

/** `{"row","matched","decision","score","risk_band","winning_rule_id"}` per record. */
function decisionsJsonl(r: BatchResult, offset: number): string {
  const labels = r.decisionLabelMap.map((l) => `,"decision":${JSON.stringify(l)},"score":`);
  const fallback = labels[0] ?? ',"decision":"APPROVE","score":';
  const winners = r.ruleIds.map((id) => `,"winning_rule_id":${JSON.stringify(id)}}\n`);
  const noWinner = ',"winning_rule_id":""}\n';
  const bands = [',"risk_band":"LOW"', ',"risk_band":"MEDIUM"', ',"risk_band":"HIGH"'];
  const { decisionCodes, scores, riskBandCodes, winnerIndices, matched } = r;
  let out = '';
  for (let i = 0; i < r.nRecords; i++) {
    out +=
      `{"row":${offset + i}${matched[i] !== 0 ? ',"matched":true' : ',"matched":false'}` +
      `${labels[decisionCodes[i] ?? 0] ?? fallback}${shortestNumber(scores[i] ?? 0)}` +
      `${bands[riskBandCodes[i] ?? 0] ?? bands[0]}${winners[winnerIndices[i] ?? -1] ?? noWinner}`;
  }
  return out;
}

/** Reads an ndjson file in chunks cut at the last newline; memory stays at a few chunks plus
 * the longest line. A chunk handed to `fn` is never written to afterwards. */
async function forEachChunk(file: string, chunkBytes: number, fn: (chunk: Buffer) => Promise<void>): Promise<number> {
  const fh = await open(file, 'r');
  let bytes = 0;
  try {
    let size = (await fh.stat()).size;
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      // A fresh buffer per chunk: `fn` may still be using the previous one.
      const buf = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) {
        if (carry.length > 0) await fn(carry);
        break;
      }
      bytes += bytesRead;
      const fresh = buf.subarray(0, bytesRead);
      const data = carry.length > 0 ? Buffer.concat([carry, fresh]) : fresh;
      if (bytes >= size) {
        // The end of the file: the last line needs no newline.
        const probe = await fh.read(Buffer.alloc(1), 0, 1, null);
        if (probe.bytesRead === 0) {
          await fn(data);
          break;
        }
        // The file grew meanwhile: keep the probed byte and go on.
        bytes += 1;
        size = (await fh.stat()).size;
        carry = Buffer.concat([data, probe.buffer.subarray(0, 1)]);
        continue;
      }
      const nl = data.lastIndexOf(10);
      if (nl < 0) {
        carry = Buffer.from(data);
        continue;
      }
      const rest = data.subarray(nl + 1);
      const nextCarry = rest.length > 0 ? Buffer.from(rest) : Buffer.alloc(0);
      await fn(data.subarray(0, nl + 1));
      carry = nextCarry;
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}

function inputKind(options: Options, file: string | undefined): 'ndjson' | 'json-array' {
  const v = (opt(options, 'input') ?? opt(options, 'format') ?? 'auto').toLowerCase();
  if (v === 'ndjson' || v === 'jsonl') return 'ndjson';
  if (v === 'json-array' || v === 'json') return 'json-array';
  if (v === 'auto') return file !== undefined && file.toLowerCase().endsWith('.json') ? 'json-array' : 'ndjson';
  throw new UsageError(`--input must be ndjson or json-array (got '${v}')`);
}

async function evalCommand(options: Options): Promise<void> {
  const started = performance.now();
  const rules = required(options, 'rules');
  const paths = (options.get('path') ?? []).filter((p) => p !== 'true');
  const stdin = flag(options, 'stdin');
  if (paths.length === 0 && !stdin) throw new UsageError('eval needs --path F or --stdin');
  if (paths.length > 0 && stdin) throw new UsageError('use either --path or --stdin, not both');
  const outputPath = opt(options, 'output-path');
  const kind = (opt(options, 'output') ?? (outputPath !== undefined ? 'decisions-jsonl' : 'summary')) as OutputKind;
  if (!OUTPUTS.includes(kind)) throw new UsageError(`--output must be one of ${OUTPUTS.join(', ')}`);

  // As BlazeRules: ndjson files are read in chunks of max(1 MiB, batch_size × 1 KiB) bytes.
  const batchSize = intOpt(options, 'batch-size');
  const chunkBytes = batchSize === undefined ? CHUNK_BYTES : Math.max(1 << 20, batchSize * 1024);

  const engine = new RuleEngine(engineConfig(options));
  engine.loadRules(rules);
  const out = await Out.open(outputPath);
  const sink = new EvalSink(kind, out, engine.ruleIds);
  try {
    if (stdin) {
      const data = await readStdin();
      const r = inputKind(options, undefined) === 'json-array' ? await engine.evaluateJsonArray(data) : await engine.evaluateNdjson(data);
      await sink.add(r);
    } else {
      for (const file of paths) {
        if (inputKind(options, file) === 'json-array') {
          await sink.add(await engine.evaluateJsonArray(readFileSync(file)));
        } else {
          // Evaluate chunk k+1 natively while chunk k's output is formatted and written.
          let pending: Promise<BatchResult> | undefined;
          await forEachChunk(file, chunkBytes, async (chunk) => {
            const next = engine.evaluateNdjson(chunk);
            next.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
            if (pending !== undefined) await sink.add(await pending);
            pending = next;
          });
          if (pending !== undefined) await sink.add(await pending);
        }
      }
    }
    await sink.finish(performance.now() - started);
  } finally {
    await out.close();
  }
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i] ?? 0;
}

/** Splits a buffer into batches of about `size` bytes, cut after newlines (views, no copy). */
function splitBatches(data: Buffer, size: number): Buffer[] {
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

async function bench(options: Options): Promise<void> {
  const rules = required(options, 'rules');
  const file = required(options, 'path');
  const secondsOpt = opt(options, 'seconds');
  const seconds = secondsOpt === undefined ? 10 : Number(secondsOpt);
  if (!Number.isFinite(seconds) || seconds < 0) throw new UsageError('--seconds must be a non-negative number');
  const batchBytes = intOpt(options, 'batch-bytes') ?? CHUNK_BYTES;
  if (batchBytes < 1) throw new UsageError('--batch-bytes must be positive');
  const json = flag(options, 'json');

  const engine = new RuleEngine(engineConfig(options));
  const report = engine.loadRules(rules);
  const fd = openSync(file, 'r');
  let size: number;
  try {
    size = fstatSync(fd).size;
  } finally {
    closeSync(fd);
  }
  const data = readFileSync(file);
  const batches = splitBatches(data, batchBytes);
  if (batches.length === 0) throw new UsageError(`${file} is empty`);

  const latencies: number[] = [];
  const fires: Record<string, number> = {};
  for (const id of report.ruleIds) fires[id] = 0;
  let records = 0;
  let skipped = 0;
  let bytes = 0;
  let passes = 0;
  let evalMs = 0;
  const tty = process.stderr.isTTY === true && !json;
  const t0 = performance.now();
  let lastProgress = t0;
  const deadline = t0 + seconds * 1000;
  do {
    for (const b of batches) {
      const s = performance.now();
      const r = await engine.evaluateNdjson(b);
      latencies.push(performance.now() - s);
      evalMs += r.timing.evalMs;
      records += r.nRecords;
      skipped += r.messagesSkipped;
      bytes += b.length;
      if (passes === 0) for (const [id, n] of Object.entries(r.matchCounts)) fires[id] = (fires[id] ?? 0) + n;
      const now = performance.now();
      if (tty && now - lastProgress >= 1000) {
        lastProgress = now;
        const el = (now - t0) / 1000;
        process.stderr.write(`\r${(records / el).toFixed(0)} records/s  ${(bytes / 1e6 / el).toFixed(1)} MB/s  ${el.toFixed(0)}/${seconds}s `);
      }
      if (now >= deadline && passes > 0) break;
    }
    passes++;
  } while (performance.now() < deadline);
  const elapsed = (performance.now() - t0) / 1000;
  if (tty) process.stderr.write('\n');
  latencies.sort((a, b) => a - b);
  const result = {
    rules: rules,
    path: file,
    file_bytes: size,
    ruleset_version: report.rulesetVersion,
    seconds: round3(elapsed),
    passes,
    batches: latencies.length,
    records,
    skipped,
    bytes,
    records_per_sec: Math.round(records / elapsed),
    mb_per_sec: Math.round((bytes / 1e6 / elapsed) * 100) / 100,
    batch_latency_ms: { p50: round3(percentile(latencies, 50)), p99: round3(percentile(latencies, 99)) },
    eval_ms: round3(evalMs),
    rule_fire_counts: fires,
    rule_cost_ns_per_record: await ruleCosts(rules, data, report.ruleIds),
  };
  if (json) {
    process.stdout.write(`${JSON.stringify(result)}\n`);
    return;
  }
  const lines = [
    `rules:            ${rules} (version ${report.rulesetVersion}, ${report.ruleCount} rules)`,
    `input:            ${file} (${size} bytes, ${batches.length} batches per pass)`,
    `elapsed:          ${result.seconds} s, ${passes} passes, ${result.batches} batches`,
    `records:          ${records} (${skipped} skipped)`,
    `throughput:       ${result.records_per_sec} records/s, ${result.mb_per_sec} MB/s`,
    `batch latency:    p50 ${result.batch_latency_ms.p50} ms, p99 ${result.batch_latency_ms.p99} ms`,
    `rule fire counts (one pass) and cost (ns per record, one thread, estimated):`,
    ...Object.entries(fires).map(([id, n]) => `  ${id}: ${n}  (${result.rule_cost_ns_per_record[id] ?? '?'} ns)`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Sample size for per-rule cost estimates. */
const COST_SAMPLE_BYTES = 4 << 20;

/**
 * Estimates each rule's cost: the time one thread takes to evaluate a sample with a rule set
 * holding only that rule, minus the time with a trivial rule, per record. Rough (it ignores
 * what rules share), but it shows which rules are expensive.
 */
async function ruleCosts(rulesFile: string, data: Buffer, ruleIds: readonly string[]): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  const text = readFileSync(rulesFile, 'utf8');
  let doc: unknown;
  if (rulesFile.toLowerCase().endsWith('.json')) {
    doc = JSON.parse(text);
  } else {
    const converted = yamlToJson(text);
    if ('problems' in converted) return out;
    doc = JSON.parse(converted.json);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) return out;
  const root = doc as Record<string, unknown>;
  const holder = root.ruleset !== null && typeof root.ruleset === 'object' && !Array.isArray(root.ruleset) && Array.isArray((root.ruleset as Record<string, unknown>).rules)
    ? (root.ruleset as Record<string, unknown>)
    : root;
  const allRules = Array.isArray(holder.rules) ? (holder.rules as unknown[]) : [];
  let end = Math.min(data.length, COST_SAMPLE_BYTES);
  if (end < data.length) end = data.lastIndexOf(10, end - 1) + 1 || data.length;
  const sample = data.subarray(0, end);
  const baseDir = dirname(resolve(rulesFile));
  const timeWith = async (rules: unknown[]): Promise<{ ms: number; records: number }> => {
    holder.rules = rules;
    const engine = new RuleEngine({ threads: 1 });
    engine.loadRulesFromString(JSON.stringify(root), 'json', baseDir);
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
    const base = await timeWith([{ id: '__blazerules_bench_baseline__', conditions: { field: '__blazerules_bench_none__', op: 'is_null' } }]);
    for (const id of ruleIds) {
      const rule = allRules.find((r) => r !== null && typeof r === 'object' && (r as Record<string, unknown>).id === id);
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

/** `k=v` pairs of a repeatable option. */
function confOpt(options: Options, key: string): Record<string, string> | undefined {
  const list = options.get(key);
  if (list === undefined) return undefined;
  const out: Record<string, string> = {};
  for (const item of list) {
    const eq = item.indexOf('=');
    if (eq <= 0) throw new UsageError(`--${key} takes key=value (got '${item}')`);
    out[item.slice(0, eq)] = item.slice(eq + 1);
  }
  return out;
}

/** `stream kafka`: the native runStream loop until SIGINT/SIGTERM or a limit; prints the stats
 * (snake_case keys, as BlazeRules' CLI, plus `skipped` and `elapsed_ms`). */
async function streamKafka(options: Options): Promise<void> {
  if (options.has('input-topic') && options.has('input-topics')) {
    throw new UsageError('give --input-topic or --input-topics, not both');
  }
  const rules = required(options, 'rules');
  const engine = new RuleEngine();
  engine.loadRules(rules);
  const config: StreamRunConfig = {
    brokers: required(options, 'brokers'),
    groupId: opt(options, 'group-id') ?? 'blazerules',
    inputTopics: opt(options, 'input-topic') ?? required(options, 'input-topics'),
  };
  const str = (k: string): string | undefined => {
    const v = opt(options, k);
    if (v === 'true') throw new UsageError(`--${k} needs a value`);
    return v;
  };
  const outputTopic = str('output-topic');
  if (outputTopic !== undefined) config.outputTopic = outputTopic;
  const dlqTopic = str('dlq-topic');
  if (dlqTopic !== undefined) config.dlqTopic = dlqTopic;
  const mode = str('output-mode');
  if (mode !== undefined) {
    if (!['rows', 'enriched', 'grouped', 'none'].includes(mode)) throw new UsageError('--output-mode must be rows, enriched, grouped or none');
    config.outputMode = mode as StreamRunConfig['outputMode'] & string;
  }
  const ints: [string, keyof StreamRunConfig][] = [
    ['batch-size', 'batchSize'],
    ['workers', 'workers'],
    ['max-messages', 'maxMessages'],
    ['max-batches', 'maxBatches'],
    ['idle-timeout-ms', 'idleTimeoutMs'],
    ['poll-timeout-ms', 'pollTimeoutMs'],
    ['flush-timeout-ms', 'flushTimeoutMs'],
    ['connect-timeout-ms', 'connectTimeoutMs'],
  ];
  for (const [flagName, field] of ints) {
    const v = intOpt(options, flagName);
    if (v !== undefined) (config as unknown as Record<string, unknown>)[field] = v;
  }
  if (options.has('commit-offsets')) config.commitOffsets = flag(options, 'commit-offsets');
  const cc = confOpt(options, 'consumer-conf');
  if (cc !== undefined) config.consumerConf = cc;
  const pc = confOpt(options, 'producer-conf');
  if (pc !== undefined) config.producerConf = pc;

  const controller = new AbortController();
  const stopOnSignal = (): void => controller.abort();
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  // From here on a signal drains and stops the loop; say so (supervisors and tests wait for it).
  process.stderr.write('stream kafka: running; SIGINT or SIGTERM drains, commits and exits\n');
  const progress = process.stderr.isTTY
    ? (s: StreamRunStats): void => {
        process.stderr.write(`\r${s.messages} messages, ${s.batches} batches, ${s.emitted} emitted, ${s.dlqRouted} to DLQ, ${(s.elapsedMs / 1000).toFixed(0)} s `);
      }
    : undefined;
  try {
    const stats = await runStream(engine, config, progress === undefined ? { signal: controller.signal } : { signal: controller.signal, onStats: progress });
    if (progress !== undefined) process.stderr.write('\n');
    process.stdout.write(
      `${JSON.stringify({
        batches: stats.batches,
        messages: stats.messages,
        matched: stats.matched,
        emitted: stats.emitted,
        skipped: stats.skipped,
        eval_ms: stats.evalMs,
        dlq_routed: stats.dlqRouted,
        delivery_errors: stats.deliveryErrors,
        elapsed_ms: stats.elapsedMs,
      })}\n`,
    );
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }
}

function fail(message: string): never {
  process.stderr.write(`blazerules: ${message}\n`);
  process.exit(2);
}

export async function main(argv: readonly string[]): Promise<void> {
  const { command, positionals, options } = parseArgs(argv);
  if (command === undefined) {
    if (options.has('version')) {
      process.stdout.write(`${version}\n`);
      return;
    }
    if (options.has('help')) {
      process.stdout.write(`${USAGE}\n`);
      return;
    }
    throw new UsageError(`no command given\n${USAGE}`);
  }
  if (command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return;
  }
  if (!(command in KNOWN)) {
    throw new UsageError(`unknown command '${command}'\n${USAGE}`);
  }
  if (command === 'stream') {
    const source = positionals.shift();
    if (source !== 'kafka') throw new UsageError(`'stream' needs a source: 'stream kafka'${source === undefined ? '' : ` (not '${source}')`}`);
  }
  if (positionals.length > 0) throw new UsageError(`unexpected argument '${positionals[0] ?? ''}'`);
  checkOptions(command, options);
  switch (command) {
    case 'info':
      info();
      return;
    case 'validate':
      await validate(options);
      return;
    case 'eval':
      await evalCommand(options);
      return;
    case 'bench':
      await bench(options);
      return;
    case 'stream':
      await streamKafka(options);
      return;
    default:
      throw new UsageError(`unknown command '${command}'`);
  }
}

if (require.main === module) {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(0);
    fail(err.message);
  });
  main(process.argv.slice(2)).catch((err: unknown) => {
    if (err instanceof ValidationFailed) {
      process.stderr.write(`${err.lines().join('\n')}\n`);
      process.exit(2);
    }
    if (err instanceof RulesError) {
      process.stderr.write(`${err.problems.map((p) => `blazerules: ${formatProblem(p)}`).join('\n')}\n`);
      process.exit(2);
    }
    if (err instanceof UsageError || err instanceof BlazeRulesError || err instanceof Error) fail(err.message);
    fail(String(err));
  });
}

// Exported for tests.
export { sixDecimals, splitBatches };
