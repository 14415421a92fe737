//! What the engine reads: lookup files (confined and bounded), input line numbers, and JSON
//! arrays read element by element.

use blazerules_core::error::ErrorCode;
use blazerules_core::files::LookupLimits;
use blazerules_core::output::{write_batch_lines, LineOptions, LineStyle};
use blazerules_core::{EvalOptions, RuleSet};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("br-inputs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("dir");
    dir
}

fn lookup_doc(path: &str) -> Value {
    json!({
        "lookups": {"c": {"type": "string_set", "path": path}},
        "rules": [{"id": "c", "conditions": {"field": "c", "op": "in_lookup", "lookup": "c"}}]
    })
}

/// The first problem's (code, message) of loading a lookup at `path` from `base`.
fn refusal(base: &Path, path: &str, limits: &LookupLimits) -> (ErrorCode, String) {
    let e = RuleSet::load_with(&lookup_doc(path), base, limits).expect_err("refused");
    let p = &e.problems[0];
    assert_eq!(p.path, "lookups.c.path");
    (p.code, p.message.clone())
}

#[test]
fn lookups_are_confined_and_bounded() {
    let dir = temp_dir("lookups");
    let rules = dir.join("rules");
    std::fs::create_dir_all(rules.join("sub")).expect("dir");
    std::fs::write(rules.join("sub/c.csv"), "value\nUS\n").expect("write");
    std::fs::write(dir.join("outside.csv"), "value\nUS\n").expect("write");
    let d = LookupLimits::default();
    assert!(RuleSet::load_with(&lookup_doc("sub/c.csv"), &rules, &d).is_ok());
    let (code, msg) = refusal(&rules, "../outside.csv", &d);
    assert_eq!(code, ErrorCode::LookupOutsideRoots);
    assert!(
        msg.contains("outside.csv is outside the rules file's directory"),
        "{msg}"
    );
    // Absolute paths and paths to files that do not exist are confined too.
    let abs = dir.join("outside.csv").display().to_string();
    assert_eq!(refusal(&rules, &abs, &d).0, ErrorCode::LookupOutsideRoots);
    assert_eq!(
        refusal(&rules, "/etc/passwd", &d).0,
        ErrorCode::LookupOutsideRoots
    );
    assert_eq!(
        refusal(&rules, "../../../../nope.csv", &d).0,
        ErrorCode::LookupOutsideRoots
    );
    assert_eq!(
        refusal(&rules, "nope.csv", &d).0,
        ErrorCode::MissingRequiredField
    );
    // A root lets the caller allow more.
    let wider = LookupLimits {
        roots: vec![dir.clone()],
        ..d.clone()
    };
    assert!(RuleSet::load_with(&lookup_doc("../outside.csv"), &rules, &wider).is_ok());
    // Devices and directories are refused by type, large files by size.
    let anywhere = LookupLimits {
        roots: vec![PathBuf::from("/")],
        ..d.clone()
    };
    let (code, msg) = refusal(&rules, "/dev/zero", &anywhere);
    assert_eq!(code, ErrorCode::IoError);
    assert!(
        msg.contains("/dev/zero: it is a character device, not a regular file"),
        "{msg}"
    );
    assert_eq!(refusal(&rules, "sub", &d).0, ErrorCode::IoError);
    let small = LookupLimits { max_bytes: 4, ..d };
    let (code, msg) = refusal(&rules, "sub/c.csv", &small);
    assert_eq!(code, ErrorCode::FileTooLarge);
    assert!(
        msg.ends_with("is 9 bytes, over the limit of 4 bytes (maxLookupFileBytes)"),
        "{msg}"
    );
    let _ = std::fs::remove_dir_all(dir);
}

fn rules() -> RuleSet {
    let doc =
        json!({"rules": [{"id": "big", "conditions": {"field": "a", "op": "gt", "value": 1}}]});
    RuleSet::load(&doc, Path::new(".")).expect("loads")
}

#[test]
fn ndjson_records_know_their_input_line() {
    let rs = rules();
    let text = "\n{\"a\":1}\n\n  \r\n{\"a\":2}\nbad\n{\"a\":3}  \r\n\n\n{\"a\":4}";
    for threads in [1, 4] {
        // Tiny pieces: every line in a piece of its own when run on several threads.
        let opts = EvalOptions {
            threads,
            ..EvalOptions::default()
        };
        let r = rs.evaluate_ndjson(text.as_bytes(), &opts).expect("runs");
        assert_eq!(r.input_rows, [0, 1, 3, 4]);
        assert_eq!(r.input_lines, [2, 5, 7, 10]);
        assert_eq!(r.input_line_count, 10);
    }
    let big: String = (0..200_000)
        .map(|i| {
            if i % 7 == 3 {
                "\n".to_string()
            } else {
                format!("{{\"a\":{i}}}\n")
            }
        })
        .collect();
    let opts = EvalOptions {
        threads: 4,
        ..EvalOptions::default()
    };
    let r = rs.evaluate_ndjson(big.as_bytes(), &opts).expect("runs");
    let want: Vec<u32> = (0..200_000u32)
        .filter(|i| i % 7 != 3)
        .map(|i| i + 1)
        .collect();
    assert_eq!(r.input_lines, want);
    assert_eq!(r.input_line_count, 200_000);
    let mut out = Vec::new();
    let lines = LineOptions {
        style: LineStyle::Decisions,
        line_offset: 10,
        ..LineOptions::default()
    };
    write_batch_lines(&mut out, &r, rs.labels(), rs.rule_ids(), &lines);
    let first = String::from_utf8_lossy(&out)
        .lines()
        .nth(3)
        .unwrap_or_default()
        .to_string();
    assert!(
        first.starts_with("{\"row\":3,\"line\":15,\"matched\":true"),
        "{first}"
    );
}

