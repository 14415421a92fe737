//! Reaching the cluster at start, and the topics the loop produces to.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::error::RDKafkaErrorCode;
use rdkafka::producer::{BaseProducer, Producer};

use crate::clients::{ConsumerCtx, ProducerCtx};
use crate::config::{OutputMode, StreamConfig};
use crate::run::SLICE;
use crate::shared::Shared;
use crate::StreamError;

/// How long a missing output or DLQ topic is asked for (a broker creating topics on use has
/// created it by then).
const TOPIC_CHECK: Duration = Duration::from_secs(3);

/// Reaches the cluster first, so an unreachable broker fails in bounded time; checks the
/// topics produced to; subscribes. A stop request meanwhile ends it (the loop then ends
/// at once, with nothing done).
pub(crate) fn connect(
    cfg: &StreamConfig,
    shared: &Shared,
    consumer: &BaseConsumer<ConsumerCtx>,
    producer: Option<&BaseProducer<ProducerCtx>>,
) -> Result<(), StreamError> {
    let until = Instant::now() + Duration::from_millis(cfg.connect_timeout_ms);
    let client = consumer.client();
    // Asked in slices, so that a stop request is seen while the cluster does not answer.
    while let Err(e) = client.fetch_metadata(
        None,
        until
            .saturating_duration_since(Instant::now())
            .min(SLICE * 5),
    ) {
        if shared.stop.load(Ordering::SeqCst) {
            return Ok(());
        }
        if Instant::now() >= until {
            return Err(StreamError::new(
                ErrorCode::BrokerUnreachable,
                format!(
                    "cannot reach the Kafka cluster at {} within {} ms (connectTimeoutMs): {e}",
                    cfg.brokers, cfg.connect_timeout_ms
                ),
            ));
        }
    }
    if let Some(p) = producer {
        check_topics(cfg, shared, p)?;
    }
    let topics: Vec<&str> = cfg.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|e| StreamError::kafka(ErrorCode::ConsumeFailed, "subscribe", &e))
}

/// Fails (`UNKNOWN_TOPIC`, naming it) when the output or DLQ topic does not exist and
/// the brokers do not create it. The producer's metadata requests ask for the topic as
/// producing would (`allow.auto.create.topics`): a broker that creates topics on use
/// creates it, and the topic shows up in an answer moments later; so it is asked for again
/// for up to `TOPIC_CHECK` (bounded by `connect_timeout_ms`).
fn check_topics(
    cfg: &StreamConfig,
    shared: &Shared,
    p: &BaseProducer<ProducerCtx>,
) -> Result<(), StreamError> {
    let output = cfg
        .output_topic
        .as_deref()
        .filter(|_| cfg.output_mode != OutputMode::None);
    let named = [
        ("outputTopic", output),
        ("dlqTopic", cfg.dlq_topic.as_deref()),
    ];
    let timeout = Duration::from_millis(cfg.connect_timeout_ms);
    let until = Instant::now() + timeout.min(TOPIC_CHECK);
    for (field, topic) in named {
        let Some(topic) = topic else { continue };
        while topic_missing(p, topic, timeout) {
            if shared.stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            if Instant::now() >= until {
                return Err(StreamError::new(
                    ErrorCode::UnknownTopic,
                    format!(
                        "{field} '{topic}' does not exist on {} and the brokers do not create topics on use: create it first",
                        cfg.brokers
                    ),
                ));
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
    Ok(())
}

/// Whether the cluster says `topic` does not exist (other failures, such as a timeout, are
/// left to producing, which reports them).
fn topic_missing(p: &BaseProducer<ProducerCtx>, topic: &str, timeout: Duration) -> bool {
    let Ok(md) = p.client().fetch_metadata(Some(topic), timeout) else {
        return false;
    };
    md.topics().iter().any(|t| {
        t.name() == topic
            && t.error().map(RDKafkaErrorCode::from).is_some_and(|c| {
                matches!(
                    c,
                    RDKafkaErrorCode::UnknownTopicOrPartition | RDKafkaErrorCode::UnknownTopic
                )
            })
    })
}
