/**
 * KafkaConsumer and KafkaProducer as users construct them (node-api.md, service.md §6): on
 * brokers and topics given directly (BrokerConsumer / BrokerProducer), or, given `catalog`, on
 * channels whose brokers, configuration and topics a catalog service names and may move
 * (CatalogConsumer / CatalogProducer). One class each, whichever way it was built: the same
 * methods, `instanceof` holds, and the routed members (`catalogStatus()`, `rebuilds`) say
 * what the catalog did (undefined / 0 without one).
 */
import { type CatalogConsumerOptions, CatalogConsumer } from '../catalog/consumer';
import { type CatalogProducerOptions, CatalogProducer } from '../catalog/producer';
import type { CatalogStatus } from '../catalog/cache';
import { BrokerConsumer } from './consumer';
import type { KafkaIOError } from './errors';
import { BrokerProducer, type Delivery } from './producer';
import type {
  KafkaConsumerOptions,
  KafkaProducerOptions,
  KafkaRecord,
  PartitionRecords,
  PollOptions,
  ProduceHeaders,
} from './types';

type Value = Buffer | Uint8Array | string;

function routed(options: unknown): boolean {
  return options !== null && typeof options === 'object' && 'catalog' in options;
}

export class KafkaConsumer {
  readonly #impl: BrokerConsumer | CatalogConsumer;

  constructor(options: KafkaConsumerOptions | CatalogConsumerOptions) {
    this.#impl = routed(options)
      ? new CatalogConsumer(options as CatalogConsumerOptions)
      : new BrokerConsumer(options as KafkaConsumerOptions);
  }

  /** The brokers read from ('' before a catalog's first answer). */
  get brokers(): string {
    return this.#impl.brokers;
  }

  get groupId(): string {
    return this.#impl.groupId;
  }

  /** The topics read (a catalog's current ones; [] before its first answer). */
  get topics(): readonly string[] {
    return this.#impl.topics;
  }

  /** The channels given with a catalog ([] without one). */
  get channels(): readonly string[] {
    return this.#impl instanceof CatalogConsumer ? this.#impl.channels : [];
  }

  connect(): Promise<void> {
    return this.#impl.connect();
  }

  pollBatch(options: PollOptions = {}): Promise<Buffer[]> {
    return this.#impl.pollBatch(options);
  }

  pollRecords(options: PollOptions = {}): Promise<KafkaRecord[]> {
    return this.#impl.pollRecords(options);
  }

  pollPartitions(options: PollOptions = {}): Promise<PartitionRecords[]> {
    return this.#impl.pollPartitions(options);
  }

  commit(): Promise<void> {
    return this.#impl.commit();
  }

  close(): Promise<void> {
    return this.#impl.close();
  }

  assignment(): { topic: string; partition: number }[] {
    return this.#impl.assignment();
  }

  get rebalanceCount(): number {
    return this.#impl.rebalanceCount;
  }

  get closed(): boolean {
    return this.#impl.closed;
  }

  get reachable(): boolean {
    return this.#impl.reachable;
  }

  get bufferedMessages(): number {
    return this.#impl.bufferedMessages;
  }

  /** Consumers rebuilt because the catalog's answer changed (0 without a catalog). */
  get rebuilds(): number {
    return this.#impl instanceof CatalogConsumer ? this.#impl.rebuilds : 0;
  }

  /** The catalog's status (requests, failures, answer age); undefined without a catalog. */
  catalogStatus(): CatalogStatus | undefined {
    return this.#impl instanceof CatalogConsumer ? this.#impl.catalogStatus() : undefined;
  }
}

export class KafkaProducer {
  readonly #impl: BrokerProducer | CatalogProducer;

  constructor(options: KafkaProducerOptions | CatalogProducerOptions) {
    this.#impl = routed(options)
      ? new CatalogProducer(options as CatalogProducerOptions)
      : new BrokerProducer(options as KafkaProducerOptions);
  }

  /** The brokers produced to (a catalog's current ones; '' before its first answer). */
  get brokers(): string {
    return this.#impl.brokers;
  }

  connect(): Promise<void> {
    return this.#impl.connect();
  }

  /** Queues one message for `topic` (with a catalog: a `kafka://` channel). */
  produce(topic: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): void {
    this.#impl.produce(topic, value, key, headers);
  }

  send(topic: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): Promise<Delivery> {
    return this.#impl.send(topic, value, key, headers);
  }

  flush(timeoutMs = 5000): Promise<boolean> {
    return this.#impl.flush(timeoutMs);
  }

  close(timeoutMs = 30_000): Promise<void> {
    return this.#impl.close(timeoutMs);
  }

  get outstanding(): number {
    return this.#impl.outstanding;
  }

  get stats(): { delivered: number; deliveryErrors: number; outstanding: number } {
    return this.#impl.stats;
  }

  get lastDeliveryError(): KafkaIOError | undefined {
    return this.#impl.lastDeliveryError;
  }

  get closed(): boolean {
    return this.#impl.closed;
  }

  get reachable(): boolean {
    return this.#impl.reachable;
  }

  /** Producers rebuilt because the catalog's answer changed (0 without a catalog). */
  get rebuilds(): number {
    return this.#impl instanceof CatalogProducer ? this.#impl.rebuilds : 0;
  }

  /** Each channel route's catalog status ([] without a catalog). */
  catalogStatus(): CatalogStatus[] {
    return this.#impl instanceof CatalogProducer ? this.#impl.catalogStatus() : [];
  }
}
