//! Broker outages: when the cluster stopped serving the loop, for how long, and whether that
//! is still within `outageBudgetMs`.
//!
//! An outage begins when librdkafka reports every broker down (`ALL_BROKERS_DOWN`), or when the
//! oldest batch's delivery reports are overdue (the brokers may be up but not acknowledging).
//! It ends at the first evidence that the cluster serves the loop again: a delivery
//! acknowledgement, a confirmed commit, or (when nothing waits for one of those) a broker
//! connection up in librdkafka's statistics. Messages consumed are no evidence: librdkafka may
//! hand out messages it fetched before the outage. An outage that begins again less than
//! `flushTimeoutMs` after one ended continues it (acknowledgements of records the brokers took
//! just before they went are no recovery): it keeps its start, and counts once.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use blazerules_core::error::ErrorCode;

use crate::config::StreamConfig;
use crate::inflight;
use crate::shared::{lock, Shared};
use crate::StreamError;

/// What opened the current outage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Cause {
    /// librdkafka reported every broker connection down.
    BrokersDown,
    /// Delivery reports stayed overdue while the brokers looked up.
    NoAcks,
}

#[derive(Debug, Default)]
struct State {
    /// The open outage: since when, and why.
    open: Option<(Instant, Cause)>,
    /// When the last outage began and ended.
    last: Option<(Instant, Instant)>,
    /// Outages begun so far (the open one included).
    count: u64,
    /// Length of the outages that ended.
    closed: Duration,
}

/// The outage state of one run, shared by the loop and librdkafka's callbacks.
#[derive(Debug, Default)]
pub(crate) struct Outage {
    state: Mutex<State>,
    /// An outage beginning less than this after the last one ended continues it.
    resume_within: Duration,
}

impl Outage {
    pub fn new(resume_within: Duration) -> Outage {
        Outage {
            state: Mutex::default(),
            resume_within,
        }
    }

    /// Opens an outage unless one is open (or continues the last one, if it ended moments
    /// ago); a `BrokersDown` report makes an open `NoAcks` outage more precise.
    pub fn begin(&self, cause: Cause, now: Instant) {
        let mut s = lock(&self.state);
        match &mut s.open {
            Some((_, c)) => {
                if cause == Cause::BrokersDown {
                    *c = cause;
                }
            }
            None => match s.last {
                Some((since, ended))
                    if now.saturating_duration_since(ended) < self.resume_within =>
                {
                    s.closed = s
                        .closed
                        .saturating_sub(ended.saturating_duration_since(since));
                    s.open = Some((since, cause));
                }
                _ => {
                    s.open = Some((now, cause));
                    s.count += 1;
                }
            },
        }
    }

    /// Closes the open outage, if any.
    pub fn end(&self, now: Instant) {
        let mut s = lock(&self.state);
        if let Some((since, _)) = s.open.take() {
            s.closed += now.saturating_duration_since(since);
            s.last = Some((since, now));
        }
    }

    /// How long the open outage has lasted, and why it began.
    pub fn open(&self, now: Instant) -> Option<(Duration, Cause)> {
        lock(&self.state)
            .open
            .map(|(since, c)| (now.saturating_duration_since(since), c))
    }

    /// When the last outage ended (delivery reports are due again from then on).
    pub fn last_end(&self) -> Option<Instant> {
        lock(&self.state).last.map(|(_, ended)| ended)
    }

    /// Outages begun, and their total length up to `now` (the open one included).
    pub fn totals(&self, now: Instant) -> (u64, Duration) {
        let s = lock(&self.state);
        let open = s.open.map_or(Duration::ZERO, |(since, _)| {
            now.saturating_duration_since(since)
        });
        (s.count, s.closed + open)
    }
}

/// `BROKER_OUTAGE` once the open outage has lasted longer than `outageBudgetMs`.
pub(crate) fn within_budget(cfg: &StreamConfig, shared: &Shared) -> Result<(), StreamError> {
    let Some((age, cause)) = shared.outage.open(Instant::now()) else {
        return Ok(());
    };
    if age.as_millis() <= u128::from(cfg.outage_budget_ms) && cfg.outage_budget_ms > 0 {
        return Ok(());
    }
    Err(StreamError::new(
        ErrorCode::BrokerOutage,
        format!("{}; {}", describe(cfg, age, cause), left_behind(shared)),
    ))
}

