//! End-to-end semantics of the core: rules document in, per-record results out.

use blazerules_core::{BatchResult, EvalOptions, IngestErrorMode, RuleSet};
use serde_json::{json, Value};
use std::path::Path;

fn load(doc: Value) -> RuleSet {
    RuleSet::load(&doc, Path::new(".")).unwrap_or_else(|e| panic!("load failed: {e:?}"))
}

fn run(rs: &RuleSet, ndjson: &str) -> BatchResult {
    rs.evaluate_ndjson(ndjson.as_bytes(), &EvalOptions::default())
        .expect("evaluates")
}

fn decisions(rs: &RuleSet, r: &BatchResult) -> Vec<String> {
    r.decision_codes
        .iter()
        .map(|&c| rs.labels()[c as usize].clone())
        .collect()
}

/// One rule with `cond`; returns which records match (1 per line of `records`).
fn matches(cond: Value, records: &[Value]) -> Vec<bool> {
    matches_with(json!({}), cond, records)
}

fn matches_with(fields: Value, cond: Value, records: &[Value]) -> Vec<bool> {
    let rs = load(
        json!({"fields": fields, "rules": [{"id": "r", "action": "block", "conditions": cond}]}),
    );
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    let res = run(&rs, &text);
    assert_eq!(res.n_records(), records.len());
    res.matched.iter().map(|&m| m == 1).collect()
}

#[test]
fn numeric_ops_and_null_rule() {
    let recs = [
        json!({"a": 5}),
        json!({"a": 10}),
        json!({"a": null}),
        json!({}),
        json!({"a": "7"}),
        json!({"a": [3, 12]}),
    ];
    assert_eq!(
        matches(json!({"field": "a", "op": "gt", "value": 6}), &recs),
        [false, true, false, false, false, false]
    );
    assert_eq!(
        matches(json!({"field": "a", "op": "lte", "value": 5}), &recs),
        [true, false, false, false, false, true]
    );
    assert_eq!(
        matches(json!({"field": "a", "op": "neq", "value": 5}), &recs),
        [false, true, false, false, false, true]
    );
    assert_eq!(
        matches(
            json!({"field": "a", "op": "between_including", "value": [5, 10]}),
            &recs
        ),
        [true, true, false, false, false, false]
    );
    assert_eq!(
        matches(
            json!({"field": "a", "op": "between_excluding", "value": [5, 10]}),
            &recs
        ),
        [false; 6]
    );
    // `not` over a leaf flips the operator: null stays false.
    assert_eq!(
        matches(
            json!({"not": {"field": "a", "op": "gt", "value": 6}}),
            &recs
        ),
        [true, false, false, false, false, true]
    );
    // `not` over a composite is a complement: null becomes true.
    assert_eq!(
        matches(
            json!({"not": {"and": [{"field": "a", "op": "gt", "value": 6}]}}),
            &recs
        ),
        [true, false, true, true, true, true]
    );
}

#[test]
fn hints_cast_the_threshold() {
    let recs = [json!({"x": 2}), json!({"x": 2.9}), json!({"amount": 0.1})];
    // int: `x lt 2.5` behaves as `x < 2`.
    assert_eq!(
        matches_with(
            json!({"x": {"type": "int32"}}),
            json!({"field": "x", "op": "lt", "value": 2.5}),
            &recs
        )[..2],
        [false, false]
    );
    // float32: 0.1 is not greater than 0.1.
    assert!(
        !matches_with(
            json!({"amount": {"type": "float32"}}),
            json!({"field": "amount", "op": "gt", "value": 0.1}),
            &recs
        )[2]
    );
    assert_eq!(
        matches(json!({"field": "x", "op": "lt", "value": 2.5}), &recs)[..2],
        [true, false]
    );
}

