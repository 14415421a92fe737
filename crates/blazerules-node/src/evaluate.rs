//! Evaluation entry points: each input kind on the libuv thread pool ([`AsyncTask`]) or on
//! the calling thread, plus the single-record [`NativeRuleSet::evaluate_one`].

use std::path::PathBuf;
use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use blazerules_core::files::read_limited;
use blazerules_core::{BatchResult, EvalOptions, RuleSet};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::batch::{prepare, to_native_batch, NativeBatch, Prepared};
use crate::decision::{to_native_decision, NativeDecision};
use crate::guard::{coded_error, eval_error, guard};
use crate::load::NativeRuleSet;
use crate::options::NativeEvalConfig;
use crate::windows::{call_options, NativeCallOptions};

/// What an evaluation reads. Buffers hold a reference to the caller's JS buffer (kept alive
/// until the task is dropped); they are only ever read, never written.
enum Input {
    Ndjson(Buffer),
    Messages(Vec<Buffer>),
    /// Messages laid end to end in one buffer; `ends[i]` is where message `i` ends.
    MessageBlock(Buffer, Vec<u32>),
    JsonArray(Buffer),
    /// An NDJSON file, read whole: a regular file of at most this many bytes (0 = no limit).
    File(PathBuf, u64),
}

/// Cuts `data` at the ascending `ends`.
fn split_block<'a>(data: &'a [u8], ends: &[u32]) -> Result<Vec<&'a [u8]>> {
    let mut slices: Vec<&[u8]> = Vec::with_capacity(ends.len());
    let mut start = 0usize;
    for &end in ends {
        let end = end as usize;
        let slice = data.get(start..end).ok_or_else(|| {
            coded_error(
                ErrorCode::InvalidArgument,
                "message ends must be ascending and within the buffer",
            )
        })?;
        slices.push(slice);
        start = end;
    }
    Ok(slices)
}

fn run(rules: &RuleSet, input: &Input, opts: &EvalOptions) -> Result<BatchResult> {
    let r = match input {
        Input::Ndjson(b) => rules.evaluate_ndjson(b.as_ref(), opts),
        Input::JsonArray(b) => rules.evaluate_json_array(b.as_ref(), opts),
        Input::Messages(ms) => {
            let slices: Vec<&[u8]> = ms.iter().map(|b| b.as_ref()).collect();
            rules.evaluate_messages(&slices, opts)
        }
        Input::MessageBlock(block, ends) => {
            rules.evaluate_messages(&split_block(block.as_ref(), ends)?, opts)
        }
        Input::File(p, max) => {
            let data = read_limited(p, *max, "record file", "maxFileBytes")
                .map_err(|e| coded_error(e.code, &e.message))?;
            rules.evaluate_ndjson(&data, opts)
        }
    };
    r.map_err(eval_error)
}

/// Evaluates `input` and packs the result for JS, with each record's answer when `answers`.
fn evaluate(rules: &RuleSet, input: &Input, opts: &EvalOptions, answers: bool) -> Result<Prepared> {
    guard("evaluate", || {
        run(rules, input, opts).and_then(|r| prepare(r, answers.then_some(rules)))
    })
}

/// Whether the call asks for its records' answers.
fn wants_answers(call: Option<&NativeCallOptions>) -> bool {
    call.and_then(|c| c.answers).unwrap_or(false)
}

/// An evaluation on the libuv thread pool.
pub struct EvalTask {
    rules: RuleSet,
    input: Input,
    opts: Arc<EvalOptions>,
    answers: bool,
}

impl Task for EvalTask {
    type Output = Prepared;
    type JsValue = NativeBatch;

    fn compute(&mut self) -> Result<Self::Output> {
        evaluate(&self.rules, &self.input, &self.opts, self.answers)
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(to_native_batch(output))
    }
}

impl NativeRuleSet {
    fn task(
        &self,
        input: Input,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        Ok(AsyncTask::new(EvalTask {
            rules: self.inner.clone(),
            input,
            opts: call_options(&self.inner, config, call.as_ref())?,
            answers: wants_answers(call.as_ref()),
        }))
    }

