/**
 * runStream on channels (service.md §6): the native loop runs with the resolved brokers,
 * configuration and topics; when the catalog's answer changes, the run in progress reads its
 * topics on for a TTL (producers following the same catalog have moved by then) and until its
 * consumer lag is 0 (nothing produced there before they moved is left behind; at most
 * `moveDrainMs`), is then stopped gracefully (its batch finished,
 * delivered and committed), and a new one starts with the new resolution, in the same group. Window state is then rebuilt by the native replay at
 * assignment, as after a rebalance. The stats are summed over these legs.
 */
import type { RuleEngine } from '../engine';
import { nonNegativeInt } from '../kafka/config';
import { type StreamRunConfig, type StreamRunOptions, type StreamRunStats, runStream } from '../kafka/stream';
import type { StreamKafkaConf } from '../kafka/stream';
import type { CatalogResolution } from './answer';
import { type CatalogStatus, CatalogResolver } from './cache';
import { type CatalogOptions, channelList } from './options';

/** runStream's configuration with the catalog in place of brokers and channels in place of topics. */
export interface CatalogStreamConfig
  extends Omit<StreamRunConfig, 'brokers' | 'inputTopics' | 'outputTopic' | 'dlqTopic'> {
  catalog: CatalogOptions;
  inputChannels: string | readonly string[];
  outputChannel?: string;
  dlqChannel?: string;
  /** After a change, the old topics are read on for the catalog's TTL and until the lag is 0,
   * for at most this long (default: the TTL + 30000; 0: move at once). */
  moveDrainMs?: number;
}

/** StreamRunStats summed over the legs, with the catalog's status. */
export interface CatalogStreamStats extends StreamRunStats {
  /** Runs of the native loop: 1 + the moves followed. */
  legs: number;
  catalog: CatalogStatus;
}

const SUMMED = [
  'batches',
  'messages',
  'matched',
  'emitted',
  'skipped',
  'dlqRouted',
  'deliveryErrors',
  'evalMs',
  'elapsedMs',
  'outages',
  'outageMs',
  'windowReplayRecords',
  'windowReplayMs',
  'windowReplayShort',
] as const;

/** The ended legs' totals plus the running leg's latest (its lag and open outage as they are). */
function summed(done: StreamRunStats | undefined, leg: StreamRunStats): StreamRunStats {
  if (done === undefined) return leg;
  const out = { ...leg };
  for (const k of SUMMED) out[k] = done[k] + leg[k];
  return out;
}

function legConfig(c: CatalogStreamConfig, r: CatalogResolution, channels: ChannelSet): StreamRunConfig {
  const { catalog: _c, inputChannels: _i, outputChannel: _o, dlqChannel: _d, consumerConf, producerConf, ...rest } = c;
  const conf = (user: StreamKafkaConf | undefined): StreamKafkaConf => ({ ...r.conf, ...(user ?? {}) });
  const out: StreamRunConfig = {
    ...rest,
    brokers: r.brokers,
    inputTopics: [...new Set(channels.inputs.map((ch) => r.topics[ch] as string))],
    consumerConf: conf(consumerConf),
    producerConf: conf(producerConf),
  };
  if (channels.output !== undefined) out.outputTopic = r.topics[channels.output];
  if (channels.dlq !== undefined) out.dlqTopic = r.topics[channels.dlq];
  return out;
}

interface ChannelSet {
  inputs: string[];
  output: string | undefined;
  dlq: string | undefined;
}

function channelsOf(c: CatalogStreamConfig): ChannelSet {
  const one = (v: unknown, name: string): string | undefined =>
    v === undefined ? undefined : (channelList(v, name)[0] as string);
  return {
    inputs: channelList(c.inputChannels, 'inputChannels'),
    output: one(c.outputChannel, 'outputChannel'),
    dlq: one(c.dlqChannel, 'dlqChannel'),
  };
}

export async function runCatalogStream(
  engine: RuleEngine,
  config: CatalogStreamConfig,
  options: StreamRunOptions = {},
): Promise<CatalogStreamStats> {
  const channels = channelsOf(config);
  const all = [...new Set([...channels.inputs, channels.output, channels.dlq].filter((c) => c !== undefined))];
  const resolver = new CatalogResolver(config.catalog, all);
  const { signal, onStats } = options;
  let done: StreamRunStats | undefined;
  let legs = 0;
  const drainMs = nonNegativeInt(config.moveDrainMs, 'moveDrainMs', resolver.settings.ttlMs + 30_000);
  try {
    let r = await resolver.resolve();
    for (;;) {
      const left = config.maxMessages ? config.maxMessages - (done?.messages ?? 0) : 0;
      const legCfg = { ...legConfig(config, r, channels), maxMessages: left };
      const leg = await runLeg(engine, legCfg, resolver, drainMs, {
        signal,
        onStats: onStats && ((s) => onStats(withCatalog(summed(done, s), legs + 1, resolver))),
      });
      legs++;
      done = summed(done, leg.stats);
      if (leg.moved === undefined || signal?.aborted === true) break;
      if (config.maxMessages && done.messages >= config.maxMessages) break;
      r = leg.moved;
    }
    return withCatalog(done, legs, resolver);
  } catch (err) {
    if (err instanceof Error) err.message = resolver.redactor.text(err.message);
    throw err;
  } finally {
    resolver.close();
  }
}

function withCatalog(s: StreamRunStats, legs: number, resolver: CatalogResolver): CatalogStreamStats {
  return { ...s, legs, catalog: resolver.status() };
}

/** Caught up: every assigned partition's lag is known and 0. */
function caughtUp(s: StreamRunStats): boolean {
  return s.consumerLag.length > 0 && s.consumerLagTotal === 0;
}

/** One run of the native loop; stopped when the user aborts, or once drained after a change. */
async function runLeg(
  engine: RuleEngine,
  config: StreamRunConfig,
  resolver: CatalogResolver,
  drainMs: number,
  options: StreamRunOptions,
): Promise<{ stats: StreamRunStats; moved: CatalogResolution | undefined }> {
  const stop = new AbortController();
  let moved: CatalogResolution | undefined;
  let timer: NodeJS.Timeout | undefined;
  let movedAt = 0;
  const off = resolver.onChange((next) => {
    if (moved === undefined) {
      timer = setTimeout(() => stop.abort(), drainMs);
      movedAt = Date.now();
    }
    moved = next;
    // Only stats that come after the change tell that the old topics are drained.
    if (drainMs === 0) stop.abort();
  });
  const onStats = (s: StreamRunStats): void => {
    const producersMoved = Date.now() - movedAt >= resolver.settings.ttlMs;
    if (moved !== undefined && producersMoved && caughtUp(s)) stop.abort();
    options.onStats?.(s);
  };
  const onUser = (): void => stop.abort();
  if (options.signal?.aborted) stop.abort();
  options.signal?.addEventListener('abort', onUser, { once: true });
  try {
    const stats = await runStream(engine, config, { signal: stop.signal, onStats });
    return { stats, moved };
  } finally {
    clearTimeout(timer);
    off();
    options.signal?.removeEventListener('abort', onUser);
  }
}
