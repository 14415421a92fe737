/** `blazerules serve` as a function: rules (file, watched file or topic), the app, the events
 * producer and the stream loop, started in that order and stopped in reverse (docs/serve.md). */
import * as path from 'node:path';

import type { FastifyInstance, FastifyServerOptions } from 'fastify';

import type { CatalogStreamConfig } from '../catalog/stream';
import { RuleEngine } from '../engine';
import { type StreamRunConfig, type StreamRunStats, runStream } from '../kafka/stream';
import type { RulesFollower } from '../live/types';
import type { EngineConfig } from '../types';
import { readAdminToken } from './admin';
import { DEFAULT_MAX_BODY_BYTES, buildApp } from './app';
import { EventProducer } from './events';
import type { AdminOptions } from './rules';
import { ServiceState } from './state';
import { warmNextTick } from './warm';

export interface ServeOptions {
  /** A rules file (hot reloaded with `watch`), or `rulesTopic` (with `brokers`). */
  rules?: string;
  watch?: boolean;
  rulesTopic?: string;
  brokers?: string;
  host?: string;
  /** 0: any free port. */
  port?: number;
  maxBodyBytes?: number;
  adminTokenFile?: string;
  eventsTopic?: string;
  eventsTimeoutMs?: number;
  /** runStream in the same process (`brokers` is taken from here when absent). */
  stream?: (Omit<StreamRunConfig, 'brokers'> & { brokers?: StreamRunConfig['brokers'] }) | CatalogStreamConfig;
  engine?: EngineConfig;
  /** Fastify's pino options (false: none). */
  logger?: FastifyServerOptions['logger'];
  /** How long connecting to Kafka may take at start (ms, default 30000). */
  connectTimeoutMs?: number;
}

export interface Service {
  url: string;
  app: FastifyInstance;
  engine: RuleEngine;
  state: ServiceState;
  /** Settles when the stream loop ends by itself (a failure rejects); never without --stream. */
  streamEnded: Promise<StreamRunStats>;
  /** Graceful stop: not ready, no new connections, in-flight requests finished, the producer
   * flushed, the stream loop drained and committed, the rules watchers stopped. */
  close(): Promise<void>;
}

function needBrokers(o: ServeOptions, what: string): string {
  if (o.brokers === undefined || o.brokers === '') throw new Error(`${what} needs --brokers`);
  return o.brokers;
}

/** Loads the rules the options name; the follower of a rules topic when there is one. */
async function loadRules(engine: RuleEngine, o: ServeOptions): Promise<RulesFollower | undefined> {
  if ((o.rules === undefined) === (o.rulesTopic === undefined)) {
    throw new Error('give --rules FILE or --rules-topic TOPIC (one of them)');
  }
  if (o.rules !== undefined) {
    if (o.watch === true) engine.enableHotReload(o.rules);
    else engine.loadRules(o.rules);
    return undefined;
  }
  const brokers = needBrokers(o, '--rules-topic');
  return engine.followRulesTopic({ brokers, topic: o.rulesTopic ?? '', timeoutMs: o.connectTimeoutMs ?? 30_000 });
}

function adminOptions(o: ServeOptions): AdminOptions | undefined {
  if (o.adminTokenFile === undefined) return undefined;
  const baseDir = o.rules === undefined ? process.cwd() : path.dirname(path.resolve(o.rules));
  return { token: readAdminToken(o.adminTokenFile), baseDir };
}

async function eventProducer(o: ServeOptions, state: ServiceState): Promise<EventProducer | undefined> {
  if (o.eventsTopic === undefined) return undefined;
  const brokers = needBrokers(o, '--events-topic');
  const producer = new EventProducer({
    brokers,
    topic: o.eventsTopic,
    timeoutMs: o.eventsTimeoutMs,
    connectTimeoutMs: o.connectTimeoutMs,
  });
  await producer.connect();
  state.probes.push(() => (producer.reachable() ? undefined : 'the Kafka brokers of --events-topic are not reachable'));
  return producer;
}

export async function startService(o: ServeOptions): Promise<Service> {
  const maxBodyBytes = o.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  // Every bad record of a batch gets its error line: as many samples as a body can hold records.
  const engine = new RuleEngine({
    ...o.engine,
    maxErrorSamples: Math.max(o.engine?.maxErrorSamples ?? 0, maxBodyBytes),
  });
  const state = new ServiceState(engine);
  const admin = adminOptions(o);
  const follower = await loadRules(engine, o);
  if (follower !== undefined) {
    state.probes.push(() =>
      follower.status().reachable ? undefined : 'the Kafka brokers of --rules-topic are not reachable',
    );
  }
  let events: EventProducer | undefined;
  const abandon = async (err: unknown): Promise<never> => {
    engine.stopHotReload();
    await Promise.all([events?.close(), follower?.stop()]);
    throw err;
  };
  events = await eventProducer(o, state).catch(abandon);
  const app = buildApp({ engine, state, maxBodyBytes, admin, events, logger: o.logger });
  await app.ready().then(undefined, abandon);
  await warmNextTick();
  await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 8080 }).catch(abandon);
  const address = app.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : (o.port ?? 8080);
  const stop = new AbortController();
  const streamEnded =
    o.stream === undefined ? new Promise<StreamRunStats>(() => undefined) : runStreamIn(engine, state, o, stop.signal);
  state.ready = true;
  let closing: Promise<void> | undefined;
  const close = async (): Promise<void> => {
    state.draining = true;
    await app.close();
    await events?.close();
    stop.abort();
    if (o.stream !== undefined) await streamEnded.catch(() => undefined);
    engine.stopHotReload();
    await follower?.stop();
  };
  return {
    url: `http://${o.host ?? '127.0.0.1'}:${port}`,
    app,
    engine,
    state,
    streamEnded,
    close: () => {
      closing ??= close();
      return closing;
    },
  };
}

function runStreamIn(
  engine: RuleEngine,
  state: ServiceState,
  o: ServeOptions,
  signal: AbortSignal,
): Promise<StreamRunStats> {
  const s = o.stream;
  const onStats = (s: StreamRunStats): void => {
    state.stream = s;
  };
  state.probes.push(() =>
    (state.stream?.outageOpenMs ?? 0) > 0 ? 'the Kafka brokers of --stream are not reachable' : undefined,
  );
  const ended =
    s !== undefined && 'catalog' in s
      ? runStream(engine, s, { signal, onStats })
      : runStream(engine, { ...s, brokers: s?.brokers ?? needBrokers(o, '--stream') } as StreamRunConfig, {
          signal,
          onStats,
        });
  ended.then(onStats, (err: Error & { code?: string }) =>
    state.error('stream', err.code ?? 'STREAM_FAILED', err.message),
  );
  return ended;
}