    fn sync(
        &self,
        input: Input,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeBatch> {
        let opts = call_options(&self.inner, config, call.as_ref())?;
        evaluate(&self.inner, &input, &opts, wants_answers(call.as_ref())).map(to_native_batch)
    }
}

#[napi]
impl NativeRuleSet {
    /// Evaluates NDJSON on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_ndjson(
        &self,
        payload: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::Ndjson(payload), config, call)
    }

    /// Evaluates NDJSON on the calling thread.
    #[napi]
    pub fn evaluate_ndjson_sync(
        &self,
        payload: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::Ndjson(payload), config, call)
    }

    /// Evaluates each message as one record, on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_messages(
        &self,
        messages: Vec<Buffer>,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::Messages(messages), config, call)
    }

    /// Evaluates each message as one record, on the calling thread.
    #[napi]
    pub fn evaluate_messages_sync(
        &self,
        messages: Vec<Buffer>,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::Messages(messages), config, call)
    }

    /// Evaluates messages laid end to end in `block` (message `i` ends at `ends[i]`), on the
    /// thread pool: one buffer reference instead of one per message.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_message_block(
        &self,
        block: Buffer,
        ends: Uint32Array,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::MessageBlock(block, ends.to_vec()), config, call)
    }

    /// As `evaluateMessageBlock`, on the calling thread.
    #[napi]
    pub fn evaluate_message_block_sync(
        &self,
        block: Buffer,
        ends: Uint32Array,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::MessageBlock(block, ends.to_vec()), config, call)
    }

    /// Evaluates one top-level JSON array, on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_json_array(
        &self,
        payload: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::JsonArray(payload), config, call)
    }

    /// Evaluates one top-level JSON array, on the calling thread.
    #[napi]
    pub fn evaluate_json_array_sync(
        &self,
        payload: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::JsonArray(payload), config, call)
    }

    /// Reads an NDJSON file (a regular file of at most `maxFileBytes`) and evaluates it, both
    /// on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_ndjson_file(
        &self,
        path: String,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        let max = config.files.records;
        self.task(Input::File(PathBuf::from(path), max), config, call)
    }

    /// Evaluates one record (JSON object text) on the calling thread.
    #[napi]
    pub fn evaluate_one(
        &self,
        record: Buffer,
        config: &NativeEvalConfig,
        call: Option<NativeCallOptions>,
    ) -> Result<NativeDecision> {
        let opts = call_options(&self.inner, config, call.as_ref())?;
        guard("evaluate", || {
            self.inner
                .evaluate_messages(&[record.as_ref()], &opts)
                .map_err(eval_error)
        })
        .map(|r| to_native_decision(r, self.labels.first().map_or("", String::as_str)))
    }
}

/// The number of logical cores (the default evaluation thread count).
#[napi]
pub fn available_parallelism() -> u32 {
    std::thread::available_parallelism()
        .map(|n| u32::try_from(n.get()).unwrap_or(1))
        .unwrap_or(1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_missing_file_is_an_io_error() {
        let doc = serde_json::json!({"ruleset": {"version": "5", "rules": [
            {"id": "a", "conditions": {"field": "x", "op": "gt", "value": 1}}]}});
        let rules = RuleSet::load(&doc, std::path::Path::new(".")).expect("loads");
        let input = Input::File(PathBuf::from("/nonexistent/blazerules.ndjson"), 0);
        let err = run(&rules, &input, &EvalOptions::default()).expect_err("missing file");
        assert!(err.reason.starts_with("[IO_ERROR] "), "{}", err.reason);
        let input = Input::File(PathBuf::from("/dev/zero"), 0);
        let err = run(&rules, &input, &EvalOptions::default()).expect_err("a device");
        assert!(
            err.reason.starts_with(
                "[IO_ERROR] cannot read record file /dev/zero: it is a character device"
            ),
            "{}",
            err.reason
        );
    }
}
