//! Loading a rules document (JSON text) into a [`NativeRuleSet`], or every problem found.

use std::path::Path;
use std::sync::Arc;

use blazerules_core::error::ErrorCode;
use blazerules_core::files::{read_limited, LookupLimits};
use blazerules_core::source::{self, Format, LineIndex, Source, SourceError};
use blazerules_core::{lookup_paths, LoadError, LookupTexts, RuleSet, WindowState};
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
    /// 1-based line/column (UTF-16 units) in the rules text, when known.
    pub line: Option<u32>,
    pub column: Option<u32>,
    /// The YAML parser refused the text: the caller may have the reference parser word it.
    pub unreadable: Option<bool>,
}

impl NativeProblem {
    /// A problem of the text as a whole (its syntax, its nesting, a repeated key).
    fn syntax(e: SourceError) -> NativeProblem {
        NativeProblem {
            code: ErrorCode::YamlSyntaxError.to_string(),
            message: e.message,
            rule_id: None,
            path: String::new(),
            sql_offset: None,
            line: e.line_column.map(|(l, _)| l),
            column: e.line_column.map(|(_, c)| c),
            unreadable: e.unreadable.then_some(true),
        }
    }
}

/// The problems of a document that did not load, each at its place in the text when `src`
/// (read with positions) is given.
fn problems_from(err: LoadError, src: Option<&Source>, text: &str) -> Vec<NativeProblem> {
    let lines = src.map(|src| (src, LineIndex::new(text)));
    let mut out: Vec<NativeProblem> = err
        .problems
        .into_iter()
        .map(|p| {
            let at = lines
                .as_ref()
                .and_then(|(src, l)| src.positions.locate(&p.path, p.sql_offset, &src.value, l));
            NativeProblem {
                code: p.code.to_string(),
                message: p.message,
                rule_id: p.rule_id,
                path: p.path,
                sql_offset: p.sql_offset.map(|o| u32::try_from(o).unwrap_or(u32::MAX)),
                line: at.map(|(l, _)| l),
                column: at.map(|(_, c)| c),
                unreadable: None,
            }
        })
        .collect();
    if out.is_empty() {
        out.push(NativeProblem::syntax(SourceError {
            message: "invalid rules".to_string(),
            line_column: None,
            unreadable: false,
        }));
    }
    out
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
    /// The window state of the engine that loaded it: what `runStream` keeps its shards in.
    pub(crate) windows: Option<Arc<WindowState>>,
}