#[test]
fn categorical_sets() {
    let recs = [
        json!({"c": "US"}),
        json!({"c": "FR"}),
        json!({"c": ["US", "GB"]}),
        json!({"c": 5}),
        json!({"c": null}),
        json!({"c": ""}),
    ];
    assert_eq!(
        matches(
            json!({"field": "c", "op": "in", "values": ["US", "5"]}),
            &recs
        ),
        [true, false, true, true, false, false]
    );
    assert_eq!(
        matches(
            json!({"field": "c", "op": "not_in", "values": ["US"]}),
            &recs
        ),
        [false, true, false, true, false, true]
    );
    assert_eq!(
        matches(json!({"field": "c", "op": "eq", "value": "US"}), &recs),
        [true, false, true, false, false, false]
    );
    assert_eq!(
        matches(
            json!({"field": "c", "op": "contains_all", "values": ["US", "GB"]}),
            &recs
        ),
        [false, false, true, false, false, false]
    );
    // choices.md: `not contains_all` negates (null still false).
    assert_eq!(
        matches(
            json!({"not": {"field": "c", "op": "contains_all", "values": ["US", "GB"]}}),
            &recs
        ),
        [true, true, false, true, false, true]
    );
    // a scalar `value:` on a set op is an empty list
    assert_eq!(
        matches(json!({"field": "c", "op": "in", "value": "US"}), &recs),
        [false; 6]
    );
}

#[test]
fn strings_regex_null_empty() {
    let recs = [
        json!({"s": "Hello World"}),
        json!({"s": ""}),
        json!({}),
        json!({"s": "null"}),
    ];
    assert_eq!(
        matches(
            json!({"field": "s", "op": "contains", "value": "World"}),
            &recs
        ),
        [true, false, false, false]
    );
    assert_eq!(
        matches(
            json!({"not": {"field": "s", "op": "contains", "value": "World"}}),
            &recs
        ),
        [false, true, true, true]
    );
    assert_eq!(
        matches(
            json!({"field": "s", "op": "ci_eq", "value": "hello world"}),
            &recs
        ),
        [true, false, false, false]
    );
    assert_eq!(
        matches(json!({"field": "s", "op": "regex", "value": "o W"}), &recs),
        [true, false, false, false]
    );
    assert_eq!(
        matches(
            json!({"field": "s", "op": "not_regex", "value": "^H"}),
            &recs
        ),
        [false, true, false, true]
    );
    assert_eq!(
        matches(json!({"field": "s", "op": "is_null"}), &recs),
        [false, false, true, false]
    );
    assert_eq!(
        matches(json!({"field": "s", "op": "is_empty"}), &recs),
        [false, true, true, false]
    );
    assert_eq!(
        matches(json!({"field": "s", "op": "length_gt", "value": 3}), &recs),
        [true, false, false, true]
    );
    // nullable hint: "" reads as null
    assert_eq!(
        matches_with(
            json!({"s": {"nullable": true}}),
            json!({"field": "s", "op": "is_null"}),
            &recs
        ),
        [false, true, true, false]
    );
}

#[test]
fn ip_flags_temporal_geo_expr() {
    let recs = [
        json!({"ip": "10.1.2.3", "f": 5, "ts": 0, "lat": 48.8566, "lon": 2.3522, "lat2": 51.5074, "lon2": -0.1278, "a": 10, "b": 0}),
    ];
    let m = |c: Value| matches(c, &recs)[0];
    assert!(m(
        json!({"field": "ip", "op": "ip_in_subnet", "value": "10.0.0.0/8"})
    ));
    assert!(!m(
        json!({"field": "ip", "op": "in_subnet", "value": "192.168.0.0/16"})
    ));
    assert!(m(json!({"field": "f", "op": "flags_any", "mask": "0x4"})));
    assert!(m(json!({"field": "f", "op": "flags_all", "mask": 5})));
    assert!(!m(json!({"field": "f", "op": "flags_none", "mask": 1})));
    // 1970-01-01 was a Thursday (4), at hour 0.
    assert!(m(
        json!({"field": "ts", "op": "day_of_week_in", "value": [4]})
    ));
    assert!(m(
        json!({"field": "ts", "op": "time_of_day_between", "value": [22, 1]})
    ));
    assert!(m(json!({"field": "ts", "op": "before", "value": 1})));
    assert!(m(
        json!({"op": "distance_gt", "lat_field": "lat", "lon_field": "lon", "other_lat_field": "lat2", "other_lon_field": "lon2", "value": 300})
    ));
    assert!(m(
        json!({"op": "gt", "expr": {"op": "mul", "left": "a", "right": 2}, "value": 19})
    ));
    // division by zero is false
    assert!(!m(
        json!({"op": "gt", "expr": {"op": "div", "left": "a", "right": "b"}, "value": -1e9})
    ));
    assert!(m(
        json!({"field": "a", "op": "gt_field", "other_field": "b"})
    ));
}

