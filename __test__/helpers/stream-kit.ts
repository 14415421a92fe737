/**
 * Helpers for the runStream tests (__test__/stream-*.spec.ts): records, producing many
 * messages, reading output topics live, end/committed offsets, the CLI as a child process,
 * bounded waits. Everything runs against the repo's local broker (helpers/kafka.ts) or a
 * private one, on 127.0.0.1 only.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RuleEngine } from '../../src/index';
import {
  KafkaConsumer,
  KafkaIOError,
  KafkaProducer,
  runStream,
  type KafkaRecord,
  type ProduceHeaders,
} from '../../src/io';
import type { StreamRunConfig, StreamRunOptions, StreamRunStats } from '../../src/io';
import { FAST_GROUP, committedOffsets, uniqueName } from './kafka';

export { runStream };
export type { StreamRunConfig, StreamRunOptions, StreamRunStats };

export const ROOT = join(__dirname, '..', '..');
export const RULES = join(ROOT, 'examples', 'rules.yaml');
export const CLI = join(ROOT, 'dist', 'cli.js');

/** Consumer settings that make group changes quick (as FAST_GROUP), for runStream's consumers. */
export const FAST_CONSUMER = { ...FAST_GROUP } as const;

export function newEngine(rulesPath = RULES): RuleEngine {
  const e = new RuleEngine();
  e.loadRules(rulesPath);
  return e;
}

/** examples/rules.yaml with another ruleset version (and optionally other text replaced), as a file. */
export function rulesVariant(version: string, replace: Array<[string, string]> = []): string {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  let text = (require('node:fs') as typeof import('node:fs'))
    .readFileSync(RULES, 'utf8')
    .replace('version: "1.0.0"', `version: "${version}"`);
  for (const [a, b] of replace) {
    if (!text.includes(a)) throw new Error(`rulesVariant: '${a}' not in ${RULES}`);
    text = text.replace(a, b);
  }
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-stream-rules-'));
  const file = join(dir, `rules-${version}.yaml`);
  writeFileSync(file, text);
  return file;
}

const COUNTRIES = ['US', 'US', 'CA', 'DE', 'KP', 'IR', 'FR'] as const;
/** A deterministic payment record for examples/rules.yaml that exercises every rule. */
export function payload(i: number): string {
  return JSON.stringify({
    id: i,
    amount: ((i * 7919) % 16_000) + (i % 100) / 100,
    country: COUNTRIES[i % COUNTRIES.length],
    email: i % 5 === 0 ? `u${i}@mailinator.com` : i % 11 === 0 ? null : `u${i}@example.com`,
    ip: i % 9 === 0 ? `10.${i % 256}.0.1` : `203.0.113.${i % 256}`,
    account_age_days: (i * 31) % 400,
  });
}

/** What runStream must say about one record: `engine.evaluateNdjson` on the same input. */
export interface Expected {
  decision: string;
  score: number;
  riskBand: string;
  winningRuleId: string;
  version: string;
  matched: boolean;
}

/** Evaluates the values (one JSON object each) as one NDJSON payload; index i ↔ values[i]. */
export async function expectedFor(
  engine: RuleEngine,
  values: readonly string[],
): Promise<{ rows: Expected[]; nMatched: number }> {
  const r = await engine.evaluateNdjson(Buffer.from(`${values.join('\n')}\n`));
  if (r.nRecords !== values.length)
    throw new Error(`expectedFor: ${r.nRecords} records evaluated of ${values.length} (the inputs must all be valid)`);
  const { decisions, scores, riskBands, winningRuleIds, ruleSetVersion, matched } = r;
  const rows = Array.from({ length: r.nRecords }, (_, i) => ({
    decision: decisions[i] as string,
    score: scores[i] as number,
    riskBand: riskBands[i] as string,
    winningRuleId: winningRuleIds[i] ?? '',
    version: ruleSetVersion,
    matched: matched[i] === 1,
  }));
  return { rows, nMatched: r.nMatched };
}

/** An output record's JSON (`rows` or `enriched`), checking the value ends with "\n". */
export interface OutRow {
  batch_row?: number;
  matched?: boolean;
  source_topic?: string;
  partition?: number;
  offset?: number;
  decision: string;
  score: number;
  risk_band: string;
  winning_rule_id: string;
  ruleset_version: string;
}
export function parseOut(r: KafkaRecord): OutRow {
  const s = r.value.toString('utf8');
  if (!s.endsWith('\n'))
    throw new Error(`output value does not end with a newline: ${JSON.stringify(s.slice(0, 200))}`);
  return JSON.parse(s) as OutRow;
}

