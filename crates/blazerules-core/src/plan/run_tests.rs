//! The plan must agree with the tree evaluator (`eval::eval`) on every rule and record.

use super::Evaluator;
use crate::plan::build::{Leaf, Plan};
use crate::plan::prefilter::Lits;
use crate::plan::tree::{eval, Ctx, Record};
use crate::read::fields::MISSING;
use crate::rules::compile::{close_categoricals, Compiler, Cond};
use crate::rules::load::{load_doc, Problems};
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
        c(json!({"field": "email", "op": "regex", "value": "@(x|zz)\\."})),
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
        // Leaves alone on their field: a regex (literal prefilters of each anchoring, and
        // one beyond them), contains, flags, array lengths, null tests.
        c(json!({"field": "ua", "op": "regex", "value": "Headless(Chrome|Firefox)"})),
        c(json!({"field": "ua", "op": "contains", "value": "Chrome"})),
        c(json!({"field": "mail", "op": "regex", "value": "@(mailinator|yopmail|x)\\.(com|net)$"})),
        c(json!({"field": "code", "op": "regex", "value": "^(ab|c\\.d)x$"})),
        c(json!({"field": "bin", "op": "not_regex", "value": "^(4000|51|400012345)"})),
        c(json!({"field": "zip", "op": "regex", "value": "^[0-9]{3}$"})),
        c(json!({"field": "flags", "op": "flags_any", "mask": "0x18"})),
        c(json!({"field": "flags", "op": "flags_all", "mask": 12})),
        c(json!({"field": "flags", "op": "flags_none", "mask": 8})),
        c(json!({"not": {"field": "flags", "op": "flags_all", "mask": 24}})),
        c(json!({"field": "auth", "op": "array_len_gt", "value": 1})),
        c(json!({"field": "auth", "op": "array_len_lt", "value": 2})),
        c(json!({"field": "opt", "op": "is_not_null"})),
        c(json!({"not": {"field": "opt", "op": "is_null"}})),
        // Set leaves alone on their field; a dictionary too large to scan.
        c(json!({"field": "mcc", "op": "in", "values": ["7995", "5967", "gift_card"]})),
        c(json!({"field": "mcc", "op": "not_in", "values": ["7995", "ecommerce_long"]})),
        c(json!({"field": "tags", "op": "contains_any", "values": ["gift_card", "a", "5"]})),
        c(json!({"field": "cc", "op": "in", "values": big_set()})),
        c(json!({"field": "cc", "op": "not_in", "values": ["AA", "long_code_00001"]})),
        // Expressions: nested, literals, division by zero.
        c(
            json!({"op": "gt", "expr": {"op": "add", "left": {"op": "mul", "left": "amount", "right": 2},
            "right": "avg"}, "value": 300}),
        ),
        c(
            json!({"op": "lt", "expr": {"op": "sub", "left": 100, "right": {"op": "div",
            "left": "qty", "right": "avg"}}, "value": 99}),
        ),
    ]
}

