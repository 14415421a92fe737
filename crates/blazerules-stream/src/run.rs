//! The loop: connect, then poll → process → drain-and-commit until told to stop, then drain.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::producer::{BaseProducer, Producer};

use crate::batch::process_batch;
use crate::cell::RuleCell;
use crate::clients::{self, ConsumerCtx, ProducerCtx};
use crate::config::StreamConfig;
use crate::consume::poll_batch;
use crate::inflight;
use crate::shared::{lock, Shared};
use crate::stats::{ms, StreamStats};
use crate::StreamError;

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
            ErrorCode::NoRules,
            "no rules loaded: call loadRules() before runStream()",
        ));
    }
    let shared = Arc::new(Shared {
        commit_offsets: cfg.commit_offsets,
        flush_timeout_ms: cfg.flush_timeout_ms,
        ..Shared::default()
    });
    let consumer = clients::consumer(cfg, &shared)?;
    let producer = clients::producer(cfg, &shared)?;
    *lock(&shared.producer) = producer.clone();
    let mut lp = Loop {
        cfg,
        rules,
        stop,
        shared: &shared,
        consumer: &consumer,
        producer: producer.as_deref(),
        stats: StreamStats::default(),
        started: Instant::now(),
    };
    let result = lp.run(on_stats);
    // Break the cycle shared → producer → its context → shared.
    lock(&shared.producer).take();
    result
}

/// One run's loop state.
struct Loop<'a> {
    cfg: &'a StreamConfig,
    rules: &'a RuleCell,
    stop: &'a AtomicBool,
    shared: &'a Arc<Shared>,
    consumer: &'a BaseConsumer<ConsumerCtx>,
    producer: Option<&'a BaseProducer<ProducerCtx>>,
    stats: StreamStats,
    started: Instant,
}

impl Loop<'_> {
    /// Connects, subscribes and runs the pipelined loop (see the crate doc).
    fn run(&mut self, on_stats: &mut dyn FnMut(&StreamStats)) -> Result<StreamStats, StreamError> {
        self.connect()?;
        let result = self.cycle(on_stats);
        let result = self.drain(result);
        if let Some(p) = self.producer {
            let _ = p.flush(Duration::from_millis(self.cfg.flush_timeout_ms));
        }
        self.sync();
        result.map(|()| {
            on_stats(&self.stats);
            self.stats
        })
    }

    /// Reaches the cluster first, so an unreachable broker fails in bounded time; subscribes.
    fn connect(&self) -> Result<(), StreamError> {
        let cfg = self.cfg;
        if let Err(e) = self
            .consumer
            .client()
            .fetch_metadata(None, Duration::from_millis(cfg.connect_timeout_ms))
        {
            return Err(StreamError::new(
                ErrorCode::BrokerUnreachable,
                format!(
                    "cannot reach the Kafka cluster at {} within {} ms (connectTimeoutMs): {e}",
                    cfg.brokers, cfg.connect_timeout_ms
                ),
            ));
        }
        let topics: Vec<&str> = cfg.input_topics.iter().map(String::as_str).collect();
        self.consumer
            .subscribe(&topics)
            .map_err(|e| StreamError::kafka(ErrorCode::ConsumeFailed, "subscribe", &e))
    }

    /// Batches until a stop condition or an error.
    fn cycle(&mut self, on_stats: &mut dyn FnMut(&StreamStats)) -> Result<(), StreamError> {
        let mut last_stats = Instant::now();
        let mut last_message = Instant::now();
        let mut next_id = 0usize;
        while !self.done(last_message) {
            // Wait for the oldest batch while the queue is full, then commit what retired.
            inflight::drain_to(
                self.shared,
                self.producer,
                inflight::MAX_IN_FLIGHT - 1,
                self.cfg.flush_timeout_ms,
            )?;
            inflight::commit(self.consumer, self.shared)?;
            if last_stats.elapsed() >= Duration::from_millis(self.cfg.stats_interval_ms) {
                self.sync();
                on_stats(&self.stats);
                last_stats = Instant::now();
            }
            let batch = poll_batch(
                self.consumer,
                self.shared,
                self.first_wait(),
                self.want(),
                self.stop,
            )?;
            if batch.is_empty() {
                continue;
            }
            last_message = Instant::now();
            next_id += 1;
            let (cfg, rules, producer, shared) = (self.cfg, self.rules, self.producer, self.shared);
            process_batch(
                cfg,
                rules,
                producer,
                shared,
                batch,
                &mut self.stats,
                next_id,
            )?;
        }
        Ok(())
    }

    /// Stop requested, a limit reached, or idle for `idle_timeout_ms`.
    fn done(&self, last_message: Instant) -> bool {
        let (cfg, stats) = (self.cfg, &self.stats);
        self.stop.load(Ordering::SeqCst)
            || (cfg.max_batches > 0 && stats.batches >= cfg.max_batches)
            || (cfg.max_messages > 0 && stats.messages >= cfg.max_messages)
            || (cfg.idle_timeout_ms > 0
                && last_message.elapsed() >= Duration::from_millis(cfg.idle_timeout_ms))
    }

    /// How many messages the next poll may take (`batch_size`, bounded by `max_messages`).
    fn want(&self) -> usize {
        let cfg = self.cfg;
        if cfg.max_messages > 0 {
            cfg.max_messages
                .saturating_sub(self.stats.messages)
                .min(cfg.batch_size as u64) as usize
        } else {
            cfg.batch_size
        }
    }

    /// With a batch in flight, poll briefly, to come back for its reports and commit.
    fn first_wait(&self) -> Duration {
        let ms = if lock(&self.shared.inflight).is_empty() {
            self.cfg.poll_timeout_ms
        } else {
            self.cfg.poll_timeout_ms.min(5)
        };
        Duration::from_millis(ms)
    }

    /// Waits for the batches in flight and commits them (after a failure, only the
    /// acknowledged batches before it).
    fn drain(&self, result: Result<(), StreamError>) -> Result<(), StreamError> {
        let shared = self.shared;
        match result {
            Ok(()) => inflight::drain_to(shared, self.producer, 0, self.cfg.flush_timeout_ms)
                .and_then(|()| inflight::commit(self.consumer, shared)),
            Err(e) => {
                inflight::retire(shared);
                let _ = inflight::commit(self.consumer, shared);
                // What did not retire is never committed (nor awaited when the consumer closes).
                lock(&shared.inflight).clear();
                Err(e)
            }
        }
    }

    /// Copies the counters kept by the delivery callbacks into `stats`, and the elapsed time.
    fn sync(&mut self) {
        let (s, shared) = (&mut self.stats, self.shared);
        s.emitted = shared.emitted.load(Ordering::SeqCst);
        s.dlq_routed = shared.dlq_routed.load(Ordering::SeqCst);
        s.delivery_errors = shared.failed.load(Ordering::SeqCst);
        s.elapsed_ms = ms(self.started.elapsed());
    }
}
