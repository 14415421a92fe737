//! The plan must agree with the tree evaluator (`eval::eval`) on every rule and record.

use super::Evaluator;
use crate::compile::{close_categoricals, Compiler, Cond};
use crate::eval::{eval, Ctx, Record, MISSING};
use crate::load::{load_doc, Problems};
use crate::plan::Plan;
use crate::value::get_path;
use serde_json::{json, Value};

fn conditions() -> Vec<Value> {
    let c = |v: Value| v;
    vec![
        c(json!({"field": "amount", "op": "gt", "value": 100})),
        c(json!({"field": "amount", "op": "gte", "value": 100})),
        c(json!({"field": "amount", "op": "between_including", "value": [10, 200]})),
        c(json!({"field": "amount", "op": "between_excluding", "value": [10, 200]})),
        c(json!({"field": "amount", "op": "neq", "value": 5})),
        c(json!({"not": {"field": "amount", "op": "lt", "value": 50}})),
        c(json!({"field": "qty", "op": "lt", "value": 2.5})),
        c(json!({"field": "country", "op": "in", "values": ["US", "GB", "5", "true"]})),
        c(json!({"field": "country", "op": "not_in", "values": ["US", "FR"]})),
        c(json!({"not": {"field": "country", "op": "eq", "value": "US"}})),
        c(json!({"field": "country", "op": "contains_all", "values": ["US", "GB"]})),
        c(json!({"field": "country", "op": "contains_any", "values": ["GB", "DE"]})),
        c(json!({"field": "tags", "op": "contains_any", "values": ["a", "b"]})),
        c(json!({"field": "tags", "op": "not_intersects", "values": ["b", "c"]})),
        c(json!({"field": "email", "op": "regex", "value": "@(x|y)\\.com$"})),
        c(json!({"field": "email", "op": "not_regex", "value": "^a"})),
        c(json!({"field": "email", "op": "regex", "value": "^a"})),
        c(json!({"field": "email", "op": "ends_with", "value": ".com"})),
        c(json!({"field": "email", "op": "starts_with", "value": "ab"})),
        c(json!({"not": {"field": "email", "op": "contains", "value": "@"}})),
        c(json!({"field": "ip", "op": "ip_in_subnet", "value": "10.0.0.0/8"})),
        c(json!({"field": "ip", "op": "ip_not_in_subnet", "value": "10.1.0.0/16"})),
        c(json!({"field": "ts", "op": "day_of_week_in", "values": [0, 6]})),
        c(json!({"field": "ts", "op": "time_of_day_between", "value": [22, 3]})),
        c(json!({"field": "ts", "op": "time_of_day_between", "value": [1, 5]})),
        c(json!({"field": "amount", "op": "gt_field", "other_field": "avg"})),
        c(json!({"op": "gt", "expr": {"op": "div", "left": "amount", "right": "avg"}, "value": 2})),
        c(
            json!({"op": "lte", "expr": {"op": "div", "left": "amount", "right": "avg"}, "value": 2}),
        ),
        c(json!({"field": "opt", "op": "is_null"})),
        c(json!({"field": "opt", "op": "is_empty"})),
        c(json!({"field": "note", "op": "in", "values": ["", "x"]})),
        c(json!({"field": "note", "op": "not_in", "values": ["y"]})),
        c(json!({"and": []})),
        c(json!({"or": []})),
        c(json!({"and": [{"field": "amount", "op": "gt", "value": 10}]})),
        c(json!({"not": {"or": [
            {"field": "country", "op": "in", "values": ["US"]},
            {"and": [{"field": "amount", "op": "lt", "value": 20}, {"field": "opt", "op": "is_null"}]}
        ]}})),
        c(json!({"and": [
            {"field": "email", "op": "regex", "value": "@(x|y)\\.com$"},
            {"field": "amount", "op": "gt", "value": 100},
            {"not": {"field": "ip", "op": "ip_in_subnet", "value": "10.0.0.0/8"}}
        ]})),
        c(
            json!({"array_any": {"path": "items", "where": {"field": "qty", "op": "gt", "value": 1}}}),
        ),
        c(json!({"sql": "country = 'US' AND amount BETWEEN 10 AND 100"})),
    ]
}

