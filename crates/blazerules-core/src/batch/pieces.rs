//! Splitting a batch into pieces and evaluating them on all cores: each worker thread takes
//! the next piece, with its own scratch buffers and sink; the sinks come back in piece order.

use crate::batch::options::{DuplicateKeys, EvalOptions, IngestErrorMode};
use crate::batch::sink::{Scratch, Sink};
use crate::ruleset::Inner;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{SystemTime, UNIX_EPOCH};

/// A thread keeps its scratch buffers between batches unless a record was larger than this.
pub(crate) const SCRATCH_KEEP_MAX: usize = 1 << 20;

thread_local! {
    static SCRATCH: std::cell::Cell<Option<Scratch>> = const { std::cell::Cell::new(None) };
}

/// Below this many bytes a batch is evaluated on the calling thread.
const PARALLEL_MIN_BYTES: usize = 256 * 1024;
/// Pieces are at least this large, so per-piece overhead stays negligible...
const PIECE_MIN_BYTES: usize = 128 * 1024;
/// ...and at most this large, so a worker's padded copy stays cache-warm and its memory bounded.
const PIECE_MAX_BYTES: usize = 1024 * 1024;
/// With windows a piece is read whole before it is evaluated (`batch/kept.rs`): smaller
/// pieces keep what was read in cache until then.
const WINDOWED_PIECE_MAX_BYTES: usize = 64 * 1024;

/// The batch's clock: what `now()` in a rule and a dead letter's `ts_ms` read.
pub(crate) fn now_ms() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

pub(crate) fn threads(opts: &EvalOptions) -> usize {
    // available_parallelism reads cgroup files on Linux: ask once, not per batch.
    static CORES: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    match opts.threads {
        0 => *CORES.get_or_init(|| std::thread::available_parallelism().map_or(1, |n| n.get())),
        n => n,
    }
}

/// Offsets where the pieces of an NDJSON payload start, and its end: boundaries fall just
/// after a newline, so no line is split.
pub(crate) fn line_bounds(payload: &[u8], opts: &EvalOptions, windowed: bool) -> Vec<usize> {
    let n_threads = threads(opts);
    let mut bounds = vec![0usize];
    let target = if n_threads > 1 && payload.len() >= PARALLEL_MIN_BYTES {
        (payload.len() / (n_threads * 8)).clamp(PIECE_MIN_BYTES, PIECE_MAX_BYTES)
    } else {
        PIECE_MAX_BYTES
    };
    let target = if windowed {
        target.min(WINDOWED_PIECE_MAX_BYTES)
    } else {
        target
    };
    let mut at = 0;
    while at + target < payload.len() {
        match memchr::memchr(b'\n', &payload[at + target..]) {
            Some(i) => {
                at = at + target + i + 1;
                bounds.push(at);
            }
            None => break,
        }
    }
    bounds.push(payload.len());
    bounds
}

/// How many messages each piece of a batch of `msgs` holds.
pub(crate) fn messages_per_piece(msgs: &[&[u8]], opts: &EvalOptions, windowed: bool) -> usize {
    let total: usize = msgs.iter().map(|m| m.len()).sum();
    let n_threads = threads(opts);
    let n = if n_threads > 1 && total >= PARALLEL_MIN_BYTES {
        msgs.len().div_ceil(n_threads * 8).max(64)
    } else {
        msgs.len().max(1)
    };
    if !windowed {
        return n;
    }
    // As many messages as make WINDOWED_PIECE_MAX_BYTES, at least 64.
    let per = (WINDOWED_PIECE_MAX_BYTES * msgs.len())
        .div_ceil(total.max(1))
        .max(64);
    n.min(per)
}

pub(crate) fn new_sink(rs: &Inner, opts: &EvalOptions) -> Sink {
    let keep_all = opts.ingest_error_mode == IngestErrorMode::DeadLetter;
    let mut sink = Sink::new(
        rs.rules.len(),
        keep_all,
        opts.max_error_samples,
        opts.max_record_bytes,
    );
    sink.reject_dups = opts.duplicate_keys == DuplicateKeys::Reject;
    sink
}

/// Runs `work(piece_index, scratch, sink)` for every piece on up to `threads` threads and
/// returns the sinks in piece order.
pub(crate) fn run_pieces<W>(rs: &Inner, opts: &EvalOptions, n_pieces: usize, work: W) -> Vec<Sink>
where
    W: Fn(usize, &mut Scratch, &mut Sink) + Sync,
{
    let next = AtomicUsize::new(0);
    let mut all = on_threads(opts, n_pieces, |scratch| {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            if i >= n_pieces {
                break;
            }
            let mut sink = new_sink(rs, opts);
            work(i, scratch, &mut sink);
            done.push((i, sink));
        }
        done
    });
    all.sort_by_key(|(i, _)| *i);
    all.into_iter().map(|(_, s)| s).collect()
}

/// Runs `worker(scratch)` on up to `threads` threads (at most one a piece), each with its
/// thread's scratch (its clock set to this batch's), and returns all they returned.
pub(crate) fn on_threads<T, W>(opts: &EvalOptions, n_pieces: usize, worker: W) -> Vec<T>
where
    T: Send,
    W: Fn(&mut Scratch) -> Vec<T> + Sync,
{
    let now = opts.now_ms.unwrap_or_else(now_ms);
    let n_threads = threads(opts).min(n_pieces).max(1);
    let run = || {
        // Reuse this thread's parser buffers across batches (small batches are mostly setup).
        let mut scratch = SCRATCH
            .with(|c| c.take())
            .unwrap_or_else(|| Scratch::new(now));
        scratch.ctx.now_ms = now;
        let out = worker(&mut scratch);
        // Kept blocks' spare buffers serve this batch only (they hold no memory between).
        scratch.kept_spare = Vec::new();
        scratch.inputs_spare = Vec::new();
        // Keep it only if no huge record inflated its buffers.
        if scratch.largest_record <= SCRATCH_KEEP_MAX {
            SCRATCH.with(|c| c.set(Some(scratch)));
        }
        out
    };
    if n_threads == 1 {
        return run();
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = (0..n_threads).map(|_| s.spawn(run)).collect();
        // A worker cannot panic on input; if one ever did, the panic goes on to the caller
        // (the napi glue turns it into a JS error) rather than losing that worker's pieces.
        handles
            .into_iter()
            .flat_map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect()
    })
}
