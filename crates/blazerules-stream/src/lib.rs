//! The native Kafka loop behind `runStream` (node-api.md, IO): consume → evaluate → produce →
//! commit, at-least-once, on threads of its own.
//!
//! Pipelined, on the thread that calls [`run`]: batch N+1 is polled, evaluated and produced
//! while the delivery reports of batch N are awaited (at most `inflight::MAX_IN_FLIGHT`
//! batches produced and not yet acknowledged).
//!
//! 1. poll up to `batch_size` messages (the first wait is `poll_timeout_ms`, in short slices
//!    so a stop request is seen quickly, or a few ms while a batch is in flight; later reads
//!    take what is already fetched);
//! 2. read the rule set from the [`RuleCell`] once (a hot swap takes effect at the next batch;
//!    every output names the version that decided it);
//! 3. group the messages by partition; with `workers > 1` the partitions are spread over that
//!    many scoped threads by a hash of (topic, partition), each evaluating its messages in
//!    offset order with `RuleSet::evaluate_messages`;
//! 4. produce the outputs (and the DLQ records) partition after partition in offset order,
//!    each tagged with the batch's id, and queue the batch (`inflight`);
//! 5. a batch retires once all its records were acknowledged and every earlier batch retired;
//!    retired offsets are committed synchronously, so commits are strictly in batch order.
//!
//! A delivery failure stops the loop: the failed batch never retires, so nothing at or past
//! it is committed. When a rebalance revokes partitions, the rebalance callback waits for the
//! batches in flight (up to `flush_timeout_ms`) and commits what was delivered before the
//! partitions go; messages polled for the current batch from a revoked partition are dropped
//! from it (the partition's next owner reads them again), and offsets of a batch that was not
//! acknowledged by then are not committed for the partitions given up.

mod config;
pub mod format;
mod inflight;

pub use config::{OutputMode, StreamConfig};

use std::collections::{BTreeMap, HashMap};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, RwLock};
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use blazerules_core::{BatchResult, EvalOptions, RuleSet};
use rdkafka::config::ClientConfig;
use rdkafka::consumer::{BaseConsumer, CommitMode, Consumer, ConsumerContext, Rebalance};
use rdkafka::error::{KafkaError, RDKafkaErrorCode};
use rdkafka::message::{Header, Message, OwnedHeaders, OwnedMessage};
use rdkafka::producer::{BaseProducer, BaseRecord, DeliveryResult, Producer, ProducerContext};
use rdkafka::{ClientContext, Offset, TopicPartitionList};

/// Why the loop failed. `code` is one of the `KafkaIOError` codes of `blazerules/io`
/// (`INVALID_CONFIG`, `BROKER_UNREACHABLE`, `DELIVERY_FAILED`, `COMMIT_FAILED`,
/// `CONSUME_FAILED`, `NO_RULES`, `EVAL_FAILED`, `INTERNAL_ERROR`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamError {
    pub code: &'static str,
    pub message: String,
}

impl StreamError {
    pub fn new(code: &'static str, message: impl Into<String>) -> StreamError {
        StreamError {
            code,
            message: message.into(),
        }
    }
    pub fn config(message: String) -> StreamError {
        StreamError::new("INVALID_CONFIG", message)
    }
}

impl std::fmt::Display for StreamError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

impl std::error::Error for StreamError {}

/// Counters of one run (`StreamRunStats`).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StreamStats {
    /// Batches processed (polls that returned at least one message).
    pub batches: u64,
    /// Messages consumed with a non-empty value.
    pub messages: u64,
    /// Records for which at least one rule matched.
    pub matched: u64,
    /// Records produced to the output topic and acknowledged.
    pub emitted: u64,
    /// Records that could not be evaluated and were not sent to a DLQ.
    pub skipped: u64,
    /// Records sent to the DLQ topic and acknowledged.
    pub dlq_routed: u64,
    /// Delivery reports that said a record was not delivered.
    pub delivery_errors: u64,
    /// Evaluation time, summed over batches (wall time of the evaluation step).
    pub eval_ms: f64,
    pub elapsed_ms: f64,
}

/// The rule set a running loop reads at each batch; `RuleEngine` updates it on every
/// successful load, which is how a hot swap reaches the loop.
#[derive(Clone, Default)]
pub struct RuleCell(Arc<RwLock<Option<RuleSet>>>);

