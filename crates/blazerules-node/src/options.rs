//! Evaluation settings from JS (`EngineConfig` in src/types.ts): shaped and validated here,
//! once per engine (the only validation; the TypeScript layer only resolves
//! `deadLetterPath` against the working directory). Evaluations then take the handle, which
//! costs a pointer lookup per call instead of reading an options object. The file limits
//! (rules, lookup and record files, lookup roots) ride along in [`FileSettings`].

use std::path::PathBuf;
use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use blazerules_core::files::{
    LookupLimits, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_LOOKUP_FILE_BYTES,
    DEFAULT_MAX_RULES_FILE_BYTES,
};
use blazerules_core::{
    DuplicateKeys, EvalOptions, IngestErrorMode, WindowState, DEFAULT_MAX_WINDOW_ENTITIES,
};
use napi::bindgen_prelude::*;
use napi_derive::napi;
use serde_json::{Map, Value};

use crate::guard::coded_error;

/// Validated evaluation settings (`new NativeEvalConfig(engineConfig)`).
#[napi]
pub struct NativeEvalConfig {
    pub(crate) opts: Arc<EvalOptions>,
    pub(crate) files: FileSettings,
    /// The engine's window state: a shard per partition (`crate::windows`).
    pub(crate) windows: Arc<WindowState>,
}

/// How large the files the engine reads may be (0 = no limit), and where lookups may be.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct FileSettings {
    /// `maxRulesFileBytes`: `loadRules`.
    pub rules: u64,
    /// `maxFileBytes`: `evaluateNdjsonFile`.
    pub records: u64,
    /// `maxLookupFileBytes` and `lookupRoots`.
    pub lookups: LookupLimits,
}

impl Default for FileSettings {
    fn default() -> Self {
        FileSettings {
            rules: DEFAULT_MAX_RULES_FILE_BYTES,
            records: DEFAULT_MAX_FILE_BYTES,
            lookups: LookupLimits {
                roots: Vec::new(),
                max_bytes: DEFAULT_MAX_LOOKUP_FILE_BYTES,
            },
        }
    }
}

#[napi]
impl NativeEvalConfig {
    /// Throws `[INVALID_ARGUMENT] EngineConfig.<field> …` for a bad setting.
    #[napi(constructor, ts_args_type = "config: Record<string, unknown>")]
    pub fn new(config: Value) -> Result<Self> {
        let bad = |m: String| coded_error(ErrorCode::InvalidArgument, &m);
        let opts = eval_options(&config).map_err(bad)?;
        let files = file_settings(&config).map_err(bad)?;
        let max_entities = max_window_entities(&config).map_err(bad)?;
        Ok(NativeEvalConfig {
            opts: Arc::new(opts),
            files,
            windows: Arc::new(WindowState::new(max_entities)),
        })
    }
}

/// The field, unless absent, `null` or `undefined`.
fn field<'a>(c: &'a Map<String, Value>, name: &str) -> Option<&'a Value> {
    c.get(name).filter(|v| !v.is_null())
}

/// A non-negative integer setting (`None` when absent).
fn count(c: &Map<String, Value>, name: &str) -> std::result::Result<Option<usize>, String> {
    let Some(v) = field(c, name) else {
        return Ok(None);
    };
    match v.as_f64() {
        // Saturating float -> int conversion: values above usize::MAX mean "no practical limit".
        Some(x) if x >= 0.0 && x.fract() == 0.0 => Ok(Some(x as usize)),
        _ => Err(format!(
            "EngineConfig.{name} must be a non-negative integer"
        )),
    }
}

/// `EngineConfig`'s file limits → [`FileSettings`]; the error names the first bad field.
pub(crate) fn file_settings(config: &Value) -> std::result::Result<FileSettings, String> {
    let Some(c) = config.as_object() else {
        return Err("EngineConfig must be an object".to_string());
    };
    let mut f = FileSettings::default();
    let bytes = |name: &str| count(c, name).map(|n| n.map(|n| n as u64));
    if let Some(b) = bytes("maxRulesFileBytes")? {
        f.rules = b;
    }
    if let Some(b) = bytes("maxFileBytes")? {
        f.records = b;
    }
    if let Some(b) = bytes("maxLookupFileBytes")? {
        f.lookups.max_bytes = b;
    }
    let roots_error =
        || "EngineConfig.lookupRoots must be an array of non-empty strings".to_string();
    if let Some(v) = field(c, "lookupRoots") {
        let list = v.as_array().ok_or_else(roots_error)?;
        for r in list {
            match r.as_str() {
                Some(p) if !p.is_empty() => f.lookups.roots.push(PathBuf::from(p)),
                _ => return Err(roots_error()),
            }
        }
    }
    Ok(f)
}

