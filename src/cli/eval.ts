/** `blazerules eval`: evaluates ndjson or JSON-array records into one of several outputs. */
import type { BatchResult } from '../batch-result';
import { RuleEngine } from '../engine';
import type { EngineConfig, JSONLinesOptions } from '../types';
import { UsageError, command } from './args';
import { ENGINE_OPTIONS, RULES, engineConfig, round3 } from './common';
import { DEFAULT_MAX_FILE_BYTES, Out, forEachChunk, forEachStdinChunk, readStdin, readWholeFile } from './streams';

/** ndjson files are read in chunks of this many bytes, each cut at its last newline. */
export const CHUNK_BYTES = 10_240_000;

const OUTPUTS = ['summary', 'decisions-jsonl', 'grouped-decisions', 'rule-counts', 'none'] as const;
type OutputKind = (typeof OUTPUTS)[number];

const INPUT = {
  values: ['ndjson', 'json-array', 'auto'],
  aliases: { jsonl: 'ndjson', json: 'json-array' },
  help: 'the format of the records; auto (the default): json-array for a .json file, else ndjson',
} as const;

/** Decision lines are written from buffers of this size (grown for a longer line). */
const LINES_BYTES = 1 << 20;

/**
 * Writes batches' decision lines (the core's writer) through two buffers taken in turn, one
 * written while the next is filled, rather than one buffer the size of each batch's lines:
 * memory stays flat however many batches pass (their buffers would wait for V8 to collect them).
 */
class DecisionLines {
  readonly #bufs: Buffer[] = [Buffer.allocUnsafe(LINES_BYTES), Buffer.allocUnsafe(LINES_BYTES)];
  readonly #writing: (Promise<void> | undefined)[] = [undefined, undefined];
  #turn = 0;

  constructor(readonly out: Out) {}

  async write(r: BatchResult, opts: JSONLinesOptions): Promise<void> {
    for (let from = 0; from < r.nRecords; ) {
      const turn = this.#turn;
      await this.#writing[turn];
      let buf = this.#bufs[turn] as Buffer;
      let { next, bytes } = r.linesInto(buf, from, opts);
      while (next === from) {
        buf = Buffer.allocUnsafe(2 * buf.length);
        this.#bufs[turn] = buf;
        ({ next, bytes } = r.linesInto(buf, from, opts));
      }
      const written = this.out.writeThrough(buf.subarray(0, bytes));
      written.catch(() => undefined); // awaited at the buffer's next turn or in flush
      this.#writing[turn] = written;
      this.#turn = 1 - turn;
      from = next;
    }
  }

  /** Waits for every line to be written. */
  async flush(): Promise<void> {
    for (const w of this.#writing) await w;
  }
}

/** Accumulates per-batch results into the chosen output. */
class EvalSink {
  batches = 0;
  records = 0;
  /** Input lines of the batches so far (NDJSON): the next batch's line offset. */
  lines = 0;
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
  readonly #lines: DecisionLines;

  constructor(
    readonly kind: OutputKind,
    readonly out: Out,
    ruleIds: readonly string[],
  ) {
    for (const id of ruleIds) this.ruleCounts[id] = 0;
    this.#lines = new DecisionLines(out);
  }

  async add(r: BatchResult): Promise<void> {
    const offset = this.records;
    const lineOffset = this.lines;
    this.lines += r.inputLineCount;
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
      await this.#lines.write(r, { format: 'decisions-jsonl', rowOffset: offset, lineOffset });
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
    await this.#lines.flush();
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

/** Where records come from, and the limits they are read under. */
interface Source {
  input: string;
  chunkBytes: number;
  /** Longest line kept whole (longer ones are skipped as RECORD_TOO_LARGE). */
  maxLineBytes: number;
  /** Largest JSON array read whole (0: no limit). */
  maxFileBytes: number;
}

/** Evaluates chunks as `each` hands them over, by synchronous calls (a chunk's pieces still
 * on every core; the last lines of a chunk are written while the next is read and evaluated).
 * Evaluated through the libuv pool instead, each batch's native results came from the pool
 * threads' malloc arenas and were freed here when V8 collected them; glibc kept those arenas
 * growing with the input (peak RSS 150-164 MiB for 0.5-1.5 GB on stdin against 122-137 MiB
 * here: benchmarks/hostile-memory.mjs). */
async function evalChunks(
  engine: RuleEngine,
  sink: EvalSink,
  each: (fn: (chunk: Buffer) => Promise<void>) => Promise<unknown>,
): Promise<void> {
  await each((chunk) => sink.add(engine.evaluateNdjsonSync(chunk)));
}

/** Evaluates one file (`undefined`: stdin) into the sink: ndjson chunk by chunk, a JSON
 * array whole (at most `maxFileBytes`). */
async function evalInput(engine: RuleEngine, sink: EvalSink, file: string | undefined, src: Source): Promise<void> {
  sink.lines = 0; // `line` numbers lines within each input; `row` goes on across inputs
  if (inputKind(src.input, file) === 'json-array') {
    const data = file === undefined ? await readStdin(src.maxFileBytes) : await readWholeFile(file, src.maxFileBytes);
    await sink.add(await engine.evaluateJsonArray(data));
    return;
  }
  await evalChunks(engine, sink, (fn) =>
    file === undefined
      ? forEachStdinChunk(src.chunkBytes, src.maxLineBytes, fn)
      : forEachChunk(file, src.chunkBytes, src.maxLineBytes, fn),
  );
}

/** The engine configuration and input limits: lines are bounded by maxRecordBytes, or else by
 * maxFileBytes, which then becomes maxRecordBytes so that the engine skips the longer lines. */
function limits(o: Parameters<typeof engineConfig>[0]): {
  config: EngineConfig;
  maxLineBytes: number;
  maxFileBytes: number;
} {
  const config = engineConfig(o);
  const maxFileBytes = config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES;
  const maxLineBytes = config.maxRecordBytes || maxFileBytes || Number.POSITIVE_INFINITY;
  if (!config.maxRecordBytes && Number.isFinite(maxLineBytes)) config.maxRecordBytes = maxLineBytes;
  return { config, maxLineBytes, maxFileBytes };
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

    const { config, maxLineBytes, maxFileBytes } = limits(o);
    const engine = new RuleEngine(config);
    engine.loadRules(o.rules);
    const out = await Out.open(outputPath);
    const sink = new EvalSink(kind, out, engine.ruleIds);
    const src: Source = { input, chunkBytes, maxLineBytes, maxFileBytes };
    try {
      if (o.stdin) await evalInput(engine, sink, undefined, src);
      else for (const file of paths) await evalInput(engine, sink, file, src);
      await sink.finish(performance.now() - started);
    } finally {
      await out.close();
    }
  },
});
