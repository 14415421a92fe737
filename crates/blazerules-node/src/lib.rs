//! napi-rs glue between `blazerules-core` and Node.js.
//!
//! Thin on purpose: the TypeScript layer (`src/`) owns YAML parsing, source positions,
//! the public class names and the lazy per-record views. This crate only
//!
//! * loads a rules document (JSON text + base dir) into a native [`NativeRuleSet`] handle, or
//!   returns every problem found;
//! * evaluates NDJSON / messages / JSON arrays / files against such a handle, either on the
//!   libuv thread pool ([`AsyncTask`]) or on the calling thread, handing the per-record results
//!   back in two Rust-owned external buffers that JS views as typed arrays (no per-record JS
//!   objects, no copy into JS memory; see [`NativeBatch`]);
//! * evaluates a single record into plain values ([`NativeRuleSet::evaluate_one`]).
//!
//! Nothing may unwind across the FFI boundary: every call into the core runs inside
//! [`std::panic::catch_unwind`], and a panic becomes a JS `Error`
//! (`[INTERNAL_ERROR] blazerules internal error: …`). Errors meant for JS carry their BlazeRules
//! code as a `[CODE] ` prefix of the message, which the TypeScript layer turns into `err.code`.
//!
//! This crate has no hand-written `unsafe` code (the `#[napi]` macros generate the FFI shims).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use blazerules_core::{BatchResult, EvalError, EvalOptions, IngestErrorMode, LoadError, RuleSet};
use napi::bindgen_prelude::*;
use napi_derive::napi;

pub mod stream;

/// Turns a panic payload into a readable message.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic".to_string()
    }
}

/// Runs `f`, converting a panic into a JS-visible error instead of unwinding into Node.
fn guard<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => Err(coded_error(
            "INTERNAL_ERROR",
            &format!(
                "blazerules internal error in {what}: {}",
                panic_message(payload.as_ref())
            ),
        )),
    }
}

/// An error whose message carries a BlazeRules code, parsed back by the TypeScript layer.
fn coded_error(code: &str, message: &str) -> Error {
    Error::new(Status::GenericFailure, format!("[{code}] {message}"))
}

fn eval_error(e: EvalError) -> Error {
    coded_error(e.code.as_str(), &e.message)
}

/// One problem in a rules document (mirrors `blazerules_core::RuleError`).
#[napi(object)]
pub struct NativeProblem {
    pub code: String,
    pub message: String,
    pub rule_id: Option<String>,
    /// Document path such as `ruleset.rules[3].conditions.and[1].op` ("" = the document).
    pub path: String,
    /// Byte offset inside a `sql:` string, when the problem is in one.
    pub sql_offset: Option<u32>,
    /// 1-based line/column, only for JSON syntax errors found by this crate.
    pub line: Option<u32>,
    pub column: Option<u32>,
}

fn problems_from(err: LoadError) -> Vec<NativeProblem> {
    let mut out: Vec<NativeProblem> = err
        .problems
        .into_iter()
        .map(|p| NativeProblem {
            code: p.code.to_string(),
            message: p.message,
            rule_id: p.rule_id,
            path: p.path,
            sql_offset: p.sql_offset.map(|o| u32::try_from(o).unwrap_or(u32::MAX)),
            line: None,
            column: None,
        })
        .collect();
    if out.is_empty() {
        out.push(NativeProblem {
            code: "YAML_SYNTAX_ERROR".to_string(),
            message: "invalid rules".to_string(),
            rule_id: None,
            path: String::new(),
            sql_offset: None,
            line: None,
            column: None,
        });
    }
    out
}

/// Deeper JSON documents are rejected before parsing (the core's own limit for conditions is
/// 128 levels; this only protects the recursive parser and `Drop` from exhausting the stack).
const MAX_DOC_DEPTH: usize = 1024;