/// `EngineConfig.maxWindowEntities`: entities per state shard (default 1 000 000, at least 1).
pub(crate) fn max_window_entities(config: &Value) -> std::result::Result<usize, String> {
    let Some(c) = config.as_object() else {
        return Err("EngineConfig must be an object".to_string());
    };
    match count(c, "maxWindowEntities")? {
        None => Ok(DEFAULT_MAX_WINDOW_ENTITIES),
        Some(0) => Err("EngineConfig.maxWindowEntities must be at least 1".to_string()),
        Some(n) => Ok(n),
    }
}

/// The largest partition number (Kafka partitions are int32).
const MAX_PARTITION: f64 = i32::MAX as f64;

/// A call's `{ partition, nowMs }` (`EvaluateOptions` in src/types.ts), checked: the
/// partition an integer in 0..=2^31-1 (default 0), the clock a finite number of ms.
pub(crate) fn call_settings(
    partition: Option<f64>,
    now_ms: Option<f64>,
) -> std::result::Result<(u32, Option<i64>), String> {
    let partition = match partition {
        None => 0,
        Some(p) if p.fract() == 0.0 && (0.0..=MAX_PARTITION).contains(&p) => p as u32,
        Some(_) => {
            return Err(format!(
                "options.partition must be an integer from 0 to {}",
                i32::MAX
            ))
        }
    };
    let now_ms = match now_ms {
        None => None,
        Some(t) if t.is_finite() && t.abs() < 9.0e15 => Some(t.trunc() as i64),
        Some(_) => return Err("options.nowMs must be a finite number of milliseconds".to_string()),
    };
    Ok((partition, now_ms))
}

