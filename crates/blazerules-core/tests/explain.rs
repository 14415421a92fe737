//! `RuleSet::explain` (service.md §2): the condition tree as written, each leaf's value,
//! operand and result, the decision and why; agreement with evaluation on generated records.

use blazerules_core::explain::{ConditionTrace, Explanation, Kind};
use blazerules_core::{BatchResult, EvalOptions, RuleSet, WindowState};
use serde_json::{json, Value};
use std::path::Path;

fn load(doc: Value) -> RuleSet {
    RuleSet::load(&doc, Path::new(".")).unwrap_or_else(|e| panic!("load failed: {e:?}"))
}

fn explain(rs: &RuleSet, record: &Value) -> Explanation {
    rs.explain(record.to_string().as_bytes(), &EvalOptions::default())
        .unwrap_or_else(|e| panic!("explain {record}: {e:?}"))
}

fn leaf<'a>(t: &'a ConditionTrace, path_end: &str) -> &'a ConditionTrace {
    fn find<'a>(t: &'a ConditionTrace, end: &str) -> Option<&'a ConditionTrace> {
        if t.path.ends_with(end) {
            return Some(t);
        }
        t.children.iter().find_map(|c| find(c, end))
    }
    find(t, path_end).unwrap_or_else(|| panic!("no node at …{path_end} in {t:#?}"))
}

#[test]
fn the_tree_as_written_with_paths_values_and_operands() {
    let rs = load(json!({"ruleset": {"version": "7", "rules": [
        {"id": "big", "action": "block", "severity": "high", "conditions": {"and": [
            {"field": "amount", "op": "GT", "value": 100},
            {"or": [
                {"field": "country", "op": "in", "values": ["RU", "KP"]},
                {"not": {"field": "email", "op": "contains", "value": "@corp"}}
            ]}
        ]}},
        {"id": "none", "conditions": [{"field": "x", "op": "is_none"}]}
    ]}}));
    let e = explain(
        &rs,
        &json!({"amount": 250, "country": "FR", "email": "a@corp.com"}),
    );
    assert_eq!(e.rule_set_version, "7");
    let big = &e.rules[0];
    assert_eq!((big.id.as_str(), big.matched), ("big", false));
    let c = &big.condition;
    assert_eq!((c.kind, c.result), (Kind::And, false));
    assert_eq!(
        c.path, "ruleset.rules[0].conditions",
        "a node is where its mapping is"
    );
    let amount = leaf(c, "conditions.and[0]");
    assert_eq!(amount.kind, Kind::Leaf);
    assert_eq!(amount.op.as_deref(), Some("gt"), "the canonical spelling");
    assert_eq!(amount.field.as_deref(), Some("amount"));
    assert_eq!(amount.actual, Some(json!(250)));
    assert_eq!(amount.expected, Some(json!(100)));
    assert!(amount.result);
    let country = leaf(c, "and[1].or[0]");
    assert_eq!(country.expected, Some(json!(["RU", "KP"])));
    assert_eq!(
        (country.actual.clone(), country.result),
        (Some(json!("FR")), false)
    );
    let not = leaf(c, "and[1].or[1]");
    assert_eq!((not.kind, not.result), (Kind::Not, false));
    assert_eq!(
        not.children[0].path,
        "ruleset.rules[0].conditions.and[1].or[1].not"
    );
    assert!(not.children[0].result);
    // A bare list is an `and`, its items at `conditions[i]`; an alias is shown canonical.
    let none = &e.rules[1].condition;
    assert_eq!((none.kind, none.result), (Kind::And, true));
    let x = leaf(none, "conditions[0]");
    assert_eq!(
        (x.op.as_deref(), x.actual.clone()),
        (Some("is_null"), Some(Value::Null))
    );
    assert_eq!(x.expected, None);
}

#[test]
fn not_over_a_leaf_flips_its_operator_so_a_missing_value_stays_false() {
    let rs = load(json!({"rules": [
        {"id": "n", "conditions": {"not": {"field": "a", "op": "gt", "value": 5}}},
        {"id": "s", "conditions": {"not": {"field": "s", "op": "contains", "value": "x"}}}
    ]}));
    let e = explain(&rs, &json!({}));
    let n = &e.rules[0].condition;
    // gt on a missing value is false, and so is its `not` (lte on a missing value).
    assert_eq!(
        (n.kind, n.result, n.children[0].result),
        (Kind::Not, false, false)
    );
    assert!(!e.rules[0].matched);
    // A string operator has no opposite: `not` is a plain complement (§2.18).
    let s = &e.rules[1].condition;
    assert_eq!((s.result, s.children[0].result), (true, false));
    assert!(e.rules[1].matched);
    let e = explain(&rs, &json!({"a": 3}));
    assert_eq!(
        (e.rules[0].condition.result, e.rules[0].matched),
        (true, true)
    );
}