/// Returns a problem if the JSON text nests arrays/objects deeper than [`MAX_DOC_DEPTH`].
fn too_deep(text: &[u8]) -> Option<NativeProblem> {
    let (mut depth, mut line, mut col) = (0usize, 1u32, 0u32);
    let (mut in_str, mut escaped) = (false, false);
    for &b in text {
        col = col.saturating_add(1);
        if b == b'\n' {
            line = line.saturating_add(1);
            col = 0;
        }
        if in_str {
            if escaped {
                escaped = false;
            } else if b == b'\\' {
                escaped = true;
            } else if b == b'"' {
                in_str = false;
            }
            continue;
        }
        match b {
            b'"' => in_str = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_DOC_DEPTH {
                    return Some(NativeProblem {
                        code: "YAML_SYNTAX_ERROR".to_string(),
                        message: format!("document nesting too deep (limit {MAX_DOC_DEPTH})"),
                        rule_id: None,
                        path: String::new(),
                        sql_offset: None,
                        line: Some(line),
                        column: Some(col),
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// A compiled, immutable rule set. Evaluations capture it when they start, so a batch is
/// always evaluated wholly by one rule set even if JS loads another one meanwhile.
#[napi]
pub struct NativeRuleSet {
    inner: RuleSet,
    name: String,
    version: String,
    rule_ids: Vec<String>,
    labels: Vec<String>,
}

/// Loads a rules document given as JSON text. `base_dir` resolves relative lookup paths.
/// Returns the rule set, or every problem found (never throws for a bad document).
#[napi]
pub fn load_rule_set(
    json: String,
    base_dir: String,
) -> Result<Either<NativeRuleSet, Vec<NativeProblem>>> {
    guard("loadRuleSet", || {
        if let Some(problem) = too_deep(json.as_bytes()) {
            return Ok(Either::B(vec![problem]));
        }
        let mut de = serde_json::Deserializer::from_str(&json);
        // Depth is bounded by `too_deep` above, so the recursive parse cannot exhaust the stack.
        de.disable_recursion_limit();
        let parsed = serde::Deserialize::deserialize(&mut de)
            .and_then(|v: serde_json::Value| de.end().map(|()| v));
        let doc: serde_json::Value = match parsed {
            Ok(v) => v,
            Err(e) => {
                return Ok(Either::B(vec![NativeProblem {
                    code: "YAML_SYNTAX_ERROR".to_string(),
                    message: {
                        let full = e.to_string();
                        let suffix = format!(" at line {} column {}", e.line(), e.column());
                        format!(
                            "invalid JSON: {}",
                            full.strip_suffix(&suffix).unwrap_or(&full)
                        )
                    },
                    rule_id: None,
                    path: String::new(),
                    sql_offset: None,
                    line: u32::try_from(e.line()).ok(),
                    column: u32::try_from(e.column()).ok(),
                }]))
            }
        };
        let base = if base_dir.is_empty() {
            Path::new(".")
        } else {
            Path::new(&base_dir)
        };
        match RuleSet::load(&doc, base) {
            Ok(rs) => {
                let name = rs.name().to_string();
                let version = rs.version().to_string();
                let rule_ids = rs.rule_ids().to_vec();
                let labels = rs.labels().to_vec();
                Ok(Either::A(NativeRuleSet {
                    inner: rs,
                    name,
                    version,
                    rule_ids,
                    labels,
                }))
            }
            Err(e) => Ok(Either::B(problems_from(e))),
        }
    })
}

/// Evaluation settings from JS (all optional; see `EngineConfig` in `src/types.ts`).
#[napi(object)]
#[derive(Default)]
pub struct NativeEvalOptions {
    pub threads: Option<u32>,
    pub max_error_samples: Option<u32>,
    pub max_record_bytes: Option<f64>,
    /// "skip" | "deadLetter" | "fail"
    pub ingest_error_mode: Option<String>,
    pub dead_letter_path: Option<String>,
}

fn to_eval_options(o: Option<NativeEvalOptions>) -> Result<EvalOptions> {
    let o = o.unwrap_or_default();
    let mut opts = EvalOptions::default();
    if let Some(t) = o.threads {
        opts.threads = t as usize;
    }
    if let Some(m) = o.max_error_samples {
        opts.max_error_samples = m as usize;
    }
    if let Some(b) = o.max_record_bytes {
        if !b.is_finite() || b < 0.0 {
            return Err(coded_error(
                "INVALID_ARGUMENT",
                "maxRecordBytes must be a non-negative number",
            ));
        }
        // Saturating float -> int conversion; values above usize::MAX mean "no practical limit".
        opts.max_record_bytes = b as usize;
    }
    opts.ingest_error_mode = match o.ingest_error_mode.as_deref() {
        None | Some("skip") => IngestErrorMode::Skip,
        Some("deadLetter") => IngestErrorMode::DeadLetter,
        Some("fail") => IngestErrorMode::Fail,
        Some(other) => {
            return Err(coded_error(
                "INVALID_ARGUMENT",
                &format!("ingestErrorMode must be 'skip', 'deadLetter' or 'fail', not '{other}'"),
            ))
        }
    };
    opts.dead_letter_path = o.dead_letter_path.map(PathBuf::from);
    if opts.ingest_error_mode == IngestErrorMode::DeadLetter && opts.dead_letter_path.is_none() {
        return Err(coded_error(
            "INVALID_ARGUMENT",
            "ingestErrorMode 'deadLetter' needs deadLetterPath",
        ));
    }
    Ok(opts)
}

/// One skipped record.
#[napi(object)]
pub struct NativeErrorSample {
    pub row_index: f64,
    pub code: String,
    pub message: String,
    pub column: Option<String>,
}

#[napi(object)]
pub struct NativeErrorCount {
    pub code: String,
    pub count: f64,
}

/// A batch result. The per-record arrays travel in two buffers owned by Rust (external
/// ArrayBuffers: nothing is copied into JS memory), which the TypeScript layer views as typed
/// arrays. Two buffers instead of one array each keep a call's fixed cost low.
///
/// `ints` holds, as 32-bit words in this order: `inputRows[n]` (u32), `decisionCodes[n]` (i32),
/// `winners[n]` (i32, -1 = none), `ruleHits[nRuleHits]` (u32: rule after rule, the ascending
/// record indices each rule matched, shadow rules included), `ruleHitEnds[nRules]` (u32: rule
/// `r`'s hits end there), then the bytes `riskBands[n]` (0 LOW, 1 MEDIUM, 2 HIGH) and
/// `matched[n]` (0/1), padded to a whole word. `floats` holds `scores[n]` then
/// `matchCounts[nRules]`.
#[napi(object)]
pub struct NativeBatch {
    pub n_records: u32,
    pub n_rules: u32,
    pub n_rule_hits: u32,
    pub ints: Uint32Array,
    pub floats: Float64Array,
    pub n_matched: u32,
    pub messages_processed: f64,
    pub messages_skipped: f64,
    pub error_counts: Vec<NativeErrorCount>,
    pub error_samples: Vec<NativeErrorSample>,
    pub parse_ms: f64,
    pub eval_ms: f64,
    pub total_ms: f64,
    pub ruleset_version: String,
}

/// A batch result packed for JS (built off the JS thread).
pub struct Prepared {
    batch: BatchResult,
    n_records: u32,
    n_rules: u32,
    n_rule_hits: u32,
    n_matched: u32,
    ints: Vec<u32>,
    floats: Vec<f64>,
}

fn len32(n: usize) -> Result<u32> {
    u32::try_from(n)
        .map_err(|_| coded_error("UNSUPPORTED", "batch too large (more than 2^32 entries)"))
}

fn prepare(mut batch: BatchResult) -> Result<Prepared> {
    let n = batch.decision_codes.len();
    let hits = std::mem::take(&mut batch.rule_hits);
    let n_hits: usize = hits.iter().map(Vec::len).sum();
    let n_rules = batch.match_counts.len().max(hits.len());
    let byte_words = (2 * n).div_ceil(4);
    let mut ints: Vec<u32> = Vec::with_capacity(3 * n + n_hits + n_rules + byte_words);
    ints.extend_from_slice(&batch.input_rows);
    ints.resize(n, 0);
    // `as` between i32 and u32 keeps the bits; JS reads them back through an Int32Array.
    ints.extend(batch.decision_codes.iter().map(|&c| c as u32));
    ints.extend((0..n).map(|i| batch.winners.get(i).copied().unwrap_or(-1) as u32));
    let mut end = 0usize;
    let mut ends = Vec::with_capacity(n_rules);
    for list in &hits {
        ints.extend_from_slice(list);
        end += list.len();
        ends.push(len32(end)?);
    }
    ends.resize(n_rules, len32(end)?);
    ints.extend_from_slice(&ends);
    let mut bytes: Vec<u8> = Vec::with_capacity(byte_words * 4);
    bytes.extend((0..n).map(|i| batch.risk_bands.get(i).copied().unwrap_or(0)));
    bytes.extend((0..n).map(|i| batch.matched.get(i).copied().unwrap_or(0)));
    bytes.resize(byte_words * 4, 0);
    // Native byte order, which is the order JS typed-array views use on this machine.
    ints.extend(
        bytes
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]])),
    );
    let mut floats: Vec<f64> = Vec::with_capacity(n + n_rules);
    floats.extend_from_slice(&batch.scores);
    floats.resize(n, 0.0);
    floats.extend(batch.match_counts.iter().map(|&c| c as f64));
    floats.resize(n + n_rules, 0.0);
    Ok(Prepared {
        n_records: len32(n)?,
        n_rules: len32(n_rules)?,
        n_rule_hits: len32(n_hits)?,
        n_matched: len32(batch.n_matched())?,
        ints,
        floats,
        batch,
    })
}

fn to_native_batch(p: Prepared) -> NativeBatch {
    let r = p.batch;
    NativeBatch {
        n_records: p.n_records,
        n_rules: p.n_rules,
        n_rule_hits: p.n_rule_hits,
        ints: Uint32Array::new(p.ints),
        floats: Float64Array::new(p.floats),
        n_matched: p.n_matched,
        messages_processed: r.messages_processed as f64,
        messages_skipped: r.messages_skipped as f64,
        error_counts: r
            .error_counts
            .into_iter()
            .map(|(code, count)| NativeErrorCount {
                code: code.to_string(),
                count: count as f64,
            })
            .collect(),
        error_samples: r
            .error_samples
            .into_iter()
            .map(|s| NativeErrorSample {
                row_index: s.row_index as f64,
                code: s.code.to_string(),
                message: s.message,
                column: s.column,
            })
            .collect(),
        parse_ms: r.timing.parse_ms,
        eval_ms: r.timing.eval_ms,
        total_ms: r.timing.total_ms,
        ruleset_version: r.ruleset_version,
    }
}

/// The outcome for one record (`RuleEngine.evaluate`): plain values, no typed arrays.
#[napi(object)]
pub struct NativeDecision {
    /// False if the record could not be read (then `error_code` / `error_message` say why).
    pub ok: bool,
    pub decision_code: i32,
    pub score: f64,
    pub risk_band: u32,
    /// Winning rule index, or -1.
    pub winner: i32,
    pub matched: bool,
    /// Indices (into `ruleIds`) of every rule that matched, shadow rules included.
    pub matched_rules: Vec<u32>,
    pub error_code: Option<String>,
    pub error_message: Option<String>,
    pub ruleset_version: String,
}

/// `default_label` gives the risk band of a record no rule could match (a rule set without
/// rules returns no per-record entries: rules-reference §4.3).
fn to_native_decision(r: BatchResult, default_label: &str) -> NativeDecision {
    let default_band = match default_label {
        "BLOCK" => 2,
        "REVIEW" => 1,
        _ => 0,
    };
    let matched_rules = r
        .rule_hits
        .iter()
        .enumerate()
        .filter(|(_, hits)| !hits.is_empty())
        .map(|(i, _)| u32::try_from(i).unwrap_or(u32::MAX))
        .collect();
    let sample = r.error_samples.first();
    NativeDecision {
        ok: !r.decision_codes.is_empty() || r.messages_skipped == 0,
        decision_code: r.decision_codes.first().copied().unwrap_or(0),
        score: r.scores.first().copied().unwrap_or(0.0),
        risk_band: r.risk_bands.first().map_or(default_band, |&b| u32::from(b)),
        winner: r.winners.first().copied().unwrap_or(-1),
        matched: r.matched.first().copied().unwrap_or(0) != 0,
        matched_rules,
        error_code: sample.map(|s| s.code.to_string()),
        error_message: sample.map(|s| s.message.clone()),
        ruleset_version: r.ruleset_version,
    }
}

/// What an evaluation reads. Buffers hold a reference to the caller's JS buffer (kept alive
/// until the task is dropped); they are only ever read, never written.
enum Input {
    Ndjson(Buffer),
    Messages(Vec<Buffer>),
    /// Messages laid end to end in one buffer; `ends[i]` is where message `i` ends.
    MessageBlock(Buffer, Vec<u32>),
    JsonArray(Buffer),
    File(PathBuf),
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
            let data: &[u8] = block.as_ref();
            let mut slices: Vec<&[u8]> = Vec::with_capacity(ends.len());
            let mut start = 0usize;
            for &end in ends {
                let end = end as usize;
                let slice = data.get(start..end).ok_or_else(|| {
                    coded_error(
                        "INVALID_ARGUMENT",
                        "message ends must be ascending and within the buffer",
                    )
                })?;
                slices.push(slice);
                start = end;
            }
            rules.evaluate_messages(&slices, opts)
        }
        Input::File(p) => {
            let data = std::fs::read(p).map_err(|e| {
                coded_error("IO_ERROR", &format!("cannot read {}: {e}", p.display()))
            })?;
            rules.evaluate_ndjson(&data, opts)
        }
    };
    r.map_err(eval_error)
}