/// What the outage was: for how long, and how it showed.
pub(crate) fn describe(cfg: &StreamConfig, age: Duration, cause: Cause) -> String {
    let (secs, brokers, budget) = (age.as_secs_f64(), &cfg.brokers, cfg.outage_budget_ms);
    match cause {
        Cause::BrokersDown => format!(
            "the Kafka brokers ({brokers}) have been unreachable for {secs:.1} s (outageBudgetMs: {budget} ms)"
        ),
        Cause::NoAcks => format!(
            "the Kafka brokers ({brokers}) have not acknowledged records for {secs:.1} s past flushTimeoutMs ({} ms) (outageBudgetMs: {budget} ms)",
            cfg.flush_timeout_ms
        ),
    }
}

/// What a run that ends now leaves undone (nothing is lost: it is read again).
pub(crate) fn left_behind(shared: &Shared) -> String {
    let (batches, records) = inflight::unacknowledged(shared);
    let uncommitted = lock(&shared.uncommitted).len();
    let mut undone = Vec::new();
    if batches > 0 {
        undone.push(format!(
            "{batches} batch(es) with {records} record(s) not acknowledged"
        ));
    }
    if uncommitted > 0 {
        undone.push(format!(
            "the commit of {uncommitted} partition(s) delivered not confirmed"
        ));
    }
    let undone = if undone.is_empty() {
        "everything produced was acknowledged".to_string()
    } else {
        undone.join(", ")
    };
    format!("{undone}; no offset after the last delivered and confirmed batch was committed: the records after it are read again at the next start")
}

/// Whether librdkafka's statistics (`statistics.interval.ms`, parsed) show a broker
/// connection up. Only brokers given or learned count (not the internal or the logical
/// coordinator handle).
pub(crate) fn stats_show_broker_up(v: &serde_json::Value) -> bool {
    let Some(brokers) = v.get("brokers").and_then(serde_json::Value::as_object) else {
        return false;
    };
    brokers.values().any(|b| {
        let field = |k: &str| b.get(k).and_then(serde_json::Value::as_str).unwrap_or("");
        matches!(field("source"), "configured" | "learned")
            && matches!(field("state"), "UP" | "UPDATE")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_and_measures_outages() {
        let o = Outage::new(Duration::from_millis(1000));
        let t0 = Instant::now();
        let s = |ms: u64| t0 + Duration::from_millis(ms);
        assert_eq!(o.totals(t0), (0, Duration::ZERO));
        o.begin(Cause::NoAcks, s(100));
        // A second report keeps the start, and makes the cause precise.
        o.begin(Cause::BrokersDown, s(300));
        o.begin(Cause::NoAcks, s(400));
        assert_eq!(
            o.open(s(1100)),
            Some((Duration::from_secs(1), Cause::BrokersDown))
        );
        assert_eq!(o.totals(s(600)), (1, Duration::from_millis(500)));
        o.end(s(2100));
        o.end(s(3000));
        assert_eq!(o.open(s(3000)), None);
        assert_eq!(o.last_end(), Some(s(2100)));
        // Beginning again 0.5 s after the end continues that outage (from 100 ms on).
        o.begin(Cause::NoAcks, s(2600));
        assert_eq!(
            o.open(s(3100)),
            Some((Duration::from_secs(3), Cause::NoAcks))
        );
        assert_eq!(o.totals(s(3100)), (1, Duration::from_secs(3)));
        o.end(s(4000));
        o.begin(Cause::BrokersDown, s(5000));
        assert_eq!(o.totals(s(5500)), (2, Duration::from_millis(4400)));
    }

    #[test]
    fn reads_broker_states_from_statistics() {
        let stats = |state: &str, source: &str| -> serde_json::Value {
            let text = format!(
                r#"{{"name":"c","brokers":{{"127.0.0.1:9/1":{{"source":"{source}","state":"{state}"}},":0/internal":{{"source":"internal","state":"UP"}}}}}}"#
            );
            serde_json::from_str(&text).expect("test statistics are JSON")
        };
        assert!(stats_show_broker_up(&stats("UP", "learned")));
        assert!(stats_show_broker_up(&stats("UPDATE", "configured")));
        assert!(!stats_show_broker_up(&stats("DOWN", "learned")));
        assert!(!stats_show_broker_up(&stats("CONNECT", "configured")));
        assert!(!stats_show_broker_up(&stats("UP", "logical")));
        assert!(!stats_show_broker_up(&serde_json::Value::Null));
        assert!(!stats_show_broker_up(&serde_json::json!({})));
    }
}
