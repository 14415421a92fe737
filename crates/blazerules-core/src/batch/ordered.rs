//! The pieces of a batch with windows on all cores, each piece's window stage in piece order.
//!
//! A piece goes through three jobs: read (its records' values and window inputs, `Kept`),
//! stage (its records applied to the shard in order, `window::stage`), evaluate (the plan
//! over its records with their window values). Reads and evaluations run side by side; the
//! stage takes one piece at a time, in order. A worker takes the next piece's stage when that
//! piece is read and no stage is running, else a piece to evaluate, else the next piece to
//! read, and waits only when none of these is there: the stage, which cannot run in parallel,
//! never idles the other cores.

use crate::batch::block::Mode;
use crate::batch::finish::Merger;
use crate::batch::kept::{evaluate_kept, Kept};
use crate::batch::options::EvalOptions;
use crate::batch::pieces::{new_sink, on_threads, threads};
use crate::batch::sink::{KeptBufs, Scratch, Sink};
use crate::ruleset::Inner;
use crate::window::inputs::Inputs;
use crate::window::stage::Stage;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, MutexGuard};

/// What a piece's read left: its kept records (None: nothing to stage) and its sink.
type ReadPiece<'p> = (Option<Box<Kept<'p>>>, Sink);

enum Job<'p> {
    /// Piece `i`, into a sink the batch has used before (when there is one).
    Read(usize, Option<Sink>),
    /// Piece `i`, its window values written into a vector the batch has used before.
    Stage(usize, ReadPiece<'p>, Vec<f64>),
    Evaluate(usize, Box<Kept<'p>>, Sink, Vec<f64>),
}

/// The batch's jobs: what is read and waiting for its stage, what waits to be evaluated,
/// what is done and waits for the pieces before it to be merged.
struct Board<'p> {
    next_read: usize,
    next_stage: usize,
    staging: bool,
    read: BTreeMap<usize, ReadPiece<'p>>,
    evaluate: Vec<(usize, Box<Kept<'p>>, Sink, Vec<f64>)>,
    done: BTreeMap<usize, Sink>,
    /// The pieces merged so far, in piece order (each as soon as it and those before it are
    /// done: its sink then serves a later piece).
    merger: Merger,
    merged: usize,
    /// A worker panicked: the others stop (the panic goes on to the caller).
    failed: bool,
    /// Workers waiting for a job: a post wakes them only when there are any (a wake is a
    /// system call, and most posts find every worker busy).
    waiting: usize,
    /// Buffers of evaluated pieces (kept blocks', window inputs), for any worker's next read:
    /// left with the thread that evaluated them, a third of the reads found none and
    /// allocated (cold memory, several per cent of the batch). The pool holds no more than
    /// was in flight at once, and is dropped with the batch.
    spare: Vec<KeptBufs>,
    spare_inputs: Vec<Inputs>,
    /// Sinks of merged pieces, emptied, for the next reads: a piece's sink (a few hundred
    /// records) would otherwise be allocated by its read and freed by the merge.
    spare_sinks: Vec<Sink>,
    /// Window values of evaluated pieces, for the next stages.
    spare_values: Vec<Vec<f64>>,
}

/// At most this many buffers of each kind wait in the batch's pool, per thread (more than
/// are in flight at once: pieces read ahead, staged, evaluated).
const POOL_PER_THREAD: usize = 16;

impl Board<'_> {
    /// Gives `scratch` pooled buffers for a piece's read (a piece is a block or two).
    fn lend(&mut self, scratch: &mut Scratch) {
        while scratch.kept_spare.len() < 2 {
            let Some(bufs) = self.spare.pop() else { break };
            scratch.kept_spare.push(bufs);
        }
        if scratch.inputs_spare.is_empty() {
            scratch.inputs_spare.extend(self.spare_inputs.pop());
        }
    }

    /// Takes back what `scratch` freed evaluating a piece, up to `max` of each kind.
    fn pool(&mut self, scratch: &mut Scratch, max: usize) {
        self.spare.append(&mut scratch.kept_spare);
        self.spare.truncate(max);
        self.spare_inputs.append(&mut scratch.inputs_spare);
        self.spare_inputs.truncate(max);
    }

    /// Keeps a piece's window values' vector for a later stage, up to `max` of them.
    fn keep_values(&mut self, values: Vec<f64>, max: usize) {
        if self.spare_values.len() < max {
            self.spare_values.push(values);
        }
    }

    /// Piece `i` is done: merges it and every done piece after it that nothing before waits
    /// for, keeping up to `max` of their emptied sinks for later reads.
    fn piece_done(&mut self, i: usize, sink: Sink, max: usize) {
        self.done.insert(i, sink);
        while let Some(mut sink) = self.done.remove(&self.merged) {
            self.merger.push(&mut sink);
            self.merged += 1;
            if self.spare_sinks.len() < max {
                self.spare_sinks.push(sink);
            }
        }
    }
}

struct Shared<'p> {
    board: Mutex<Board<'p>>,
    changed: Condvar,
    n_pieces: usize,
    /// At most this many pieces read ahead of the stage (bounds the memory read ahead).
    max_ahead: usize,
}

