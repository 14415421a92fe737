// Generated from crates/blazerules-core/src/error.rs by its test
// (BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated). Do not edit.

/** A rules document could not be loaded. */
export type RulesErrorCode =
  /** The document is not valid YAML/JSON, or a value has the wrong shape. */
  | 'YAML_SYNTAX_ERROR'
  /** A condition names an operator BlazeRules does not have. */
  | 'UNKNOWN_OP'
  /** A rule's action is not APPROVE, REVIEW, BLOCK or a declared label. */
  | 'UNKNOWN_ACTION'
  /** A rule's severity is not a known level. */
  | 'UNKNOWN_SEVERITY'
  /** A field name is empty or not allowed. */
  | 'UNKNOWN_FIELD_NAME'
  /** A value does not fit the operator or the field's type hint. */
  | 'TYPE_MISMATCH'
  /** A required key is missing. */
  | 'MISSING_REQUIRED_FIELD'
  /** Two rules share an id. */
  | 'DUPLICATE_RULE_ID'
  /** A BlazeRules feature this engine does not implement. */
  | 'UNSUPPORTED'
  /** A lookup path resolves outside the rules file's directory and every `lookupRoots` entry. */
  | 'LOOKUP_OUTSIDE_ROOTS';

/** One record was skipped. */
export type RecordErrorCode =
  /** A record is not a JSON object (syntax, UTF-8, nesting). */
  | 'MALFORMED_JSON'
  /** A record is longer than maxRecordBytes. */
  | 'RECORD_TOO_LARGE'
  /** A record repeats a key the rules read: a warning (the last wins), or the skip reason with duplicateKeys 'reject'. */
  | 'DUPLICATE_KEY';

/** A whole batch failed. */
export type BatchErrorCode =
  /** The dead-letter file could not be written. */
  'DEAD_LETTER_IO';

/** A call to the engine was refused. */
export type EngineErrorCode =
  /** An option or configuration value is invalid. */
  | 'INVALID_CONFIG'
  /** An argument of a call is invalid. */
  | 'INVALID_ARGUMENT'
  /** Evaluation was asked of an engine with no rules loaded. */
  | 'NO_RULES'
  /** A file could not be read (missing, unreadable, or not a regular file: a FIFO, a device, a directory). */
  | 'IO_ERROR'
  /** A file is larger than its limit (maxRulesFileBytes, maxLookupFileBytes, maxFileBytes). */
  | 'FILE_TOO_LARGE'
  /** A batch could not be evaluated. */
  | 'EVAL_FAILED'
  /** A bug: a panic caught at the FFI boundary. */
  | 'INTERNAL_ERROR';

/** Kafka IO and the stream loop. */
export type KafkaErrorCode =
  /** No broker could be reached when connecting (wrong address, nothing listening, DNS). */
  | 'BROKER_UNREACHABLE'
  /** Every broker has been down for longer than `outageBudgetMs` while the client was connected (transient: librdkafka keeps reconnecting, and a later call works once they are back). */
  | 'BROKER_DOWN'
  /** runStream ended: the brokers stayed unreachable (or did not acknowledge) for longer than `outageBudgetMs`; offsets after the last delivered batch were not committed. */
  | 'BROKER_OUTAGE'
  /** A topic does not exist on the cluster (a subscribed one, or runStream's output or DLQ topic). */
  | 'UNKNOWN_TOPIC'
  /** Reading failed (an error librdkafka reported for the consumer). */
  | 'CONSUME_FAILED'
  /** produce() was refused (message too large, unknown partition...). */
  | 'PRODUCE_FAILED'
  /** Messages were not acknowledged by the broker. */
  | 'DELIVERY_FAILED'
  /** The broker refused or did not acknowledge a commit. */
  | 'COMMIT_FAILED'
  /** The producer's local queue is full (`queue.buffering.max.messages` / `.kbytes`). */
  | 'QUEUE_FULL'
  /** The call is not allowed now (e.g. a second pollBatch while one is running). */
  | 'INVALID_STATE'
  /** The catalog service gave no answer (network, timeout, 5xx) before any was ever resolved. */
  | 'CATALOG_UNREACHABLE'
  /** The catalog refused the request (401/403 auth, 404 unknown channel or profile, other 4xx). */
  | 'CATALOG_REFUSED'
  /** The catalog's answer is not what service.md §6 describes, or does not map a channel. */
  | 'CATALOG_INVALID_ANSWER'
  /** The client was closed (or is closing) and cannot be used again. */
  | 'CLOSED'
  /** node-rdkafka is not installed or could not be loaded (`hasKafka` is false). */
  | 'KAFKA_UNAVAILABLE';

/** Every error code the package reports. */
export type ErrorCode = RulesErrorCode | RecordErrorCode | BatchErrorCode | EngineErrorCode | KafkaErrorCode;

/** Every error code, in the order Rust declares them. */
export const ERROR_CODES: readonly ErrorCode[] = [
  'YAML_SYNTAX_ERROR',
  'UNKNOWN_OP',
  'UNKNOWN_ACTION',
  'UNKNOWN_SEVERITY',
  'UNKNOWN_FIELD_NAME',
  'TYPE_MISMATCH',
  'MISSING_REQUIRED_FIELD',
  'DUPLICATE_RULE_ID',
  'UNSUPPORTED',
  'LOOKUP_OUTSIDE_ROOTS',
  'MALFORMED_JSON',
  'RECORD_TOO_LARGE',
  'DUPLICATE_KEY',
  'DEAD_LETTER_IO',
  'INVALID_CONFIG',
  'INVALID_ARGUMENT',
  'NO_RULES',
  'IO_ERROR',
  'FILE_TOO_LARGE',
  'EVAL_FAILED',
  'INTERNAL_ERROR',
  'BROKER_UNREACHABLE',
  'BROKER_DOWN',
  'BROKER_OUTAGE',
  'UNKNOWN_TOPIC',
  'CONSUME_FAILED',
  'PRODUCE_FAILED',
  'DELIVERY_FAILED',
  'COMMIT_FAILED',
  'QUEUE_FULL',
  'INVALID_STATE',
  'CATALOG_UNREACHABLE',
  'CATALOG_REFUSED',
  'CATALOG_INVALID_ANSWER',
  'CLOSED',
  'KAFKA_UNAVAILABLE',
];
