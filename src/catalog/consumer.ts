/**
 * CatalogConsumer: what `new KafkaConsumer({ catalog, groupId, channels })` runs (clients.ts):
 * brokers, configuration and topics come from the catalog (service.md §6). It owns a plain BrokerConsumer built from the resolution. When the
 * answer changes, it first reads the old topics on for a TTL (by then producers that follow
 * the same catalog with the same TTL have moved too) and until a poll finds nothing more
 * (caught up: nothing produced there before the producers moved is left behind), for at most
 * `moveDrainMs`; the next poll then commits what the polls before it returned, closes that
 * consumer, and creates one for the new brokers/configuration, subscribed (same group) to the
 * channels' new topics. At-least-once holds across the move: see docs/kafka.md,
 * "Catalog-routed Kafka".
 */
import { nonNegativeInt } from '../kafka/config';
import { BrokerConsumer } from '../kafka/consumer';
import { KafkaIOError } from '../kafka/errors';
import type { KafkaConf, KafkaConsumerOptions, KafkaRecord, PartitionRecords, PollOptions } from '../kafka/types';
import type { CatalogResolution } from './answer';
import { type CatalogStatus, CatalogResolver } from './cache';
import { type CatalogOptions, channelList } from './options';

export interface CatalogConsumerOptions extends Omit<KafkaConsumerOptions, 'brokers' | 'topics' | 'assignment'> {
  catalog: CatalogOptions;
  /** `kafka://<domain>/<name>` channels (the answer maps each name to a topic). */
  channels: string | readonly string[];
  /** After a change, the old topics are read on for the catalog's TTL and until caught up, for
   * at most this long (default: the TTL + 30000; 0: move at once). */
  moveDrainMs?: number;
}

export class CatalogConsumer {
  readonly groupId: string;
  readonly channels: readonly string[];
  readonly resolver: CatalogResolver;
  readonly #options: CatalogConsumerOptions;
  #inner: BrokerConsumer | undefined;
  #moved: CatalogResolution | undefined;
  #movedAt = 0;
  /** The old topics were read to their end since the change (or moveDrainMs passed). */
  #drained = false;
  readonly #drainMs: number;
  #rebuilds = 0;
  #pastRebalances = 0;
  #closing: Promise<void> | undefined;

  constructor(options: CatalogConsumerOptions) {
    if (options === null || typeof options !== 'object') {
      throw new KafkaIOError(
        'INVALID_CONFIG',
        'KafkaConsumer needs { catalog, groupId, channels } (or { brokers, groupId, topics })',
      );
    }
    if (typeof options.groupId !== 'string' || options.groupId === '') {
      throw new KafkaIOError('INVALID_CONFIG', 'groupId is required (a non-empty string)');
    }
    this.groupId = options.groupId;
    this.channels = Object.freeze(channelList(options.channels, 'channels'));
    this.#options = options;
    this.resolver = new CatalogResolver(options.catalog, this.channels);
    this.#drainMs = nonNegativeInt(options.moveDrainMs, 'moveDrainMs', this.resolver.settings.ttlMs + 30_000);
    this.resolver.onChange((next) => {
      this.#movedAt = this.#moved === undefined ? Date.now() : this.#movedAt;
      this.#moved = next;
      this.#drained = false;
    });
  }

  /** Resolves through the catalog, connects and subscribes. Optional: the first poll does it. */
  async connect(): Promise<void> {
    await (await this.#client()).connect();
  }

  pollBatch(options: PollOptions = {}): Promise<Buffer[]> {
    return this.#poll((c) => c.pollBatch(options));
  }

  pollRecords(options: PollOptions = {}): Promise<KafkaRecord[]> {
    return this.#poll((c) => c.pollRecords(options));
  }

  pollPartitions(options: PollOptions = {}): Promise<PartitionRecords[]> {
    return this.#poll((c) => c.pollPartitions(options));
  }

  /** As BrokerConsumer.commit(), on the consumer of the current resolution. */
  async commit(): Promise<void> {
    if (this.#inner !== undefined) await this.#guard(() => (this.#inner as BrokerConsumer).commit());
  }

  /** Stops following the catalog and closes the consumer (nothing is committed). */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.resolver.close();
      await this.#inner?.close();
    })();
    return this.#closing;
  }

  /** The current consumer's brokers and topics ([] before the first resolution). */
  get brokers(): string {
    return this.#inner?.brokers ?? '';
  }

  get topics(): readonly string[] {
    return this.#inner?.topics ?? [];
  }

  assignment(): { topic: string; partition: number }[] {
    return this.#inner?.assignment() ?? [];
  }

  /** Consumers rebuilt for a changed answer. */
  get rebuilds(): number {
    return this.#rebuilds;
  }

  /** Rebalances of the consumers so far (those replaced by a move included). */
  get rebalanceCount(): number {
    return this.#pastRebalances + (this.#inner?.rebalanceCount ?? 0);
  }

  /** The current consumer is connected and sees a broker up. */
  get reachable(): boolean {
    return this.#inner?.reachable ?? false;
  }

  get bufferedMessages(): number {
    return this.#inner?.bufferedMessages ?? 0;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  catalogStatus(): CatalogStatus {
    return this.resolver.status();
  }

  /** The consumer of the current resolution: created at first, rebuilt after a change. */
  async #client(): Promise<BrokerConsumer> {
    if (this.#closing) throw new KafkaIOError('CLOSED', 'the consumer is closed');
    if (this.#inner === undefined) {
      this.#inner = this.#build(await this.resolver.resolve());
      return this.#inner;
    }
    const next = this.#moved;
    if (next === undefined || !(this.#drained || Date.now() - this.#movedAt >= this.#drainMs)) return this.#inner;
    // What the polls before returned was processed: commit it where it was read, then move.
    await this.#inner.commit();
    this.#moved = undefined;
    await this.#inner.close();
    this.#pastRebalances += this.#inner.rebalanceCount;
    this.#inner = this.#build(next);
    this.#rebuilds++;
    return this.#inner;
  }

  /** One poll; an empty one a TTL or more after a change means the old topics are drained. */
  #poll<T>(f: (c: BrokerConsumer) => Promise<T[]>): Promise<T[]> {
    return this.#guard(async () => {
      const out = await f(await this.#client());
      const producersMoved = Date.now() - this.#movedAt >= this.resolver.settings.ttlMs;
      if (out.length === 0 && this.#moved !== undefined && producersMoved) this.#drained = true;
      return out;
    });
  }

  #build(r: CatalogResolution): BrokerConsumer {
    const { catalog: _c, channels: _ch, moveDrainMs: _m, conf, ...rest } = this.#options;
    const merged: KafkaConf = { ...r.conf, ...(conf ?? {}) };
    const topics = this.channels.map((c) => r.topics[c] as string);
    return new BrokerConsumer({ ...rest, brokers: r.brokers, topics: [...new Set(topics)], conf: merged });
  }

  /** Runs `f`; its error's message redacted (a credential never leaves in a message). */
  async #guard<T>(f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      if (err instanceof Error) err.message = this.resolver.redactor.text(err.message);
      throw err;
    }
  }
}
