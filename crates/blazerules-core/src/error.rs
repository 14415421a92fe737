//! The error vocabulary: every error code the package reports, as one type, and the
//! load-time error types. TypeScript sees the codes as string-literal unions in
//! `src/generated/error-codes.ts`, generated from [`ErrorCode::ALL`] and kept current by the
//! `error_codes_ts_is_current` test (see [`crate::generated`]).

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

/// The one table of error codes: variant, the text the package writes, family, meaning.
/// Rust's enum, its text and family, and the TypeScript unions are all made from it.
macro_rules! error_codes {
    ($($(#[doc = $doc:literal])+ $variant:ident = $text:literal, $family:ident;)+) => {
        /// Every error code, by its BlazeRules / package name.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $($(#[doc = $doc])+ $variant,)+
        }

        impl ErrorCode {
            /// Every code, in declaration order.
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)+];

            /// The code as the package writes it (`YAML_SYNTAX_ERROR`).
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $text,)+
                }
            }

            /// Where the code comes from.
            pub const fn family(self) -> ErrorFamily {
                match self {
                    $(ErrorCode::$variant => ErrorFamily::$family,)+
                }
            }

            /// What the code means (its doc comment, for generated documentation).
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => concat!($($doc),+),)+
                }
            }
        }
    };
}

error_codes! {
    /// The document is not valid YAML/JSON, or a value has the wrong shape.
    YamlSyntaxError = "YAML_SYNTAX_ERROR", Rules;
    /// A condition names an operator BlazeRules does not have.
    UnknownOp = "UNKNOWN_OP", Rules;
    /// A rule's action is not APPROVE, REVIEW, BLOCK or a declared label.
    UnknownAction = "UNKNOWN_ACTION", Rules;
    /// A rule's severity is not a known level.
    UnknownSeverity = "UNKNOWN_SEVERITY", Rules;
    /// A field name is empty or not allowed.
    UnknownFieldName = "UNKNOWN_FIELD_NAME", Rules;
    /// A value does not fit the operator or the field's type hint.
    TypeMismatch = "TYPE_MISMATCH", Rules;
    /// A required key is missing.
    MissingRequiredField = "MISSING_REQUIRED_FIELD", Rules;
    /// Two rules share an id.
    DuplicateRuleId = "DUPLICATE_RULE_ID", Rules;
    /// A BlazeRules feature this engine does not implement.
    Unsupported = "UNSUPPORTED", Rules;
    /// A lookup path resolves outside the rules file's directory and every `lookupRoots` entry.
    LookupOutsideRoots = "LOOKUP_OUTSIDE_ROOTS", Rules;
    /// A record is not a JSON object (syntax, UTF-8, nesting).
    MalformedJson = "MALFORMED_JSON", Record;
    /// A record is longer than maxRecordBytes.
    RecordTooLarge = "RECORD_TOO_LARGE", Record;
    /// A record repeats a key the rules read: a warning (the last wins), or the skip reason with duplicateKeys 'reject'.
    DuplicateKey = "DUPLICATE_KEY", Record;
    /// The dead-letter file could not be written.
    DeadLetterIo = "DEAD_LETTER_IO", Batch;
    /// An option or configuration value is invalid.
    InvalidConfig = "INVALID_CONFIG", Engine;
    /// An argument of a call is invalid.
    InvalidArgument = "INVALID_ARGUMENT", Engine;
    /// Evaluation was asked of an engine with no rules loaded.
    NoRules = "NO_RULES", Engine;
    /// A file could not be read (missing, unreadable, or not a regular file: a FIFO, a device, a directory).
    IoError = "IO_ERROR", Engine;
    /// A file is larger than its limit (maxRulesFileBytes, maxLookupFileBytes, maxFileBytes).
    FileTooLarge = "FILE_TOO_LARGE", Engine;
    /// A batch could not be evaluated.
    EvalFailed = "EVAL_FAILED", Engine;
    /// A bug: a panic caught at the FFI boundary.
    InternalError = "INTERNAL_ERROR", Engine;
    /// No broker could be reached when connecting (wrong address, nothing listening, DNS).
    BrokerUnreachable = "BROKER_UNREACHABLE", Kafka;
    /// Every broker has been down for longer than `outageBudgetMs` while the client was
    /// connected (transient: librdkafka keeps reconnecting, and a later call works once they are back).
    BrokerDown = "BROKER_DOWN", Kafka;
    /// runStream ended: the brokers stayed unreachable (or did not acknowledge) for longer than
    /// `outageBudgetMs`; offsets after the last delivered batch were not committed.
    BrokerOutage = "BROKER_OUTAGE", Kafka;
    /// A topic does not exist on the cluster (a subscribed one, or runStream's output or DLQ topic).
    UnknownTopic = "UNKNOWN_TOPIC", Kafka;
    /// Reading failed (an error librdkafka reported for the consumer).
    ConsumeFailed = "CONSUME_FAILED", Kafka;
    /// produce() was refused (message too large, unknown partition...).
    ProduceFailed = "PRODUCE_FAILED", Kafka;
    /// Messages were not acknowledged by the broker.
    DeliveryFailed = "DELIVERY_FAILED", Kafka;
    /// The broker refused or did not acknowledge a commit.
    CommitFailed = "COMMIT_FAILED", Kafka;
    /// The producer's local queue is full (`queue.buffering.max.messages` / `.kbytes`).
    QueueFull = "QUEUE_FULL", Kafka;
    /// The call is not allowed now (e.g. a second pollBatch while one is running).
    InvalidState = "INVALID_STATE", Kafka;
    /// The catalog service gave no answer (network, timeout, 5xx) before any was ever resolved.
    CatalogUnreachable = "CATALOG_UNREACHABLE", Kafka;
    /// The catalog refused the request (401/403 auth, 404 unknown channel or profile, other 4xx).
    CatalogRefused = "CATALOG_REFUSED", Kafka;
    /// The catalog's answer is not what service.md §6 describes, or does not map a channel.
    CatalogInvalidAnswer = "CATALOG_INVALID_ANSWER", Kafka;
    /// The client was closed (or is closing) and cannot be used again.
    Closed = "CLOSED", Kafka;
    /// node-rdkafka is not installed or could not be loaded (`hasKafka` is false).
    KafkaUnavailable = "KAFKA_UNAVAILABLE", Kafka;
}