#[test]
fn array_any_uses_element_semantics() {
    let recs = [
        json!({"items": [{"sku": "A", "qty": 3}, {"sku": "B", "qty": 1, "meta": {"x": 1}}]}),
        json!({"items": "no"}),
        json!({"items": [1, 2]}),
    ];
    let c = json!({"array_any": {"path": "items", "where": {"and": [{"field": "sku", "op": "eq", "value": "B"}, {"field": "meta.x", "op": "eq", "value": 1}]}}});
    assert_eq!(matches(c, &recs), [true, false, false]);
    // inside array_any `not` is plain: a missing field makes `not gt` true
    let c = json!({"array_any": {"path": "items", "where": {"not": {"field": "price", "op": "gt", "value": 1}}}});
    assert_eq!(matches(c, &recs), [true, false, false]);
}

#[test]
fn dotted_fields_resolve_per_record() {
    let recs = [
        json!({"m": {"risk": 9}}),
        json!({"m.risk": 1, "m": {"risk": 9}}),
        json!({"x": 1}),
    ];
    assert_eq!(
        matches(json!({"field": "m.risk", "op": "gt", "value": 5}), &recs),
        [true, false, false]
    );
}

#[test]
fn decisions_scores_and_ties() {
    let rs = load(json!({
        "ruleset": {"name": "t", "version": "2.0", "rules": [
            {"id": "a", "action": "review", "weight": 50, "score_cap": 60, "conditions": {"field": "x", "op": "gt", "value": 0}},
            {"id": "b", "action": "review", "weight": 40, "severity": "high", "conditions": {"field": "x", "op": "gt", "value": 1}},
            {"id": "c", "action": "block", "shadow": true, "conditions": {"field": "x", "op": "gt", "value": 2}},
            {"id": "d", "action": "flag", "conditions": {"field": "x", "op": "gt", "value": 3}},
            {"id": "off", "enabled": false, "action": "nonsense", "conditions": {}}
        ]}
    }));
    assert_eq!(rs.version(), "2.0");
    assert_eq!(rs.rule_ids(), ["a", "b", "c", "d"]);
    let r = run(&rs, "{\"x\":0}\n{\"x\":1}\n{\"x\":2}\n{\"x\":3}\n{\"x\":4}");
    assert_eq!(
        decisions(&rs, &r),
        ["APPROVE", "REVIEW", "REVIEW", "REVIEW", "REVIEW"]
    );
    assert_eq!(r.scores, [0.0, 50.0, 90.0, 90.0, 100.0]);
    assert_eq!(r.winners, [-1, 0, 1, 1, 1]);
    assert_eq!(r.matched, [0, 1, 1, 1, 1]);
    assert_eq!(r.match_counts, [4, 3, 2, 1]);
    assert_eq!(r.risk_bands, [0, 1, 2, 2, 2]);
    assert_eq!(r.ruleset_version, "2.0");
}

#[test]
fn label_codes_and_default() {
    let rs = load(json!({
        "decisions": {"default": "allow", "precedence": ["REVIEW", "BLOCK"]},
        "rules": [{"id": "bot", "action": "block", "label": "bot block", "conditions": {"field": "x", "op": "eq", "value": 1}}]
    }));
    assert_eq!(rs.labels(), ["ALLOW", "REVIEW", "BLOCK", "BOT_BLOCK"]);
    let r = run(&rs, "{\"x\":1}\n{\"x\":2}\n");
    assert_eq!(decisions(&rs, &r), ["BOT_BLOCK", "ALLOW"]);
    // BOT_BLOCK is not BLOCK: score 30 → LOW
    assert_eq!(r.risk_bands, [0, 0]);
}

