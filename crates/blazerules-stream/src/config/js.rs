//! `StreamRunConfig` as JavaScript gives it (the object passed to `runStream`, unchecked):
//! shaped into a [`StreamConfig`] and validated. Every message names the JS field. `null` and
//! `undefined` both mean "not set"; unknown fields are ignored.

use blazerules_core::output;
use serde_json::{Map, Value};

use super::{limits, out_of_range, OutputMode, StreamConfig, BAD_MODE};
use crate::StreamError;

type Result<T> = std::result::Result<T, StreamError>;

impl StreamConfig {
    /// Shapes and validates the JS object (see the module doc).
    pub fn from_js(v: &Value) -> Result<StreamConfig> {
        let Some(c) = v.as_object() else {
            return Err(StreamError::config("StreamRunConfig must be an object"));
        };
        let d = StreamConfig::default();
        let brokers = list(c, "brokers")?.join(",");
        let group_id = match field(c, "groupId") {
            Some(Value::String(g)) if !g.trim().is_empty() => g.clone(),
            _ => {
                return Err(StreamError::config(
                    "groupId is required (a non-empty string)",
                ))
            }
        };
        let mut cfg = StreamConfig {
            brokers,
            group_id,
            input_topics: list(c, "inputTopics")?,
            output_topic: topic(c, "outputTopic")?,
            dlq_topic: topic(c, "dlqTopic")?,
            consumer_conf: conf(c, "consumerConf")?,
            producer_conf: conf(c, "producerConf")?,
            ..d
        };
        cfg.batch_size = int(c, "batchSize", d.batch_size as u64)? as usize;
        cfg.poll_timeout_ms = int(c, "pollTimeoutMs", d.poll_timeout_ms)?;
        cfg.flush_timeout_ms = int(c, "flushTimeoutMs", d.flush_timeout_ms)?;
        cfg.workers = int(c, "workers", d.workers as u64)? as usize;
        cfg.max_messages = int(c, "maxMessages", d.max_messages)?;
        cfg.max_batches = int(c, "maxBatches", d.max_batches)?;
        cfg.idle_timeout_ms = int(c, "idleTimeoutMs", d.idle_timeout_ms)?;
        cfg.connect_timeout_ms = int(c, "connectTimeoutMs", d.connect_timeout_ms)?;
        cfg.stats_interval_ms = int(c, "statsIntervalMs", d.stats_interval_ms)?;
        cfg.outage_budget_ms = int(c, "outageBudgetMs", d.outage_budget_ms)?;
        cfg.output_mode = match field(c, "outputMode") {
            None => d.output_mode,
            Some(Value::String(m)) => OutputMode::parse(m)?,
            Some(_) => return Err(StreamError::config(BAD_MODE)),
        };
        cfg.group_instance_id = match field(c, "groupInstanceId") {
            None => None,
            Some(Value::String(g)) if !g.trim().is_empty() => Some(g.trim().to_string()),
            Some(_) => {
                return Err(StreamError::config(
                    "groupInstanceId must be a non-empty string",
                ))
            }
        };
        cfg.commit_offsets = match field(c, "commitOffsets") {
            None => d.commit_offsets,
            Some(Value::Bool(b)) => *b,
            Some(_) => return Err(StreamError::config("commitOffsets must be a boolean")),
        };
        cfg.validate()?;
        Ok(cfg)
    }
}

/// The field, unless absent, `null` or `undefined`.
fn field<'a>(c: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    c.get(name).filter(|v| !v.is_null())
}

/// A string, a comma-separated list or an array of strings; trimmed, blanks dropped.
fn list(c: &Map<String, Value>, name: &str) -> Result<Vec<String>> {
    let items: Vec<&str> = match field(c, name) {
        Some(Value::String(s)) => s.split(',').collect(),
        Some(Value::Array(a)) if a.iter().all(Value::is_string) => {
            a.iter().filter_map(Value::as_str).collect()
        }
        _ => {
            return Err(StreamError::config(format!(
                "{name} must be a string, a comma-separated list or an array of strings"
            )))
        }
    };
    let out: Vec<String> = items
        .into_iter()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
        .collect();
    if out.is_empty() {
        return Err(StreamError::config(format!("{name} is required")));
    }
    Ok(out)
}

fn topic(c: &Map<String, Value>, name: &str) -> Result<Option<String>> {
    match field(c, name) {
        None => Ok(None),
        Some(Value::String(t)) if !t.trim().is_empty() => Ok(Some(t.trim().to_string())),
        Some(_) => Err(StreamError::config(format!(
            "{name} must be a non-empty topic name"
        ))),
    }
}