impl RuleCell {
    pub fn new() -> RuleCell {
        RuleCell::default()
    }
    pub fn set(&self, rules: RuleSet) {
        match self.0.write() {
            Ok(mut g) => *g = Some(rules),
            Err(poisoned) => *poisoned.into_inner() = Some(rules),
        }
    }
    pub fn get(&self) -> Option<RuleSet> {
        match self.0.read() {
            Ok(g) => g.clone(),
            Err(poisoned) => poisoned.into_inner().clone(),
        }
    }
}

/// Shared between the loop and librdkafka's callbacks (which run on the loop's thread,
/// inside `poll`).
#[derive(Default)]
struct Shared {
    /// Incremented before each consumer poll; messages remember the value they were polled at.
    poll_seq: AtomicU64,
    /// (topic, partition) → `poll_seq` at which it was last revoked.
    revoked: Mutex<HashMap<(String, i32), u64>>,
    /// Delivered but not yet committed offsets (next offset to read), by (topic, partition).
    uncommitted: Mutex<BTreeMap<(String, i32), i64>>,
    commit_offsets: bool,
    /// Positive delivery reports, by batch id.
    acks: Mutex<HashMap<usize, u64>>,
    failed: AtomicU64,
    /// Produced batches not yet committed, oldest first.
    inflight: Mutex<inflight::Queue>,
    /// Records of retired batches: output / DLQ records acknowledged.
    emitted: AtomicU64,
    dlq_routed: AtomicU64,
    /// The producer, for the rebalance callback (which waits for the batches in flight).
    /// Set while the loop runs and cleared at its end (it holds an `Arc` of this).
    producer: Mutex<Option<Arc<BaseProducer<ProducerCtx>>>>,
    flush_timeout_ms: u64,
    first_delivery_error: Mutex<Option<String>>,
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct ConsumerCtx(Arc<Shared>);

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
                let mut pending = lock(&self.0.uncommitted);
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
            let seq = self.0.poll_seq.load(Ordering::SeqCst);
            let mut revoked = lock(&self.0.revoked);
            for e in tpl.elements() {
                revoked.insert((e.topic().to_string(), e.partition()), seq);
            }
        }
    }
}

struct ProducerCtx(Arc<Shared>);

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

/// One consumed message.
struct In {
    msg: OwnedMessage,
    seq: u64,
}

/// One record to produce.
struct Out {
    topic_is_dlq: bool,
    key: Option<Vec<u8>>,
    value: Vec<u8>,
    headers: Option<OwnedHeaders>,
}

