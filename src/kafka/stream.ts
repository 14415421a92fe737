/**
 * `runStream`: the consume → evaluate → produce → commit loop, run natively (Rust,
 * crates/blazerules-stream) over its own statically linked librdkafka, on a thread of its own:
 * never the JS thread, never the libuv pool. Independent of node-rdkafka (`hasKafka`).
 * See docs/kafka.md, "runStream".
 */
import { type CatalogStreamConfig, type CatalogStreamStats, runCatalogStream } from '../catalog/stream';
import type { RuleEngine } from '../engine';
import { engineMetrics, nativeRuleCell } from '../engine';
import { native } from '../native';
import type { NativeStreamStats } from '../native';
import { KafkaIOError } from './errors';
import type { KafkaIOErrorCode } from './errors';

export type StreamOutputMode = 'rows' | 'enriched' | 'grouped' | 'none';

/** librdkafka properties: values are passed as text (numbers and booleans are converted). */
export type StreamKafkaConf = Record<string, string | number | boolean>;

export interface StreamRunConfig {
  /** `"host:port,host:port"` or an array. Required. */
  brokers: string | readonly string[];
  /** Consumer group. Required. */
  groupId: string;
  /** A name, a comma-separated list, or an array. Required. */
  inputTopics: string | readonly string[];
  /** Where decisions go; required unless `outputMode` is 'none'. */
  outputTopic?: string;
  /** Records that cannot be evaluated go here (original bytes, key, headers + error headers). */
  dlqTopic?: string;
  consumerConf?: StreamKafkaConf;
  producerConf?: StreamKafkaConf;
  /** Most messages per batch (2048). */
  batchSize?: number;
  /** Wait for the first message of a batch (1000 ms). */
  pollTimeoutMs?: number;
  /** A batch's delivery reports are due within this long (5000 ms), or the cluster counts as
   * down (an outage, bounded by `outageBudgetMs`); after a stop, the longest wait for them. */
  flushTimeoutMs?: number;
  /** Evaluator threads (1); a partition always goes to one of them, in offset order. */
  workers?: number;
  /** Stop after this many messages (0 = no limit). */
  maxMessages?: number;
  /** Stop after this many batches (0 = no limit). */
  maxBatches?: number;
  /** Stop after this long without a message, counted from the first partition assignment
   * (joining the group does not count; 0 = run until stopped). */
  idleTimeoutMs?: number;
  /** 'rows' (default), 'enriched', 'grouped' or 'none'. */
  outputMode?: StreamOutputMode;
  /** Commit offsets after delivery (true). */
  commitOffsets?: boolean;
  /** Give up with BROKER_UNREACHABLE if the cluster cannot be reached at start (10000 ms). */
  connectTimeoutMs?: number;
  /** Ride out a broker outage this long (120000 ms; 0: not at all), then fail with BROKER_OUTAGE. */
  outageBudgetMs?: number;
  /** Static group membership (`group.instance.id`, KIP-345): unique per process, stable across
   * its restarts; a restarted member gets its partitions back at once, without a rebalance. */
  groupInstanceId?: string;
}

export interface StreamRunStats {
  batches: number;
  messages: number;
  matched: number;
  emitted: number;
  skipped: number;
  dlqRouted: number;
  deliveryErrors: number;
  evalMs: number;
  elapsedMs: number;
  /** Broker outages ridden out (or under way). */
  outages: number;
  /** Their total length so far. */
  outageMs: number;
  /** How long the outage under way has lasted (0: none). */
  outageOpenMs: number;
  /** Records read again to rebuild the window state of assigned partitions (window rules only). */
  windowReplayRecords: number;
  /** Wall time during which a partition's window state was being rebuilt. */
  windowReplayMs: number;
  /** Partitions rebuilt from less than the longest window (the topic no longer held that much:
   * retention shorter than the window); each also warned about on stderr. */
  windowReplayShort: number;
  /** The latest known consumer lag of each partition this member has assigned now, by topic
   * and partition (from librdkafka's statistics, about once a second; a partition whose lag is
   * not known yet, before the group's first commit on it, is left out). */
  consumerLag: StreamPartitionLag[];
  /** The sum of `consumerLag`. */
  consumerLagTotal: number;
}

/** One partition's consumer lag: messages between the group's committed offset and the
 * partition's end (its high watermark). */
export interface StreamPartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

export interface StreamRunOptions {
  /** Aborting stops the loop gracefully: the batch in hand is finished, flushed and committed. */
  signal?: AbortSignal;
  /** Called about once a second with the live counters (exceptions it throws are ignored). */
  onStats?: (stats: StreamRunStats) => void;
}

const CODES = new Set<string>([
  'INVALID_CONFIG',
  'BROKER_UNREACHABLE',
  'BROKER_OUTAGE',
  'UNKNOWN_TOPIC',
  'DELIVERY_FAILED',
  'COMMIT_FAILED',
  'CONSUME_FAILED',
]);