impl NativeRuleSet {
    fn new(rs: RuleSet) -> NativeRuleSet {
        NativeRuleSet {
            windows: None,
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

/// Loads a rules document from its text (UTF-8 bytes): `format` is `yaml`, `json`, or `converted` (JSON
/// converted from YAML by the reference parser: its problems are located by the caller).
/// `base_dir` resolves relative lookup paths, and lookups are read under the config's
/// `lookupRoots` and `maxLookupFileBytes`; with `lookups` (a rules bundle), every lookup is
/// taken from it by the path as written instead, and nothing is read from disk. Returns the
/// rule set, or every problem found, each at its line and column (never throws for a bad
/// document).
#[napi]
pub fn load_rule_set(
    text: Buffer,
    format: String,
    base_dir: String,
    config: &NativeEvalConfig,
    lookups: Option<std::collections::HashMap<String, Buffer>>,
) -> Result<Either<NativeRuleSet, Vec<NativeProblem>>> {
    guard("loadRuleSet", || {
        let bundle: Option<LookupTexts> =
            lookups.map(|m| m.into_iter().map(|(k, v)| (k, v.to_vec())).collect());
        let from = Lookups {
            base_dir: &base_dir,
            limits: &config.files.lookups,
            bundle: bundle.as_ref(),
        };
        Ok(match load_bytes(&text, &format, from) {
            Either::A(rs) => Either::A(NativeRuleSet {
                windows: Some(config.windows.clone()),
                ..rs
            }),
            problems => problems,
        })
    })
}

/// The lookups a rules text names (`lookups.<name>.path` as written), or none when the text
/// does not parse: what hot reload watches and `rules publish` bundles.
#[napi]
pub fn rules_lookup_paths(text: Buffer, format: String) -> Result<Vec<NativeLookupPath>> {
    guard("rulesLookupPaths", || {
        let fmt = if format == "yaml" {
            Format::Yaml
        } else {
            Format::Json
        };
        let Ok(src) = source::text_of(&text).and_then(|t| source::read(t, fmt, false)) else {
            return Ok(Vec::new());
        };
        let paths = lookup_paths(&src.value).into_iter();
        Ok(paths
            .map(|(name, path)| NativeLookupPath { name, path })
            .collect())
    })
}

/// A lookup a rules text names.
#[napi(object)]
pub struct NativeLookupPath {
    pub name: String,
    /// As written in the rules (relative to the rules file's directory unless absolute).
    pub path: String,
}

/// Where a load takes its lookups from: files under `base_dir` and `limits`, or a bundle.
#[derive(Clone, Copy)]
struct Lookups<'a> {
    base_dir: &'a str,
    limits: &'a LookupLimits,
    bundle: Option<&'a LookupTexts>,
}

/// The text must be UTF-8 (a BOM is dropped); then as [`load_text`].
fn load_bytes(
    bytes: &[u8],
    format: &str,
    from: Lookups<'_>,
) -> Either<NativeRuleSet, Vec<NativeProblem>> {
    match source::text_of(bytes) {
        Ok(text) => load_text(text, format, from),
        Err(e) => Either::B(vec![NativeProblem::syntax(e)]),
    }
}

fn load_text(
    text: &str,
    format: &str,
    from: Lookups<'_>,
) -> Either<NativeRuleSet, Vec<NativeProblem>> {
    let (fmt, located) = match format {
        "json" => (Format::Json, true),
        "converted" => (Format::Json, false),
        _ => (Format::Yaml, true),
    };
    // Read without positions: a document that loads never needs them. One with a problem is
    // read again, with them, to place it.
    let src = match source::read(text, fmt, false) {
        Ok(src) => src,
        Err(e) => {
            let e = source::read(text, fmt, true).err().unwrap_or(e);
            return Either::B(vec![NativeProblem::syntax(e)]);
        }
    };
    let base = if from.base_dir.is_empty() {
        Path::new(".")
    } else {
        Path::new(from.base_dir)
    };
    let loaded = match from.bundle {
        Some(bundle) => RuleSet::load_bundle(src.value, bundle, from.limits),
        None => RuleSet::load_owned(src.value, base, from.limits),
    };
    match loaded {
        Ok(rs) => Either::A(NativeRuleSet::new(rs)),
        Err(e) => {
            let placed = located
                .then(|| source::read(text, fmt, true).ok())
                .flatten();
            Either::B(problems_from(e, placed.as_ref(), text))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn load_reports_problems_instead_of_failing() {
        let limits = LookupLimits::default();
        let from = |base_dir| Lookups {
            base_dir,
            limits: &limits,
            bundle: None,
        };
        match load_text("{\"rules\": [", "json", from("")) {
            Either::B(problems) => {
                assert_eq!(problems.len(), 1);
                assert_eq!(problems[0].code, ErrorCode::YamlSyntaxError.as_str());
                assert_eq!(problems[0].line, Some(1));
            }
            Either::A(_) => panic!("a truncated document must not load"),
        }
        let doc = r#"{"ruleset":{"version":"5","rules":[{"id":"a","conditions":{"field":"x","op":"gt","value":1}}]}}"#;
        match load_text(doc, "json", from(".")) {
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

    #[test]
    fn a_bundle_supplies_the_lookups_by_the_path_as_written() {
        let doc = r#"{"lookups":{"bad":{"type":"string_set","path":"lists/bad.csv"}},
            "ruleset":{"version":"7","rules":[{"id":"a","conditions":{"field":"x","op":"in_lookup","lookup":"bad"}}]}}"#;
        let limits = LookupLimits::default();
        let mut bundle = LookupTexts::new();
        fn from<'a>(limits: &'a LookupLimits, bundle: &'a LookupTexts) -> Lookups<'a> {
            Lookups {
                base_dir: "/nonexistent",
                limits,
                bundle: Some(bundle),
            }
        }
        match load_text(doc, "json", from(&limits, &bundle)) {
            Either::B(p) => assert!(p[0]
                .message
                .contains("lists/bad.csv is not in the rules bundle")),
            Either::A(_) => panic!("a lookup missing from the bundle must not load"),
        }
        bundle.insert("lists/bad.csv".into(), b"value\nx1\n".to_vec());
        assert!(matches!(
            load_text(doc, "json", from(&limits, &bundle)),
            Either::A(_)
        ));
        let paths = lookup_paths(&serde_json::from_str(doc).expect("json"));
        assert_eq!(
            paths,
            vec![("bad".to_string(), "lists/bad.csv".to_string())]
        );
    }
}