/// Over `Ids`' scan limit, short and long.
fn big_set() -> Vec<String> {
    (0..20)
        .map(|i| format!("C{i}"))
        .chain((0..20).map(|i| format!("long_code_{i:05}")))
        .collect()
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
                json!(["first_purchase", "gift_card"]),
                json!([5, "x"]),
                json!([["a"], {"a": 1}, null]),
                json!(["gift_car"]),
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
        (
            "ua",
            vec![
                json!("Lnx/HeadlessChrome"),
                json!("Win/Chrome"),
                json!("HeadlessFirefox/1"),
                json!("Chrom"),
                json!(""),
                json!(["HeadlessChrome"]),
                json!(12),
            ],
        ),
        (
            "mail",
            vec![
                json!("a@mailinator.com"),
                json!("a@yopmail.net"),
                json!("a@yahoo.com"),
                json!("@x.com"),
                json!("x.com"),
                json!("b@mailinator.comm"),
                json!("@mailinator.com.net"),
                json!("q@x.net"),
                json!(""),
                json!(5),
            ],
        ),
        (
            "code",
            vec![
                json!("abx"),
                json!("c.dx"),
                json!("cxdx"),
                json!("abxx"),
                json!("ab"),
                json!("zabx"),
            ],
        ),
        (
            "bin",
            vec![
                json!("400012"),
                json!("51"),
                json!("5"),
                json!("4000123456"),
                json!("40001234"),
                json!("528731"),
                json!(4000),
            ],
        ),
        (
            "zip",
            vec![json!("123"), json!("12a"), json!("1234"), json!(123)],
        ),
        (
            "flags",
            vec![
                json!(4),
                json!(24),
                json!(8),
                json!(12),
                json!(16),
                json!("8"),
                json!(12.9),
                json!([8]),
                json!(-1),
                json!(true),
            ],
        ),
        (
            "auth",
            vec![
                json!(["3ds"]),
                json!(["3ds", "cvv"]),
                json!([]),
                json!("ab"),
                json!(7),
                json!({"a": 1}),
                json!([[1, 2], 3]),
            ],
        ),
        (
            "mcc",
            vec![
                json!("7995"),
                json!(7995),
                json!(7995.0),
                json!("5999"),
                json!(["5967", "x"]),
                json!("gift_card"),
                json!("ecommerce_long"),
                json!(true),
                json!(""),
            ],
        ),
        (
            "cc",
            vec![
                json!("C3"),
                json!("C19"),
                json!("C20"),
                json!("long_code_00007"),
                json!("long_code_00020"),
                json!("AA"),
                json!(["C1"]),
                json!(3),
            ],
        ),
    ];
    // More than two 64-record chunks; fields vary independently (co-prime strides) and go
    // missing or null now and then.
    (0..400)
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
    let plan = check(&doc, records());
    assert!(!plan.dicts.is_empty() && !plan.groups.is_empty() && !plan.exprs.is_empty());
    // Every specialised leaf is there.
    let has = |f: fn(&Leaf) -> bool| plan.leaves.iter().any(f);
    assert!(has(|l| matches!(l, Leaf::Regex { pre: Some(_), .. })));
    assert!(has(|l| matches!(l, Leaf::Regex { pre: None, .. })));
    assert!(has(|l| matches!(l, Leaf::Contains { .. })));
    assert!(has(|l| matches!(l, Leaf::Flags { .. })));
    assert!(has(|l| matches!(l, Leaf::ArrayLen { .. })));
    assert!(has(|l| matches!(l, Leaf::Null { negate: true, .. })));
    assert!(has(|l| matches!(l, Leaf::Cat { .. })));
    assert!(plan.groups.iter().any(|g| g.gate.is_some()));
    assert!(plan
        .exprs
        .iter()
        .all(|x| matches!(x, crate::plan::build::XExpr::Cols { .. })));
    for (l, start, end) in [
        ("Headless(Chrome|Firefox)", false, false),
        ("@(mailinator|yopmail|x)\\.(com|net)$", false, true),
        ("^(ab|c\\.d)x$", true, true),
        ("^(4000|51|400012345)", true, false),
    ] {
        let lits = Lits::of(l).expect("literal pattern");
        assert_eq!((lits.start, lits.end), (start, end), "{l}");
    }
}

