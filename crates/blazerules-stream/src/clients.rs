//! The librdkafka clients: their settings and the callbacks librdkafka calls (rebalances on
//! the consumer, delivery reports on the producer).

use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::producer::{BaseProducer, DeliveryResult, ProducerContext};
use rdkafka::{ClientContext, Message, TopicPartitionList};

use crate::commit;
use crate::config::{OutputMode, StreamConfig};
use crate::inflight::{self, Until};
use crate::outage::{stats_show_broker_up, Cause};
use crate::shards;
use crate::shared::{lock, Shared};
use crate::StreamError;

pub(crate) struct ConsumerCtx(pub Arc<Shared>);

impl ClientContext for ConsumerCtx {
    fn error(&self, error: KafkaError, _reason: &str) {
        if error.rdkafka_error_code() == Some(RDKafkaErrorCode::AllBrokersDown) {
            self.0.outage.begin(Cause::BrokersDown, Instant::now());
        }
    }

    fn stats_raw(&self, statistics: &[u8]) {
        // Parsed once, for the lag of the assigned partitions and for the broker states.
        let Ok(stats) = serde_json::from_slice::<serde_json::Value>(statistics) else {
            return;
        };
        lock(&self.0.lags).update(&stats);
        // A connection up ends an outage only when nothing waits for the cluster: otherwise an
        // acknowledgement or a confirmed commit ends it (the proof that it serves us again).
        let waiting = !lock(&self.0.inflight).is_empty() || !lock(&self.0.uncommitted).is_empty();
        if !waiting && stats_show_broker_up(&stats) {
            self.0.outage.end(Instant::now());
        }
    }
}

impl ConsumerContext for ConsumerCtx {
    fn pre_rebalance(&self, _consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            // Wait for the batches in flight (up to flushTimeoutMs, or a stop request) and
            // commit, in order, what was delivered before the partitions go. A failure is left
            // for the loop to report; what did not retire is not committed for revoked
            // partitions.
            let shared = &self.0;
            let producer = lock(&shared.producer).clone();
            let until = Instant::now() + Duration::from_millis(shared.flush_timeout_ms);
            let _ = inflight::wait(shared, producer.as_deref(), 0, Until::StopOr(until));
            if shared.commit_offsets {
                commit::send_now(shared);
                commit::settle(shared, Until::StopOr(until));
                commit::forget(shared, tpl);
            }
            shards::revoked(shared, tpl);
            lock(&shared.lags).revoke(parts(tpl));
            let seq = shared.poll_seq.load(Ordering::SeqCst);
            let mut revoked = lock(&shared.revoked);
            for e in tpl.elements() {
                revoked.insert((e.topic().to_string(), e.partition()), seq);
            }
        }
    }

    fn post_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Assign(tpl) = rebalance {
            lock(&self.0.assigned_at).get_or_insert_with(Instant::now);
            lock(&self.0.lags).assign(parts(tpl));
            shards::assigned(&self.0, consumer, tpl);
        }
    }
}

/// A partition list's (topic, partition) pairs.
fn parts(tpl: &TopicPartitionList) -> Vec<(String, i32)> {
    tpl.elements()
        .iter()
        .map(|e| (e.topic().to_string(), e.partition()))
        .collect()
}

pub(crate) struct ProducerCtx(pub Arc<Shared>);

impl ClientContext for ProducerCtx {
    fn error(&self, error: KafkaError, _reason: &str) {
        // An idle producer's connections may close without any outage; it counts only while
        // records wait for their acknowledgement.
        let code = error.rdkafka_error_code();
        if code == Some(RDKafkaErrorCode::AllBrokersDown) && !lock(&self.0.inflight).is_empty() {
            self.0.outage.begin(Cause::BrokersDown, Instant::now());
        }
    }

    fn stats_raw(&self, _statistics: &[u8]) {
        // The consumer's statistics speak for the cluster; acknowledgements for the producer.
    }
}

impl ProducerContext for ProducerCtx {
    type DeliveryOpaque = usize;
    fn delivery(&self, result: &DeliveryResult<'_>, batch: usize) {
        match result {
            Ok(_) => {
                *lock(&self.0.acks).entry(batch).or_insert(0) += 1;
                self.0.outage.end(Instant::now());
            }
            Err((e, m)) => {
                self.0.failed.fetch_add(1, Ordering::SeqCst);
                let mut first = lock(&self.0.first_delivery_error);
                if first.is_none() {
                    *first = Some(format!("to {} [{}]: {e}", m.topic(), m.partition()));
                }
            }
        }
    }
}

fn client_config(brokers: &str, conf: &[(String, String)]) -> ClientConfig {
    let mut c = ClientConfig::new();
    c.set("bootstrap.servers", brokers);
    c.set("client.id", "blazerules-stream");
    for (k, v) in conf {
        c.set(k, v);
    }
    c.set("bootstrap.servers", brokers);
    c
}

