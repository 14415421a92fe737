/**
 * `blazerules/io`: Kafka in and out, over node-rdkafka (librdkafka).
 *
 * ```ts
 * import { hasKafka, KafkaConsumer, KafkaProducer, runStream } from 'blazerules/io';
 * const consumer = new KafkaConsumer({ brokers, groupId: 'rules', topics: ['payments'] });
 * const producer = new KafkaProducer({ brokers });
 * const values = await consumer.pollBatch({ maxMessages: 1000, timeoutMs: 1000 });
 * const result = await engine.evaluateMessages(values);
 * for (const line of result.toJSONLines().toString().split(/(?<=\n)/)) producer.produce('decisions', line);
 * if (await producer.flush()) await consumer.commit(); // at-least-once: commit after delivery
 * ```
 *
 * The whole loop, runnable: examples/kafka-tutorial.ts and examples/kafka-enriched.ts.
 *
 * node-rdkafka is an optional dependency: when it is missing, `hasKafka` is false and the
 * constructors throw a KafkaIOError with code KAFKA_UNAVAILABLE. See docs/kafka.md.
 */
import { available, librdkafkaVersion as rdVersion } from './kafka/rdkafka';

/** Whether node-rdkafka is installed and loaded, i.e. whether the Kafka clients work. */
export const hasKafka: boolean = available;

/** The librdkafka version underneath ("" without Kafka support). */
export const librdkafkaVersion: string = rdVersion;

export { KafkaConsumer, KafkaProducer } from './kafka/clients';
export type { Delivery } from './kafka/producer';
export { KafkaIOError } from './kafka/errors';
// runStream runs on the package's own native librdkafka: it works whether or not node-rdkafka
// is installed (`hasKafka` is about the KafkaConsumer / KafkaProducer classes).
export { runStream } from './kafka/stream';
export type {
  StreamKafkaConf,
  StreamOutputMode,
  StreamPartitionLag,
  StreamRunConfig,
  StreamRunOptions,
  StreamRunStats,
} from './kafka/stream';
export type { KafkaIOErrorCode } from './kafka/errors';
// Catalog-routed Kafka (service.md §6, docs/kafka.md "Catalog-routed Kafka"): channels in place
// of topics, brokers and configuration from a catalog service, followed when they change.
export type { CatalogConsumerOptions } from './catalog/consumer';
export type { CatalogProducerOptions } from './catalog/producer';
export { CatalogResolver, type CatalogStatus } from './catalog/cache';
export { type CatalogServer, type CatalogServerOptions, startCatalogServer } from './catalog/server';
export type { CatalogAuth, CatalogOptions, CatalogParams } from './catalog/options';
export type { CatalogResolution } from './catalog/answer';
export type { CatalogStreamConfig, CatalogStreamStats } from './catalog/stream';
export type {
  KafkaConf,
  KafkaConsumerOptions,
  KafkaHeaders,
  KafkaProducerOptions,
  KafkaRecord,
  PartitionRecords,
  PollOptions,
  ProduceHeaders,
} from './kafka/types';
