//! Why a run failed.

use blazerules_core::error::ErrorCode;
use rdkafka::error::KafkaError;

/// Why the loop failed. `code` is one of the `KafkaIOError` codes of `blazerules/io`
/// (`INVALID_CONFIG`, `BROKER_UNREACHABLE`, `DELIVERY_FAILED`, `COMMIT_FAILED`,
/// `CONSUME_FAILED`) or `NO_RULES`, `EVAL_FAILED`, `INTERNAL_ERROR`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub code: ErrorCode,
    pub message: String,
}

impl StreamError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> StreamError {
        StreamError {
            code,
            message: message.into(),
        }
    }

    /// `INVALID_CONFIG`: a setting is wrong (the message names the JS field).
    pub fn config(message: impl Into<String>) -> StreamError {
        StreamError::new(ErrorCode::InvalidConfig, message)
    }

    /// A librdkafka error, prefixed with what was being done.
    pub(crate) fn kafka(code: ErrorCode, what: &str, e: &KafkaError) -> StreamError {
        StreamError::new(code, format!("{what}: {e}"))
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StreamError {}