/// librdkafka properties: strings as they are, numbers and booleans as JavaScript's
/// `String(v)` writes them; sorted by name.
fn conf(c: &Map<String, Value>, name: &str) -> Result<Vec<(String, String)>> {
    let props = match field(c, name) {
        None => return Ok(Vec::new()),
        Some(Value::Object(o)) => o,
        Some(_) => {
            return Err(StreamError::config(format!(
                "{name} must be an object of librdkafka properties"
            )))
        }
    };
    let mut out = Vec::with_capacity(props.len());
    for (k, v) in props {
        let text = match v {
            Value::Null => continue,
            Value::String(s) => s.clone(),
            Value::Bool(b) => b.to_string(),
            Value::Number(n) => {
                let mut buf = Vec::new();
                output::shortest(&mut buf, n.as_f64().unwrap_or(f64::NAN));
                String::from_utf8_lossy(&buf).into_owned()
            }
            _ => {
                return Err(StreamError::config(format!(
                    "{name}['{k}'] must be a string, number or boolean"
                )))
            }
        };
        out.push((k.clone(), text));
    }
    out.sort();
    Ok(out)
}

/// An integer setting within its limits (`default` when absent).
fn int(c: &Map<String, Value>, name: &str, default: u64) -> Result<u64> {
    let Some(v) = field(c, name) else {
        return Ok(default);
    };
    let (least, most) = limits(name);
    let x = v.as_f64().ok_or_else(|| out_of_range(name))?;
    if x.fract() != 0.0 || x < least as f64 || x > most as f64 {
        return Err(out_of_range(name));
    }
    Ok(x as u64)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn msg(v: Value) -> String {
        StreamConfig::from_js(&v).map_or_else(|e| e.message, |_| "ok".to_string())
    }

    #[test]
    fn shapes_as_the_typescript_layer_did() {
        let cfg = StreamConfig::from_js(&json!({
            "brokers": ["a:1", " b:2 "], "groupId": "g", "inputTopics": "in, other,",
            "outputTopic": " out ", "consumerConf": {"fetch.wait.max.ms": 5, "x": true, "y": null},
            "batchSize": 10, "outputMode": "enriched", "commitOffsets": false, "dlqTopic": null
        }))
        .map_err(|e| e.message);
        let cfg = cfg.as_ref().map_err(String::as_str);
        let Ok(cfg) = cfg else { panic!("{cfg:?}") };
        assert_eq!(cfg.brokers, "a:1,b:2");
        assert_eq!(cfg.input_topics, vec!["in", "other"]);
        assert_eq!(cfg.output_topic.as_deref(), Some("out"));
        assert_eq!(cfg.dlq_topic, None);
        assert_eq!(
            cfg.consumer_conf,
            vec![
                ("fetch.wait.max.ms".to_string(), "5".to_string()),
                ("x".to_string(), "true".to_string())
            ]
        );
        assert_eq!((cfg.batch_size, cfg.commit_offsets), (10, false));
        assert_eq!(cfg.outage_budget_ms, 120_000);
        assert_eq!(cfg.output_mode, OutputMode::Enriched);
    }

    #[test]
    fn messages_name_the_field() {
        let base =
            json!({"brokers": "b:1", "groupId": "g", "inputTopics": ["t"], "outputTopic": "o"});
        let with = |k: &str, v: Value| {
            let mut o = base.clone();
            o[k] = v;
            msg(o)
        };
        assert_eq!(msg(json!(3)), "StreamRunConfig must be an object");
        assert_eq!(
            with("brokers", json!(1)),
            "brokers must be a string, a comma-separated list or an array of strings"
        );
        assert_eq!(with("brokers", json!(" , ")), "brokers is required");
        assert_eq!(
            with("groupId", json!("")),
            "groupId is required (a non-empty string)"
        );
        assert_eq!(
            with("outputTopic", json!(" ")),
            "outputTopic must be a non-empty topic name"
        );
        assert_eq!(
            with("consumerConf", json!([])),
            "consumerConf must be an object of librdkafka properties"
        );
        assert_eq!(
            with("producerConf", json!({"a": [1]})),
            "producerConf['a'] must be a string, number or boolean"
        );
        assert_eq!(
            with("batchSize", json!(0)),
            "batchSize must be an integer from 1 to 1000000"
        );
        assert_eq!(
            with("workers", json!(1.5)),
            "workers must be an integer from 1 to 256"
        );
        assert_eq!(
            with("maxMessages", json!("9")),
            "maxMessages must be an integer from 0 to 9007199254740991"
        );
        assert_eq!(
            with("pollTimeoutMs", json!(5e9)),
            "pollTimeoutMs must be an integer from 1 to 4294967295"
        );
        assert_eq!(
            with("outageBudgetMs", json!(-1)),
            "outageBudgetMs must be an integer from 0 to 86400000"
        );
        assert!(with("outputMode", json!("xml"))
            .starts_with("outputMode must be 'rows', 'enriched', 'grouped' or 'none'"));
        assert!(with("outputMode", json!(1))
            .starts_with("outputMode must be 'rows', 'enriched', 'grouped' or 'none'"));
        assert_eq!(
            with("groupInstanceId", json!(" ")),
            "groupInstanceId must be a non-empty string"
        );
        assert_eq!(
            with("commitOffsets", json!("yes")),
            "commitOffsets must be a boolean"
        );
        assert_eq!(
            with("outputTopic", Value::Null),
            "outputTopic is required unless outputMode is 'none'"
        );
        assert_eq!(
            with("consumerConf", json!({"enable.auto.commit": true})),
            "consumerConf['enable.auto.commit'] cannot be true: runStream commits after delivery"
        );
        assert_eq!(msg(base), "ok");
    }
}
