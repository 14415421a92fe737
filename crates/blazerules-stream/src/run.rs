//! The loop: connect, then poll → process → commit until told to stop, then drain, commit and
//! close, each step bounded (see [`finish`](Loop::finish) and [`close`]).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;
use rdkafka::consumer::BaseConsumer;
use rdkafka::producer::{BaseProducer, Producer};

use crate::batch::process_batch;
use crate::cell::RuleCell;
use crate::clients::{self, ConsumerCtx, ProducerCtx};
use crate::commit;
use crate::config::StreamConfig;
use crate::connect::connect;
use crate::consume::poll_batch;
use crate::inflight::{self, Until};
use crate::outage::{self, Outage};
use crate::replay::{Cx, Replayer};
use crate::shared::{lock, Shared};
use crate::stats::{ms, StreamStats};
use crate::StreamError;

/// Longest single wait of the loop, so that a stop request, the stats and the outage budget
/// are seen promptly.
pub(crate) const SLICE: Duration = Duration::from_millis(100);
/// Time the final commit gets after the last delivery report, at least, or after a failure
/// (bounded by `flushTimeoutMs`).
const COMMIT_GRACE: Duration = Duration::from_secs(2);
/// Time the consumer gets to leave the group before it finishes closing in the background.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// Runs the loop until `stop` is set, a limit is reached or the input stays idle; then
/// delivers, commits and returns the counters. `on_stats` is called about every
/// `stats_interval_ms` with the live counters (on the loop's thread). Once `stop` is set the
/// run returns within about `flush_timeout_ms` plus a few seconds, whatever the brokers do.
pub fn run(
    cfg: &StreamConfig,
    rules: &RuleCell,
    stop: &Arc<AtomicBool>,
    on_stats: &mut dyn FnMut(&StreamStats),
) -> Result<StreamStats, StreamError> {
    cfg.validate()?;
    let first = crate::cell::runnable(rules)?;
    let shared = Arc::new(Shared {
        windows: Some(rules.windows()),
        input_topics: cfg.input_topics.clone(),
        windowed: AtomicBool::new(first.has_windows()),
        commit_offsets: cfg.commit_offsets,
        flush_timeout_ms: cfg.flush_timeout_ms,
        stop: stop.clone(),
        outage: Outage::new(Duration::from_millis(cfg.flush_timeout_ms)),
        ..Shared::default()
    });
    let consumer = Arc::new(clients::consumer(cfg, &shared)?);
    let producer = clients::producer(cfg, &shared)?;
    *lock(&shared.producer) = producer.clone();
    if cfg.commit_offsets {
        commit::start(&consumer, &shared)?;
    }
    let mut lp = Loop {
        cfg,
        rules,
        shared: &shared,
        consumer: &consumer,
        producer: producer.as_deref(),
        stats: StreamStats::default(),
        started: Instant::now(),
        last_stats: Instant::now(),
        stop_seen: None,
        replayer: Replayer::default(),
    };
    let result = lp.run(on_stats);
    // Break the cycles shared → producer → its context → shared, and shared → committer
    // thread → consumer → its context → shared (the thread ends with the commit in hand).
    lock(&shared.producer).take();
    lock(&shared.committer).take();
    // With the brokers unreachable, leaving the group cannot complete: do not wait for it.
    let down = shared.outage.open(Instant::now()).is_some();
    close(
        consumer,
        producer,
        if down { Duration::ZERO } else { CLOSE_GRACE },
    );
    result
}

/// One run's loop state.
struct Loop<'a> {
    cfg: &'a StreamConfig,
    rules: &'a RuleCell,
    shared: &'a Arc<Shared>,
    consumer: &'a BaseConsumer<ConsumerCtx>,
    producer: Option<&'a BaseProducer<ProducerCtx>>,
    stats: StreamStats,
    started: Instant,
    last_stats: Instant,
    /// When the loop first saw the stop request.
    stop_seen: Option<Instant>,
    /// Window shards being rebuilt.
    replayer: Replayer,
}