/// What evaluating one worker's share of a batch gave.
struct Evaluated {
    outs: Vec<Out>,
    matched: u64,
    skipped: u64,
    dlq: u64,
    records: u64,
    /// Per label code: records with that decision (grouped mode).
    label_counts: Vec<u64>,
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

fn kafka_error(code: &'static str, what: &str, e: &KafkaError) -> StreamError {
    StreamError::new(code, format!("{what}: {e}"))
}

/// Runs the loop until `stop` is set, a limit is reached or the input stays idle; then
/// flushes, commits and returns the counters. `on_stats` is called about every
/// `stats_interval_ms` with the live counters (on the loop's thread).
pub fn run(
    cfg: &StreamConfig,
    rules: &RuleCell,
    stop: &AtomicBool,
    on_stats: &mut dyn FnMut(&StreamStats),
) -> Result<StreamStats, StreamError> {
    cfg.validate()?;
    if rules.get().is_none() {
        return Err(StreamError::new(
            "NO_RULES",
            "no rules loaded: call loadRules() before runStream()",
        ));
    }
    let shared = Arc::new(Shared {
        commit_offsets: cfg.commit_offsets,
        flush_timeout_ms: cfg.flush_timeout_ms,
        ..Shared::default()
    });

    // Consumer: manual commits and offset storage, `earliest` unless the user says otherwise.
    let mut cconf: Vec<(String, String)> = vec![
        ("auto.offset.reset".into(), "earliest".into()),
        ("enable.partition.eof".into(), "false".into()),
    ];
    cconf.extend(cfg.consumer_conf.iter().cloned());
    cconf.push(("group.id".into(), cfg.group_id.clone()));
    cconf.push(("enable.auto.commit".into(), "false".into()));
    cconf.push(("enable.auto.offset.store".into(), "false".into()));
    let consumer: BaseConsumer<ConsumerCtx> = client_config(&cfg.brokers, &cconf)
        .create_with_context(ConsumerCtx(shared.clone()))
        .map_err(|e| kafka_error("INVALID_CONFIG", "consumerConf", &e))?;
    let needs_producer = cfg.dlq_topic.is_some()
        || (cfg.output_mode != OutputMode::None && cfg.output_topic.is_some());
    let producer: Option<Arc<BaseProducer<ProducerCtx>>> = if needs_producer {
        Some(Arc::new(
            client_config(&cfg.brokers, &cfg.producer_conf)
                .create_with_context(ProducerCtx(shared.clone()))
                .map_err(|e| kafka_error("INVALID_CONFIG", "producerConf", &e))?,
        ))
    } else {
        None
    };
    *lock(&shared.producer) = producer.clone();
    let result = run_loop(
        cfg,
        rules,
        stop,
        on_stats,
        &shared,
        &consumer,
        producer.as_deref(),
    );
    // Break the cycle shared → producer → its context → shared.
    lock(&shared.producer).take();
    result
}

/// Connects, subscribes and runs the pipelined loop (`run`).
fn run_loop(
    cfg: &StreamConfig,
    rules: &RuleCell,
    stop: &AtomicBool,
    on_stats: &mut dyn FnMut(&StreamStats),
    shared: &Arc<Shared>,
    consumer: &BaseConsumer<ConsumerCtx>,
    producer: Option<&BaseProducer<ProducerCtx>>,
) -> Result<StreamStats, StreamError> {
    let started = Instant::now();

    // Reach the cluster first, so an unreachable broker fails in bounded time.
    if let Err(e) = consumer
        .client()
        .fetch_metadata(None, Duration::from_millis(cfg.connect_timeout_ms))
    {
        return Err(StreamError::new(
            "BROKER_UNREACHABLE",
            format!(
                "cannot reach the Kafka cluster at {} within {} ms (connectTimeoutMs): {e}",
                cfg.brokers, cfg.connect_timeout_ms
            ),
        ));
    }
    let topics: Vec<&str> = cfg.input_topics.iter().map(String::as_str).collect();
    consumer
        .subscribe(&topics)
        .map_err(|e| kafka_error("CONSUME_FAILED", "subscribe", &e))?;

    let mut stats = StreamStats::default();
    let mut last_stats = Instant::now();
    let mut last_message = Instant::now();
    let mut next_id = 0usize;
    let sync = |stats: &mut StreamStats| {
        stats.emitted = shared.emitted.load(Ordering::SeqCst);
        stats.dlq_routed = shared.dlq_routed.load(Ordering::SeqCst);
        stats.delivery_errors = shared.failed.load(Ordering::SeqCst);
    };
    let result = loop {
        if stop.load(Ordering::SeqCst) {
            break Ok(());
        }
        if cfg.max_batches > 0 && stats.batches >= cfg.max_batches {
            break Ok(());
        }
        if cfg.max_messages > 0 && stats.messages >= cfg.max_messages {
            break Ok(());
        }
        if cfg.idle_timeout_ms > 0
            && last_message.elapsed() >= Duration::from_millis(cfg.idle_timeout_ms)
        {
            break Ok(());
        }
        // Wait for the oldest batch while the queue is full, then commit what retired.
        if let Err(e) = inflight::drain_to(
            shared,
            producer,
            inflight::MAX_IN_FLIGHT - 1,
            cfg.flush_timeout_ms,
        )
        .and_then(|()| inflight::commit(consumer, shared))
        {
            break Err(e);
        }
        if last_stats.elapsed() >= Duration::from_millis(cfg.stats_interval_ms) {
            sync(&mut stats);
            stats.elapsed_ms = ms(started.elapsed());
            on_stats(&stats);
            last_stats = Instant::now();
        }
        let want = if cfg.max_messages > 0 {
            cfg.max_messages
                .saturating_sub(stats.messages)
                .min(cfg.batch_size as u64) as usize
        } else {
            cfg.batch_size
        };
        // With a batch in flight, poll briefly, to come back for its reports and commit.
        let first_wait = if lock(&shared.inflight).is_empty() {
            Duration::from_millis(cfg.poll_timeout_ms)
        } else {
            Duration::from_millis(cfg.poll_timeout_ms.min(5))
        };
        let batch = match poll_batch(consumer, shared, first_wait, want, stop) {
            Ok(b) => b,
            Err(e) => break Err(e),
        };
        if batch.is_empty() {
            continue;
        }
        last_message = Instant::now();
        next_id += 1;
        if let Err(e) = process_batch(cfg, rules, producer, shared, batch, &mut stats, next_id) {
            break Err(e);
        }
    };
    // Drain: wait for the batches in flight and commit them (after a failure, only the
    // acknowledged batches before it).
    let result = match result {
        Ok(()) => inflight::drain_to(shared, producer, 0, cfg.flush_timeout_ms)
            .and_then(|()| inflight::commit(consumer, shared)),
        Err(e) => {
            inflight::retire(shared);
            let _ = inflight::commit(consumer, shared);
            // What did not retire is never committed (nor awaited when the consumer closes).
            lock(&shared.inflight).clear();
            Err(e)
        }
    };
    if let Some(p) = producer {
        let _ = p.flush(Duration::from_millis(cfg.flush_timeout_ms));
    }
    sync(&mut stats);
    stats.elapsed_ms = ms(started.elapsed());
    result.map(|()| {
        on_stats(&stats);
        stats
    })
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// Whether a consumer error is one librdkafka recovers from by itself.
fn transient(e: &KafkaError) -> bool {
    match e {
        KafkaError::MessageConsumptionFatal(_) => false,
        KafkaError::MessageConsumption(code) | KafkaError::Global(code) => !matches!(
            code,
            RDKafkaErrorCode::Fatal
                | RDKafkaErrorCode::TopicAuthorizationFailed
                | RDKafkaErrorCode::GroupAuthorizationFailed
                | RDKafkaErrorCode::InvalidGroupId
        ),
        _ => true,
    }
}

/// Polls up to `want` messages: waits up to `poll_timeout_ms` for the first, then takes what
/// is already fetched. Messages with an empty value are kept (their offsets are committed)
/// but not evaluated.
fn poll_batch(
    consumer: &BaseConsumer<ConsumerCtx>,
    shared: &Shared,
    first_wait: Duration,
    want: usize,
    stop: &AtomicBool,
) -> Result<Vec<In>, StreamError> {
    let mut out: Vec<In> = Vec::new();
    let deadline = Instant::now() + first_wait;
    while out.len() < want {
        let wait = if out.is_empty() {
            let now = Instant::now();
            if now >= deadline || stop.load(Ordering::SeqCst) {
                break;
            }
            (deadline - now).min(Duration::from_millis(100))
        } else {
            Duration::ZERO
        };
        let seq = shared.poll_seq.fetch_add(1, Ordering::SeqCst) + 1;
        match consumer.poll(wait) {
            None => {
                if !out.is_empty() {
                    break;
                }
            }
            Some(Ok(m)) => out.push(In {
                msg: m.detach(),
                seq,
            }),
            Some(Err(e)) => {
                if !transient(&e) {
                    return Err(kafka_error("CONSUME_FAILED", "kafka consume", &e));
                }
                if !out.is_empty() {
                    break;
                }
            }
        }
    }
    // Drop what was polled from a partition in an earlier poll call than the one that revoked
    // it: its next owner (maybe this consumer again, from the committed offset: librdkafka
    // restarts a reassigned partition there) reads it again. Messages returned by the poll
    // call that served the rebalance, or later, were fetched under the new assignment.
    let revoked = lock(&shared.revoked);
    if !revoked.is_empty() {
        out.retain(|m| {
            revoked
                .get(&(m.msg.topic().to_string(), m.msg.partition()))
                .is_none_or(|&at| m.seq >= at)
        });
    }
    Ok(out)
}

/// Evaluates and produces one batch, then queues it (as batch `id`) for its delivery reports
/// and commit.
fn process_batch(
    cfg: &StreamConfig,
    cell: &RuleCell,
    producer: Option<&BaseProducer<ProducerCtx>>,
    shared: &Shared,
    batch: Vec<In>,
    stats: &mut StreamStats,
    id: usize,
) -> Result<(), StreamError> {
    let rules = cell
        .get()
        .ok_or_else(|| StreamError::new("NO_RULES", "no rules loaded: call loadRules() first"))?;
    stats.batches += 1;
    // Next offset per partition, for the commit.
    let mut next: BTreeMap<(String, i32), i64> = BTreeMap::new();
    // Messages grouped by partition, in offset (poll) order.
    let mut groups: BTreeMap<(String, i32), Vec<&OwnedMessage>> = BTreeMap::new();
    for m in &batch {
        let key = (m.msg.topic().to_string(), m.msg.partition());
        let n = next.entry(key.clone()).or_insert(m.msg.offset() + 1);
        *n = (*n).max(m.msg.offset() + 1);
        if m.msg.payload().is_some_and(|p| !p.is_empty()) {
            stats.messages += 1;
            groups.entry(key).or_default().push(&m.msg);
        }
    }
    // Spread partitions over the workers.
    let n_workers = cfg.workers.min(groups.len()).max(1);
    let mut shares: Vec<Vec<&OwnedMessage>> = vec![Vec::new(); n_workers];
    for ((topic, partition), msgs) in groups {
        let w = (hash(&topic, partition) % n_workers as u64) as usize;
        shares[w].extend(msgs);
    }
    let t0 = Instant::now();
    let results: Vec<Result<Evaluated, StreamError>> = if n_workers == 1 {
        shares.iter().map(|s| evaluate(cfg, &rules, s)).collect()
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = shares
                .iter()
                .map(|s| {
                    let rules = &rules;
                    scope.spawn(move || evaluate(cfg, rules, s))
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    h.join().unwrap_or_else(|_| {
                        Err(StreamError::new(
                            "INTERNAL_ERROR",
                            "an evaluator thread panicked",
                        ))
                    })
                })
                .collect()
        })
    };
    stats.eval_ms += ms(t0.elapsed());
    let mut outs: Vec<Out> = Vec::new();
    let mut label_counts = vec![0u64; rules.labels().len()];
    let mut records = 0u64;
    for r in results {
        let r = r?;
        stats.matched += r.matched;
        stats.skipped += r.skipped;
        records += r.records;
        for (i, c) in r.label_counts.iter().enumerate() {
            if let Some(slot) = label_counts.get_mut(i) {
                *slot += c;
            }
        }
        outs.extend(r.outs);
    }
    if cfg.output_mode == OutputMode::Grouped && records > 0 {
        let mut by_label: Vec<(&str, u64)> = rules
            .labels()
            .iter()
            .zip(&label_counts)
            .filter(|(_, &c)| c > 0)
            .map(|(l, &c)| (l.as_str(), c))
            .collect();
        by_label.sort_unstable();
        for (label, count) in by_label {
            outs.push(Out {
                topic_is_dlq: false,
                key: None,
                value: format::grouped_line(label, count, records, rules.version()),
                headers: None,
            });
        }
    }
    let mut sent = inflight::Pending {
        id,
        outs: 0,
        emitted: 0,
        dlq: 0,
        next: Vec::with_capacity(next.len()),
        deadline: Instant::now() + Duration::from_millis(cfg.flush_timeout_ms),
    };
    if let Some(p) = producer {
        produce(cfg, p, outs, &mut sent)?;
    }
    // Where each partition's messages of this batch start (for revocations meanwhile).
    for (key, o) in next {
        let polled_at = batch
            .iter()
            .filter(|m| m.msg.topic() == key.0 && m.msg.partition() == key.1)
            .map(|m| m.seq)
            .min()
            .unwrap_or(0);
        sent.next.push((key, o, polled_at));
    }
    lock(&shared.inflight).push_back(sent);
    Ok(())
}