#[test]
fn bad_records_are_skipped_and_counted() {
    let rs =
        load(json!({"rules": [{"id": "r", "conditions": {"field": "a", "op": "gt", "value": 0}}]}));
    let mut payload = Vec::new();
    payload.extend_from_slice(b"{\"a\":1}\r\n\n   \n{bad\n[1,2]\n42\n\xff\xfe\n\xef\xbb\xbf{\"a\":1}\n{\"a\":1e400}\n{\"a\":\"x\0\"}\n");
    payload.extend(std::iter::repeat_n(b'[', 100_000));
    payload.extend_from_slice(b"\n{\"a\":2}");
    let copy = payload.clone();
    let r = rs
        .evaluate_ndjson(&payload, &EvalOptions::default())
        .expect("evaluates");
    assert_eq!(payload, copy, "payload not mutated");
    // `{"a":1e400}` (row 6) is valid JSON: a reads as +Infinity, decided (choices.md).
    assert_eq!(r.n_records(), 3);
    assert_eq!(r.input_rows, [0, 6, 9]);
    assert_eq!(r.matched, [1, 1, 1]);
    assert_eq!(r.messages_skipped, 7);
    assert_eq!(r.messages_processed, 10);
    assert_eq!(r.error_counts.get("MALFORMED_JSON"), Some(&7));
    let rows: Vec<u64> = r.error_samples.iter().map(|s| s.row_index).collect();
    assert_eq!(rows, [1, 2, 3, 4, 5, 7, 8]);
}

#[test]
fn fail_mode_and_dead_letters() {
    let rs = load(json!({"rules": []}));
    let opts = EvalOptions {
        ingest_error_mode: IngestErrorMode::Fail,
        ..EvalOptions::default()
    };
    let e = rs
        .evaluate_ndjson(b"{}\n{oops\n", &opts)
        .expect_err("fails");
    assert_eq!(e.code, "MALFORMED_JSON");
    let dir = std::env::temp_dir().join(format!("br-dl-{}", std::process::id()));
    let opts = EvalOptions {
        ingest_error_mode: IngestErrorMode::DeadLetter,
        dead_letter_path: Some(dir.clone()),
        ..EvalOptions::default()
    };
    let r = rs
        .evaluate_ndjson(b"{}\n{oops\n", &opts)
        .expect("evaluates");
    assert_eq!(r.messages_skipped, 1);
    let text = std::fs::read_to_string(&dir).expect("dead letter written");
    let line: Value = serde_json::from_str(text.trim()).expect("json line");
    assert_eq!(line["row_index"], 1);
    assert_eq!(line["record"], "{oops");
    let _ = std::fs::remove_file(dir);
}

#[test]
fn parallel_batches_match_sequential() {
    let rs = load(json!({"rules": [
        {"id": "big", "action": "block", "conditions": {"field": "n", "op": "gt", "value": 900}},
        {"id": "odd", "action": "review", "conditions": {"field": "tag", "op": "in", "values": ["odd"]}}
    ]}));
    let mut text = String::new();
    for i in 0..60_000 {
        if i % 997 == 0 {
            text.push_str("{broken\n");
        }
        text.push_str(&format!(
            "{{\"n\":{},\"tag\":\"{}\",\"pad\":\"{}\"}}\n",
            i % 1000,
            if i % 2 == 1 { "odd" } else { "even" },
            "x".repeat(i % 50)
        ));
    }
    let seq = rs
        .evaluate_ndjson(
            text.as_bytes(),
            &EvalOptions {
                threads: 1,
                ..EvalOptions::default()
            },
        )
        .expect("seq");
    let par = rs
        .evaluate_ndjson(
            text.as_bytes(),
            &EvalOptions {
                threads: 4,
                ..EvalOptions::default()
            },
        )
        .expect("par");
    assert_eq!(seq.decision_codes, par.decision_codes);
    assert_eq!(seq.input_rows, par.input_rows);
    assert_eq!(seq.rule_hits, par.rule_hits);
    assert_eq!(seq.messages_skipped, par.messages_skipped);
    assert_eq!(seq.error_samples, par.error_samples);
    assert_eq!(par.n_records(), 60_000);
}