impl Loop<'_> {
    /// Connects, subscribes and runs the pipelined loop (see the crate doc).
    fn run(&mut self, on_stats: &mut dyn FnMut(&StreamStats)) -> Result<StreamStats, StreamError> {
        connect(self.cfg, self.shared, self.consumer, self.producer)?;
        let result = self.cycle(on_stats);
        let result = self.finish(result, on_stats);
        self.sync();
        result.map(|()| {
            on_stats(&self.stats);
            std::mem::take(&mut self.stats)
        })
    }

    /// Batches until a stop condition or an error.
    fn cycle(&mut self, on_stats: &mut dyn FnMut(&StreamStats)) -> Result<(), StreamError> {
        let mut last_message = Instant::now();
        let mut next_id = 0usize;
        while !self.done(last_message) {
            outage::within_budget(self.cfg, self.shared)?;
            self.report(on_stats);
            // Room for the next batch: the oldest batch's reports, awaited a slice at a time.
            let until = Until::StopOr(Instant::now() + SLICE);
            let room = inflight::wait(
                self.shared,
                self.producer,
                inflight::MAX_IN_FLIGHT - 1,
                until,
            )?;
            if !room {
                continue;
            }
            commit::send(self.shared)?;
            self.replay_step()?;
            if self.replayer.active(self.shared) {
                // A replay is progress: not idle.
                last_message = Instant::now();
            }
            let stop = self.shared.stop.as_ref();
            let batch = poll_batch(
                self.consumer,
                self.shared,
                self.first_wait(),
                self.want(),
                stop,
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

    /// A slice of the window shards' rebuilds (`replay`), with the rules of this moment.
    fn replay_step(&mut self) -> Result<(), StreamError> {
        let rules = crate::cell::runnable(self.rules)?;
        let shared = self.shared;
        shared.windowed.store(rules.has_windows(), Ordering::SeqCst);
        let windows = self.rules.windows();
        let mut cx = Cx {
            cfg: self.cfg,
            shared,
            main: self.consumer,
            rules: &rules,
            windows: &windows,
            stats: &mut self.stats,
        };
        self.replayer.step(&mut cx)
    }

    /// Calls `on_stats` when `stats_interval_ms` passed since the last call.
    fn report(&mut self, on_stats: &mut dyn FnMut(&StreamStats)) {
        if self.last_stats.elapsed() >= Duration::from_millis(self.cfg.stats_interval_ms) {
            self.sync();
            on_stats(&self.stats);
            self.last_stats = Instant::now();
        }
    }

    /// Stop requested, a limit reached, or idle for `idle_timeout_ms` (counted from the first
    /// partition assignment: the wait to join the group does not count).
    fn done(&mut self, last_message: Instant) -> bool {
        let cfg = self.cfg;
        let idle = cfg.idle_timeout_ms > 0
            && lock(&self.shared.assigned_at).is_some_and(|assigned| {
                assigned.max(last_message).elapsed() >= Duration::from_millis(cfg.idle_timeout_ms)
            });
        let stopping = self.stopping();
        let stats = &self.stats;
        stopping
            || (cfg.max_batches > 0 && stats.batches >= cfg.max_batches)
            || (cfg.max_messages > 0 && stats.messages >= cfg.max_messages)
            || idle
    }

    /// Whether a stop was requested (and when the loop first saw it).
    fn stopping(&mut self) -> bool {
        if self.shared.stop.load(Ordering::SeqCst) {
            self.stop_seen.get_or_insert_with(Instant::now);
            return true;
        }
        false
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

    /// With a batch in flight or a shard being rebuilt, poll briefly, to come back for the
    /// reports and commit, or the replay.
    fn first_wait(&self) -> Duration {
        let ms = if lock(&self.shared.inflight).is_empty() && !self.replayer.active(self.shared) {
            self.cfg.poll_timeout_ms
        } else {
            self.cfg.poll_timeout_ms.min(5)
        };
        Duration::from_millis(ms)
    }

    /// Ends the run: waits for the batches in flight, commits what was delivered, and says
    /// what was left undone. After a stop request this takes at most `flush_timeout_ms` (plus
    /// `COMMIT_GRACE` for the commit); what was not delivered or not confirmed committed by
    /// then is left to be read again, and the run fails saying so. After a failure nothing
    /// more is awaited, and what retired is committed.
    fn finish(
        &mut self,
        result: Result<(), StreamError>,
        on_stats: &mut dyn FnMut(&StreamStats),
    ) -> Result<(), StreamError> {
        let delivered = result.and_then(|()| self.deliver_rest(on_stats));
        inflight::retire(self.shared);
        let flush = Duration::from_millis(self.cfg.flush_timeout_ms);
        let now = Instant::now();
        let grace = COMMIT_GRACE.min(flush);
        // During an outage the commit cannot be confirmed: it is sent, not waited for.
        let down = self.shared.outage.open(now).is_some();
        let commit_by = match (self.stop_seen, delivered.is_err()) {
            _ if down => self.stop_seen.map_or(now, |t| (t + flush).max(now)),
            (_, true) => now + grace,
            (Some(t), false) => (t + flush).max(now + grace),
            (None, false) => now + flush,
        };
        let committed = commit::finish(self.shared, commit_by);
        let left = outage::left_behind(self.shared);
        // Neither the rebalance callback nor closing waits for what is left: it is read again.
        lock(&self.shared.inflight).clear();
        lock(&self.shared.uncommitted).clear();
        match (delivered, committed) {
            (Err(e), _) | (Ok(_), Err(e)) => Err(e),
            (Ok(true), Ok(true)) => Ok(()),
            (Ok(all_delivered), Ok(_)) => Err(self.stopped_short(all_delivered, &left)),
        }
    }

    /// Waits for the batches in flight: as the loop does (the outage budget applies) until
    /// a stop request, then for at most `flush_timeout_ms` from the request.
    fn deliver_rest(
        &mut self,
        on_stats: &mut dyn FnMut(&StreamStats),
    ) -> Result<bool, StreamError> {
        let (shared, producer) = (self.shared, self.producer);
        while !self.stopping() {
            if inflight::wait(shared, producer, 0, Until::StopOr(Instant::now() + SLICE))? {
                return Ok(true);
            }
            outage::within_budget(self.cfg, shared)?;
            self.report(on_stats);
        }
        let since = self.stop_seen.unwrap_or_else(Instant::now);
        let until = since + Duration::from_millis(self.cfg.flush_timeout_ms);
        inflight::wait(shared, producer, 0, Until::At(until))
    }

    /// The error of a run stopped before everything was delivered and committed.
    fn stopped_short(&self, all_delivered: bool, left: &str) -> StreamError {
        let cfg = self.cfg;
        if let Some((age, cause)) = self.shared.outage.open(Instant::now()) {
            let what = outage::describe(cfg, age, cause);
            return StreamError::new(
                ErrorCode::BrokerOutage,
                format!("stopped during a broker outage: {what}; {left}"),
            );
        }
        let (code, what) = if all_delivered {
            (
                ErrorCode::CommitFailed,
                "the broker did not confirm the commit of the delivered offsets",
            )
        } else {
            (ErrorCode::DeliveryFailed, "records were not acknowledged")
        };
        StreamError::new(
            code,
            format!(
                "stopped, but {what} within flushTimeoutMs ({} ms); {left}",
                cfg.flush_timeout_ms
            ),
        )
    }

    /// Copies the counters kept by the delivery callbacks into `stats`, and the elapsed time.
    fn sync(&mut self) {
        let (s, shared) = (&mut self.stats, self.shared);
        s.emitted = shared.emitted.load(Ordering::SeqCst);
        s.dlq_routed = shared.dlq_routed.load(Ordering::SeqCst);
        s.delivery_errors = shared.failed.load(Ordering::SeqCst);
        let (outages, outage) = shared.outage.totals(Instant::now());
        s.outages = outages;
        s.outage_ms = ms(outage);
        s.outage_open_ms = shared
            .outage
            .open(Instant::now())
            .map_or(0.0, |(age, _)| ms(age));
        s.elapsed_ms = ms(self.started.elapsed());
        s.consumer_lag = lock(&shared.lags).list();
        s.consumer_lag_total = s.consumer_lag.iter().map(|l| l.lag).sum();
    }
}

/// Closes the clients, bounded: the producer drops what it still holds (nothing the run
/// waits for any more); the consumer leaves the group within `grace`, or, when the
/// brokers do not answer (librdkafka then waits up to `session.timeout.ms`), finishes closing
/// on another thread (the committer's, if it still holds it) so the run returns now.
fn close(
    consumer: Arc<BaseConsumer<ConsumerCtx>>,
    producer: Option<Arc<BaseProducer<ProducerCtx>>>,
    grace: Duration,
) {
    if let Some(p) = &producer {
        let _ = p.flush(Duration::ZERO);
    }
    drop(producer);
    if consumer.close_queue().is_ok() {
        let until = Instant::now() + grace;
        while !consumer.closed() && Instant::now() < until {
            let _ = consumer.poll(Duration::from_millis(50));
        }
    }
    if consumer.closed() {
        return;
    }
    // If no thread can be started, the closure (and so the consumer) is dropped here instead.
    let _ = std::thread::Builder::new()
        .name("blazerules-stream-close".into())
        .spawn(move || drop(consumer));
}