/** "decision|score|band|winner|version": what rows/enriched output and evaluateNdjson must agree on. */
export function outcomeKey(o: {
  decision: string;
  score: number;
  riskBand?: string;
  risk_band?: string;
  winningRuleId?: string;
  winning_rule_id?: string;
  version?: string;
  ruleset_version?: string;
}): string {
  return [
    o.decision,
    Number(o.score).toFixed(6),
    o.riskBand ?? o.risk_band,
    o.winningRuleId ?? o.winning_rule_id ?? '',
    o.version ?? o.ruleset_version,
  ].join('|');
}

/**
 * Produces values (keys, headers optional) in chunks small enough for librdkafka's queue,
 * waiting for delivery of each chunk.
 */
export async function produceMany(
  address: string,
  topic: string,
  n: number,
  value: (i: number) => Buffer | string,
  key?: (i: number) => Buffer | string | undefined,
  headers?: (i: number) => ProduceHeaders | undefined,
  producer?: KafkaProducer,
): Promise<void> {
  const p =
    producer ?? new KafkaProducer({ brokers: address, conf: { 'linger.ms': 20, 'batch.num.messages': 10_000 } });
  try {
    const CHUNK = 20_000;
    for (let start = 0; start < n; start += CHUNK) {
      for (let i = start; i < Math.min(n, start + CHUNK); i++) p.produce(topic, value(i), key?.(i), headers?.(i));
      if (!(await p.flush(60_000)))
        throw new Error(`could not produce messages ${start}..${Math.min(n, start + CHUNK) - 1} to ${topic}`);
    }
  } finally {
    if (!producer) await p.close();
  }
}

/**
 * Produces `perTick` records every `tickMs` until stopped (a steady input for tests that kill
 * or restart the loop while records keep coming). Keys are `${prefix}${i}`.
 */
export class Trickle {
  readonly #producer: KafkaProducer;
  #timer: NodeJS.Timeout | undefined;
  #n = 0;
  #error: unknown;
  constructor(
    address: string,
    readonly topic: string,
    readonly perTick = 50,
    readonly tickMs = 50,
    readonly prefix = 'k',
  ) {
    this.#producer = new KafkaProducer({ brokers: address, conf: { 'linger.ms': 5 } });
  }
  get produced(): number {
    return this.#n;
  }
  start(): this {
    this.#timer = setInterval(() => {
      try {
        for (let j = 0; j < this.perTick; j++, this.#n++)
          this.#producer.produce(this.topic, payload(this.#n), `${this.prefix}${this.#n}`);
      } catch (err) {
        this.#error ??= err;
      }
    }, this.tickMs);
    return this;
  }
  #stopping: Promise<number> | undefined;
  /** Stops producing and waits until everything produced was delivered; returns the count. */
  stop(): Promise<number> {
    this.#stopping ??= this.#stop();
    return this.#stopping;
  }
  async #stop(): Promise<number> {
    clearInterval(this.#timer);
    this.#timer = undefined;
    try {
      if (this.#error) throw this.#error;
      if (!(await this.#producer.flush(60_000)))
        throw new Error(`Trickle: not every record of ${this.topic} was delivered`);
    } finally {
      await this.#producer.close();
    }
    return this.#n;
  }
}

/**
 * Reads a topic from the beginning with a group of its own, in the background, keeping every
 * record; waits out the transient errors a broker restart causes.
 */
export class TopicReader {
  readonly records: KafkaRecord[] = [];
  readonly #consumer: KafkaConsumer;
  #stopped = false;
  readonly #loop: Promise<void>;
  #error: unknown;
  constructor(address: string, topic: string) {
    this.#consumer = new KafkaConsumer({
      brokers: address,
      groupId: uniqueName('stream-reader'),
      topics: [topic],
      conf: FAST_GROUP,
      maxBufferedMessages: 50_000,
    });
    this.#loop = this.#run();
  }
  async #run(): Promise<void> {
    while (!this.#stopped) {
      try {
        const recs = await this.#consumer.pollRecords({ maxMessages: 10_000, timeoutMs: 500 });
        for (const r of recs) this.records.push(r);
      } catch (err) {
        if (err instanceof KafkaIOError && (err.code === 'BROKER_DOWN' || err.code === 'UNKNOWN_TOPIC')) {
          await sleep(200);
          continue;
        }
        this.#error = err;
        return;
      }
    }
  }
  /** Waits until `pred(records)` holds; throws (naming `what`) after `timeoutMs`. */
  async until(pred: (records: KafkaRecord[]) => boolean, timeoutMs: number, what: string): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!pred(this.records)) {
      if (this.#error) throw this.#error;
      if (Date.now() > deadline)
        throw new Error(`${what}: not within ${timeoutMs} ms (have ${this.records.length} records; ${this.state()})`);
      await sleep(100);
    }
  }
  /** Waits until at least n records arrived, then `settleMs` more (to see duplicates). */
  async atLeast(n: number, timeoutMs: number, settleMs = 1500): Promise<KafkaRecord[]> {
    await this.until((r) => r.length >= n, timeoutMs, `reading ${n} records`);
    await sleep(settleMs);
    return this.records;
  }
  /** Waits until the reader has read up to the topic's current end (every partition). */
  async catchUp(address: string, topic: string, partitions: number, timeoutMs: number): Promise<KafkaRecord[]> {
    const total = (await endOffsets(address, topic, partitions)).reduce((a, b) => a + b, 0);
    await this.until((r) => r.length >= total, timeoutMs, `reading all ${total} records of ${topic}`);
    return this.records;
  }
  /** The reader's consumer: its assignment and rebalances (for failure messages). */
  state(): string {
    const parts = this.#consumer.assignment().map((tp) => tp.partition);
    return `reader assigned [${parts.join(',')}] after ${this.#consumer.rebalanceCount} rebalance(s)`;
  }
  #closing: Promise<void> | undefined;
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }
  async #close(): Promise<void> {
    this.#stopped = true;
    await this.#loop;
    await this.#consumer.close();
  }
}

