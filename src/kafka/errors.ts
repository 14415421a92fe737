/** The typed error every Kafka client method of `blazerules/io` throws or rejects with. */
import type { KafkaErrorCode } from '../generated/error-codes';

/** Why a Kafka operation failed: a Kafka code, or INVALID_CONFIG for a bad option (each
 * code's meaning is in src/generated/error-codes.ts, generated from the Rust `ErrorCode`). */
export type KafkaIOErrorCode = KafkaErrorCode | 'INVALID_CONFIG';

export class KafkaIOError extends Error {
  readonly code: KafkaIOErrorCode;
  /** The librdkafka error code (negative = local, positive = broker), when there is one. */
  readonly kafkaCode: number | undefined;

  constructor(code: KafkaIOErrorCode, message: string, options: { kafkaCode?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KafkaIOError';
    this.code = code;
    this.kafkaCode = options.kafkaCode;
  }
}

/** librdkafka error codes this module reacts to (see librdkafka's rdkafka.h). */
export const RdCode = {
  ERR__TRANSPORT: -195,
  ERR__RESOLVE: -193,
  ERR__MSG_TIMED_OUT: -192,
  ERR__UNKNOWN_PARTITION: -190,
  ERR__UNKNOWN_TOPIC: -188,
  ERR__ALL_BROKERS_DOWN: -187,
  ERR__TIMED_OUT: -185,
  ERR__QUEUE_FULL: -184,
  ERR__REVOKE_PARTITIONS: -174,
  ERR__ASSIGN_PARTITIONS: -175,
  ERR__NO_OFFSET: -168,
  ERR__STATE: -172,
  ERR__FATAL: -150,
  ERR__WAIT_COORD: -180,
  ERR_UNKNOWN_TOPIC_OR_PART: 3,
  ERR_REQUEST_TIMED_OUT: 7,
  ERR_NETWORK_EXCEPTION: 13,
  ERR_COORDINATOR_LOAD_IN_PROGRESS: 14,
  ERR_COORDINATOR_NOT_AVAILABLE: 15,
  ERR_NOT_COORDINATOR: 16,
  ERR_TOPIC_AUTHORIZATION_FAILED: 29,
  ERR_TOPIC_ALREADY_EXISTS: 36,
} as const;

/** Failures that mean no broker (or no group coordinator) could be reached: part of an outage. */
export const UNAVAILABLE = new Set<number>([
  RdCode.ERR__TRANSPORT,
  RdCode.ERR__ALL_BROKERS_DOWN,
  RdCode.ERR__TIMED_OUT,
  RdCode.ERR__WAIT_COORD,
  RdCode.ERR_REQUEST_TIMED_OUT,
  RdCode.ERR_NETWORK_EXCEPTION,
  RdCode.ERR_COORDINATOR_LOAD_IN_PROGRESS,
  RdCode.ERR_COORDINATOR_NOT_AVAILABLE,
  RdCode.ERR_NOT_COORDINATOR,
]);

/** node-rdkafka's 'event.error' errors carry only librdkafka's text (code -1): the codes of
 * the texts this module reacts to. */
const CODE_BY_TEXT = new Map<string, number>([
  ['all broker connections are down', RdCode.ERR__ALL_BROKERS_DOWN],
  ['host resolution failure', RdCode.ERR__RESOLVE],
  ['broker transport failure', RdCode.ERR__TRANSPORT],
  ['fatal error', RdCode.ERR__FATAL],
]);

/** The numeric librdkafka code of an error node-rdkafka produced, if it has one. */
export function rdCode(err: unknown): number | undefined {
  const c = (err as { code?: unknown } | null | undefined)?.code;
  if (typeof c === 'number' && c !== -1) return c;
  const text = (err as { message?: unknown } | null | undefined)?.message;
  const byText = typeof text === 'string' ? CODE_BY_TEXT.get(text.trim().toLowerCase()) : undefined;
  return byText ?? (typeof c === 'number' ? c : undefined);
}

export function messageOf(err: unknown): string {
  if (err instanceof Error) return err.message;
  return String(err);
}

/** Wraps whatever node-rdkafka threw into a KafkaIOError with `code` (unless it already is one). */
export function wrap(code: KafkaIOErrorCode, what: string, err: unknown): KafkaIOError {
  if (err instanceof KafkaIOError) return err;
  return new KafkaIOError(code, `${what}: ${messageOf(err)}`, { kafkaCode: rdCode(err), cause: err });
}

export function closedError(kind: 'consumer' | 'producer'): KafkaIOError {
  return new KafkaIOError('CLOSED', `the Kafka ${kind} is closed; create a new one`);
}