/// Records mixing, per field, values from a pool: numbers on and off thresholds, strings in
/// and out of the sets, other JSON types, null and missing.
fn records() -> Vec<String> {
    let pools: Vec<(&str, Vec<Value>)> = vec![
        (
            "amount",
            vec![
                json!(150),
                json!(100),
                json!(100.0),
                json!(10),
                json!(200),
                json!(5),
                json!(12.5),
                json!("150"),
                json!([3, 500]),
                json!(null),
                json!(-1e300),
            ],
        ),
        ("qty", vec![json!(2), json!(2.9), json!(-1), json!(true)]),
        (
            "country",
            vec![
                json!("US"),
                json!("GB"),
                json!("JP"),
                json!(5),
                json!(true),
                json!(["US", "GB"]),
                json!(["JP"]),
                json!("FR"),
                json!(""),
                json!({"a": 1}),
            ],
        ),
        (
            "tags",
            vec![
                json!(["a"]),
                json!([]),
                json!("b"),
                json!(["c", "a"]),
                json!(["b", "b"]),
            ],
        ),
        (
            "email",
            vec![
                json!("ab@x.com"),
                json!("zz@y.com"),
                json!(7),
                json!(""),
                json!("a"),
                json!("q@x.comm"),
                json!("abc@x.com"),
            ],
        ),
        (
            "ip",
            vec![
                json!("10.1.2.3"),
                json!("10.2.0.1"),
                json!(167_837_953),
                json!("1.2.3"),
                json!("300.1.1.1"),
                json!("9.255.255.255"),
            ],
        ),
        (
            "ts",
            vec![
                json!(1_792_592_498_350_i64),
                json!(1_792_378_193_167_i64),
                json!(-5),
                json!(86_400_000 * 3 + 3_600_000 * 23),
                json!(3_600_000 * 3),
                json!(1.5e12),
            ],
        ),
        (
            "avg",
            vec![json!(20.5), json!(0), json!(1), json!(5), json!(75)],
        ),
        ("opt", vec![json!(""), json!("v")]),
        ("note", vec![json!(""), json!("x"), json!("y"), json!(3)]),
        (
            "items",
            vec![
                json!([{"qty": 2}]),
                json!([1, {"qty": 0}]),
                json!({"qty": 5}),
            ],
        ),
    ];
    // More than two 64-record chunks; fields vary independently (co-prime strides) and go
    // missing or null now and then.
    (0..200)
        .map(|i| {
            let mut m = serde_json::Map::new();
            for (k, (name, pool)) in pools.iter().enumerate() {
                let pick = (i * (2 * k + 3) + k) % (pool.len() + 2);
                match pick.checked_sub(pool.len()) {
                    None => drop(m.insert(name.to_string(), pool[pick].clone())),
                    Some(0) => drop(m.insert(name.to_string(), Value::Null)),
                    Some(_) => {}
                }
            }
            Value::Object(m).to_string()
        })
        .collect()
}

#[test]
fn plan_matches_tree_evaluation() {
    let rules: Vec<Value> = conditions()
        .into_iter()
        .enumerate()
        .map(|(i, c)| json!({"id": format!("r{i}"), "action": "flag", "conditions": c}))
        .collect();
    let doc = json!({"fields": {"note": {"type": "string", "nullable": true}}, "rules": rules});
    let mut problems = Problems::default();
    let d = load_doc(&doc, std::path::Path::new("."), &mut problems).expect("loads");
    let (mut conds, fields) = {
        let mut c = Compiler::new(&d.hints, &d.lookups, &mut problems);
        let conds: Vec<Cond> = d
            .rules
            .iter()
            .map(|r| c.rule(&r.conditions, &r.path, &r.id))
            .collect();
        (conds, std::mem::take(&mut c.fields))
    };
    assert!(problems.list.is_empty(), "{:?}", problems.list);
    close_categoricals(&mut conds, &d.hints);
    let plan = Plan::new(&conds);
    assert!(!plan.dicts.is_empty() && !plan.groups.is_empty() && !plan.exprs.is_empty());

    let mut texts: Vec<Vec<u8>> = records().into_iter().map(String::into_bytes).collect();
    let tapes: Vec<_> = texts
        .iter_mut()
        .map(|t| simd_json::to_tape(t).expect("json"))
        .collect();
    let slots: Vec<Vec<u32>> = tapes
        .iter()
        .map(|t| {
            fields
                .iter()
                .map(|f| {
                    let parts: Vec<Box<str>> = f.split('.').map(Box::from).collect();
                    get_path(&t.0, f, &parts).map_or(MISSING, |v| (t.0.len() - v.len()) as u32)
                })
                .collect()
        })
        .collect();
    let recs: Vec<Record<'_, '_>> = tapes
        .iter()
        .zip(&slots)
        .map(|(t, s)| Record {
            tape: &t.0,
            slots: s,
        })
        .collect();
    let cx = Ctx { now_ms: 0 };
    let words = conds.len().div_ceil(64);
    let mut bits = vec![0u64; recs.len() * words];
    Evaluator::new(&plan, &cx).run(&recs, &mut bits);
    for (j, rec) in recs.iter().enumerate() {
        for (i, c) in conds.iter().enumerate() {
            let got = bits[j * words + i / 64] >> (i % 64) & 1 == 1;
            assert_eq!(got, eval(c, rec, &cx), "rule {i}, record {j}");
        }
    }
}
