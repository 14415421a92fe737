//! One record read as a batch of one message reads it (the same reader, limits and
//! refusals), with its window values as its shard holds them now, read but never updated:
//! what `engine.explain` looks at.

use crate::batch::block::{Block, Mode};
use crate::batch::kept::first_record;
use crate::batch::options::EvalOptions;
use crate::batch::pieces::{new_sink, now_ms};
use crate::batch::sink::Scratch;
use crate::error::ErrorCode;
use crate::plan::tree::{Ctx, Record};
use crate::read::lines::trim_end;
use crate::ruleset::Inner;
use crate::window::peek;

/// Why a record could not be read: its code and message, as a batch would report it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unreadable {
    pub code: ErrorCode,
    pub message: String,
}

/// Reads `record` (one JSON object) and hands it to `f` with the call's clock. Window
/// conditions see the state of `opts.window_shard` (an empty shard when it names none) as it
/// is: the record is not added to it.
pub(crate) fn with_record<T>(
    rs: &Inner,
    record: &[u8],
    opts: &EvalOptions,
    f: impl FnOnce(&Record<'_, '_>, &Ctx) -> T,
) -> Result<T, Unreadable> {
    let line = trim_end(record);
    if line
        .iter()
        .all(|b| matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
    {
        return Err(Unreadable {
            code: ErrorCode::MalformedJson,
            message: "the record is empty".into(),
        });
    }
    let mut scratch = Scratch::new(opts.now_ms.unwrap_or_else(now_ms));
    let mut sink = new_sink(rs, opts);
    (sink.keep_all_bad, sink.max_samples) = (false, 1);
    // `Keep` takes the record's window inputs as it reads it, as a batch with windows does.
    let mut block = Block::new(rs, Mode::Keep);
    block.push(rs, &mut scratch, line, None, 0, &mut sink);
    let kept = block.finish(rs, &mut scratch, &mut sink);
    if let Some(bad) = sink.bad.first() {
        return Err(Unreadable {
            code: bad.code,
            message: bad.message.clone(),
        });
    }
    let kept = kept.ok_or_else(|| Unreadable {
        code: ErrorCode::InternalError,
        message: "the record was not kept".into(),
    })?;
    let values = if rs.windows.is_empty() {
        Vec::new()
    } else {
        opts.with_shard(|shard| peek::values(&shard.lock(), &rs.windows, kept.inputs(), 0))
    };
    let ctx = &scratch.ctx;
    first_record(rs, *kept, &values, |r| f(r, ctx)).ok_or_else(|| Unreadable {
        code: ErrorCode::InternalError,
        message: "the record was not kept".into(),
    })
}
