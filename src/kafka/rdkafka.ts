/**
 * Loads node-rdkafka (an optional dependency) and describes the small part of its API this
 * module uses, so that the package type-checks and loads without it.
 */
import { KafkaIOError } from './errors';

export type RdConf = Record<string, unknown>;

export interface RdTopicPartition {
  topic: string;
  partition: number;
  offset?: number;
}

export interface RdMessage {
  value: Buffer | null;
  size: number;
  key: Buffer | string | null | undefined;
  topic: string;
  partition: number;
  offset: number;
  timestamp: number;
  headers?: Array<Record<string, Buffer>>;
}

export interface RdError extends Error {
  code: number;
  origin?: string;
  isFatal?: boolean;
}

interface RdClient {
  connect(
    metadataOptions: { timeout?: number; allTopics?: boolean; topic?: string },
    cb: (err: RdError | null) => void,
  ): unknown;
  disconnect(cb: (err: RdError | null) => void): unknown;
  isConnected(): boolean;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeAllListeners(event?: string): unknown;
}

export interface RdConsumer extends RdClient {
  subscribe(topics: string[]): unknown;
  consume(n: number, cb: (err: RdError | null, messages: RdMessage[]) => void): unknown;
  setDefaultConsumeTimeout(ms: number): void;
  commit(offsets: RdTopicPartition[]): unknown;
  assign(assignment: RdTopicPartition[]): unknown;
  unassign(): unknown;
  incrementalAssign(assignment: RdTopicPartition[]): unknown;
  incrementalUnassign(assignment: RdTopicPartition[]): unknown;
  rebalanceProtocol(): string;
  assignments(): RdTopicPartition[];
  pause(partitions: RdTopicPartition[]): unknown;
  resume(partitions: RdTopicPartition[]): unknown;
}

export interface RdProducer extends RdClient {
  produce(
    topic: string,
    partition: number | null,
    value: Buffer | null,
    key?: Buffer | string | null,
    timestamp?: number | null,
    opaque?: unknown,
    headers?: Array<Record<string, Buffer | string>>,
  ): unknown;
  poll(): unknown;
}

interface RdModule {
  KafkaConsumer: new (conf: RdConf, topicConf: RdConf) => RdConsumer;
  Producer: new (conf: RdConf, topicConf: RdConf) => RdProducer;
  librdkafkaVersion: string;
}

let loaded: RdModule | undefined;
let loadError: unknown;
try {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  loaded = require('node-rdkafka') as RdModule;
} catch (err) {
  loadError = err;
}

/** Whether node-rdkafka installed and loaded. */
export const available: boolean = loaded !== undefined;

/** The librdkafka version node-rdkafka was built with ("" when it is not available). */
export const librdkafkaVersion: string = loaded?.librdkafkaVersion ?? '';

/** node-rdkafka, or a KAFKA_UNAVAILABLE error saying why it is missing. */
export function rdkafka(): RdModule {
  if (loaded) return loaded;
  const why = loadError instanceof Error ? loadError.message.split('\n')[0] : String(loadError);
  throw new KafkaIOError(
    'KAFKA_UNAVAILABLE',
    `Kafka support is not available: the optional dependency node-rdkafka could not be loaded (${why}); ` +
      'reinstall with a C/C++ toolchain, make and python3 so that it can compile librdkafka',
    { cause: loadError },
  );
}
