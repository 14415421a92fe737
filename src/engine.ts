/** `RuleEngine`: load rules (YAML/JSON), evaluate batches natively. */
import { EventEmitter } from 'node:events';
import * as path from 'node:path';

import { BatchResult } from './batch-result';
import { BlazeRulesError, RulesError, fromNative, nativeCode } from './errors';
import { type ExplainInput, type Explanation, explainRecord } from './explain';
import type { RulesProblem } from './errors';
import { native } from './native';
import type {
  NativeBatch,
  NativeCallOptions,
  NativeDecision,
  NativeEvalConfig,
  NativeRuleCell,
  NativeRuleSet,
} from './native';
import { readRules } from './rules-doc';
import type { Decision, EngineConfig, EvaluateOptions, LoadReport, RulesFormat, WindowStats } from './types';
import { RISK_BAND_NAMES } from './generated/batch-layout';
import { LiveRules, type LoadSource } from './live/live-rules';
import type {
  FollowRulesTopicOptions,
  HotReloadOptions,
  HotReloadStatus,
  RulesEvents,
  RulesFollower,
} from './live/types';
import { EngineMetrics, type MetricsSnapshot } from './metrics/counters';
import { metricsText } from './metrics/prometheus';

/** Input accepted by the NDJSON / JSON-array entry points. */
export type Payload = Buffer | Uint8Array | string;

function toBuffer(payload: Payload, what: string): Buffer {
  if (Buffer.isBuffer(payload)) return payload;
  if (payload instanceof Uint8Array) return Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength);
  if (typeof payload === 'string') return Buffer.from(payload, 'utf8');
  throw new TypeError(`${what} must be a Buffer, Uint8Array or string`);
}

/** The largest block a sync call's reused buffer keeps (`RuleEngine.#syncBlock`). */
const SYNC_BLOCK_KEEP = 1 << 20;

/** The message ends of sync calls of up to 1024 messages (read by the call, not kept). */
const SYNC_ENDS = new Uint32Array(1024);

/** Messages laid end to end in one buffer (one native reference instead of one per message).
 * A sync call passes `reuse` (the native side is done with it when the call returns): the
 * messages go in it when it is large enough, and their ends in SYNC_ENDS. */
function toMessageBlock(
  messages: readonly (Buffer | Uint8Array | string)[],
  reuse?: Buffer,
): { block: Buffer; ends: Uint32Array } | undefined {
  if (!Array.isArray(messages)) throw new TypeError('messages must be an array');
  // A small typed array of its own would live on V8's heap, and the native call would have it
  // moved out (an allocation) to read it.
  const ends =
    reuse !== undefined && messages.length <= SYNC_ENDS.length
      ? SYNC_ENDS.subarray(0, messages.length)
      : new Uint32Array(messages.length);
  let total = 0;
  for (let i = 0; i < messages.length; i++) {
    const m: unknown = messages[i];
    if (typeof m === 'string') total += Buffer.byteLength(m, 'utf8');
    else if (m instanceof Uint8Array) total += m.byteLength;
    else throw new TypeError(`messages[${i}] must be a Buffer, Uint8Array or string`);
    if (total > 0xffffffff) return undefined;
    ends[i] = total;
  }
  const block = reuse !== undefined && total <= reuse.length ? reuse.subarray(0, total) : Buffer.allocUnsafe(total);
  let at = 0;
  for (const m of messages) {
    if (typeof m === 'string') at += block.write(m, at, 'utf8');
    else {
      block.set(m, at);
      at += m.byteLength;
    }
  }
  return { block, ends };
}

/** @internal `blazerules serve`: the call also writes each record's answer
 * (`BatchResult.answerLines`). Not part of the public EvaluateOptions. */
export interface InternalEvaluateOptions extends EvaluateOptions {
  answers?: boolean;
}

/** A call's options as the native layer takes them (checked there: options.rs). */
function callOptions(opts: EvaluateOptions | undefined): NativeCallOptions | undefined {
  if (opts === undefined) return undefined;
  if (opts === null || typeof opts !== 'object') throw new TypeError('options must be an object');
  const out: NativeCallOptions = {};
  if (opts.partition !== undefined) out.partition = opts.partition;
  if (opts.nowMs !== undefined) out.nowMs = opts.nowMs;
  if ((opts as InternalEvaluateOptions).answers === true) out.answers = true;
  return out;
}