impl<'p> Shared<'p> {
    fn lock(&self) -> MutexGuard<'_, Board<'p>> {
        // Every update of the board is a few moves: a poisoned lock is still consistent.
        self.board.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// The next job for a worker, waiting until there is one; None when the batch is done.
    fn next_job(&self, scratch: &mut Scratch) -> Option<Job<'p>> {
        let mut b = self.lock();
        loop {
            if b.failed || b.merged == self.n_pieces {
                return None;
            }
            if !b.staging {
                let at = b.next_stage;
                if let Some(read) = b.read.remove(&at) {
                    b.staging = true;
                    let values = b.spare_values.pop().unwrap_or_default();
                    return Some(Job::Stage(at, read, values));
                }
            }
            if let Some((i, kept, sink, values)) = b.evaluate.pop() {
                return Some(Job::Evaluate(i, kept, sink, values));
            }
            if b.next_read < self.n_pieces && b.read.len() < self.max_ahead {
                b.next_read += 1;
                b.lend(scratch);
                let sink = b.spare_sinks.pop();
                return Some(Job::Read(b.next_read - 1, sink));
            }
            b.waiting += 1;
            b = self.changed.wait(b).unwrap_or_else(|p| p.into_inner());
            b.waiting -= 1;
        }
    }

    fn post(&self, f: impl FnOnce(&mut Board<'p>)) {
        let mut b = self.lock();
        f(&mut b);
        // A worker counted here is waiting, or about to: it holds the lock until it waits.
        if b.waiting > 0 {
            drop(b);
            self.changed.notify_all();
        }
    }
}

/// Stops the other workers if this one unwinds.
struct Unwinding<'a, 'p>(&'a Shared<'p>);

impl Drop for Unwinding<'_, '_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.post(|b| b.failed = true);
        }
    }
}

/// What every job of one batch needs.
struct Batch<'a, 's, R> {
    rs: &'a Inner,
    opts: &'a EvalOptions,
    stage: &'a Stage<'s>,
    mode: Mode,
    read: R,
}

/// Runs every piece through `read(i, scratch, sink)`, the stage (in piece order) and, in
/// `Keep` mode, evaluation; returns `merger` with every piece merged into it.
pub(crate) fn run_ordered<'p, R>(
    rs: &Inner,
    opts: &EvalOptions,
    n_pieces: usize,
    stage: &Stage<'_>,
    mode: Mode,
    merger: Merger,
    read: R,
) -> Merger
where
    R: Fn(usize, &mut Scratch, &mut Sink) -> Option<Box<Kept<'p>>> + Sync,
{
    let shared = Shared {
        board: Mutex::new(Board {
            next_read: 0,
            next_stage: 0,
            staging: false,
            read: BTreeMap::new(),
            evaluate: Vec::new(),
            done: BTreeMap::new(),
            merger,
            merged: 0,
            failed: false,
            waiting: 0,
            spare: Vec::new(),
            spare_inputs: Vec::new(),
            spare_sinks: Vec::new(),
            spare_values: Vec::new(),
        }),
        changed: Condvar::new(),
        n_pieces,
        max_ahead: 4 * threads(opts),
    };
    let batch = Batch {
        rs,
        opts,
        stage,
        mode,
        read,
    };
    on_threads(opts, n_pieces, |scratch| {
        let _stop_others = Unwinding(&shared);
        while let Some(job) = shared.next_job(scratch) {
            batch.run(&shared, scratch, job);
        }
        Vec::<()>::new()
    });
    let board = shared.board.into_inner().unwrap_or_else(|p| p.into_inner());
    board.merger
}

impl<'p, R> Batch<'_, '_, R>
where
    R: Fn(usize, &mut Scratch, &mut Sink) -> Option<Box<Kept<'p>>>,
{
    fn run(&self, shared: &Shared<'p>, scratch: &mut Scratch, job: Job<'p>) {
        match job {
            Job::Read(i, sink) => {
                let mut sink = sink.unwrap_or_else(|| new_sink(self.rs, self.opts));
                let kept = (self.read)(i, scratch, &mut sink);
                shared.post(|b| {
                    b.read.insert(i, (kept, sink));
                });
            }
            Job::Stage(i, (kept, mut sink), mut values) => {
                if let Some(k) = &kept {
                    self.stage.apply(k.inputs(), &mut values);
                    sink.windowed += k.inputs().len() as u64;
                }
                let evaluate = self.mode == Mode::Keep;
                let max = POOL_PER_THREAD * threads(self.opts);
                shared.post(|b| {
                    b.staging = false;
                    b.next_stage += 1;
                    match kept.filter(|_| evaluate) {
                        Some(k) => b.evaluate.push((i, k, sink, values)),
                        None => {
                            b.piece_done(i, sink, max);
                            b.keep_values(values, max);
                        }
                    }
                });
            }
            Job::Evaluate(i, kept, mut sink, values) => {
                evaluate_kept(self.rs, *kept, &values, scratch, &mut sink);
                let max = POOL_PER_THREAD * threads(self.opts);
                shared.post(|b| {
                    b.piece_done(i, sink, max);
                    b.keep_values(values, max);
                    b.pool(scratch, max);
                });
            }
        }
    }
}