/// `EngineConfig` → [`EvalOptions`]; the error names the first bad field.
pub(crate) fn eval_options(config: &Value) -> std::result::Result<EvalOptions, String> {
    let Some(c) = config.as_object() else {
        return Err("EngineConfig must be an object".to_string());
    };
    let mut opts = EvalOptions::default();
    if let Some(t) = count(c, "threads")? {
        opts.threads = t;
    }
    if let Some(m) = count(c, "maxErrorSamples")? {
        opts.max_error_samples = m;
    }
    if let Some(b) = count(c, "maxRecordBytes")? {
        opts.max_record_bytes = b;
    }
    opts.ingest_error_mode = match field(c, "ingestErrorMode") {
        None => IngestErrorMode::Skip,
        Some(Value::String(m)) if m == "skip" => IngestErrorMode::Skip,
        Some(Value::String(m)) if m == "deadLetter" => IngestErrorMode::DeadLetter,
        Some(Value::String(m)) if m == "fail" => IngestErrorMode::Fail,
        Some(_) => {
            return Err(
                "EngineConfig.ingestErrorMode must be 'skip', 'deadLetter' or 'fail'".to_string(),
            )
        }
    };
    opts.duplicate_keys = match field(c, "duplicateKeys") {
        None => DuplicateKeys::Last,
        Some(Value::String(m)) if m == "last" => DuplicateKeys::Last,
        Some(Value::String(m)) if m == "reject" => DuplicateKeys::Reject,
        Some(_) => return Err("EngineConfig.duplicateKeys must be 'last' or 'reject'".to_string()),
    };
    opts.dead_letter_path = match field(c, "deadLetterPath") {
        None => None,
        Some(Value::String(p)) if !p.is_empty() => Some(PathBuf::from(p)),
        Some(_) => return Err("EngineConfig.deadLetterPath must be a non-empty string".to_string()),
    };
    if opts.ingest_error_mode == IngestErrorMode::DeadLetter && opts.dead_letter_path.is_none() {
        return Err("EngineConfig.ingestErrorMode 'deadLetter' needs deadLetterPath".to_string());
    }
    Ok(opts)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn eval_options_from_js() {
        let o = eval_options(&json!({})).expect("defaults");
        assert_eq!(o.max_error_samples, 16);
        assert_eq!(o.ingest_error_mode, IngestErrorMode::Skip);
        let o = eval_options(
            &json!({"threads": 2, "maxErrorSamples": 3, "maxRecordBytes": 1024,
            "ingestErrorMode": "fail", "deadLetterPath": null}),
        )
        .expect("valid");
        assert_eq!(
            (o.threads, o.max_error_samples, o.max_record_bytes),
            (2, 3, 1024)
        );
        assert_eq!(o.ingest_error_mode, IngestErrorMode::Fail);
        for (bad, want) in [
            (
                json!({"ingestErrorMode": "explode"}),
                "EngineConfig.ingestErrorMode must be 'skip', 'deadLetter' or 'fail'",
            ),
            (
                json!({"ingestErrorMode": "deadLetter"}),
                "EngineConfig.ingestErrorMode 'deadLetter' needs deadLetterPath",
            ),
            (
                json!({"duplicateKeys": "first"}),
                "EngineConfig.duplicateKeys must be 'last' or 'reject'",
            ),
            (
                json!({"threads": -1}),
                "EngineConfig.threads must be a non-negative integer",
            ),
            (
                json!({"maxErrorSamples": 1.5}),
                "EngineConfig.maxErrorSamples must be a non-negative integer",
            ),
            (
                json!({"maxRecordBytes": "1"}),
                "EngineConfig.maxRecordBytes must be a non-negative integer",
            ),
            (
                json!({"deadLetterPath": ""}),
                "EngineConfig.deadLetterPath must be a non-empty string",
            ),
            (json!(7), "EngineConfig must be an object"),
        ] {
            assert_eq!(eval_options(&bad).expect_err(want), want);
        }
    }

    #[test]
    fn window_settings_from_js() {
        assert_eq!(
            max_window_entities(&json!({})),
            Ok(DEFAULT_MAX_WINDOW_ENTITIES)
        );
        assert_eq!(max_window_entities(&json!({"maxWindowEntities": 5})), Ok(5));
        for bad in [json!(0), json!(-1), json!(1.5), json!("9")] {
            assert!(max_window_entities(&json!({ "maxWindowEntities": bad })).is_err());
        }
        assert_eq!(call_settings(None, None), Ok((0, None)));
        assert_eq!(
            call_settings(Some(7.0), Some(1.5e12)),
            Ok((7, Some(1_500_000_000_000)))
        );
        let part = "options.partition must be an integer from 0 to 2147483647";
        for p in [-1.0, 0.5, 2147483648.0, f64::NAN] {
            assert_eq!(call_settings(Some(p), None), Err(part.to_string()));
        }
        assert!(call_settings(None, Some(f64::INFINITY)).is_err());
    }

    #[test]
    fn file_settings_from_js() {
        assert_eq!(
            file_settings(&json!({})).expect("defaults"),
            FileSettings::default()
        );
        let f = file_settings(&json!({"maxRulesFileBytes": 10, "maxFileBytes": 0,
            "maxLookupFileBytes": 20, "lookupRoots": ["/data", "rel"]}))
        .expect("valid");
        assert_eq!((f.rules, f.records, f.lookups.max_bytes), (10, 0, 20));
        assert_eq!(
            f.lookups.roots,
            vec![PathBuf::from("/data"), PathBuf::from("rel")]
        );
        for (bad, want) in [
            (
                json!({"maxRulesFileBytes": -1}),
                "EngineConfig.maxRulesFileBytes must be a non-negative integer",
            ),
            (
                json!({"maxFileBytes": "1"}),
                "EngineConfig.maxFileBytes must be a non-negative integer",
            ),
            (
                json!({"maxLookupFileBytes": 0.5}),
                "EngineConfig.maxLookupFileBytes must be a non-negative integer",
            ),
            (
                json!({"lookupRoots": "/data"}),
                "EngineConfig.lookupRoots must be an array of non-empty strings",
            ),
            (
                json!({"lookupRoots": [""]}),
                "EngineConfig.lookupRoots must be an array of non-empty strings",
            ),
        ] {
            assert_eq!(file_settings(&bad).expect_err(want), want);
        }
    }
}
