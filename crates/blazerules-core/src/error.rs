//! The error vocabulary: every error code the package reports, as one type, and the
//! load-time error types. TypeScript sees the codes as the string-literal union in
//! `src/generated/error-codes.ts`, generated from [`ErrorCode::ALL`] and kept current by the
//! `error_codes_ts_is_current` test (`BLAZERULES_WRITE_GENERATED=1 cargo test -p
//! blazerules-core error_codes` rewrites it).

use std::fmt;

/// Where an error code comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorFamily {
    /// A rules document could not be loaded (rules-reference §1).
    Rules,
    /// One record was skipped (rules-reference §5).
    Record,
    /// A whole batch failed.
    Batch,
    /// A call to the engine was refused.
    Engine,
    /// Kafka IO and the stream loop.
    Kafka,
}

/// Every error code, by its BlazeRules / package name.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ErrorCode {
    /// The document is not valid YAML/JSON, or a value has the wrong shape.
    YamlSyntaxError,
    /// A condition names an operator BlazeRules does not have.
    UnknownOp,
    /// A rule's action is not APPROVE, REVIEW, BLOCK or a declared label.
    UnknownAction,
    /// A rule's severity is not a known level.
    UnknownSeverity,
    /// A field name is empty or not allowed.
    UnknownFieldName,
    /// A value does not fit the operator or the field's type hint.
    TypeMismatch,
    /// A required key is missing.
    MissingRequiredField,
    /// Two rules share an id.
    DuplicateRuleId,
    /// A BlazeRules feature this engine does not implement.
    Unsupported,
    /// A record is not a JSON object (syntax, UTF-8, nesting).
    MalformedJson,
    /// A record is longer than maxRecordBytes.
    RecordTooLarge,
    /// The dead-letter file could not be written.
    DeadLetterIo,
    /// An option or configuration value is invalid.
    InvalidConfig,
    /// An argument of a call is invalid.
    InvalidArgument,
    /// Evaluation was asked of an engine with no rules loaded.
    NoRules,
    /// A file could not be read.
    IoError,
    /// A batch could not be evaluated.
    EvalFailed,
    /// A bug: a panic caught at the FFI boundary.
    InternalError,
    /// No broker could be reached.
    BrokerUnreachable,
    /// The broker went away during a call.
    BrokerDown,
    /// A topic does not exist.
    UnknownTopic,
    /// Consuming failed.
    ConsumeFailed,
    /// Producing failed.
    ProduceFailed,
    /// A produced message was not delivered.
    DeliveryFailed,
    /// Committing offsets failed.
    CommitFailed,
    /// The producer's local queue is full.
    QueueFull,
    /// A call was made in a state that does not allow it.
    InvalidState,
    /// The client was closed.
    Closed,
    /// node-rdkafka is not installed or could not be loaded.
    KafkaUnavailable,
}

impl ErrorCode {
    /// Every code, in declaration order.
    pub const ALL: [ErrorCode; 29] = [
        ErrorCode::YamlSyntaxError,
        ErrorCode::UnknownOp,
        ErrorCode::UnknownAction,
        ErrorCode::UnknownSeverity,
        ErrorCode::UnknownFieldName,
        ErrorCode::TypeMismatch,
        ErrorCode::MissingRequiredField,
        ErrorCode::DuplicateRuleId,
        ErrorCode::Unsupported,
        ErrorCode::MalformedJson,
        ErrorCode::RecordTooLarge,
        ErrorCode::DeadLetterIo,
        ErrorCode::InvalidConfig,
        ErrorCode::InvalidArgument,
        ErrorCode::NoRules,
        ErrorCode::IoError,
        ErrorCode::EvalFailed,
        ErrorCode::InternalError,
        ErrorCode::BrokerUnreachable,
        ErrorCode::BrokerDown,
        ErrorCode::UnknownTopic,
        ErrorCode::ConsumeFailed,
        ErrorCode::ProduceFailed,
        ErrorCode::DeliveryFailed,
        ErrorCode::CommitFailed,
        ErrorCode::QueueFull,
        ErrorCode::InvalidState,
        ErrorCode::Closed,
        ErrorCode::KafkaUnavailable,
    ];