/** The active rule set plus what every result needs from it. */
interface Active {
  handle: NativeRuleSet;
  name: string;
  version: string;
  ruleIds: readonly string[];
  labels: readonly string[];
  /** Its share of the engine's counters (src/metrics/). */
  tally: ReturnType<EngineMetrics['tally']>;
}

/**
 * Hot swap for `runStream` (src/kafka/stream.ts): each engine owns one native rule cell,
 * which the native stream loop reads at the start of every batch. `#load` puts every rule set
 * that loaded successfully into it, so a reload while a stream runs takes effect at the
 * stream's next batch (a failed load changes nothing). Kept outside the class so that it is
 * not part of the public API.
 */
const RULE_CELLS = new WeakMap<RuleEngine, NativeRuleCell>();

/** The engine's native rule cell (internal: for runStream). */
export function nativeRuleCell(engine: RuleEngine): NativeRuleCell | undefined {
  return RULE_CELLS.get(engine);
}

/** Each engine's counters, for runStream's stats (internal: src/kafka/stream.ts). */
const METRICS = new WeakMap<RuleEngine, EngineMetrics>();

/** The engine's counters (internal: for runStream). */
export function engineMetrics(engine: RuleEngine): EngineMetrics | undefined {
  return METRICS.get(engine);
}

/** Emits `'rules'` ({ version, source }) after every successful load and `'rulesError'` (a
 * RulesError) after every failed one (src/live/types.ts: RulesEvents). */
export class RuleEngine extends EventEmitter<RulesEvents> {
  readonly #opts: NativeEvalConfig;
  #active: Active | undefined;
  readonly #metrics = new EngineMetrics();
  #liveRules: LiveRules | undefined;
  /** The buffer sync calls lay their messages out in (grown as needed, up to SYNC_BLOCK_KEEP). */
  #syncBlock: Buffer = Buffer.alloc(0);

  constructor(config: EngineConfig = {}) {
    super();
    // Validated natively (crates/blazerules-node/src/options.rs); only the dead-letter path is
    // resolved here, against this process's working directory.
    const given = config as unknown as Record<string, unknown>;
    const dl = given !== null && typeof given === 'object' ? given.deadLetterPath : undefined;
    const shaped = typeof dl === 'string' && dl !== '' ? { ...given, deadLetterPath: path.resolve(dl) } : given;
    try {
      this.#opts = new native.NativeEvalConfig(shaped);
    } catch (err) {
      throw new TypeError(fromNative(err).message);
    }
    RULE_CELLS.set(this, new native.NativeRuleCell());
    METRICS.set(this, this.#metrics);
  }

  /** Loads a rules file (YAML, or JSON for a `.json` file): a regular file of at most
   * `maxRulesFileBytes`. Lookup files resolve relative to it and must lie in its directory
   * (or a `lookupRoots` entry). Throws a RulesError listing every problem (IO_ERROR or
   * FILE_TOO_LARGE for a file that cannot be read); the previous rules then stay active. */
  loadRules(file: string): LoadReport {
    if (typeof file !== 'string' || file === '') throw new TypeError('loadRules(path) needs a file path');
    return this.#reported(() => this.#loadFile(file, this.#readFile(file)));
  }

  /** A rules file's bytes, or the RulesError (IO_ERROR, FILE_TOO_LARGE) of why not. */
  #readFile(file: string): Buffer {
    try {
      return native.readRulesFile(file, this.#opts);
    } catch (err) {
      const e = fromNative(err);
      const code = e instanceof BlazeRulesError && e.code === 'FILE_TOO_LARGE' ? e.code : 'IO_ERROR';
      throw new RulesError([{ code, message: e.message, path: '', file }]);
    }
  }

  #loadFile(file: string, bytes: Buffer): LoadReport {
    const format: RulesFormat = path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
    return this.#load(bytes, format, path.dirname(path.resolve(file)), { file, source: path.resolve(file) });
  }