/// An evaluation on the libuv thread pool.
pub struct EvalTask {
    rules: RuleSet,
    input: Input,
    opts: EvalOptions,
}

impl Task for EvalTask {
    type Output = Prepared;
    type JsValue = NativeBatch;

    fn compute(&mut self) -> Result<Self::Output> {
        guard("evaluate", || {
            run(&self.rules, &self.input, &self.opts).and_then(prepare)
        })
    }

    fn resolve(&mut self, _env: Env, output: Self::Output) -> Result<Self::JsValue> {
        Ok(to_native_batch(output))
    }
}

#[napi]
impl NativeRuleSet {
    /// `ruleset.name`.
    #[napi(getter)]
    pub fn name(&self) -> String {
        self.name.clone()
    }

    /// `ruleset.version`.
    #[napi(getter)]
    pub fn version(&self) -> String {
        self.version.clone()
    }

    /// Enabled rule ids in rule order (`winners` and `matchCounts` index this).
    #[napi(getter)]
    pub fn rule_ids(&self) -> Vec<String> {
        self.rule_ids.clone()
    }

    /// Decision labels by code (0 = the default label).
    #[napi(getter)]
    pub fn labels(&self) -> Vec<String> {
        self.labels.clone()
    }

    fn task(&self, input: Input, opts: Option<NativeEvalOptions>) -> Result<AsyncTask<EvalTask>> {
        Ok(AsyncTask::new(EvalTask {
            rules: self.inner.clone(),
            input,
            opts: to_eval_options(opts)?,
        }))
    }