    /// The code as the package writes it (`YAML_SYNTAX_ERROR`).
    pub const fn as_str(self) -> &'static str {
        match self {
            ErrorCode::YamlSyntaxError => "YAML_SYNTAX_ERROR",
            ErrorCode::UnknownOp => "UNKNOWN_OP",
            ErrorCode::UnknownAction => "UNKNOWN_ACTION",
            ErrorCode::UnknownSeverity => "UNKNOWN_SEVERITY",
            ErrorCode::UnknownFieldName => "UNKNOWN_FIELD_NAME",
            ErrorCode::TypeMismatch => "TYPE_MISMATCH",
            ErrorCode::MissingRequiredField => "MISSING_REQUIRED_FIELD",
            ErrorCode::DuplicateRuleId => "DUPLICATE_RULE_ID",
            ErrorCode::Unsupported => "UNSUPPORTED",
            ErrorCode::MalformedJson => "MALFORMED_JSON",
            ErrorCode::RecordTooLarge => "RECORD_TOO_LARGE",
            ErrorCode::DeadLetterIo => "DEAD_LETTER_IO",
            ErrorCode::InvalidConfig => "INVALID_CONFIG",
            ErrorCode::InvalidArgument => "INVALID_ARGUMENT",
            ErrorCode::NoRules => "NO_RULES",
            ErrorCode::IoError => "IO_ERROR",
            ErrorCode::EvalFailed => "EVAL_FAILED",
            ErrorCode::InternalError => "INTERNAL_ERROR",
            ErrorCode::BrokerUnreachable => "BROKER_UNREACHABLE",
            ErrorCode::BrokerDown => "BROKER_DOWN",
            ErrorCode::UnknownTopic => "UNKNOWN_TOPIC",
            ErrorCode::ConsumeFailed => "CONSUME_FAILED",
            ErrorCode::ProduceFailed => "PRODUCE_FAILED",
            ErrorCode::DeliveryFailed => "DELIVERY_FAILED",
            ErrorCode::CommitFailed => "COMMIT_FAILED",
            ErrorCode::QueueFull => "QUEUE_FULL",
            ErrorCode::InvalidState => "INVALID_STATE",
            ErrorCode::Closed => "CLOSED",
            ErrorCode::KafkaUnavailable => "KAFKA_UNAVAILABLE",
        }
    }

    /// Where the code comes from.
    pub const fn family(self) -> ErrorFamily {
        match self {
            ErrorCode::YamlSyntaxError
            | ErrorCode::UnknownOp
            | ErrorCode::UnknownAction
            | ErrorCode::UnknownSeverity
            | ErrorCode::UnknownFieldName
            | ErrorCode::TypeMismatch
            | ErrorCode::MissingRequiredField
            | ErrorCode::DuplicateRuleId
            | ErrorCode::Unsupported => ErrorFamily::Rules,
            ErrorCode::MalformedJson | ErrorCode::RecordTooLarge => ErrorFamily::Record,
            ErrorCode::DeadLetterIo => ErrorFamily::Batch,
            ErrorCode::InvalidConfig
            | ErrorCode::InvalidArgument
            | ErrorCode::NoRules
            | ErrorCode::IoError
            | ErrorCode::EvalFailed
            | ErrorCode::InternalError => ErrorFamily::Engine,
            ErrorCode::BrokerUnreachable
            | ErrorCode::BrokerDown
            | ErrorCode::UnknownTopic
            | ErrorCode::ConsumeFailed
            | ErrorCode::ProduceFailed
            | ErrorCode::DeliveryFailed
            | ErrorCode::CommitFailed
            | ErrorCode::QueueFull
            | ErrorCode::InvalidState
            | ErrorCode::Closed
            | ErrorCode::KafkaUnavailable => ErrorFamily::Kafka,
        }
    }

    /// The code named `s`, if it is one.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