/** Reads a whole topic (≥ n records, then an idle pause) and closes the reader. */
export async function readAll(
  address: string,
  topic: string,
  n: number,
  timeoutMs = 120_000,
  settleMs = 1500,
): Promise<KafkaRecord[]> {
  const reader = new TopicReader(address, topic);
  try {
    return [...(await reader.atLeast(n, timeoutMs, settleMs))];
  } finally {
    await reader.close();
  }
}

type RdMeta = {
  connect(o: object, cb: (err: unknown) => void): void;
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeout: number,
    cb: (err: unknown, o: { lowOffset: number; highOffset: number }) => void,
  ): void;
  disconnect(cb: () => void): void;
};

/** The end (high watermark) offset of each partition. */
export async function endOffsets(address: string, topic: string, partitions: number): Promise<number[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rd = require('node-rdkafka') as { Producer: new (conf: object, topicConf: object) => RdMeta };
  const c = new rd.Producer({ 'metadata.broker.list': address }, {});
  await new Promise<void>((resolve, reject) =>
    c.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  try {
    const out: number[] = [];
    for (let p = 0; p < partitions; p++) {
      out.push(
        await new Promise<number>((resolve, reject) =>
          c.queryWatermarkOffsets(topic, p, 10_000, (err, o) => (err ? reject(err) : resolve(o.highOffset))),
        ),
      );
    }
    return out;
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

/** Waits until the group committed the end of every partition; returns the last committed offsets. */
export async function waitCommittedToEnd(
  address: string,
  groupId: string,
  topic: string,
  partitions: number,
  timeoutMs: number,
): Promise<number[]> {
  const ends = await endOffsets(address, topic, partitions);
  const deadline = Date.now() + timeoutMs;
  let last: number[] = [];
  for (;;) {
    last = await committedOffsets(address, groupId, topic, partitions).catch(() => last);
    if (last.length === partitions && last.every((o, p) => o === ends[p])) return last;
    if (Date.now() > deadline)
      throw new Error(
        `group ${groupId} did not commit the end of ${topic} within ${timeoutMs} ms: committed ${JSON.stringify(last)}, ends ${JSON.stringify(ends)}`,
      );
    await sleep(500);
  }
}

/** For enriched outputs: how many outputs name each "partition/offset" of the input. */
export function outputsPerSource(out: readonly KafkaRecord[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const r of out) {
    const d = parseOut(r);
    const id = `${d.partition}/${d.offset}`;
    m.set(id, (m.get(id) ?? 0) + 1);
  }
  return m;
}

/** The input offsets (of partitions 0..n-1 with these end offsets, topic created fresh) without an output. */
export function missingSources(per: ReadonlyMap<string, number>, ends: readonly number[]): string[] {
  const missing: string[] = [];
  ends.forEach((end, p) => {
    for (let o = 0; o < end; o++) if (!per.has(`${p}/${o}`)) missing.push(`${p}/${o}`);
  });
  return missing;
}

/** Summarises a list of "p/o" ids for an assertion message. */
export function sample(ids: readonly string[], n = 10): string {
  return `${ids.length}${ids.length ? ` (e.g. ${ids.slice(0, n).join(', ')})` : ''}`;
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Resolves with p's value, or rejects naming `what` when it takes longer than ms. */
export function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

/**
 * runStream with a hard bound: the given signal (if any) or, after `limitMs`, our own abort;
 * if it still has not settled `graceMs` after the abort, rejects. `aborted` says whether the
 * bound fired (the caller then fails the test).
 */
export function boundedRunStream(
  engine: RuleEngine,
  config: StreamRunConfig,
  opts: { signal?: AbortSignal; onStats?: (s: StreamRunStats) => void; limitMs: number; graceMs?: number },
): { done: Promise<StreamRunStats>; timedOut: () => boolean; abort: () => void } {
  const ac = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ac.abort();
  }, opts.limitMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, ac.signal]) : ac.signal;
  const run = Promise.resolve().then(() => runStream(engine, config, { signal, onStats: opts.onStats }));
  const done = new Promise<StreamRunStats>((resolve, reject) => {
    let graceTimer: NodeJS.Timeout | undefined;
    const onAbort = (): void => {
      graceTimer = setTimeout(
        () => reject(new Error(`runStream did not settle within ${opts.graceMs ?? 60_000} ms of its AbortSignal`)),
        opts.graceMs ?? 60_000,
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    run.then(resolve, reject).finally(() => {
      clearTimeout(timer);
      clearTimeout(graceTimer);
      signal.removeEventListener('abort', onAbort);
    });
  });
  done.catch(() => undefined);
  return { done, timedOut: () => timedOut, abort: () => ac.abort() };
}

/** Checks a StreamRunStats object's shape (every field a finite, non-negative number). */
export function statsProblems(s: unknown): string[] {
  const fields = [
    'batches',
    'messages',
    'matched',
    'emitted',
    'skipped',
    'dlqRouted',
    'deliveryErrors',
    'evalMs',
    'elapsedMs',
  ];
  if (s === null || typeof s !== 'object') return [`stats is ${JSON.stringify(s)}`];
  const o = s as Record<string, unknown>;
  return fields
    .filter((f) => typeof o[f] !== 'number' || !Number.isFinite(o[f]) || (o[f] as number) < 0)
    .map((f) => `${f}=${JSON.stringify(o[f])}`);
}

// ------------------------------------------------------------------ the CLI as a child process

const LIVE = new Set<ChildProcess>();

export interface CliRun {
  child: ChildProcess;
  stdout: () => string;
  stderr: () => string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Spawns `node dist/cli.js stream kafka ARGS…` (stdout/stderr captured). */
export function spawnStreamCli(args: readonly string[]): CliRun {
  const child = spawn(process.execPath, [CLI, 'stream', 'kafka', ...args], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  LIVE.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (err += d.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      LIVE.delete(child);
      resolve({ code, signal });
    }),
  );
  return { child, stdout: () => out, stderr: () => err, exited };
}

/** Standard CLI arguments for one loop. */
export function cliArgs(o: {
  brokers: string;
  input: string;
  output?: string;
  groupId: string;
  mode?: string;
  batchSize?: number;
  extra?: string[];
}): string[] {
  const a = ['--rules', RULES, '--brokers', o.brokers, '--input-topic', o.input, '--group-id', o.groupId];
  if (o.output) a.push('--output-topic', o.output);
  if (o.mode) a.push('--output-mode', o.mode);
  if (o.batchSize) a.push('--batch-size', String(o.batchSize));
  for (const [k, v] of Object.entries(FAST_CONSUMER)) a.push('--consumer-conf', `${k}=${v}`);
  return [...a, ...(o.extra ?? [])];
}

/** The last line of stdout parsed as JSON (the CLI's stats), or an error naming what was printed. */
export function lastJsonLine(stdout: string): Record<string, unknown> {
  const lines = stdout.trim().split('\n').filter(Boolean);
  const last = lines[lines.length - 1] ?? '';
  try {
    return JSON.parse(last) as Record<string, unknown>;
  } catch {
    throw new Error(`stdout's last line is not JSON: ${JSON.stringify(stdout.slice(-500))}`);
  }
}

/** SIGKILLs every CLI child still running (for test.after.always). */
export function killLiveChildren(): void {
  for (const c of LIVE) c.kill('SIGKILL');
}
