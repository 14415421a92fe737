/**
 * CatalogProducer: KafkaProducer's produce/send/flush/close on channels (service.md §6). Each
 * channel is resolved through the catalog on its first use (the seed's per-channel request),
 * or all of `channels` together at connect(); each resolution gets a plain BrokerProducer.
 * Messages produced before a resolution wait in memory and go out once it arrives. When an
 * answer changes, that producer is flushed and closed, then rebuilt for the new answer; the
 * messages produced meanwhile wait and follow, in order.
 */
import { KafkaIOError } from '../kafka/errors';
import { type Delivery, BrokerProducer } from '../kafka/producer';
import type { KafkaConf, KafkaProducerOptions, ProduceHeaders } from '../kafka/types';
import type { CatalogResolution } from './answer';
import { type CatalogStatus, CatalogResolver } from './cache';
import { type CatalogOptions, catalogSettings, channelList, isChannel } from './options';

export interface CatalogProducerOptions extends Omit<KafkaProducerOptions, 'brokers'> {
  catalog: CatalogOptions;
  /** Channels resolved together (one catalog request) at connect(); others on first use. */
  channels?: string | readonly string[];
}

type Value = Buffer | Uint8Array | string;

/** A message waiting for its route; `done` settles send()'s promise. */
interface Waiting {
  channel: string;
  value: Value;
  key: Buffer | string | null | undefined;
  headers: ProduceHeaders | undefined;
  done?: { resolve(d: Delivery): void; reject(e: unknown): void };
}

/** The resolver and producer of some channels. */
interface Route {
  resolver: CatalogResolver;
  producer: BrokerProducer | undefined;
  resolution: CatalogResolution | undefined;
  /** Messages waiting for the first resolution or for a move to finish. */
  waiting: Waiting[];
  /** Settles when the route can take messages directly again. */
  busy: Promise<void> | undefined;
  error: unknown;
}

export class CatalogProducer {
  readonly #options: CatalogProducerOptions;
  readonly #routes = new Map<string, Route>();
  readonly #all: Route[] = [];
  #rebuilds = 0;
  #lostInMoves = 0;
  /** Deliveries of the producers replaced by moves (stats count from the start). */
  readonly #retired = { delivered: 0, deliveryErrors: 0 };
  #closing: Promise<void> | undefined;

