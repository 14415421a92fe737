//! `StreamRunConfig` (node-api.md, IO) and its validation: the only one (the TypeScript layer
//! passes the JS object through; see [`js`]). Messages name the JS field.

pub mod js;

use crate::StreamError;

/// What is produced to `output_topic` for each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    Rows,
    Enriched,
    Grouped,
    None,
}

const BAD_MODE: &str = "outputMode must be 'rows', 'enriched', 'grouped' or 'none'";

impl OutputMode {
    pub fn parse(s: &str) -> Result<OutputMode, StreamError> {
        match s {
            "rows" => Ok(OutputMode::Rows),
            "enriched" => Ok(OutputMode::Enriched),
            "grouped" => Ok(OutputMode::Grouped),
            "none" => Ok(OutputMode::None),
            other => Err(StreamError::config(format!("{BAD_MODE}, not '{other}'"))),
        }
    }
}

/// The loop's settings. Defaults as node-api.md.
#[derive(Debug, Clone)]
pub struct StreamConfig {
    pub brokers: String,
    pub group_id: String,
    pub input_topics: Vec<String>,
    pub output_topic: Option<String>,
    pub dlq_topic: Option<String>,
    /// librdkafka consumer properties (override the defaults; see `consumer_client_config`).
    pub consumer_conf: Vec<(String, String)>,
    pub producer_conf: Vec<(String, String)>,
    pub batch_size: usize,
    pub poll_timeout_ms: u64,
    pub flush_timeout_ms: u64,
    pub workers: usize,
    /// 0 = no limit.
    pub max_messages: u64,
    /// 0 = no limit.
    pub max_batches: u64,
    /// 0 = run until stopped.
    pub idle_timeout_ms: u64,
    pub output_mode: OutputMode,
    pub commit_offsets: bool,
    /// Bound on reaching the cluster at start (then `BROKER_UNREACHABLE`).
    pub connect_timeout_ms: u64,
    /// Milliseconds between two `on_stats` calls.
    pub stats_interval_ms: u64,
    /// How long the loop rides out the cluster being unreachable (or not acknowledging)
    /// before it fails with `BROKER_OUTAGE`; 0 = not at all.
    pub outage_budget_ms: u64,
    /// `group.instance.id` (static membership, KIP-345): a restarted member with the same id
    /// gets its partitions back at once, without a rebalance.
    pub group_instance_id: Option<String>,
}

impl Default for StreamConfig {
    fn default() -> Self {
        StreamConfig {
            brokers: String::new(),
            group_id: String::new(),
            input_topics: Vec::new(),
            output_topic: None,
            dlq_topic: None,
            consumer_conf: Vec::new(),
            producer_conf: Vec::new(),
            batch_size: 2048,
            poll_timeout_ms: 1000,
            flush_timeout_ms: 5000,
            workers: 1,
            max_messages: 0,
            max_batches: 0,
            idle_timeout_ms: 0,
            output_mode: OutputMode::Rows,
            commit_offsets: true,
            connect_timeout_ms: 10_000,
            stats_interval_ms: 1000,
            outage_budget_ms: 120_000,
            group_instance_id: None,
        }
    }
}

/// `(JS name, least, most)` of every integer setting: the one range check, for settings given
/// from JS ([`StreamConfig::from_js`]) and from Rust ([`StreamConfig::validate`]) alike. The
/// upper bounds keep a typo from allocating the machine away.
const LIMITS: [(&str, u64, u64); 10] = [
    ("batchSize", 1, 1_000_000),
    ("pollTimeoutMs", 1, U32),
    ("flushTimeoutMs", 1, U32),
    ("workers", 1, 256),
    ("maxMessages", 0, MAX_SAFE_INTEGER),
    ("maxBatches", 0, MAX_SAFE_INTEGER),
    ("idleTimeoutMs", 0, MAX_SAFE_INTEGER),
    ("connectTimeoutMs", 1, U32),
    ("statsIntervalMs", 1, U32),
    ("outageBudgetMs", 0, 86_400_000),
];
const U32: u64 = 0xffff_ffff;
/// JavaScript's `Number.MAX_SAFE_INTEGER`.
const MAX_SAFE_INTEGER: u64 = (1 << 53) - 1;

fn limits(name: &str) -> (u64, u64) {
    LIMITS
        .iter()
        .find(|l| l.0 == name)
        .map_or((0, u64::MAX), |l| (l.1, l.2))
}