#[test]
fn messages_and_json_arrays() {
    let rs = load(
        json!({"rules": [{"id": "r", "action": "block", "conditions": {"field": "a", "op": "eq", "value": 1}}]}),
    );
    let msgs: Vec<&[u8]> = vec![b"{\"a\":1}", b"", b"{\n \"a\": 1\n}", b"nope"];
    let r = rs
        .evaluate_messages(&msgs, &EvalOptions::default())
        .expect("messages");
    assert_eq!(r.input_rows, [0, 2]);
    assert_eq!(r.matched, [1, 1]);
    assert_eq!(r.messages_skipped, 1);
    assert_eq!(r.error_samples[0].row_index, 3);
    let r = rs
        .evaluate_json_array(b"[{\"a\":1},{\"a\":2},3]", &EvalOptions::default())
        .expect("array");
    assert_eq!(r.matched, [1, 0]);
    assert_eq!(r.messages_skipped, 1);
    let r = rs
        .evaluate_json_array(b"{\"a\":1}", &EvalOptions::default())
        .expect("array");
    assert_eq!(r.n_records(), 0);
    assert_eq!(r.messages_skipped, 1);
}

#[test]
fn load_errors_name_code_rule_and_path() {
    let doc = json!({"ruleset": {"rules": [
        {"id": "a", "conditions": {"field": "x", "op": "bogus", "value": 1}},
        {"id": "b", "action": "explode", "conditions": {"field": "x", "op": "gt", "value": 1}},
        {"id": "c", "severity": "apocalyptic", "conditions": {"and": [{"field": "s", "op": "regex", "value": "("}]}},
        {"id": "a", "conditions": {"field": "x", "op": "in_lookup", "lookup": "nope"}},
        {"id": "w", "conditions": {"model_score": {"model": "m"}, "op": "gt", "value": 1}},
        {"conditions": {}}
    ]}});
    let e = RuleSet::load(&doc, Path::new(".")).expect_err("invalid");
    let got: Vec<(&str, Option<&str>, &str)> = e
        .problems
        .iter()
        .map(|p| (p.code.as_str(), p.rule_id.as_deref(), p.path.as_str()))
        .collect();
    assert!(
        got.contains(&("UNKNOWN_OP", Some("a"), "ruleset.rules[0].conditions.op")),
        "{got:?}"
    );
    assert!(
        got.contains(&("UNKNOWN_ACTION", Some("b"), "ruleset.rules[1].action")),
        "{got:?}"
    );
    assert!(
        got.contains(&("UNKNOWN_SEVERITY", Some("c"), "ruleset.rules[2].severity")),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "UNKNOWN_OP",
            Some("c"),
            "ruleset.rules[2].conditions.and[0].value"
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("DUPLICATE_RULE_ID", Some("a"), "ruleset.rules[3].id")),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "MISSING_REQUIRED_FIELD",
            Some("a"),
            "ruleset.rules[3].conditions.lookup"
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&(
            "UNSUPPORTED",
            Some("w"),
            "ruleset.rules[4].conditions.model_score"
        )),
        "{got:?}"
    );
    assert!(
        got.contains(&("YAML_SYNTAX_ERROR", None, "ruleset.rules[5]")),
        "{got:?}"
    );
}

#[test]
fn nesting_limit() {
    let mut c = json!({"field": "x", "op": "gt", "value": 1});
    for _ in 0..130 {
        c = json!({"and": [c]});
    }
    let e = RuleSet::load(
        &json!({"rules": [{"id": "deep", "conditions": c}]}),
        Path::new("."),
    )
    .expect_err("too deep");
    assert!(e.problems[0].message.contains("nesting too deep"));
}

