//! Handing a batch's output and DLQ records to the producer.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord};

use crate::clients::ProducerCtx;
use crate::config::StreamConfig;
use crate::outage::{self, Cause};
use crate::shared::Shared;
use crate::{inflight, StreamError};

/// One record to produce.
pub(crate) struct Out {
    pub topic_is_dlq: bool,
    pub key: Option<Vec<u8>>,
    pub value: Vec<u8>,
    pub headers: Option<OwnedHeaders>,
}

impl Out {
    /// A record for the output topic.
    pub fn output(key: Option<Vec<u8>>, value: Vec<u8>) -> Out {
        Out {
            topic_is_dlq: false,
            key,
            value,
            headers: None,
        }
    }
}

/// Hands every record to the producer, tagged with the batch's id.
pub(crate) fn produce(
    cfg: &StreamConfig,
    p: &BaseProducer<ProducerCtx>,
    shared: &Shared,
    outs: Vec<Out>,
    sent: &mut inflight::Pending,
) -> Result<(), StreamError> {
    for o in outs {
        let topic = if o.topic_is_dlq {
            cfg.dlq_topic.as_deref()
        } else {
            cfg.output_topic.as_deref()
        };
        let Some(topic) = topic else { continue };
        let mut rec: BaseRecord<'_, [u8], [u8], usize> =
            BaseRecord::with_opaque_to(topic, sent.id).payload(&o.value[..]);
        if let Some(k) = o.key.as_deref() {
            rec = rec.key(k);
        }
        if let Some(h) = o.headers {
            rec = rec.headers(h);
        }
        send(cfg, p, shared, rec, topic, sent.produced)?;
        sent.outs += 1;
        if o.topic_is_dlq {
            sent.dlq += 1;
        } else {
            sent.emitted += 1;
        }
    }
    Ok(())
}

/// Sends one record, waiting while the producer's queue is full: a queue full for
/// `flushTimeoutMs` counts as an outage (the cluster does not take records), which the
/// outage budget bounds; a stop request ends the wait.
fn send<'a>(
    cfg: &StreamConfig,
    p: &BaseProducer<ProducerCtx>,
    shared: &Shared,
    mut rec: BaseRecord<'a, [u8], [u8], usize>,
    topic: &str,
    produced: Instant,
) -> Result<(), StreamError> {
    loop {
        match p.send(rec) {
            Ok(()) => return Ok(()),
            Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                let now = Instant::now();
                if shared.stop.load(Ordering::SeqCst) {
                    return Err(StreamError::new(
                        ErrorCode::DeliveryFailed,
                        "stopped while the producer queue was full; nothing of this batch was committed",
                    ));
                }
                if now >= produced + Duration::from_millis(cfg.flush_timeout_ms) {
                    shared.outage.begin(Cause::NoAcks, now);
                }
                outage::within_budget(cfg, shared)?;
                p.poll(Duration::from_millis(5));
                rec = back;
            }
            Err((e, _)) => {
                return Err(StreamError::kafka(
                    ErrorCode::DeliveryFailed,
                    &format!(
                        "kafka produce to {topic} failed; nothing of this batch was committed"
                    ),
                    &e,
                ))
            }
        }
    }
}

/// The original bytes, key and headers, plus where it came from and why it failed.
pub(crate) fn dlq_out(m: &OwnedMessage, code: ErrorCode, message: &str) -> Out {
    let mut headers = m.headers().cloned().unwrap_or_default();
    let partition = m.partition().to_string();
    let offset = m.offset().to_string();
    for (k, v) in [
        ("blazerules.error.code", code.as_str()),
        ("blazerules.error.message", message),
        ("blazerules.source.topic", m.topic()),
        ("blazerules.source.partition", partition.as_str()),
        ("blazerules.source.offset", offset.as_str()),
    ] {
        headers = headers.insert(Header {
            key: k,
            value: Some(v),
        });
    }
    Out {
        topic_is_dlq: true,
        key: m.key().map(<[u8]>::to_vec),
        value: m.payload().map(<[u8]>::to_vec).unwrap_or_default(),
        headers: Some(headers),
    }
}
