// Generated from crates/blazerules-core/src/error.rs by its `error_codes_ts_is_current`
// test (BLAZERULES_WRITE_GENERATED=1 cargo test -p blazerules-core error_codes). Do not edit.

/** A rules document could not be loaded. */
export type RulesErrorCode = 'YAML_SYNTAX_ERROR' | 'UNKNOWN_OP' | 'UNKNOWN_ACTION' | 'UNKNOWN_SEVERITY' | 'UNKNOWN_FIELD_NAME' | 'TYPE_MISMATCH' | 'MISSING_REQUIRED_FIELD' | 'DUPLICATE_RULE_ID' | 'UNSUPPORTED';
/** One record was skipped. */
export type RecordErrorCode = 'MALFORMED_JSON' | 'RECORD_TOO_LARGE';
/** A whole batch failed. */
export type BatchErrorCode = 'DEAD_LETTER_IO';
/** A call to the engine was refused. */
export type EngineErrorCode = 'INVALID_CONFIG' | 'INVALID_ARGUMENT' | 'NO_RULES' | 'IO_ERROR' | 'EVAL_FAILED' | 'INTERNAL_ERROR';
/** Kafka IO and the stream loop. */
export type KafkaErrorCode = 'BROKER_UNREACHABLE' | 'BROKER_DOWN' | 'UNKNOWN_TOPIC' | 'CONSUME_FAILED' | 'PRODUCE_FAILED' | 'DELIVERY_FAILED' | 'COMMIT_FAILED' | 'QUEUE_FULL' | 'INVALID_STATE' | 'CLOSED' | 'KAFKA_UNAVAILABLE';
/** Every error code the package reports. */
export type ErrorCode =
  | RulesErrorCode
  | RecordErrorCode
  | BatchErrorCode
  | EngineErrorCode
  | KafkaErrorCode;
/** Every error code, in the order Rust declares them. */
export const ERROR_CODES: readonly ErrorCode[] = ['YAML_SYNTAX_ERROR', 'UNKNOWN_OP', 'UNKNOWN_ACTION', 'UNKNOWN_SEVERITY', 'UNKNOWN_FIELD_NAME', 'TYPE_MISMATCH', 'MISSING_REQUIRED_FIELD', 'DUPLICATE_RULE_ID', 'UNSUPPORTED', 'MALFORMED_JSON', 'RECORD_TOO_LARGE', 'DEAD_LETTER_IO', 'INVALID_CONFIG', 'INVALID_ARGUMENT', 'NO_RULES', 'IO_ERROR', 'EVAL_FAILED', 'INTERNAL_ERROR', 'BROKER_UNREACHABLE', 'BROKER_DOWN', 'UNKNOWN_TOPIC', 'CONSUME_FAILED', 'PRODUCE_FAILED', 'DELIVERY_FAILED', 'COMMIT_FAILED', 'QUEUE_FULL', 'INVALID_STATE', 'CLOSED', 'KAFKA_UNAVAILABLE'];
