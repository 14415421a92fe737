/** `blazerules eval`: evaluates ndjson or JSON-array records into one of several outputs. */
import { readFileSync } from 'node:fs';

import type { BatchResult } from '../batch-result';
import { RuleEngine } from '../engine';
import { UsageError, command } from './args';
import { ENGINE_OPTIONS, RULES, engineConfig, round3 } from './common';
import { Out, forEachChunk, readStdin } from './streams';

/** ndjson files are read in chunks of this many bytes, each cut at its last newline. */
export const CHUNK_BYTES = 10_240_000;

const OUTPUTS = ['summary', 'decisions-jsonl', 'grouped-decisions', 'rule-counts', 'none'] as const;
type OutputKind = (typeof OUTPUTS)[number];

const INPUT = {
  values: ['ndjson', 'json-array', 'auto'],
  aliases: { jsonl: 'ndjson', json: 'json-array' },
  help: 'the format of the records; auto (the default): json-array for a .json file, else ndjson',
} as const;

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

  constructor(
    readonly kind: OutputKind,
    readonly out: Out,
    ruleIds: readonly string[],
  ) {
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
      // One writer for every decision line: the core's (crates/blazerules-core/src/batch/output.rs).
      await this.out.write(r.toJSONLines({ format: 'decisions-jsonl', rowOffset: offset }));
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
      case 'summary':
        await this.out.write(`${JSON.stringify(this.summary(wallMs))}\n`);
        break;
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

  private summary(wallMs: number): Record<string, unknown> {
    return {
      batches: this.batches,
      records: this.records,
      matched_records: this.matched,
      messages_processed: this.processed,
      messages_skipped: this.skipped,
      rule_match_count_entries: Object.keys(this.ruleCounts).length,
      timing_ms: {
        parse: round3(this.parseMs),
        eval: round3(this.evalMs),
        total: round3(this.totalMs),
        wall: round3(wallMs),
      },
      error_counts: this.errorCounts,
      ruleset_version: this.version,
    };
  }
}

function inputKind(input: string, file: string | undefined): 'ndjson' | 'json-array' {
  if (input === 'ndjson' || input === 'json-array') return input;
  return file?.toLowerCase().endsWith('.json') ? 'json-array' : 'ndjson';
}

/** Evaluates one file into the sink: an ndjson file chunk by chunk, chunk k+1 natively while
 * chunk k's output is formatted and written. */
async function evalFile(
  engine: RuleEngine,
  sink: EvalSink,
  file: string,
  input: string,
  chunkBytes: number,
): Promise<void> {
  if (inputKind(input, file) === 'json-array') {
    await sink.add(await engine.evaluateJsonArray(readFileSync(file)));
    return;
  }
  let pending: Promise<BatchResult> | undefined;
  await forEachChunk(file, chunkBytes, async (chunk) => {
    const next = engine.evaluateNdjson(chunk);
    next.catch(() => undefined); // awaited below; avoid an unhandled rejection meanwhile
    if (pending !== undefined) await sink.add(await pending);
    pending = next;
  });
  if (pending !== undefined) await sink.add(await pending);
}

export const evalCommand = command({
  name: 'eval',
  summary: 'evaluate records (ndjson files in chunks of about 10 MB; rows in decisions-jsonl are global)',
  options: [
    RULES,
    { name: 'path', type: 'string', arg: 'F', repeatable: true, help: 'a file of records' },
    { name: 'stdin', type: 'flag', help: 'read the records from stdin instead' },
    { name: 'input', type: 'choice', ...INPUT },
    { name: 'format', type: 'choice', ...INPUT, help: 'the same as --input' },
    {
      name: 'output',
      type: 'choice',
      values: OUTPUTS,
      help: 'what to print (default: summary, or decisions-jsonl with --output-path)',
    },
    { name: 'output-path', type: 'string', arg: 'P', help: 'write the output to this file instead of stdout' },
    { name: 'batch-size', type: 'int', help: 'read ndjson files in chunks of max(1 MiB, N KiB) (as BlazeRules)' },
    ...ENGINE_OPTIONS,
  ],
  async run(o): Promise<void> {
    const started = performance.now();
    const paths = o.path ?? [];
    if (paths.length === 0 && !o.stdin) throw new UsageError('eval needs --path F or --stdin');
    if (paths.length > 0 && o.stdin) throw new UsageError('use either --path or --stdin, not both');
    const outputPath = o['output-path'];
    const kind = o.output ?? (outputPath !== undefined ? 'decisions-jsonl' : 'summary');
    const input = o.input ?? o.format ?? 'auto';
    const batchSize = o['batch-size'];
    const chunkBytes = batchSize === undefined ? CHUNK_BYTES : Math.max(1 << 20, batchSize * 1024);

    const engine = new RuleEngine(engineConfig(o));
    engine.loadRules(o.rules);
    const out = await Out.open(outputPath);
    const sink = new EvalSink(kind, out, engine.ruleIds);
    try {
      if (o.stdin) {
        const data = await readStdin();
        await sink.add(
          inputKind(input, undefined) === 'json-array'
            ? await engine.evaluateJsonArray(data)
            : await engine.evaluateNdjson(data),
        );
      } else {
        for (const file of paths) await evalFile(engine, sink, file, input, chunkBytes);
      }
      await sink.finish(performance.now() - started);
    } finally {
      await out.close();
    }
  },
});
