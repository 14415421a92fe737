//! `StreamRunConfig` (node-api.md, IO) and its validation. Messages name the JS field.

use crate::StreamError;

/// What is produced to `output_topic` for each batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OutputMode {
    Rows,
    Enriched,
    Grouped,
    None,
}

impl OutputMode {
    pub fn parse(s: &str) -> Result<OutputMode, StreamError> {
        match s {
            "rows" => Ok(OutputMode::Rows),
            "enriched" => Ok(OutputMode::Enriched),
            "grouped" => Ok(OutputMode::Grouped),
            "none" => Ok(OutputMode::None),
            other => Err(StreamError::config(format!(
                "outputMode must be 'rows', 'enriched', 'grouped' or 'none', not '{other}'"
            ))),
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
        }
    }
}

/// Upper bounds that keep a typo from allocating the machine away.
const MAX_BATCH_SIZE: usize = 1_000_000;
const MAX_WORKERS: usize = 256;

impl StreamConfig {
    /// Checks every field; the error names the first bad one (JS spelling).
    pub fn validate(&self) -> Result<(), StreamError> {
        let bad = |m: &str| Err(StreamError::config(m.to_string()));
        if self.brokers.trim().is_empty() {
            return bad("brokers is required");
        }
        if self.group_id.trim().is_empty() {
            return bad("groupId is required");
        }
        if self.input_topics.is_empty() || self.input_topics.iter().any(|t| t.trim().is_empty()) {
            return bad("inputTopics is required (one or more non-empty topic names)");
        }
        if self.output_topic.as_deref() == Some("") {
            return bad("outputTopic must be a non-empty topic name");
        }
        if self.dlq_topic.as_deref() == Some("") {
            return bad("dlqTopic must be a non-empty topic name");
        }
        if self.output_mode != OutputMode::None && self.output_topic.is_none() {
            return bad("outputTopic is required unless outputMode is 'none'");
        }
        if self.batch_size == 0 || self.batch_size > MAX_BATCH_SIZE {
            return bad("batchSize must be a positive integer (at most 1000000)");
        }
        if self.workers == 0 || self.workers > MAX_WORKERS {
            return bad("workers must be a positive integer (at most 256)");
        }
        if self.poll_timeout_ms == 0 {
            return bad("pollTimeoutMs must be a positive integer");
        }
        if self.flush_timeout_ms == 0 {
            return bad("flushTimeoutMs must be a positive integer");
        }
        if self.connect_timeout_ms == 0 {
            return bad("connectTimeoutMs must be a positive integer");
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
            assert_eq!(err.code, "INVALID_CONFIG");
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