fn out_of_range(name: &str) -> StreamError {
    let (least, most) = limits(name);
    StreamError::config(format!("{name} must be an integer from {least} to {most}"))
}

/// Checks `v` against the limits of setting `name`.
fn check_int(name: &str, v: u64) -> Result<(), StreamError> {
    let (least, most) = limits(name);
    if v < least || v > most {
        return Err(out_of_range(name));
    }
    Ok(())
}

impl StreamConfig {
    /// Checks every field; the error names the first bad one (JS spelling).
    pub fn validate(&self) -> Result<(), StreamError> {
        let bad = |m: &str| Err(StreamError::config(m));
        if self.brokers.trim().is_empty() {
            return bad("brokers is required");
        }
        if self.group_id.trim().is_empty() {
            return bad("groupId is required (a non-empty string)");
        }
        if self.input_topics.is_empty() || self.input_topics.iter().any(|t| t.trim().is_empty()) {
            return bad("inputTopics is required");
        }
        if self
            .output_topic
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return bad("outputTopic must be a non-empty topic name");
        }
        if self
            .dlq_topic
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return bad("dlqTopic must be a non-empty topic name");
        }
        for (name, v) in [
            ("batchSize", self.batch_size as u64),
            ("pollTimeoutMs", self.poll_timeout_ms),
            ("flushTimeoutMs", self.flush_timeout_ms),
            ("workers", self.workers as u64),
            ("connectTimeoutMs", self.connect_timeout_ms),
            ("outageBudgetMs", self.outage_budget_ms),
        ] {
            check_int(name, v)?;
        }
        if self
            .group_instance_id
            .as_deref()
            .is_some_and(|t| t.trim().is_empty())
        {
            return bad("groupInstanceId must be a non-empty string");
        }
        if self.output_mode != OutputMode::None && self.output_topic.is_none() {
            return bad("outputTopic is required unless outputMode is 'none'");
        }
        for (k, v) in &self.consumer_conf {
            if k == "enable.auto.commit" && v.trim() == "true" {
                return bad("consumerConf['enable.auto.commit'] cannot be true: runStream commits after delivery");
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use blazerules_core::error::ErrorCode;

    fn ok() -> StreamConfig {
        StreamConfig {
            brokers: "127.0.0.1:9092".into(),
            group_id: "g".into(),
            input_topics: vec!["in".into()],
            output_topic: Some("out".into()),
            ..StreamConfig::default()
        }
    }

    #[test]
    fn validation_names_the_field() {
        assert!(ok().validate().is_ok());
        let cases: Vec<(StreamConfig, &str)> = vec![
            (
                StreamConfig {
                    brokers: " ".into(),
                    ..ok()
                },
                "brokers",
            ),
            (
                StreamConfig {
                    group_id: String::new(),
                    ..ok()
                },
                "groupId",
            ),
            (
                StreamConfig {
                    input_topics: vec![],
                    ..ok()
                },
                "inputTopics",
            ),
            (
                StreamConfig {
                    output_topic: None,
                    ..ok()
                },
                "outputTopic",
            ),
            (
                StreamConfig {
                    batch_size: 0,
                    ..ok()
                },
                "batchSize",
            ),
            (StreamConfig { workers: 0, ..ok() }, "workers"),
            (
                StreamConfig {
                    outage_budget_ms: 86_400_001,
                    ..ok()
                },
                "outageBudgetMs",
            ),
            (
                StreamConfig {
                    poll_timeout_ms: 0,
                    ..ok()
                },
                "pollTimeoutMs",
            ),
            (
                StreamConfig {
                    flush_timeout_ms: 0,
                    ..ok()
                },
                "flushTimeoutMs",
            ),
            (
                StreamConfig {
                    consumer_conf: vec![("enable.auto.commit".into(), "true".into())],
                    ..ok()
                },
                "enable.auto.commit",
            ),
        ];
        for (cfg, field) in cases {
            let err = cfg.validate().expect_err(field);
            assert_eq!(err.code, ErrorCode::InvalidConfig);
            assert!(err.message.contains(field), "{}", err.message);
        }
        let none = StreamConfig {
            output_topic: None,
            output_mode: OutputMode::None,
            ..ok()
        };
        assert!(none.validate().is_ok());
        assert!(OutputMode::parse("bogus")
            .expect_err("bad mode")
            .message
            .contains("outputMode"));
    }
}