// Ordered, compared and borrowed as its text, so maps keyed by codes list them alphabetically
// (as they did when they were strings) and can be looked up with a `&str`.
impl Ord for ErrorCode {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_str().cmp(other.as_str())
    }
}

impl PartialOrd for ErrorCode {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl std::borrow::Borrow<str> for ErrorCode {
    fn borrow(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for ErrorCode {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One problem in a rules document.
#[derive(Debug, Clone, PartialEq)]
pub struct RuleError {
    /// A code of the `Rules` family.
    pub code: ErrorCode,
    pub message: String,
    /// The id of the rule the problem is in, if any.
    pub rule_id: Option<String>,
    /// Path of the offending node, e.g. `ruleset.rules[3].conditions.and[1].op`.
    pub path: String,
    /// For errors inside a `sql:` string: 0-based byte offset within that string.
    pub sql_offset: Option<usize>,
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} (at {})", self.code, self.message, self.path)
    }
}

/// Every problem found while loading a rules document (at least one).
#[derive(Debug, Clone, PartialEq)]
pub struct LoadError {
    pub problems: Vec<RuleError>,
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.problems.first() {
            Some(p) => write!(f, "{p}")?,
            None => write!(f, "invalid rules")?,
        }
        if self.problems.len() > 1 {
            write!(f, " (and {} more)", self.problems.len() - 1)?;
        }
        Ok(())
    }
}

impl std::error::Error for LoadError {}

/// The TypeScript module generated from [`ErrorCode::ALL`].
pub fn error_codes_ts() -> String {
    let mut s = String::from(
        "// Generated from crates/blazerules-core/src/error.rs by its `error_codes_ts_is_current`\n\
         // test (BLAZERULES_WRITE_GENERATED=1 cargo test -p blazerules-core error_codes). Do not edit.\n\n",
    );
    let families = [
        (
            ErrorFamily::Rules,
            "RulesErrorCode",
            "A rules document could not be loaded.",
        ),
        (
            ErrorFamily::Record,
            "RecordErrorCode",
            "One record was skipped.",
        ),
        (
            ErrorFamily::Batch,
            "BatchErrorCode",
            "A whole batch failed.",
        ),
        (
            ErrorFamily::Engine,
            "EngineErrorCode",
            "A call to the engine was refused.",
        ),
        (
            ErrorFamily::Kafka,
            "KafkaErrorCode",
            "Kafka IO and the stream loop.",
        ),
    ];
    for (family, name, doc) in families {
        let members: Vec<String> = ErrorCode::ALL
            .iter()
            .filter(|c| c.family() == family)
            .map(|c| format!("'{}'", c.as_str()))
            .collect();
        s.push_str(&format!(
            "/** {doc} */\nexport type {name} = {};\n",
            members.join(" | ")
        ));
    }
    s.push_str("/** Every error code the package reports. */\nexport type ErrorCode =\n");
    let names: Vec<&str> = families.iter().map(|f| f.1).collect();
    s.push_str(&format!("  | {};\n", names.join("\n  | ")));
    let all: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    s.push_str(&format!(
        "/** Every error code, in the order Rust declares them. */\nexport const ERROR_CODES: readonly ErrorCode[] = [{}];\n",
        all.join(", ")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }

    #[test]
    fn error_codes_ts_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../src/generated/error-codes.ts"
        );
        let want = error_codes_ts();
        if std::env::var_os("BLAZERULES_WRITE_GENERATED").is_some() {
            std::fs::write(path, &want).unwrap();
        }
        let have = std::fs::read_to_string(path).unwrap_or_default();
        assert!(
            have == want,
            "{path} is out of date: run BLAZERULES_WRITE_GENERATED=1 cargo test -p blazerules-core error_codes"
        );
    }
}