  constructor(options: CatalogProducerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new KafkaIOError('INVALID_CONFIG', 'KafkaProducer needs { catalog } (or { brokers })');
    }
    this.#options = options;
    // The catalog option's one validation, now, as the plain producer checks its own at
    // construction (a route's resolver is only made at a channel's first use).
    catalogSettings(options.catalog);
    if (options.channels !== undefined) this.#route(channelList(options.channels, 'channels'));
  }

  /** Resolves the known channels and connects their producers. Optional. */
  async connect(): Promise<void> {
    await Promise.all(this.#all.map((r) => this.#ready(r)));
    for (const r of this.#all) await r.producer?.connect();
  }

  /** Queues one message for `channel`'s topic (see BrokerProducer.produce). */
  produce(channel: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): void {
    if (this.#closing) throw new KafkaIOError('CLOSED', 'the producer is closed');
    const route = this.#routeOf(channel);
    if (route.error !== undefined && route.resolution === undefined) {
      const err = route.error;
      route.error = undefined; // the next call asks the catalog again
      throw err;
    }
    if (route.producer !== undefined && route.busy === undefined) {
      route.producer.produce(topicOf(route, channel), value, key, headers);
      return;
    }
    route.waiting.push({ channel, value, key, headers });
    void this.#ready(route).catch(() => undefined);
  }

  /** As produce(), resolving with where the broker put the message. */
  send(channel: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): Promise<Delivery> {
    if (this.#closing) return Promise.reject(new KafkaIOError('CLOSED', 'the producer is closed'));
    let route: Route;
    try {
      route = this.#routeOf(channel);
    } catch (err) {
      return Promise.reject(err);
    }
    if (route.producer !== undefined && route.busy === undefined) {
      return route.producer.send(topicOf(route, channel), value, key, headers);
    }
    return new Promise<Delivery>((resolve, reject) => {
      route.waiting.push({ channel, value, key, headers, done: { resolve, reject } });
      void this.#ready(route).catch(() => undefined);
    });
  }

  /** True when every message since the last flush was delivered (moves included). Rejects
   * when a channel could never be resolved. */
  async flush(timeoutMs = 5000): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (const r of this.#all) await this.#ready(r);
    const results = await Promise.all(
      this.#all.map((r) => r.producer?.flush(Math.max(1, deadline - Date.now())) ?? Promise.resolve(true)),
    );
    const lost = this.#lostInMoves;
    this.#lostInMoves = 0;
    return lost === 0 && results.every(Boolean);
  }

  /** Flushes and closes every producer; stops following the catalog. */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closing ??= (async () => {
      for (const r of this.#all) {
        await r.busy?.catch(() => undefined);
        r.resolver.close();
      }
      await Promise.all(this.#all.map((r) => r.producer?.close(timeoutMs)));
    })();
    return this.#closing;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  /** Producers rebuilt for a changed answer. */
  get rebuilds(): number {
    return this.#rebuilds;
  }

  /** Messages produced and not yet acknowledged or failed (those waiting for a route too). */
  get outstanding(): number {
    return this.stats.outstanding;
  }

  /** The last failed delivery of the current producers, if any. */
  get lastDeliveryError(): KafkaIOError | undefined {
    let last: KafkaIOError | undefined;
    for (const r of this.#all) last = r.producer?.lastDeliveryError ?? last;
    return last;
  }

  /** Every resolved route's producer is connected and sees a broker up. */
  get reachable(): boolean {
    const live = this.#all.filter((r) => r.producer !== undefined && !r.producer.closed);
    return live.length > 0 && live.every((r) => r.producer?.reachable === true);
  }

  /** The current routes' brokers ('' before the first resolution). */
  get brokers(): string {
    return [
      ...new Set(this.#all.flatMap((r) => (r.producer === undefined || r.producer.closed ? [] : [r.producer.brokers]))),
    ].join(',');
  }

  get stats(): { delivered: number; deliveryErrors: number; outstanding: number } {
    const s = { ...this.#retired, outstanding: 0 };
    for (const r of this.#all) {
      const p = r.producer?.stats;
      s.delivered += p?.delivered ?? 0;
      s.deliveryErrors += p?.deliveryErrors ?? 0;
      s.outstanding += (p?.outstanding ?? 0) + r.waiting.length;
    }
    return s;
  }

  /** Each route's catalog status. */
  catalogStatus(): CatalogStatus[] {
    return this.#all.map((r) => r.resolver.status());
  }

  #routeOf(channel: string): Route {
    const found = this.#routes.get(channel);
    if (found !== undefined) return found;
    if (typeof channel !== 'string' || !isChannel(channel)) {
      throw new KafkaIOError('INVALID_CONFIG', `'${String(channel)}' is not a kafka://<domain>/<name> channel`);
    }
    return this.#route([channel]);
  }

  #route(channels: readonly string[]): Route {
    const route: Route = {
      resolver: new CatalogResolver(this.#options.catalog, channels),
      producer: undefined,
      resolution: undefined,
      waiting: [],
      busy: undefined,
      error: undefined,
    };
    route.resolver.onChange((next) => this.#move(route, next));
    for (const c of channels) this.#routes.set(c, route);
    this.#all.push(route);
    return route;
  }

  /** Settles once the route has a producer and no move under way. */
  #ready(route: Route): Promise<void> {
    if (route.producer !== undefined && route.busy === undefined) return Promise.resolve();
    if (route.busy === undefined) {
      const busy: Promise<void> = this.#first(route).finally(() => this.#settled(route, busy));
      route.busy = busy;
    }
    return route.busy;
  }

  async #first(route: Route): Promise<void> {
    try {
      this.#switch(route, await route.resolver.resolve());
      route.error = undefined;
    } catch (err) {
      route.error = err;
      for (const w of route.waiting.splice(0)) w.done?.reject(err);
      throw err;
    }
  }

  /** A changed answer: flush and close the producer, then rebuild it; messages wait meanwhile. */
  #move(route: Route, next: CatalogResolution): void {
    const previous = route.busy ?? Promise.resolve();
    // A change during a move waits for it; the route settles after the last one.
    const busy: Promise<void> = previous
      .catch(() => undefined)
      .then(async () => {
        const old = route.producer;
        if (old !== undefined) {
          if (!(await old.flush(30_000).catch(() => false))) this.#lostInMoves++;
          await old.close().catch(() => undefined);
          this.#retired.delivered += old.stats.delivered;
          this.#retired.deliveryErrors += old.stats.deliveryErrors;
        }
        this.#switch(route, next);
        this.#rebuilds++;
      })
      .finally(() => this.#settled(route, busy));
    route.busy = busy;
  }

  /** The route takes messages directly again (unless another move follows `busy`): hand it
   * what waited. */
  #settled(route: Route, busy: Promise<void>): void {
    if (route.busy !== busy) return;
    route.busy = undefined;
    const r = route.resolution;
    const p = route.producer;
    if (r === undefined || p === undefined) return;
    for (const w of route.waiting.splice(0)) {
      const topic = r.topics[w.channel] as string;
      if (w.done === undefined) p.produce(topic, w.value, w.key, w.headers);
      else p.send(topic, w.value, w.key, w.headers).then(w.done.resolve, w.done.reject);
    }
  }

  /** Builds the producer of `r` (the waiting messages go to it once the route settles). */
  #switch(route: Route, r: CatalogResolution): void {
    const { catalog: _c, channels: _ch, conf, ...rest } = this.#options;
    const merged: KafkaConf = { ...r.conf, ...(conf ?? {}) };
    route.producer = new BrokerProducer({ ...rest, brokers: r.brokers, conf: merged });
    route.resolution = r;
  }
}

function topicOf(route: Route, channel: string): string {
  return (route.resolution as CatalogResolution).topics[channel] as string;
}
