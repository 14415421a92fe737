//! A bare librdkafka passthrough, the ceiling for `runStream` in the stream benchmark:
//! consume a batch → produce every value (and key) unchanged to the output topic → wait until
//! the broker acknowledged all of them → commit the batch's offsets. The same at-least-once
//! loop as runStream, with no evaluation.
//!
//!   stream-passthrough --brokers B --input-topic T --output-topic O --group-id G
//!                      [--batch-size 2048] [--poll-timeout-ms 100] [--max-messages N] [--sync-commit]
//!
//! Commits are asynchronous by default (still at-least-once: a batch is committed only after
//! every value was acknowledged; a lost commit repeats it); `--sync-commit` waits for each.
//!
//! Prints one JSON line of stats on exit (after --max-messages, or SIGTERM kills it).
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{DeliveryResult, Message};
use rdkafka::producer::{BaseProducer, BaseRecord, Producer, ProducerContext};
use rdkafka::ClientContext;

static DELIVERY_ERRORS: AtomicU64 = AtomicU64::new(0);

struct Ctx;
impl ClientContext for Ctx {}
impl ProducerContext for Ctx {
    type DeliveryOpaque = ();
    fn delivery(&self, r: &DeliveryResult<'_>, _: ()) {
        if r.is_err() {
            DELIVERY_ERRORS.fetch_add(1, Ordering::Relaxed);
        }
    }
}

fn arg(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let need = |n: &str| arg(&args, n).unwrap_or_else(|| panic!("missing {n}"));
    let brokers = need("--brokers");
    let input = need("--input-topic");
    let output = need("--output-topic");
    let group = need("--group-id");
    let batch_size: usize =
        arg(&args, "--batch-size").map_or(2048, |v| v.parse().expect("--batch-size"));
    let poll_timeout = Duration::from_millis(
        arg(&args, "--poll-timeout-ms").map_or(100, |v| v.parse().expect("--poll-timeout-ms")),
    );
    let max_messages: u64 =
        arg(&args, "--max-messages").map_or(0, |v| v.parse().expect("--max-messages"));
    let commit_mode = if args.iter().any(|a| a == "--sync-commit") {
        CommitMode::Sync
    } else {
        CommitMode::Async
    };

    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .set("group.id", &group)
        .set("enable.auto.commit", "false")
        .set("auto.offset.reset", "earliest")
        .create()
        .expect("consumer");
    consumer.subscribe(&[&input]).expect("subscribe");
    let producer: BaseProducer<Ctx> = ClientConfig::new()
        .set("bootstrap.servers", &brokers)
        .create_with_context(Ctx)
        .expect("producer");

    let t0 = Instant::now();
    let (mut messages, mut batches) = (0u64, 0u64);
    let mut first: Option<Instant> = None;
    while max_messages == 0 || messages < max_messages {
        // One batch: up to batch_size messages, waiting at most poll_timeout for each.
        let mut n = 0usize;
        while n < batch_size && (max_messages == 0 || messages + (n as u64) < max_messages) {
            let Some(res) = consumer.poll(if n == 0 { poll_timeout } else { Duration::ZERO })
            else {
                break;
            };
            let msg = match res {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("stream-passthrough: consume error: {e}");
                    break;
                }
            };
            let mut rec: BaseRecord<'_, [u8], [u8], ()> = BaseRecord::to(&output);
            if let Some(p) = msg.payload() {
                rec = rec.payload(p);
            }
            if let Some(k) = msg.key() {
                rec = rec.key(k);
            }
            loop {
                match producer.send(rec) {
                    Ok(()) => break,
                    Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), r)) => {
                        producer.poll(Duration::from_millis(5));
                        rec = r;
                    }
                    Err((e, _)) => panic!("produce: {e}"),
                }
            }
            n += 1;
        }
        if n == 0 {
            continue;
        }
        first.get_or_insert_with(Instant::now);
        // At-least-once: every value acknowledged before the batch's offsets are committed.
        // (Polled here rather than with flush(): rdkafka's flush waits out a 100 ms slice per
        // call when delivery reports are served through the event queue.)
        let deadline = Instant::now() + Duration::from_secs(30);
        while producer.in_flight_count() > 0 {
            assert!(
                Instant::now() < deadline,
                "deliveries not acknowledged within 30 s"
            );
            producer.poll(Duration::from_millis(1));
        }
        consumer.commit_consumer_state(commit_mode).expect("commit");
        messages += n as u64;
        batches += 1;
    }
    let _ = consumer.commit_consumer_state(CommitMode::Sync);
    let busy = first.map_or(0.0, |f| f.elapsed().as_secs_f64() * 1e3);
    println!(
        "{{\"messages\":{messages},\"batches\":{batches},\"deliveryErrors\":{},\"elapsedMs\":{:.1},\"busyMs\":{busy:.1}}}",
        DELIVERY_ERRORS.load(Ordering::Relaxed),
        t0.elapsed().as_secs_f64() * 1e3
    );
}