#[test]
fn sql_conditions_are_shown_as_the_tree_they_parse_to() {
    let rs = load(json!({"rules": [
        {"id": "q", "conditions": {"sql": "amount > 10 AND (country IN ('RU', 'KP') OR NOT risky = 'yes')"}}
    ]}));
    let e = explain(&rs, &json!({"amount": 11.5, "country": "RU"}));
    let q = &e.rules[0].condition;
    assert_eq!(q.path, "rules[0].conditions.sql");
    assert_eq!((q.kind, q.result), (Kind::And, true));
    let amount = leaf(q, "sql.and[0]");
    assert_eq!(amount.op.as_deref(), Some("gt"));
    assert_eq!(amount.field.as_deref(), Some("amount"));
    assert_eq!(amount.actual, Some(json!(11.5)));
    assert_eq!(amount.expected, Some(json!(10)));
    assert_eq!(q.children[1].kind, Kind::Or);
    assert!(e.rules[0].matched);
}

#[test]
fn array_any_shows_the_element_that_matched_or_each_that_did_not() {
    let rs = load(json!({"rules": [
        {"id": "items", "conditions": {"array_any": {"path": "items", "where": {"and": [
            {"field": "sku", "op": "eq", "value": "X"}, {"field": "qty", "op": "gt", "value": 2}
        ]}}}}
    ]}));
    let rec = json!({"items": [{"sku": "Y", "qty": 9}, 5, {"sku": "X", "qty": 3}, {"sku": "X", "qty": 7}]});
    let e = explain(&rs, &rec);
    let a = &e.rules[0].condition;
    assert_eq!(
        (a.kind, a.op.as_deref(), a.field.as_deref()),
        (Kind::Leaf, Some("array_any"), Some("items"))
    );
    assert_eq!(a.actual, Some(rec["items"].clone()));
    assert!(a.result && e.rules[0].matched);
    assert_eq!(a.children.len(), 1, "only the first element that matched");
    assert_eq!(a.children[0].element, Some(2));
    assert_eq!(a.children[0].path, "rules[0].conditions.array_any.where");
    assert_eq!(leaf(&a.children[0], "where.and[1]").actual, Some(json!(3)));
    let e = explain(&rs, &json!({"items": [{"sku": "Y"}, "no", {"qty": 1}]}));
    let a = &e.rules[0].condition;
    assert!(!a.result);
    let seen: Vec<Option<usize>> = a.children.iter().map(|c| c.element).collect();
    assert_eq!(seen, [Some(0), Some(2)], "object elements only");
    assert_eq!(
        leaf(&a.children[0], "where.and[1]").actual,
        Some(Value::Null)
    );
    let e = explain(&rs, &json!({"items": "none"}));
    assert!(e.rules[0].condition.children.is_empty());
}