  /** Loads rules from text (`format` defaults to YAML, which also reads JSON). Relative lookup
   * paths resolve against `baseDir` (default: the current directory), and lookup files must
   * lie in `baseDir` (or a `lookupRoots` entry). */
  loadRulesFromString(text: string, format: RulesFormat = 'yaml', baseDir = '.'): LoadReport {
    if (typeof text !== 'string') throw new TypeError('loadRulesFromString(text) needs a string');
    if (format !== 'yaml' && format !== 'json') throw new TypeError("format must be 'yaml' or 'json'");
    const from = { source: '<string>' };
    return this.#reported(() => this.#load(Buffer.from(text, 'utf8'), format, path.resolve(baseDir), from));
  }

  /** Runs a load, telling the listeners of `'rulesError'` why it failed. */
  #reported(load: () => LoadReport): LoadReport {
    try {
      return load();
    } catch (err) {
      if (err instanceof RulesError) this.emit('rulesError', err);
      throw err;
    }
  }

  /** Loads rules from their text as UTF-8 bytes (invalid UTF-8 is a YAML_SYNTAX_ERROR at its
   * line:column; a BOM is not part of the document); lookups from `from.lookups` (a rules
   * bundle) when given, else from files under `baseDir`. */
  #load(source: Buffer, format: RulesFormat, baseDir: string, from: LoadSource): LoadReport {
    const started = performance.now();
    let result: NativeRuleSet | RulesProblem[];
    try {
      const load = (t: Buffer, f: string) => native.loadRuleSet(t, f, baseDir, this.#opts, from.lookups);
      result = readRules(source, format, load);
    } catch (err) {
      throw fromNative(err);
    }
    if (Array.isArray(result)) throw new RulesError(result.map((p) => withFile(p, from.file)));
    const handle = result;
    const ruleIds = Object.freeze(handle.ruleIds);
    const labels = Object.freeze(handle.labels);
    const tally = this.#metrics.tally(ruleIds, labels);
    const active: Active = { handle, name: handle.name, version: handle.version, ruleIds, labels, tally };
    this.#active = active;
    RULE_CELLS.get(this)?.set(handle); // running streams pick it up at their next batch
    const report: LoadReport = {
      rulesetName: active.name,
      rulesetVersion: active.version,
      ruleCount: active.ruleIds.length,
      ruleIds: [...active.ruleIds],
      decisionLabels: [...active.labels],
      format,
      loadMs: performance.now() - started,
    };
    if (from.file !== undefined) report.file = from.file;
    this.emit('rules', { version: active.version, source: from.source });
    return report;
  }

  /** The version of the active rule set ("" before any load). */
  get activeRuleSetVersion(): string {
    return this.#active?.version ?? '';
  }

  /** The active rule set's name ("" before any load). */
  get activeRuleSetName(): string {
    return this.#active?.name ?? '';
  }

  /** Enabled rule ids of the active rule set, in rule order. */
  get ruleIds(): string[] {
    return this.#active ? [...this.#active.ruleIds] : [];
  }

  /** Decision labels of the active rule set by code (0 = the default label). */
  get decisionLabels(): string[] {
    return this.#active ? [...this.#active.labels] : [];
  }

  #rules(): Active {
    if (this.#active === undefined) throw new BlazeRulesError('NO_RULES', 'no rules loaded: call loadRules() first');
    return this.#active;
  }

  static #wrap(active: Active, raw: NativeBatch): BatchResult {
    const result = new BatchResult(raw, active.labels, active.ruleIds);
    active.tally.batch(result);
    return result;
  }

  async #async(run: (a: Active) => Promise<NativeBatch>): Promise<BatchResult> {
    // The rule set is captured here: a load during evaluation does not affect this batch.
    const active = this.#rules();
    try {
      return RuleEngine.#wrap(active, await run(active));
    } catch (err) {
      throw fromNative(err);
    }
  }

  #sync(run: (a: Active) => NativeBatch): BatchResult {
    const active = this.#rules();
    try {
      return RuleEngine.#wrap(active, run(active));
    } catch (err) {
      throw fromNative(err);
    }
  }

  /** Evaluates newline-delimited JSON on the libuv thread pool. Never mutates `payload`
   * (do not modify it either until the promise settles); bad records are skipped and counted.
   * `opts.partition` picks the window state shard the batch reads and updates (default 0;
   * calls on one shard are applied one whole batch at a time), `opts.nowMs` the clock. */
  evaluateNdjson(payload: Payload, opts?: EvaluateOptions): Promise<BatchResult> {
    try {
      const buf = toBuffer(payload, 'payload');
      const call = callOptions(opts);
      return this.#async((a) => a.handle.evaluateNdjson(buf, this.#opts, call));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** As evaluateNdjson, on the calling thread. */
  evaluateNdjsonSync(payload: Payload, opts?: EvaluateOptions): BatchResult {
    const buf = toBuffer(payload, 'payload');
    const call = callOptions(opts);
    return this.#sync((a) => a.handle.evaluateNdjsonSync(buf, this.#opts, call));
  }

  /** Evaluates each message as one record, off the JS thread. */
  evaluateMessages(messages: readonly (Buffer | Uint8Array | string)[], opts?: EvaluateOptions): Promise<BatchResult> {
    try {
      const call = callOptions(opts);
      const packed = toMessageBlock(messages);
      if (packed !== undefined) {
        return this.#async((a) => a.handle.evaluateMessageBlock(packed.block, packed.ends, this.#opts, call));
      }
      const bufs = messages.map((m, i) => toBuffer(m, `messages[${i}]`));
      return this.#async((a) => a.handle.evaluateMessages(bufs, this.#opts, call));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** As evaluateMessages, on the calling thread. */
  evaluateMessagesSync(messages: readonly (Buffer | Uint8Array | string)[], opts?: EvaluateOptions): BatchResult {
    const call = callOptions(opts);
    const packed = toMessageBlock(messages, this.#syncBlock);
    if (packed !== undefined) {
      // Small sync calls (blazerules serve's) reuse one buffer rather than allocate one each.
      const grown = packed.block.length > this.#syncBlock.length;
      if (grown && packed.block.length <= SYNC_BLOCK_KEEP) this.#syncBlock = packed.block;
      return this.#sync((a) => a.handle.evaluateMessageBlockSync(packed.block, packed.ends, this.#opts, call));
    }
    const bufs = messages.map((m, i) => toBuffer(m, `messages[${i}]`));
    return this.#sync((a) => a.handle.evaluateMessagesSync(bufs, this.#opts, call));
  }

  /** Evaluates one top-level JSON array of records, off the JS thread. */
  evaluateJsonArray(payload: Payload, opts?: EvaluateOptions): Promise<BatchResult> {
    try {
      const buf = toBuffer(payload, 'payload');
      const call = callOptions(opts);
      return this.#async((a) => a.handle.evaluateJsonArray(buf, this.#opts, call));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** As evaluateJsonArray, on the calling thread. */
  evaluateJsonArraySync(payload: Payload, opts?: EvaluateOptions): BatchResult {
    const buf = toBuffer(payload, 'payload');
    const call = callOptions(opts);
    return this.#sync((a) => a.handle.evaluateJsonArraySync(buf, this.#opts, call));
  }

  /** Reads and evaluates an NDJSON file, both off the JS thread, as one batch: a regular file
   * of at most `maxFileBytes` (default 1 GiB; IO_ERROR or FILE_TOO_LARGE otherwise). For larger
   * files, read chunks cut at newlines and call evaluateNdjson per chunk (as `eval --path`). */
  evaluateNdjsonFile(file: string, opts?: EvaluateOptions): Promise<BatchResult> {
    if (typeof file !== 'string' || file === '')
      return Promise.reject(new TypeError('evaluateNdjsonFile(path) needs a file path'));
    const abs = path.resolve(file);
    try {
      const call = callOptions(opts);
      return this.#async((a) => a.handle.evaluateNdjsonFile(abs, this.#opts, call));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Evaluates one record (for request handlers), on the calling thread. */
  evaluate(record: object, opts?: EvaluateOptions): Decision {
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      throw new TypeError('evaluate(record) needs a plain object');
    }
    const text = Buffer.from(JSON.stringify(record), 'utf8');
    const call = callOptions(opts);
    const active = this.#rules();
    let d: NativeDecision;
    try {
      d = active.handle.evaluateOne(text, this.#opts, call);
    } catch (err) {
      throw fromNative(err);
    }
    if (!d.ok)
      throw new BlazeRulesError(
        nativeCode(d.errorCode ?? 'MALFORMED_JSON'),
        d.errorMessage ?? 'record could not be read',
      );
    active.tally.one(d.decisionCode, d.matched, d.matchedRules);
    const label = active.labels[d.decisionCode] ?? active.labels[0] ?? 'APPROVE';
    return {
      decision: label,
      decisionCode: d.decisionCode,
      score: d.score,
      riskBand: RISK_BAND_NAMES[d.riskBand] ?? RISK_BAND_NAMES[0],
      winningRuleId: active.ruleIds[d.winner] ?? '',
      matched: d.matched,
      matchedRuleIds: d.matchedRules.map((i) => active.ruleIds[i] ?? ''),
      ruleSetVersion: d.rulesetVersion,
    };
  }

  /** Why `record` gets its decision: every rule, matched or not, its condition tree as written
   * with each leaf's value, operand and result, the winner and why (src/explain.ts). Window
   * conditions read shard `opts.partition` as it is, without adding the record. */
  explain(record: ExplainInput, opts?: EvaluateOptions): Explanation {
    return explainRecord(this.#rules().handle, this.#opts, record, callOptions(opts));
  }

  /** Forgets the window state of shard `partition`, or of every shard (the eviction count
   * stays). Evaluations running at the same time finish first (they hold their shard). */
  resetWindowState(partition?: number): void {
    try {
      this.#opts.resetWindowState(partition);
    } catch (err) {
      throw fromNative(err);
    }
  }

  /** The window state over every shard: entities, buckets, estimated bytes, evictions. */
  windowStats(): WindowStats {
    const s = this.#opts.windowStats();
    return { entities: s.entities, buckets: s.buckets, bytes: s.bytes, evicted: s.evicted };
  }

  // Live rules (src/live/) and metrics (src/metrics/): the engine delegates to them.

  #live(): LiveRules {
    this.#liveRules ??= new LiveRules({
      engine: this,
      metrics: this.#metrics,
      readFile: (file) => this.#readFile(file),
      loadFile: (file, bytes) => this.#reported(() => this.#loadFile(file, bytes)),
      loadText: (text, format, from) => this.#reported(() => this.#load(text, format, '.', from)),
    });
    return this.#liveRules;
  }

  /** Loads `file` now and reloads it whenever it or a lookup file it names changes (watched,
   * and polled every `pollIntervalMs` as a fallback). Throws the RulesError of a bad file
   * (and does not watch it then). A later bad file keeps the active rules. */
  enableHotReload(file: string, opts?: HotReloadOptions): void {
    this.#live().enableHotReload(file, opts);
  }

  /** Stops watching the hot-reloaded file (the active rules stay). */
  stopHotReload(): void {
    this.#liveRules?.stopHotReload();
  }

  /** Reloads the hot-reloaded file now (throws its RulesError; the active rules then stay). */
  reloadRulesNow(): LoadReport {
    return this.#live().reloadNow();
  }

  /** The hot reloader's state: file, active version, last load and error, counts. */
  hotReloadStatus(): HotReloadStatus {
    return this.#live().hotReloadStatus(this.activeRuleSetVersion);
  }

  /** Follows a topic of rules bundles (service.md §3): resolves once the latest one loaded. */
  followRulesTopic(opts: FollowRulesTopicOptions): Promise<RulesFollower> {
    return this.#live().followRulesTopic(opts);
  }

  /** The counters (rules-reference.md §7 names), gauges and latency histograms. */
  metricsSnapshot(): MetricsSnapshot {
    return this.#metrics.snapshot(this.windowStats());
  }

  /** The metrics as Prometheus text exposition 0.0.4 (names: docs/metrics.md). */
  metricsText(): string {
    return metricsText(this.#metrics, this.windowStats(), {
      name: this.activeRuleSetName,
      version: this.activeRuleSetVersion,
    });
  }
}

function withFile(p: RulesProblem, file: string | undefined): RulesProblem {
  return file === undefined ? p : { ...p, file };
}