/// Window leaves (column leaves over `Record::win`) agree with the tree's test: counts as
/// int32 against the threshold as written, other functions in float32, NaN (no state) never
/// true, `not` flipping the operator or the range.
#[test]
fn plan_matches_tree_on_windows() {
    let count = |op: &str, v: Value| json!({"window": {"entity_field": "acct", "duration_seconds": 60, "op": op, "value": v}});
    let sum = |op: &str, v: Value| json!({"window": {"entity_field": "acct", "function": "sum", "sum_field": "amount", "duration_seconds": 60, "op": op, "value": v}});
    let avg = |op: &str, v: Value| json!({"window": {"entity_field": "acct", "function": "avg", "value_field": "amount", "duration_seconds": 60, "op": op, "value": v}});
    let mut conds = Vec::new();
    for op in ["gt", "gte", "lt", "lte", "eq", "neq"] {
        for v in [json!(5), json!(1.9), json!(0.1), json!(-1)] {
            for w in [count(op, v.clone()), sum(op, v.clone()), avg(op, v)] {
                conds.push(json!({"not": w.clone()}));
                conds.push(w);
            }
        }
    }
    for op in ["between_including", "between_excluding"] {
        for v in [json!([2, 4]), json!([0.1, 3.5]), json!(2)] {
            for w in [count(op, v.clone()), sum(op, v)] {
                conds.push(json!({"not": w.clone()}));
                conds.push(w);
            }
        }
    }
    conds.push(json!({"and": [count("gt", json!(1)), sum("lt", json!(100))]}));
    conds
        .push(json!({"or": [count("eq", json!(0)), {"field": "amount", "op": "gt", "value": 10}]}));
    let rules: Vec<Value> = conds
        .into_iter()
        .enumerate()
        .map(|(i, c)| json!({"id": format!("r{i}"), "action": "flag", "conditions": c}))
        .collect();
    let doc = json!({"rules": rules});
    let vals = [
        f64::NAN,
        0.0,
        1.0,
        1.9,
        2.0,
        3.0,
        3.5,
        4.0,
        5.0,
        6.0,
        -1.0,
        0.1,
        0.1f32 as f64,
        0.30000000000000004,
        1e10,
        -3e9,
        4.000000001,
        1.899999999,
    ];
    // Channels: count, sum, avg; every combination of a few values, over 3 blocks of 64.
    let wins: Vec<Vec<f64>> = (0..vals.len() * vals.len())
        .map(|k| {
            vec![
                vals[k % vals.len()],
                vals[k / vals.len()],
                vals[(k * 7) % vals.len()],
            ]
        })
        .collect();
    let texts = (0..wins.len())
        .map(|k| format!(r#"{{"acct":"a{}","amount":{}}}"#, k % 5, k % 20))
        .collect();
    let plan = check_with(&doc, texts, &wins);
    assert!(plan
        .leaves
        .iter()
        .any(|l| matches!(l, Leaf::Window { count: true, .. })));
    assert!(plan
        .leaves
        .iter()
        .any(|l| matches!(l, Leaf::Window { count: false, .. })));
    assert!(!plan.leaves.iter().any(|l| matches!(l, Leaf::Test(_))));
}

/// The same on real rules and records: `BR_RULES=rules.json BR_DATA=data.ndjson cargo test
/// --release -p blazerules-core plan_matches_tree_on_files -- --ignored`.
#[test]
#[ignore]
fn plan_matches_tree_on_files() {
    let (Some(rules), Some(data)) = (std::env::var_os("BR_RULES"), std::env::var_os("BR_DATA"))
    else {
        panic!("set BR_RULES and BR_DATA");
    };
    let doc: Value = serde_json::from_slice(&std::fs::read(&rules).expect("rules")).expect("json");
    let data = std::fs::read_to_string(&data).expect("data");
    let lines: Vec<String> = data
        .lines()
        .filter(|l| {
            let mut b = l.as_bytes().to_vec();
            simd_json::to_tape(&mut b)
                .is_ok_and(|t| matches!(t.0.first(), Some(simd_json::Node::Object { .. })))
        })
        .map(str::to_string)
        .collect();
    check(&doc, lines);
}

/// Runs the plan of `doc`'s rules over `texts` and compares every rule and record with
/// `eval::eval`.
fn check(doc: &Value, texts: Vec<String>) -> Plan {
    check_with(doc, texts, &[])
}

/// `check` with record `j`'s window values `wins[j]` (none past the end of `wins`).
fn check_with(doc: &Value, texts: Vec<String>, wins: &[Vec<f64>]) -> Plan {
    let mut problems = Problems::default();
    let limits = crate::files::LookupLimits::default();
    let scope = crate::rules::lookup::LookupScope {
        base_dir: std::path::Path::new("."),
        limits: &limits,
        bundle: None,
    };
    let d = load_doc(&mut doc.clone(), scope, &mut problems).expect("loads");
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

    let mut texts: Vec<Vec<u8>> = texts.into_iter().map(String::into_bytes).collect();
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
        .enumerate()
        .map(|(j, (t, s))| Record {
            win: wins.get(j).map_or(&[], Vec::as_slice),
            tape: &t.0,
            slots: s,
        })
        .collect();
    let cx = Ctx { now_ms: 0 };
    let words = conds.len().div_ceil(64);
    let mut bits = vec![0u64; recs.len() * words];
    Evaluator::new(&plan, &cx).run(&recs, &mut bits);
    agree(&conds, &recs, &bits, &cx);
    // Caches another block left (one chunk of the records), reused over the records in
    // reverse order, as a thread's next block reuses them: nothing of theirs may show through.
    let mut ev = Evaluator::new(&plan, &cx);
    let few = recs.len().min(40);
    ev.run(&recs[..few], &mut bits[..few * words]);
    let rev: Vec<Record<'_, '_>> = recs
        .iter()
        .rev()
        .map(|r| Record {
            tape: r.tape,
            slots: r.slots,
            win: r.win,
        })
        .collect();
    bits.fill(0);
    Evaluator::with_caches(&plan, &cx, Some(ev.into_caches())).run(&rev, &mut bits);
    agree(&conds, &rev, &bits, &cx);
    plan
}

/// `bits` (from the plan) says what the tree evaluator says of every rule and record.
fn agree(conds: &[Cond], recs: &[Record<'_, '_>], bits: &[u64], cx: &Ctx) {
    let words = conds.len().div_ceil(64);
    for (j, rec) in recs.iter().enumerate() {
        for (i, c) in conds.iter().enumerate() {
            let got = bits[j * words + i / 64] >> (i % 64) & 1 == 1;
            assert_eq!(got, eval(c, rec, cx), "rule {i}, record {j}");
        }
    }
}

/// A pattern's literals (`plan::Lits`) decide exactly what the regex matches.
#[test]
fn regex_literals_agree_with_regex() {
    let patterns = [
        "@(mailinator|yopmail|guerrillamail|10minutemail)\\.(com|net)$",
        "^(ab|c\\.d)x$",
        "^(4000|51)",
        "Headless(Chrome|Firefox)",
        "(?:a|bc)(d|)$",
        "\\$$",
        "a\\\\$",
        "^$",
        "",
        "é(x|ü)$",
        "a b#$",
        "^((a|b)(c|d))(e|)",
        "@(corp|proton)\\.",
    ];
    let fragments = [
        "@",
        "mailinator",
        "yopmail",
        ".",
        "com",
        "net",
        "ab",
        "c.d",
        "x",
        "4000",
        "51",
        "Headless",
        "Chrome",
        "Firefox",
        "a",
        "bc",
        "d",
        "$",
        "\\",
        " ",
        "#",
        "é",
        "ü",
        "z",
        "c",
        "e",
        "corp",
    ];
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    let mut next = move |n: u64| {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x % n) as usize
    };
    let mut random = || -> String {
        (0..next(5))
            .map(|_| fragments[next(fragments.len() as u64)])
            .collect()
    };
    for p in patterns {
        let re = regex::Regex::new(p).expect("valid");
        let lits = Lits::of(p).unwrap_or_else(|| panic!("{p} is literal"));
        // Random text, half of it around one of the pattern's literals.
        let haystacks: Vec<String> = (0..20_000)
            .map(|i| {
                let (a, b) = (random(), random());
                match lits.lits.get(i % (2 * lits.lits.len())) {
                    Some(l) => format!("{a}{}{b}", String::from_utf8_lossy(l)),
                    None => a + &b,
                }
            })
            .collect();
        let mut hits = 0;
        for h in &haystacks {
            let m = re.is_match(h);
            assert_eq!(lits.may_match(h.as_bytes()), m, "{p} on {h:?}");
            hits += usize::from(m);
        }
        assert!(hits > 0, "{p}");
    }
    // Beyond the subset.
    for p in [
        "^a|b",
        "a|b$",
        "(?i)abc$",
        "a+$",
        "\\d$",
        "[ab]$",
        "a.$",
        "a{2}$",
        "(?P<n>a)$",
        "\\bx$",
        "(a)*",
        "a)",
        "(a",
        "x$|y",
        "\\x41$",
    ] {
        assert!(Lits::of(p).is_none(), "{p}");
    }
}
