//! Consumer lag per assigned partition, from librdkafka's statistics
//! (`statistics.interval.ms`): `topics.<t>.partitions.<p>.consumer_lag`, the partition's end
//! offset minus the group's committed offset (`-1` while either is unknown: before the first
//! commit of a new group, before the first fetch).

use std::collections::BTreeMap;

use serde_json::Value;

/// The latest known lag of one assigned partition (`StreamRunStats.consumerLag`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PartitionLag {
    pub topic: String,
    pub partition: i32,
    /// Messages between the group's committed offset and the partition's end.
    pub lag: u64,
}

/// The partitions this member has assigned, each with its latest known lag.
#[derive(Debug, Default)]
pub(crate) struct Lags {
    by_partition: BTreeMap<(String, i32), Option<u64>>,
}

impl Lags {
    /// Partitions assigned: their lag is unknown until the next statistics tell it.
    pub fn assign<S: Into<String>>(&mut self, parts: impl IntoIterator<Item = (S, i32)>) {
        for (t, p) in parts {
            self.by_partition.entry((t.into(), p)).or_insert(None);
        }
    }

    /// Partitions revoked: their lag is no longer this member's to report.
    pub fn revoke<S: Into<String>>(&mut self, parts: impl IntoIterator<Item = (S, i32)>) {
        for (t, p) in parts {
            self.by_partition.remove(&(t.into(), p));
        }
    }

    /// Takes the lags of the assigned partitions from parsed statistics; an unknown lag
    /// (`-1`, or missing) keeps the last known one. Partitions not assigned (librdkafka also
    /// lists the other partitions of subscribed topics, and the internal `-1`) are ignored.
    pub fn update(&mut self, stats: &Value) {
        let topics = stats.get("topics");
        for ((topic, partition), lag) in &mut self.by_partition {
            let read = topics
                .and_then(|t| t.get(topic))
                .and_then(|t| t.get("partitions"))
                .and_then(|p| p.get(partition.to_string()))
                .and_then(|p| p.get("consumer_lag"))
                .and_then(Value::as_i64)
                .and_then(|n| u64::try_from(n).ok());
            if read.is_some() {
                *lag = read;
            }
        }
    }

    /// The known lags, by topic and partition.
    pub fn list(&self) -> Vec<PartitionLag> {
        self.by_partition
            .iter()
            .filter_map(|((topic, partition), lag)| {
                lag.map(|lag| PartitionLag {
                    topic: topic.clone(),
                    partition: *partition,
                    lag,
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Trimmed from a librdkafka 2.10 consumer's statistics: topic `in` with partitions 0 and
    /// 1 assigned, 2 not (librdkafka lists it with lag -1), and the internal partition -1.
    const STATS: &str = r#"{
      "name": "blazerules-stream#consumer-1", "type": "consumer", "ts": 123,
      "brokers": {"127.0.0.1:9092/1": {"source": "learned", "state": "UP"}},
      "topics": {
        "in": {"topic": "in", "age": 1000, "metadata_age": 900, "partitions": {
          "0": {"partition": 0, "broker": 1, "leader": 1, "desired": true, "fetch_state": "active",
                "committed_offset": 40, "hi_offset": 100, "ls_offset": 100, "consumer_lag": 60,
                "consumer_lag_stored": -1},
          "1": {"partition": 1, "broker": 1, "leader": 1, "desired": true, "fetch_state": "active",
                "committed_offset": -1001, "hi_offset": 7, "consumer_lag": -1},
          "2": {"partition": 2, "broker": 1, "leader": 1, "desired": false, "fetch_state": "none",
                "committed_offset": -1001, "hi_offset": -1001, "consumer_lag": -1},
          "-1": {"partition": -1, "broker": -1, "leader": -1, "desired": false,
                 "fetch_state": "none", "consumer_lag": -1}
        }},
        "other": {"topic": "other", "partitions": {"0": {"partition": 0, "consumer_lag": 5}}}
      }
    }"#;

    fn lag(topic: &str, partition: i32, lag: u64) -> PartitionLag {
        PartitionLag {
            topic: topic.into(),
            partition,
            lag,
        }
    }

    #[test]
    fn reads_the_lag_of_assigned_partitions_from_statistics() {
        let stats: Value = serde_json::from_str(STATS).expect("test statistics are JSON");
        let mut lags = Lags::default();
        lags.assign([("in", 0), ("in", 1)]);
        lags.update(&stats);
        // Partition 1's lag is unknown (-1): not reported; 2, -1 and `other` are not assigned.
        assert_eq!(lags.list(), vec![lag("in", 0, 60)]);

        // A later -1 keeps the last known lag; a known one replaces it.
        let later = STATS
            .replace(r#""consumer_lag": 60"#, r#""consumer_lag": -1"#)
            .replace(
                r#""hi_offset": 7, "consumer_lag": -1"#,
                r#""consumer_lag": 3"#,
            );
        lags.update(&serde_json::from_str(&later).expect("JSON"));
        assert_eq!(lags.list(), vec![lag("in", 0, 60), lag("in", 1, 3)]);

        lags.revoke([("in", 0)]);
        assert_eq!(lags.list(), vec![lag("in", 1, 3)]);
        lags.update(&Value::Null);
        assert_eq!(lags.list(), vec![lag("in", 1, 3)]);
    }
}
