//! Loading a rules document (JSON text) into a [`NativeRuleSet`], or every problem found.

use std::path::Path;

use blazerules_core::error::ErrorCode;
use blazerules_core::files::{read_limited, LookupLimits};
use blazerules_core::{LoadError, RuleSet};
use napi::bindgen_prelude::*;
use napi_derive::napi;

use crate::guard::{coded_error, guard};
use crate::options::NativeEvalConfig;

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

impl NativeProblem {
    /// A syntax problem of the whole document, at `line`/`column` when known.
    fn syntax(message: String, line: Option<u32>, column: Option<u32>) -> NativeProblem {
        NativeProblem {
            code: ErrorCode::YamlSyntaxError.to_string(),
            message,
            rule_id: None,
            path: String::new(),
            sql_offset: None,
            line,
            column,
        }
    }
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
        out.push(NativeProblem::syntax(
            "invalid rules".to_string(),
            None,
            None,
        ));
    }
    out
}

/// Deeper JSON documents are rejected before parsing (see the constant's own doc).
use blazerules_core::limits::MAX_DOCUMENT_DEPTH as MAX_DOC_DEPTH;

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
                    let message = format!("document nesting too deep (limit {MAX_DOC_DEPTH})");
                    return Some(NativeProblem::syntax(message, Some(line), Some(col)));
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    None
}

/// Parses the JSON text (depth already bounded), or the syntax problem.
fn parse(json: &str) -> std::result::Result<serde_json::Value, NativeProblem> {
    let mut de = serde_json::Deserializer::from_str(json);
    // Depth is bounded by `too_deep`, so the recursive parse cannot exhaust the stack.
    de.disable_recursion_limit();
    let parsed = serde::Deserialize::deserialize(&mut de)
        .and_then(|v: serde_json::Value| de.end().map(|()| v));
    parsed.map_err(|e| {
        let full = e.to_string();
        let suffix = format!(" at line {} column {}", e.line(), e.column());
        let message = format!(
            "invalid JSON: {}",
            full.strip_suffix(&suffix).unwrap_or(&full)
        );
        NativeProblem::syntax(
            message,
            u32::try_from(e.line()).ok(),
            u32::try_from(e.column()).ok(),
        )
    })
}

/// A compiled, immutable rule set. Evaluations capture it when they start, so a batch is
/// always evaluated wholly by one rule set even if JS loads another one meanwhile.
#[napi]
pub struct NativeRuleSet {
    pub(crate) inner: RuleSet,
    name: String,
    version: String,
    rule_ids: Vec<String>,
    pub(crate) labels: Vec<String>,
}

impl NativeRuleSet {
    fn new(rs: RuleSet) -> NativeRuleSet {
        NativeRuleSet {
            name: rs.name().to_string(),
            version: rs.version().to_string(),
            rule_ids: rs.rule_ids().to_vec(),
            labels: rs.labels().to_vec(),
            inner: rs,
        }
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
}

/// Reads a rules file: a regular file of at most `maxRulesFileBytes` (`[IO_ERROR]` or
/// `[FILE_TOO_LARGE]` otherwise, naming the file).
#[napi]
pub fn read_rules_file(path: String, config: &NativeEvalConfig) -> Result<Buffer> {
    guard("readRulesFile", || {
        let limit = config.files.rules;
        read_limited(Path::new(&path), limit, "rules file", "maxRulesFileBytes")
            .map(Buffer::from)
            .map_err(|e| coded_error(e.code, &e.message))
    })
}

/// Loads a rules document given as JSON text. `base_dir` resolves relative lookup paths, and
/// lookups are read under the config's `lookupRoots` and `maxLookupFileBytes`.
/// Returns the rule set, or every problem found (never throws for a bad document).
#[napi]
pub fn load_rule_set(
    json: String,
    base_dir: String,
    config: &NativeEvalConfig,
) -> Result<Either<NativeRuleSet, Vec<NativeProblem>>> {
    guard("loadRuleSet", || {
        Ok(load_text(&json, &base_dir, &config.files.lookups))
    })
}

fn load_text(
    json: &str,
    base_dir: &str,
    limits: &LookupLimits,
) -> Either<NativeRuleSet, Vec<NativeProblem>> {
    if let Some(problem) = too_deep(json.as_bytes()) {
        return Either::B(vec![problem]);
    }
    let doc = match parse(json) {
        Ok(doc) => doc,
        Err(problem) => return Either::B(vec![problem]),
    };
    let base = if base_dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(base_dir)
    };
    match RuleSet::load_with(&doc, base, limits) {
        Ok(rs) => Either::A(NativeRuleSet::new(rs)),
        Err(e) => Either::B(problems_from(e)),
    }
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
        assert_eq!(p.code, ErrorCode::YamlSyntaxError.as_str());
        assert_eq!(
            (p.line, p.column),
            (Some(1), Some(MAX_DOC_DEPTH as u32 + 1))
        );
        // Brackets inside strings (escaped quotes included) do not count.
        let in_string = format!("{{\"a\": \"\\\"{}\"}}", "[".repeat(5000));
        assert!(too_deep(in_string.as_bytes()).is_none());
    }

    #[test]
    fn load_reports_problems_instead_of_failing() {
        match load_text("{\"rules\": [", "", &LookupLimits::default()) {
            Either::B(problems) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].code, ErrorCode::YamlSyntaxError.as_str());
                assert_eq!(problems[0].line, Some(1));
            }
            Either::A(_) => panic!("a truncated document must not load"),
        }
        let doc = r#"{"ruleset":{"version":"5","rules":[{"id":"a","conditions":{"field":"x","op":"gt","value":1}}]}}"#;
        match load_text(doc, ".", &LookupLimits::default()) {
            Either::A(rs) => {
                assert_eq!(rs.version(), "5");
                assert_eq!(rs.rule_ids(), vec!["a".to_string()]);
            }
            Either::B(p) => panic!(
                "unexpected problems: {:?}",
                p.iter().map(|p| &p.message).collect::<Vec<_>>()
            ),
        }
    }
}