#[test]
fn windows_read_the_state_as_it_is_and_never_change_it() {
    let rs = load(json!({"rules": [
        {"id": "burst", "action": "block", "conditions": {"window": {
            "entity_field": "card", "function": "sum", "sum_field": "amount", "duration_seconds": 60,
            "op": "gt", "value": 100}}}
    ]}));
    let state = WindowState::new(100);
    let opts = EvalOptions {
        now_ms: Some(1_000_000),
        window_shard: Some(state.shard(0)),
        ..EvalOptions::default()
    };
    let feed = "{\"card\":\"a\",\"amount\":70}\n{\"card\":\"a\",\"amount\":40}\n";
    rs.evaluate_ndjson(feed.as_bytes(), &opts)
        .expect("evaluates");
    let before = state.stats();
    let rec = br#"{"card":"a","amount":5}"#;
    let first = rs.explain(rec, &opts).expect("explains");
    let again = rs.explain(rec, &opts).expect("explains");
    assert_eq!(first, again, "explaining twice gives the same answer");
    assert_eq!(state.stats(), before, "explain adds nothing to the state");
    let w = &first.rules[0].condition;
    assert_eq!(
        w.actual,
        Some(json!(110.0)),
        "the sum of the records before it"
    );
    assert_eq!(w.expected, Some(json!(100)));
    assert_eq!(w.field, None);
    assert_eq!(
        w.computed.as_deref(),
        Some("window sum(amount) by card over 60 s")
    );
    assert!(w.result && first.rules[0].matched);
    // What explain said is what evaluating the record next decides.
    let r = rs.evaluate_messages(&[rec], &opts).expect("evaluates");
    assert_eq!(r.matched, [1]);
    // A new entity has a window of 0; no entity, no state (null).
    let fresh = rs.explain(br#"{"card":"b"}"#, &opts).expect("explains");
    assert_eq!(fresh.rules[0].condition.actual, Some(json!(0.0)));
    let none = rs.explain(br#"{"amount":1}"#, &opts).expect("explains");
    assert_eq!(none.rules[0].condition.actual, Some(Value::Null));
}

#[test]
fn lookups_show_their_name_and_the_value_read() {
    let dir = std::env::temp_dir().join(format!("br-explain-lk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    std::fs::write(dir.join("bad.csv"), "value\nevil.com\nworse.net\n").expect("csv");
    let doc = json!({
        "lookups": {"bad_domains": {"type": "string_set", "path": "bad.csv"}},
        "rules": [{"id": "d", "conditions": {"field": "domain", "op": "in_lookup", "lookup": "bad_domains"}}]
    });
    let rs = RuleSet::load(&doc, &dir).expect("loads");
    let e = explain(&rs, &json!({"domain": "evil.com"}));
    let d = &e.rules[0].condition;
    assert_eq!(d.op.as_deref(), Some("in_lookup"));
    assert_eq!(d.expected, Some(json!("bad_domains")));
    assert_eq!(d.actual, Some(json!("evil.com")));
    assert!(d.result && e.rules[0].matched);
    assert!(!explain(&rs, &json!({"domain": "ok.org"})).rules[0].matched);
    std::fs::remove_dir_all(&dir).ok();
}

#[test]
fn computed_and_cross_field_leaves() {
    let rs = load(json!({"rules": [
        {"id": "x", "conditions": {"field": "paid", "op": "lt_field", "other_field": "due"}},
        {"id": "e", "conditions": {"op": "gt", "expr": {"op": "mul", "left": "qty", "right": "price"}, "value": 50}},
        {"id": "g", "conditions": {"op": "distance_gt", "lat_field": "a_lat", "lon_field": "a_lon",
            "other_lat_field": "b_lat", "other_lon_field": "b_lon", "value": 100}},
        {"id": "v", "conditions": {"vector_distance": {"dims": ["v1", "v2"], "reference": [1, 0], "metric": "dot"}, "op": "gte", "value": 0.5}}
    ]}));
    let e = explain(
        &rs,
        &json!({"paid": 5, "due": 9, "qty": 4, "price": 20, "a_lat": 48.85, "a_lon": 2.35,
        "b_lat": 51.5, "b_lon": -0.12, "v1": 0.75, "v2": 3}),
    );
    let x = &e.rules[0].condition;
    assert_eq!(
        (x.field.as_deref(), x.actual.clone()),
        (Some("paid"), Some(json!(5)))
    );
    assert_eq!(x.expected, Some(json!({"field": "due", "value": 9})));
    let ex = &e.rules[1].condition;
    assert_eq!(
        (ex.actual.clone(), ex.field.clone()),
        (Some(json!(80.0)), None)
    );
    assert!(ex
        .computed
        .as_deref()
        .is_some_and(|c| c.starts_with("expr ")));
    let g = &e.rules[2].condition;
    let km = g
        .actual
        .as_ref()
        .and_then(Value::as_f64)
        .expect("a distance");
    assert!((km - 343.0).abs() < 5.0, "{km}");
    assert_eq!(e.rules[3].condition.actual, Some(json!(0.75)));
    assert_eq!(e.rules[3].condition.op.as_deref(), Some("gte"));
    assert!(e.rules.iter().all(|r| r.matched && r.condition.result));
}

#[test]
fn the_winner_and_why_the_score_and_what_each_rule_added() {
    let rs = load(json!({"rules": [
        {"id": "a", "action": "review", "severity": "high", "weight": 50, "score_cap": 60, "conditions": {"field": "x", "op": "gt", "value": 0}},
        {"id": "b", "action": "block", "severity": "medium", "weight": 40, "conditions": {"field": "x", "op": "gt", "value": 1}},
        {"id": "c", "action": "block", "severity": "high", "conditions": {"field": "x", "op": "gt", "value": 2}},
        {"id": "s", "action": "block", "severity": "critical", "shadow": true, "conditions": {"field": "x", "op": "gt", "value": 0}}
    ]}));
    let e = explain(&rs, &json!({"x": 5}));
    assert_eq!(
        (e.decision.as_str(), e.winning_rule_id.as_str(), e.risk_band),
        ("BLOCK", "c", "HIGH")
    );
    let w = e.winner.as_ref().expect("a winner");
    assert_eq!(w.rule_id, "c");
    assert_eq!(
        w.why,
        "highest precedence BLOCK; severity HIGH beats MEDIUM of rule b"
    );
    let added: Vec<f64> = e.rules.iter().map(|r| r.score_contribution).collect();
    assert_eq!(added, [50.0, 40.0, 30.0, 0.0]);
    assert_eq!(e.score, 120.0);
    assert!(e.rules[3].matched && e.rules[3].shadow);
    assert_eq!(
        (e.rules[1].action.as_str(), e.rules[1].label.as_str()),
        ("BLOCK", "BLOCK")
    );
    let e = explain(&rs, &json!({"x": 1}));
    assert_eq!(
        e.winner.map(|w| w.why),
        Some("highest precedence REVIEW; the only matching rule that is not shadow".into())
    );
    let e = explain(&rs, &json!({"x": 0}));
    assert_eq!(
        (e.decision.as_str(), e.winner, e.score),
        ("APPROVE", None, 0.0)
    );
}

#[test]
fn a_record_that_cannot_be_read_is_refused_with_its_code() {
    let rs =
        load(json!({"rules": [{"id": "r", "conditions": {"field": "a", "op": "gt", "value": 1}}]}));
    let opts = EvalOptions::default();
    let bad = rs.explain(b"{\"a\": ", &opts).expect_err("malformed");
    assert_eq!(bad.code.as_str(), "MALFORMED_JSON");
    assert!(bad.message.starts_with("malformed json"), "{}", bad.message);
    let arr = rs.explain(b"[1, 2]", &opts).expect_err("not an object");
    assert_eq!(arr.message, "record is not a JSON object");
    let empty = rs.explain(b"  \n", &opts).expect_err("empty");
    assert_eq!(empty.code.as_str(), "MALFORMED_JSON");
    assert!(rs
        .explain(b"{\"a\": 2}\r\n", &opts)
        .is_ok_and(|e| e.rules[0].matched));
}

/// A small deterministic generator (xorshift).
struct Gen(u64);

impl Gen {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<'a, T>(&mut self, xs: &'a [T]) -> &'a T {
        &xs[(self.next() % xs.len() as u64) as usize]
    }
}

/// Every node's result follows from its children as the engine combines them.
fn consistent(t: &ConditionTrace) -> bool {
    let kids = t.children.iter().all(consistent);
    kids && match t.kind {
        Kind::And => t.result == (!t.children.is_empty() && t.children.iter().all(|c| c.result)),
        Kind::Or => t.result == t.children.iter().any(|c| c.result),
        _ => true,
    }
}

#[test]
fn explain_agrees_with_evaluation_on_generated_records() {
    let rs = load(json!({"fields": {"n": {"type": "int32"}}, "rules": [
        {"id": "r0", "action": "block", "severity": "high", "conditions": {"and": [
            {"field": "a", "op": "gte", "value": 3}, {"not": {"field": "s", "op": "in", "values": ["x", "y"]}}]}},
        {"id": "r1", "action": "review", "weight": 45, "conditions": {"or": [
            {"field": "s", "op": "starts_with", "value": "x"}, {"field": "n", "op": "lt", "value": 2.5},
            {"not": {"or": [{"field": "a", "op": "is_null"}, {"field": "b", "op": "neq", "value": 1}]}}]}},
        {"id": "r2", "action": "flag", "score_cap": 50, "conditions": {"sql": "a BETWEEN 1 AND 4 OR s LIKE '%y%'"}},
        {"id": "r3", "action": "block", "shadow": true, "conditions": {"not": {"field": "tags", "op": "contains_all", "values": ["p", "q"]}}},
        {"id": "r4", "action": "score", "weight": 10, "conditions": {"array_any": {"path": "items", "where": {"not": {"field": "k", "op": "gt", "value": 1}}}}},
        {"id": "r5", "action": "approve", "conditions": {"field": "tags", "op": "array_len_gte", "value": 2}}
    ]}));
    let values = [
        json!(null),
        json!(0),
        json!(1),
        json!(2.5),
        json!(3),
        json!(7),
        json!("x1"),
        json!("y"),
        json!("zyz"),
        json!(true),
        json!(["p"]),
        json!(["p", "q", "r"]),
        json!([{"k": 0}, {"k": 5}]),
        json!([{"j": 1}, 3]),
    ];
    let keys = ["a", "b", "n", "s", "tags", "items"];
    let mut g = Gen(0x9e37_79b9_7f4a_7c15);
    let mut records = Vec::new();
    for _ in 0..3000 {
        let mut m = serde_json::Map::new();
        for k in keys {
            if !g.next().is_multiple_of(4) {
                m.insert(k.to_string(), g.pick(&values).clone());
            }
        }
        records.push(Value::Object(m));
    }
    let text: String = records.iter().map(|r| format!("{r}\n")).collect();
    let batch: BatchResult = rs
        .evaluate_ndjson(text.as_bytes(), &EvalOptions::default())
        .expect("evaluates");
    for (i, rec) in records.iter().enumerate() {
        let e = explain(&rs, rec);
        for (k, rule) in e.rules.iter().enumerate() {
            let hit = batch.rule_hits[k].binary_search(&(i as u32)).is_ok();
            assert_eq!(rule.matched, hit, "rule {} on {rec}", rule.id);
            assert_eq!(
                rule.condition.result, hit,
                "rule {}'s tree on {rec}",
                rule.id
            );
            assert!(consistent(&rule.condition), "{rec}: {:#?}", rule.condition);
        }
        assert_eq!(
            rs.labels()[batch.decision_codes[i] as usize],
            e.decision,
            "{rec}"
        );
        assert_eq!(batch.scores[i], e.score, "{rec}");
        let sum: f64 = e.rules.iter().map(|r| r.score_contribution).sum();
        assert!(
            (sum - e.score).abs() < 1e-9,
            "{rec}: contributions {sum} != {}",
            e.score
        );
        let winner = batch.winners[i];
        let id = usize::try_from(winner)
            .ok()
            .map(|w| rs.rule_ids()[w].clone())
            .unwrap_or_default();
        assert_eq!(e.winning_rule_id, id, "{rec}");
        assert_eq!(
            e.winner
                .as_ref()
                .map(|w| w.rule_id.clone())
                .unwrap_or_default(),
            id
        );
    }
}

#[test]
fn deep_conditions_and_empty_rule_sets_explain() {
    // As deep as a condition may nest (128 levels below the root), alternating and / not.
    let mut cond = json!({"field": "a", "op": "gt", "value": 1});
    for i in 0..128 {
        cond = if i % 2 == 0 {
            json!({"and": [cond]})
        } else {
            json!({"not": cond})
        };
    }
    let rs = load(json!({"rules": [{"id": "deep", "conditions": cond}]}));
    for rec in [json!({"a": 5}), json!({"a": 0}), json!({})] {
        let e = explain(&rs, &rec);
        let r = rs
            .evaluate_messages(&[rec.to_string().as_bytes()], &EvalOptions::default())
            .expect("evaluates");
        assert_eq!(e.rules[0].matched, r.matched == [1], "{rec}");
        assert_eq!(e.rules[0].condition.result, e.rules[0].matched, "{rec}");
        let mut depth = 0;
        let mut node = &e.rules[0].condition;
        while let Some(child) = node.children.first() {
            (node, depth) = (child, depth + 1);
        }
        assert_eq!(
            (depth, node.actual.clone()),
            (128, rec.get("a").cloned().or(Some(Value::Null)))
        );
    }
    let none = load(json!({"decisions": {"default": "block"}, "rules": []}));
    let e = explain(&none, &json!({"a": 1}));
    assert_eq!(
        (e.decision.as_str(), e.risk_band, e.rules.len()),
        ("BLOCK", "HIGH", 0)
    );
}