/// Hands every record to the producer, tagged with the batch's id.
fn produce(
    cfg: &StreamConfig,
    p: &BaseProducer<ProducerCtx>,
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
        loop {
            match p.send(rec) {
                Ok(()) => break,
                Err((KafkaError::MessageProduction(RDKafkaErrorCode::QueueFull), back)) => {
                    if Instant::now() >= sent.deadline {
                        return Err(StreamError::new(
                            "DELIVERY_FAILED",
                            format!("the producer queue stayed full for flushTimeoutMs ({} ms); nothing of this batch was committed", cfg.flush_timeout_ms),
                        ));
                    }
                    p.poll(Duration::from_millis(5));
                    rec = back;
                }
                Err((e, _)) => {
                    return Err(kafka_error(
                        "DELIVERY_FAILED",
                        &format!(
                            "kafka produce to {topic} failed; nothing of this batch was committed"
                        ),
                        &e,
                    ))
                }
            }
        }
        sent.outs += 1;
        if o.topic_is_dlq {
            sent.dlq += 1;
        } else {
            sent.emitted += 1;
        }
    }
    Ok(())
}

fn hash(topic: &str, partition: i32) -> u64 {
    // FNV-1a: stable across runs (unlike the std hasher's random keys).
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in topic.bytes().chain(partition.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    h
}

/// Evaluates one worker's messages (offset order within each partition) into output records.
fn evaluate(
    cfg: &StreamConfig,
    rules: &RuleSet,
    msgs: &[&OwnedMessage],
) -> Result<Evaluated, StreamError> {
    let mut ev = Evaluated {
        outs: Vec::new(),
        matched: 0,
        skipped: 0,
        dlq: 0,
        records: 0,
        label_counts: vec![0; rules.labels().len()],
    };
    if msgs.is_empty() {
        return Ok(ev);
    }
    let payloads: Vec<&[u8]> = msgs.iter().map(|m| m.payload().unwrap_or(&[])).collect();
    let opts = EvalOptions {
        threads: 1,
        max_error_samples: msgs.len(),
        ..EvalOptions::default()
    };
    let result: Result<BatchResult, (ErrorCode, String)> =
        match catch_unwind(AssertUnwindSafe(|| {
            rules.evaluate_messages(&payloads, &opts)
        })) {
            Ok(Ok(r)) => Ok(r),
            Ok(Err(e)) => Err((e.code, e.message)),
            Err(_) => Err((ErrorCode::InternalError, "evaluation panicked".into())),
        };
    let r = match result {
        Ok(r) => r,
        Err((code, message)) => {
            // The whole share could not be evaluated.
            if cfg.dlq_topic.is_none() {
                return Err(StreamError::new(
                    "EVAL_FAILED",
                    format!("kafka batch evaluation failed: {code}: {message}"),
                ));
            }
            for m in msgs {
                ev.outs.push(dlq_out(m, code.as_str(), &message));
                ev.dlq += 1;
            }
            return Ok(ev);
        }
    };
    let version = r.ruleset_version.as_str();
    let labels = rules.labels();
    let rule_ids = rules.rule_ids();
    // Messages that were read as records, and those that were not (by message index).
    let mut bad: HashMap<u64, (&str, &str)> = HashMap::new();
    for s in &r.error_samples {
        bad.insert(s.row_index, (s.code.as_str(), s.message.as_str()));
    }
    let mut k = 0usize;
    for (j, m) in msgs.iter().enumerate() {
        if r.input_rows.get(k).copied() == Some(j as u32) {
            let d = format::decided(&r, k, labels, rule_ids);
            ev.records += 1;
            if d.matched {
                ev.matched += 1;
            }
            if let Some(slot) = r
                .decision_codes
                .get(k)
                .and_then(|&c| usize::try_from(c).ok())
                .and_then(|c| ev.label_counts.get_mut(c))
            {
                *slot += 1;
            }
            match cfg.output_mode {
                OutputMode::Rows => ev.outs.push(Out {
                    topic_is_dlq: false,
                    key: None,
                    value: format::row_line(k, &d, version),
                    headers: None,
                }),
                OutputMode::Enriched => ev.outs.push(Out {
                    topic_is_dlq: false,
                    key: m.key().map(<[u8]>::to_vec),
                    value: format::enriched_line(m.topic(), m.partition(), m.offset(), &d, version),
                    headers: None,
                }),
                OutputMode::Grouped | OutputMode::None => {}
            }
            k += 1;
        } else if let Some(&(code, message)) = bad.get(&(j as u64)) {
            if cfg.dlq_topic.is_some() {
                ev.outs.push(dlq_out(m, code, message));
                ev.dlq += 1;
            } else {
                ev.skipped += 1;
            }
        }
        // Otherwise a blank message: not a record, nothing to do.
    }
    Ok(ev)
}

/// The original bytes, key and headers, plus where it came from and why it failed.
fn dlq_out(m: &OwnedMessage, code: &str, message: &str) -> Out {
    let mut headers = m.headers().cloned().unwrap_or_default();
    let partition = m.partition().to_string();
    let offset = m.offset().to_string();
    for (k, v) in [
        ("blazerules.error.code", code),
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