impl ErrorCode {
    /// The code named `s`, if it is one.
    pub fn parse(s: &str) -> Option<ErrorCode> {
        ErrorCode::ALL.iter().copied().find(|c| c.as_str() == s)
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

/// The TypeScript module generated from [`ErrorCode::ALL`]: one string-literal union per
/// family, each member with its meaning, and their union `ErrorCode`.
pub fn error_codes_ts() -> String {
    let mut s = String::from(
        "// Generated from crates/blazerules-core/src/error.rs by its test\n\
         // (BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated). Do not edit.\n",
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
        s.push_str(&format!("\n/** {doc} */\nexport type {name} =\n"));
        let members: Vec<&ErrorCode> = ErrorCode::ALL
            .iter()
            .filter(|c| c.family() == family)
            .collect();
        // As Biome formats it: a union of one member has no leading `|`.
        let bar = if members.len() > 1 { "| " } else { "" };
        for c in members {
            s.push_str(&format!(
                "  /** {} */\n  {bar}'{}'\n",
                c.meaning().trim(),
                c.as_str()
            ));
        }
        s.pop();
        s.push_str(";\n");
    }
    let names: Vec<&str> = families.iter().map(|f| f.1).collect();
    s.push_str(&format!(
        "\n/** Every error code the package reports. */\nexport type ErrorCode = {};\n",
        names.join(" | ")
    ));
    let all: Vec<String> = ErrorCode::ALL
        .iter()
        .map(|c| format!("'{}'", c.as_str()))
        .collect();
    s.push_str(&format!(
        "\n/** Every error code, in the order Rust declares them. */\nexport const ERROR_CODES: readonly ErrorCode[] = [\n  {},\n];\n",
        all.join(",\n  ")
    ));
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for &c in ErrorCode::ALL {
            assert_eq!(ErrorCode::parse(c.as_str()), Some(c));
        }
        assert_eq!(ErrorCode::parse("NOPE"), None);
    }

    #[test]
    fn generated_error_codes_ts_is_current() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../src/generated/error-codes.ts"
        );
        if let Err(e) = crate::generated::keep_current(path, &error_codes_ts()) {
            panic!("{e}");
        }
    }
}
