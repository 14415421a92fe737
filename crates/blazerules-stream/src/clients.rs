//! The librdkafka clients: their settings and the callbacks librdkafka calls (rebalances on
//! the consumer, delivery reports on the producer).

use std::sync::atomic::Ordering;
use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::producer::{BaseProducer, DeliveryResult, ProducerContext};
use rdkafka::{ClientContext, Message, Offset, TopicPartitionList};

use crate::config::{OutputMode, StreamConfig};
use crate::inflight;
use crate::shared::{lock, Shared};
use crate::StreamError;

pub(crate) struct ConsumerCtx(pub Arc<Shared>);

impl ClientContext for ConsumerCtx {}

impl ConsumerContext for ConsumerCtx {
    fn pre_rebalance(&self, consumer: &BaseConsumer<Self>, rebalance: &Rebalance<'_>) {
        if let Rebalance::Revoke(tpl) = rebalance {
            // Wait for the batches in flight (bounded by their flushTimeoutMs) and commit, in
            // order, what was delivered before the partitions go. A failure is left for the
            // loop to report; what did not retire is not committed for revoked partitions.
            let producer = lock(&self.0.producer).clone();
            let _ = inflight::drain_to(&self.0, producer.as_deref(), 0, self.0.flush_timeout_ms);
            if self.0.commit_offsets {
                commit_before_revoke(consumer, &self.0, tpl);
            }
            let seq = self.0.poll_seq.load(Ordering::SeqCst);
            let mut revoked = lock(&self.0.revoked);
            for e in tpl.elements() {
                revoked.insert((e.topic().to_string(), e.partition()), seq);
            }
        }
    }
}

/// Commits every delivered offset, then forgets those of the partitions being revoked.
fn commit_before_revoke(
    consumer: &BaseConsumer<ConsumerCtx>,
    shared: &Shared,
    tpl: &TopicPartitionList,
) {
    let mut pending = lock(&shared.uncommitted);
    let mut list = TopicPartitionList::new();
    for ((t, p), &next) in pending.iter() {
        let _ = list.add_partition_offset(t, *p, Offset::Offset(next));
    }
    if list.count() > 0 && consumer.commit(&list, CommitMode::Sync).is_ok() {
        pending.clear();
    }
    for e in tpl.elements() {
        pending.remove(&(e.topic().to_string(), e.partition()));
    }
}

pub(crate) struct ProducerCtx(pub Arc<Shared>);

impl ClientContext for ProducerCtx {}

impl ProducerContext for ProducerCtx {
    type DeliveryOpaque = usize;
    fn delivery(&self, result: &DeliveryResult<'_>, batch: usize) {
        match result {
            Ok(_) => {
                *lock(&self.0.acks).entry(batch).or_insert(0) += 1;
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
    ];
    conf.extend(cfg.consumer_conf.iter().cloned());
    conf.push(("group.id".into(), cfg.group_id.clone()));
    conf.push(("enable.auto.commit".into(), "false".into()));
    conf.push(("enable.auto.offset.store".into(), "false".into()));
    client_config(&cfg.brokers, &conf)
        .create_with_context(ConsumerCtx(shared.clone()))
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
    let p = client_config(&cfg.brokers, &cfg.producer_conf)
        .create_with_context(ProducerCtx(shared.clone()))
        .map_err(|e| StreamError::kafka(ErrorCode::InvalidConfig, "producerConf", &e))?;
    Ok(Some(Arc::new(p)))
}