#[test]
fn json_array_elements_are_skipped_one_by_one() {
    let rs = rules();
    let opts = EvalOptions::default();
    let text = r#" [ {"a":5}, {"a":}, 7, {"a":"[,]\"{"}, {"a":1,}, {"a":9} ] "#;
    let r = rs
        .evaluate_json_array(text.as_bytes(), &opts)
        .expect("runs");
    assert_eq!(r.input_rows, [0, 3, 5]);
    assert!(r.input_lines.is_empty());
    assert_eq!(r.messages_skipped, 3);
    let rows: Vec<u64> = r.error_samples.iter().map(|s| s.row_index).collect();
    assert_eq!(rows, [1, 2, 4]);
    assert!(r
        .error_samples
        .iter()
        .all(|s| s.code == ErrorCode::MalformedJson));
    assert_eq!(r.error_samples[1].message, "record is not a JSON object");
    // A broken structure is refused whole, at row 0.
    for (bad, why) in [
        (
            "[{\"a\":1},",
            "malformed json array: the array is not closed",
        ),
        ("[{\"a\":1}} ]", "malformed json array: unbalanced brackets"),
        (
            "[{\"a\":1}] x",
            "malformed json array: bytes after the closing bracket",
        ),
        ("{\"a\":1}", "json-array input must be a top-level array"),
        ("nope", "malformed json array"),
    ] {
        let r = rs.evaluate_json_array(bad.as_bytes(), &opts).expect("runs");
        assert_eq!((r.n_records(), r.messages_skipped), (0, 1), "{bad}");
        assert_eq!(r.error_samples[0].message, why, "{bad}");
    }
    for empty in ["[]", " [ \n ] "] {
        let r = rs
            .evaluate_json_array(empty.as_bytes(), &opts)
            .expect("runs");
        assert_eq!((r.n_records(), r.messages_skipped), (0, 0), "{empty}");
    }
}

/// A rule set reading top-level, nested and string fields.
fn shaped_rules() -> RuleSet {
    let doc = json!({"rules": [
        {"id": "a", "conditions": {"field": "a", "op": "gt", "value": 1}},
        {"id": "c", "conditions": {"field": "b.c", "op": "eq", "value": 2}},
        {"id": "s", "conditions": {"field": "s", "op": "eq", "value": "x"}}
    ]});
    RuleSet::load(&doc, Path::new(".")).expect("rules")
}

/// Each record's (decision code, matched, rules it matched).
fn outcomes(rules: &RuleSet, msgs: &[&str]) -> Vec<(i32, u8, Vec<usize>)> {
    let opts = EvalOptions {
        threads: 1,
        ..EvalOptions::default()
    };
    let slices: Vec<&[u8]> = msgs.iter().map(|m| m.as_bytes()).collect();
    let r = rules.evaluate_messages(&slices, &opts).expect("evaluate");
    (0..r.decision_codes.len())
        .map(|k| {
            let hits = (0..r.rule_hits.len())
                .filter(|&rule| r.rule_hits[rule].contains(&(k as u32)))
                .collect();
            (r.decision_codes[k], r.matched[k], hits)
        })
        .collect()
}

#[test]
fn shapes_learnt_by_one_call_do_not_change_the_next() {
    // The calling thread keeps the record shapes it learnt for a rule set across calls
    // (batch/sink.rs `Scratch::shapes`): records of other shapes must read as they would
    // with nothing learnt.
    let rules = shaped_rules();
    let learnt: Vec<&str> = vec![r#"{"a":5,"b":{"c":2},"s":"x","t":1}"#; 40];
    outcomes(&rules, &learnt);
    let others = [
        r#"{"a":0,"b":{"c":2},"s":"y","t":1}"#,
        r#"{"s":"x","b":{"c":3},"a":7}"#,
        r#"{"a":5,"b":{"c":2,"d":[1,{"c":9}]},"s":"x\u0000","t":1}"#,
        r#"{"\u0061":5,"b":{"\u0063":2},"s":"\u0078"}"#,
        r#"{"a":5,"b":2,"s":"x"}"#,
        r#"{"a":5,"a":0,"b":{"c":2},"s":"x"}"#,
        r#"{"a":"5","b":{"c":2.0},"s":"x","t":1}"#,
        r#"{"a":5,"b":{"c":2},"s":"x","t":{"a":0}}"#,
        r#"{"a":5 , "b" : { "c" : 2 } , "s" : "x" }"#,
    ];
    let fresh = shaped_rules();
    assert_eq!(outcomes(&rules, &others), outcomes(&fresh, &others));
    assert_eq!(
        outcomes(&rules, &learnt[..3]),
        outcomes(&fresh, &learnt[..3])
    );
}