    fn sync(&self, input: Input, opts: Option<NativeEvalOptions>) -> Result<NativeBatch> {
        let opts = to_eval_options(opts)?;
        let rules = self.inner.clone();
        guard("evaluate", || run(&rules, &input, &opts).and_then(prepare)).map(to_native_batch)
    }

    /// Evaluates NDJSON on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_ndjson(
        &self,
        payload: Buffer,
        opts: Option<NativeEvalOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::Ndjson(payload), opts)
    }

    /// Evaluates NDJSON on the calling thread.
    #[napi]
    pub fn evaluate_ndjson_sync(
        &self,
        payload: Buffer,
        opts: Option<NativeEvalOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::Ndjson(payload), opts)
    }

    /// Evaluates each message as one record, on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_messages(
        &self,
        messages: Vec<Buffer>,
        opts: Option<NativeEvalOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::Messages(messages), opts)
    }

    /// Evaluates each message as one record, on the calling thread.
    #[napi]
    pub fn evaluate_messages_sync(
        &self,
        messages: Vec<Buffer>,
        opts: Option<NativeEvalOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::Messages(messages), opts)
    }

    /// Evaluates messages laid end to end in `block` (message `i` ends at `ends[i]`), on the
    /// thread pool: one buffer reference instead of one per message.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_message_block(
        &self,
        block: Buffer,
        ends: Uint32Array,
        opts: Option<NativeEvalOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::MessageBlock(block, ends.to_vec()), opts)
    }

    /// As `evaluateMessageBlock`, on the calling thread.
    #[napi]
    pub fn evaluate_message_block_sync(
        &self,
        block: Buffer,
        ends: Uint32Array,
        opts: Option<NativeEvalOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::MessageBlock(block, ends.to_vec()), opts)
    }

    /// Evaluates one record (JSON object text) on the calling thread.
    #[napi]
    pub fn evaluate_one(
        &self,
        record: Buffer,
        opts: Option<NativeEvalOptions>,
    ) -> Result<NativeDecision> {
        let opts = to_eval_options(opts)?;
        let rules = self.inner.clone();
        guard("evaluate", || {
            rules
                .evaluate_messages(&[record.as_ref()], &opts)
                .map_err(eval_error)
        })
        .map(|r| to_native_decision(r, self.labels.first().map_or("", String::as_str)))
    }

    /// Evaluates one top-level JSON array, on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_json_array(
        &self,
        payload: Buffer,
        opts: Option<NativeEvalOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::JsonArray(payload), opts)
    }

    /// Evaluates one top-level JSON array, on the calling thread.
    #[napi]
    pub fn evaluate_json_array_sync(
        &self,
        payload: Buffer,
        opts: Option<NativeEvalOptions>,
    ) -> Result<NativeBatch> {
        self.sync(Input::JsonArray(payload), opts)
    }

    /// Reads an NDJSON file and evaluates it, both on the thread pool.
    #[napi(ts_return_type = "Promise<NativeBatch>")]
    pub fn evaluate_ndjson_file(
        &self,
        path: String,
        opts: Option<NativeEvalOptions>,
    ) -> Result<AsyncTask<EvalTask>> {
        self.task(Input::File(PathBuf::from(path)), opts)
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
    fn nesting_limit_counts_only_structure() {
        let ok = format!("{}{}", "[".repeat(MAX_DOC_DEPTH), "]".repeat(MAX_DOC_DEPTH));
        assert!(too_deep(ok.as_bytes()).is_none());
        let deep = format!(
            "{}{}",
            "[".repeat(MAX_DOC_DEPTH + 1),
            "]".repeat(MAX_DOC_DEPTH + 1)
        );
        let p = too_deep(deep.as_bytes()).expect("too deep");
        assert_eq!(p.code, "YAML_SYNTAX_ERROR");
        assert_eq!(
            (p.line, p.column),
            (Some(1), Some(MAX_DOC_DEPTH as u32 + 1))
        );
        // Brackets inside strings (escaped quotes included) do not count.
        let in_string = format!("{{\"a\": \"\\\"{}\"}}", "[".repeat(5000));
        assert!(too_deep(in_string.as_bytes()).is_none());
    }

    #[test]
    fn eval_options_from_js() {
        let o = to_eval_options(None).expect("defaults");
        assert_eq!(o.max_error_samples, 16);
        assert_eq!(o.ingest_error_mode, IngestErrorMode::Skip);
        let o = to_eval_options(Some(NativeEvalOptions {
            threads: Some(2),
            max_error_samples: Some(3),
            max_record_bytes: Some(1024.0),
            ingest_error_mode: Some("fail".to_string()),
            dead_letter_path: None,
        }))
        .expect("valid");
        assert_eq!(
            (o.threads, o.max_error_samples, o.max_record_bytes),
            (2, 3, 1024)
        );
        assert_eq!(o.ingest_error_mode, IngestErrorMode::Fail);
        for bad in [
            NativeEvalOptions {
                ingest_error_mode: Some("explode".to_string()),
                ..Default::default()
            },
            NativeEvalOptions {
                ingest_error_mode: Some("deadLetter".to_string()),
                ..Default::default()
            },
            NativeEvalOptions {
                max_record_bytes: Some(f64::NAN),
                ..Default::default()
            },
        ] {
            let err = to_eval_options(Some(bad)).expect_err("invalid");
            assert!(
                err.reason.starts_with("[INVALID_ARGUMENT] "),
                "{}",
                err.reason
            );
        }
    }

    #[test]
    fn load_reports_problems_instead_of_failing() {
        match load_rule_set("{\"rules\": [".to_string(), String::new()).expect("no JS error") {
            Either::B(problems) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].code, "YAML_SYNTAX_ERROR");
                assert_eq!(problems[0].line, Some(1));
            }
            Either::A(_) => panic!("a truncated document must not load"),
        }
        let doc = r#"{"ruleset":{"version":"5","rules":[{"id":"a","conditions":{"field":"x","op":"gt","value":1}}]}}"#;
        match load_rule_set(doc.to_string(), ".".to_string()).expect("no JS error") {
            Either::A(rs) => {
                assert_eq!(rs.version(), "5");
                assert_eq!(rs.rule_ids(), vec!["a".to_string()]);
                let batch = run(
                    &rs.inner,
                    &Input::File(PathBuf::from("/nonexistent/blazerules.ndjson")),
                    &EvalOptions::default(),
                );
                let err = batch.expect_err("missing file");
                assert!(err.reason.starts_with("[IO_ERROR] "), "{}", err.reason);
            }
            Either::B(p) => panic!(
                "unexpected problems: {:?}",
                p.iter().map(|p| &p.message).collect::<Vec<_>>()
            ),
        }
    }

    #[test]
    fn panics_become_errors() {
        let r: Result<()> = guard("test", || panic!("boom"));
        let err = r.expect_err("a panic is an error");
        assert!(
            err.reason.contains("[INTERNAL_ERROR]") && err.reason.contains("boom"),
            "{}",
            err.reason
        );
    }
}