#[test]
fn lookups_from_csv() {
    let dir = std::env::temp_dir().join(format!("br-lk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(dir.join("c.csv"), "value\nUS\n\"F,R\"\n").expect("write");
    std::fs::write(dir.join("n.csv"), "id,value\nx,12abc\ny,7\n").expect("write");
    std::fs::write(
        dir.join("ip.csv"),
        "name,cidr\na,10.0.0.0/8\nb,192.168.1.1\n",
    )
    .expect("write");
    let doc = json!({
        "lookups": {"c": {"type": "string_set", "path": "c.csv"}, "n": {"type": "int_set", "path": "n.csv"}, "ip": {"type": "ipv4_cidr_set", "path": "ip.csv"}},
        "rules": [
            {"id": "c", "conditions": {"field": "c", "op": "in_lookup", "lookup": "c"}},
            {"id": "n", "conditions": {"field": "n", "op": "in_lookup", "lookup": "n"}},
            {"id": "ip", "conditions": {"field": "ip", "op": "in_lookup", "lookup": "ip"}},
            {"id": "nc", "conditions": {"field": "c", "op": "not_in_lookup", "lookup": "c"}}
        ]
    });
    let rs = RuleSet::load(&doc, &dir).expect("loads");
    let r = run(&rs, "{\"c\":\"F,R\",\"n\":12.7,\"ip\":\"10.9.9.9\"}\n{\"c\":\"DE\",\"n\":8,\"ip\":\"192.168.1.2\"}\n{}\n");
    assert_eq!(r.rule_hits, [vec![0], vec![0], vec![0], vec![1]]);
    let _ = std::fs::remove_dir_all(dir);
}

#[test]
fn escaped_keys_are_keys() {
    // docs/compatibility.md: keys are unescaped as JSON defines (BlazeRules matches raw bytes).
    assert_eq!(
        matches(
            json!({"field": "amount", "op": "gt", "value": 1}),
            &[json!({"am\u{006f}unt": 5})]
        ),
        [true]
    );
    let rs = load(
        json!({"rules": [{"id": "r", "conditions": {"field": "amount", "op": "gt", "value": 1}}]}),
    );
    assert_eq!(run(&rs, "{\"am\\u006funt\": 5}\n").matched, [1]);
}

#[test]
fn empty_rule_sets_evaluate() {
    let rs = load(json!({"rules": []}));
    let r = run(&rs, "{\"a\":1}\n{}\n");
    assert_eq!(r.n_records(), 2);
    assert_eq!(r.decision_codes, [0, 0]);
    assert_eq!(rs.labels()[0], "APPROVE");
}

#[test]
fn text_keys_holding_a_list_or_mapping_are_refused_at_the_value() {
    let first = |doc: Value| {
        let e = RuleSet::load(&doc, Path::new(".")).expect_err("refused");
        let p = &e.problems[0];
        (p.code.as_str(), p.message.clone(), p.path.clone())
    };
    let cond = json!({"field": "a", "op": "gt", "value": 1});
    let rule = |key: &str, v: Value| {
        let mut r = json!({"id": "r", "conditions": cond});
        r[key] = v;
        json!({"rules": [r]})
    };
    for key in ["id", "name", "label", "action", "severity"] {
        let got = first(rule(key, json!(["x"])));
        let want = format!("{key} must be a string");
        assert_eq!(got, ("YAML_SYNTAX_ERROR", want, format!("rules[0].{key}")));
    }
    let leaf = |key: &str, v: Value| {
        let mut c = cond.clone();
        c[key] = v;
        json!({"rules": [{"id": "r", "conditions": c}]})
    };
    let got = first(leaf("op", json!({"gt": 1})));
    assert_eq!(got.2, "rules[0].conditions.op");
    let got = first(leaf("field", json!("")));
    let want = ("UNKNOWN_FIELD_NAME", "a field name is empty".to_string());
    assert_eq!((got.0, got.1), want);
    let got = first(json!({"ruleset": {"version": {"a": 1}, "rules": []}}));
    assert_eq!(got.2, "ruleset.version");
    let got = first(json!({"decisions": ["BLOCK"], "rules": []}));
    assert_eq!(got.1, "decisions must be a mapping");
}