/** Turns a native `[CODE] message` error into a KafkaIOError (or a BlazeRules-coded Error). */
function fromNativeStream(err: unknown): Error {
  const text = err instanceof Error ? err.message : String(err);
  const m = /^\[([A-Z_]+)\] ([\s\S]*)$/.exec(text);
  if (m === null) return err instanceof Error ? err : new Error(text);
  const code = m[1] ?? '';
  const message = m[2] ?? '';
  if (CODES.has(code)) return new KafkaIOError(code as KafkaIOErrorCode, `runStream: ${message}`, { cause: err });
  const e = new Error(`runStream: ${message}`) as Error & { code: string };
  e.code = code; // NO_RULES, EVAL_FAILED, INTERNAL_ERROR
  return e;
}

function toStats(s: NativeStreamStats): StreamRunStats {
  return {
    batches: s.batches,
    messages: s.messages,
    matched: s.matched,
    emitted: s.emitted,
    skipped: s.skipped,
    dlqRouted: s.dlqRouted,
    deliveryErrors: s.deliveryErrors,
    evalMs: s.evalMs,
    elapsedMs: s.elapsedMs,
    outages: s.outages,
    outageMs: s.outageMs,
    outageOpenMs: s.outageOpenMs,
    windowReplayRecords: s.windowReplayRecords,
    windowReplayMs: s.windowReplayMs,
    windowReplayShort: s.windowReplayShort,
    consumerLag: s.consumerLag.map(({ topic, partition, lag }) => ({ topic, partition, lag })),
    consumerLagTotal: s.consumerLagTotal,
  };
}

/**
 * Runs the native loop until `signal` aborts, `maxMessages` / `maxBatches` is reached or the
 * input stays idle for `idleTimeoutMs`; resolves with the counters after a final flush and
 * commit. Rejects (KafkaIOError) on a bad config (INVALID_CONFIG, naming the field), an
 * unreachable cluster (BROKER_UNREACHABLE, after `connectTimeoutMs`), a missing output or DLQ
 * topic (UNKNOWN_TOPIC), a broker outage longer than `outageBudgetMs` (BROKER_OUTAGE), or a
 * failed delivery (DELIVERY_FAILED: the batch's offsets and anything after stay uncommitted).
 * After `signal` aborts it settles within about `flushTimeoutMs` plus a few seconds, whatever
 * the brokers do; if the brokers kept it from delivering or committing everything by then, it
 * rejects saying what was left (to be read again at the next start).
 * Rules loaded into `engine` while it runs take effect at the next batch.
 */
export async function runStream(
  engine: RuleEngine,
  config: StreamRunConfig,
  options?: StreamRunOptions,
): Promise<StreamRunStats>;
/** On channels through a catalog in place of brokers and topics (service.md §6): the loop follows
 * the catalog's changes; see docs/kafka.md, "Catalog-routed Kafka". */
export async function runStream(
  engine: RuleEngine,
  config: CatalogStreamConfig,
  options?: StreamRunOptions,
): Promise<CatalogStreamStats>;
export async function runStream(
  engine: RuleEngine,
  config: StreamRunConfig | CatalogStreamConfig,
  options: StreamRunOptions = {},
): Promise<StreamRunStats> {
  if (config !== null && typeof config === 'object' && 'catalog' in config) {
    return runCatalogStream(engine, config, options);
  }
  const cell = nativeRuleCell(engine);
  const metrics = engineMetrics(engine)?.stream;
  const run = {}; // this run, in the engine's stream metrics
  let last: StreamRunStats | undefined;
  if (cell === undefined) throw new TypeError('runStream(engine, config) needs a RuleEngine');
  const { signal, onStats } = options;
  if (onStats !== undefined && typeof onStats !== 'function') throw new TypeError('onStats must be a function');
  return new Promise<StreamRunStats>((resolve, reject) => {
    let onAbort: (() => void) | undefined;
    let ended = false;
    const statsCb = (s: NativeStreamStats): void => {
      // Two threadsafe functions do not keep their order: stats queued before the end may
      // arrive after it, and would put the ended run back among the running ones.
      if (ended) return;
      last = toStats(s);
      metrics?.update(run, last, false);
      try {
        onStats?.(last);
      } catch {
        // a throwing observer must not break the loop
      }
    };
    let handle: { stop(): void };
    try {
      handle = native.startStream(
        cell,
        // Shaped and validated natively (StreamConfig::from_js in crates/blazerules-stream:
        // the only validation); every error names the field.
        config,
        (err: Error | null, stats: NativeStreamStats) => {
          ended = true;
          if (onAbort !== undefined) signal?.removeEventListener('abort', onAbort);
          const final = err ? last : toStats(stats);
          if (final !== undefined) metrics?.update(run, final, true);
          if (err) reject(fromNativeStream(err));
          else resolve(toStats(stats));
        },
        statsCb,
      );
    } catch (err) {
      reject(fromNativeStream(err));
      return;
    }
    if (signal !== undefined) {
      if (signal.aborted) handle.stop();
      else {
        onAbort = () => handle.stop();
        signal.addEventListener('abort', onAbort, { once: true });
      }
    }
  });
}