/// The consumer: manual commits and offset storage, `earliest` unless the user says otherwise.
pub(crate) fn consumer(
    cfg: &StreamConfig,
    shared: &Arc<Shared>,
) -> Result<BaseConsumer<ConsumerCtx>, StreamError> {
    let mut conf: Vec<(String, String)> = vec![
        ("auto.offset.reset".into(), "earliest".into()),
        ("enable.partition.eof".into(), "false".into()),
        // Broker states, to see the end of an outage while idle (outage.rs).
        ("statistics.interval.ms".into(), "1000".into()),
        // librdkafka heartbeats from a thread of its own, so a short session never expires
        // under a long batch (max.poll.interval.ms bounds those): a crashed member's
        // partitions move on after 10 s instead of librdkafka's 45.
        ("session.timeout.ms".into(), SESSION_TIMEOUT_MS.to_string()),
    ];
    conf.extend(cfg.consumer_conf.iter().cloned());
    if let Some(id) = &cfg.group_instance_id {
        conf.push(("group.instance.id".into(), id.clone()));
    }
    conf.push(("group.id".into(), cfg.group_id.clone()));
    conf.push(("enable.auto.commit".into(), "false".into()));
    conf.push(("enable.auto.offset.store".into(), "false".into()));
    client_config(&cfg.brokers, &conf)
        .create_with_context(ConsumerCtx(shared.clone()))
        .map_err(|e| StreamError::kafka(ErrorCode::InvalidConfig, "consumerConf", &e))
}

/// The default `session.timeout.ms` of runStream's consumer (librdkafka's: 45 000).
pub(crate) const SESSION_TIMEOUT_MS: u64 = 10_000;

/// The consumer that replays partitions to rebuild window state (`replay`): the user's
/// properties, but assigned, never a group member (no instance id) and never committing.
pub(crate) fn replay_consumer(cfg: &StreamConfig) -> Result<BaseConsumer, StreamError> {
    let mut conf: Vec<(String, String)> = vec![
        ("auto.offset.reset".into(), "earliest".into()),
        // A replay seeks (probe, then the start): a fetch parked at the log's end for the
        // broker's default 500 ms would hold up each seek.
        ("fetch.wait.max.ms".into(), "10".into()),
    ];
    conf.extend(
        cfg.consumer_conf
            .iter()
            .filter(|(k, _)| k != "group.instance.id")
            .cloned(),
    );
    conf.push(("group.id".into(), format!("{}.window-replay", cfg.group_id)));
    conf.push(("enable.auto.commit".into(), "false".into()));
    conf.push(("enable.auto.offset.store".into(), "false".into()));
    conf.push(("enable.partition.eof".into(), "false".into()));
    client_config(&cfg.brokers, &conf)
        .create()
        .map_err(|e| StreamError::kafka(ErrorCode::InvalidConfig, "consumerConf", &e))
}

/// The producer, if anything is ever produced (an output topic or a DLQ).
pub(crate) fn producer(
    cfg: &StreamConfig,
    shared: &Arc<Shared>,
) -> Result<Option<Arc<BaseProducer<ProducerCtx>>>, StreamError> {
    let needed = cfg.dlq_topic.is_some()
        || (cfg.output_mode != OutputMode::None && cfg.output_topic.is_some());
    if !needed {
        return Ok(None);
    }
    let p = client_config(&cfg.brokers, &producer_conf(cfg))
        .create_with_context(ProducerCtx(shared.clone()))
        .map_err(|e| StreamError::kafka(ErrorCode::InvalidConfig, "producerConf", &e))?;
    Ok(Some(Arc::new(p)))
}

/// The producer's properties: idempotent (retries through an outage neither duplicate nor
/// reorder records), and a delivery timeout no shorter than the outage budget, so librdkafka
/// does not fail a record the loop is still willing to wait for. The user's properties win.
fn producer_conf(cfg: &StreamConfig) -> Vec<(String, String)> {
    let timeout = (cfg.outage_budget_ms + cfg.flush_timeout_ms)
        .clamp(DEFAULT_MESSAGE_TIMEOUT_MS, i32::MAX as u64);
    let mut conf: Vec<(String, String)> = vec![("enable.idempotence".into(), "true".into())];
    let given = |k: &str| cfg.producer_conf.iter().any(|(name, _)| name == k);
    if !given("message.timeout.ms") && !given("delivery.timeout.ms") {
        conf.push(("message.timeout.ms".into(), timeout.to_string()));
    }
    conf.extend(cfg.producer_conf.iter().cloned());
    conf
}

/// librdkafka's own default `message.timeout.ms` (5 minutes).
const DEFAULT_MESSAGE_TIMEOUT_MS: u64 = 300_000;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_producer_outlasts_the_outage_budget() {
        let get = |cfg: &StreamConfig, k: &str| {
            producer_conf(cfg)
                .into_iter()
                .rev()
                .find(|(name, _)| name == k)
                .map(|(_, v)| v)
        };
        let d = StreamConfig::default();
        assert_eq!(get(&d, "enable.idempotence").as_deref(), Some("true"));
        assert_eq!(get(&d, "message.timeout.ms").as_deref(), Some("300000"));
        let long = StreamConfig {
            outage_budget_ms: 600_000,
            ..StreamConfig::default()
        };
        assert_eq!(get(&long, "message.timeout.ms").as_deref(), Some("605000"));
        let own = StreamConfig {
            producer_conf: vec![
                ("delivery.timeout.ms".into(), "9000".into()),
                ("enable.idempotence".into(), "false".into()),
            ],
            ..StreamConfig::default()
        };
        assert_eq!(get(&own, "message.timeout.ms"), None);
        assert_eq!(get(&own, "enable.idempotence").as_deref(), Some("false"));
    }
}
