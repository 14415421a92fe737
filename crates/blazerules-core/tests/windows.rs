//! Window conditions end to end (rules-reference §2.16 with choices.md): in input order
//! within and across batches, on any number of threads, whatever the batch cuts.

use blazerules_core::{EvalOptions, IngestErrorMode, RuleSet, WindowState};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::Arc;

fn load(doc: Value) -> RuleSet {
    RuleSet::load(&doc, Path::new(".")).unwrap_or_else(|e| panic!("load failed: {e:?}"))
}

/// A rule per window, each `op: gte` `value: t` so that the match says `value >= t`.
fn window_rule(id: &str, window: Value) -> Value {
    json!({"id": id, "action": "flag", "conditions": {"window": window}})
}

fn opts(state: &WindowState, threads: usize, now_ms: i64) -> EvalOptions {
    EvalOptions {
        threads,
        now_ms: Some(now_ms),
        window_shard: Some(state.shard(0)),
        ..EvalOptions::default()
    }
}

/// Per rule, the records (by index) it matched, over all `calls` (cuts of `lines`).
fn hits(rs: &RuleSet, lines: &[String], cuts: &[usize], threads: usize) -> Vec<Vec<u32>> {
    let state = WindowState::new(1_000_000);
    let mut out = vec![Vec::new(); rs.rule_ids().len()];
    let mut base = 0u32;
    let mut at = 0;
    for &end in cuts.iter().chain([&lines.len()]) {
        let text: String = lines[at..end].concat();
        let r = rs
            .evaluate_ndjson(text.as_bytes(), &opts(&state, threads, 1_700_000_000_000))
            .expect("evaluates");
        for (rule, h) in r.rule_hits.iter().enumerate() {
            out[rule].extend(h.iter().map(|i| i + base));
        }
        base += r.n_records() as u32;
        at = end;
    }
    out
}

#[test]
fn a_record_sees_the_records_before_it_in_its_own_batch() {
    let rs = load(json!({"rules": [
        window_rule("third", json!({"entity_field": "card", "duration_seconds": 60, "op": "gte", "value": 2}))
    ]}));
    let text = "{\"card\":\"a\"}\n{\"card\":\"a\"}\n{\"card\":\"b\"}\n{\"card\":\"a\"}\n{\"card\":\"a\"}\n";
    let state = WindowState::new(10);
    let r = rs
        .evaluate_ndjson(text.as_bytes(), &opts(&state, 1, 1_000))
        .expect("evaluates");
    assert_eq!(r.matched, [0, 0, 0, 1, 1]);
    let again = rs
        .evaluate_ndjson(b"{\"card\":\"b\"}\n", &opts(&state, 1, 1_000))
        .expect("evaluates");
    assert_eq!(again.matched, [0], "b was seen once before");
}

/// Many records over few entities, with event times, amounts and some nulls.
fn traffic(n: usize) -> Vec<String> {
    (0..n)
        .map(|i| {
            let amount = if i % 17 == 0 {
                "null".to_string()
            } else {
                format!("{}.{}", (i * 37) % 500, i % 10)
            };
            let ts = 1_700_000_000_000i64 + (i as i64) * 250 - ((i % 7) as i64) * 900;
            format!(
                "{{\"card\":\"c{}\",\"amount\":{amount},\"fee\":{},\"ts\":{ts},\"pad\":\"{}\"}}\n",
                i % 23,
                i % 5,
                "x".repeat(i % 40)
            )
        })
        .collect()
}

fn every_function() -> RuleSet {
    let w = |f: &str, extra: Value, op: &str, v: f64| {
        let mut m = json!({"entity_field": "card", "function": f, "duration_seconds": 30,
            "time_field": "ts", "op": op, "value": v});
        if let (Some(m), Some(e)) = (m.as_object_mut(), extra.as_object()) {
            m.extend(e.clone());
        }
        m
    };
    load(json!({"rules": [
        window_rule("count", w("count", json!({}), "gte", 4.0)),
        window_rule("sum", w("sum", json!({"sum_field": "amount"}), "gt", 900.0)),
        window_rule("avg", w("avg", json!({"value_field": "amount"}), "lt", 200.0)),
        window_rule("min", w("min", json!({"value_field": "amount"}), "lt", 50.0)),
        window_rule("max", w("max", json!({"value_field": "amount"}), "gte", 450.0)),
        window_rule("ratio", w("ratio", json!({"numerator_field": "amount", "denominator_field": "fee"}), "gt", 120.0)),
        window_rule("proc", json!({"entity_field": "card", "duration_seconds": 5, "op": "gte", "value": 10})),
    ]}))
}

#[test]
fn batch_cuts_and_threads_change_nothing() {
    let rs = every_function();
    let lines = traffic(12_000); // ~1 MB: several pieces on several threads
    let whole = hits(&rs, &lines, &[], 4);
    assert!(
        whole.iter().all(|h| !h.is_empty()),
        "every rule matches some record"
    );
    assert_eq!(hits(&rs, &lines, &[], 1), whole, "one thread");
    assert_eq!(
        hits(&rs, &lines, &[1, 2, 3, 5000, 5001, 11_999], 4),
        whole,
        "cut anywhere"
    );
    let one_each: Vec<usize> = (1..600).collect();
    let small = &lines[..600];
    assert_eq!(
        hits(&rs, small, &one_each, 2),
        hits(&rs, small, &[], 2),
        "one record a call"
    );
}

/// Kept blocks' buffers are reused from piece to piece (`batch/kept.rs`): records with and
/// without escaped strings, in entities and compared fields, read the same in a batch of
/// many pieces on two threads as one record a call (buffers never reused).
#[test]
fn reused_block_buffers_read_every_record_as_its_own() {
    let rs = load(json!({"rules": [
        window_rule("seen_3", json!({"entity_field": "card", "duration_seconds": 60, "op": "gte", "value": 3})),
        {"id": "quoted", "action": "flag", "conditions": {"field": "note", "op": "eq", "value": "a\"b"}},
    ]}));
    let lines: Vec<String> = (0..6000)
        .map(|i| {
            // The same entity, written with an escape or without.
            let card = if i % 3 == 0 {
                format!("c\\u0031{}", i % 50)
            } else {
                format!("c1{}", i % 50)
            };
            let note = ["a\\\"b", "a\\u0022b", "ab", "a\\\"c"][i % 4];
            format!(
                "{{\"card\":\"{card}\",\"note\":\"{note}\",\"pad\":\"{}\"}}\n",
                "x".repeat(i % 90)
            )
        })
        .collect();
    let whole = hits(&rs, &lines, &[], 2);
    assert_eq!(whole[1].len(), 3000, "a\\\"b and a\\u0022b");
    let one_each: Vec<usize> = (1..lines.len()).collect();
    assert_eq!(hits(&rs, &lines, &one_each, 2), whole);
}

#[test]
fn event_time_ages_windows_by_the_records_own_times() {
    let rs = load(
        json!({"rules": [window_rule("two", json!({"entity_field": "card",
        "duration_seconds": 10, "time_field": "ts", "op": "gte", "value": 2}))]}),
    );
    let recs = [
        json!({"card": "a", "ts": 100_000}),
        json!({"card": "a", "ts": 105_000}),
        json!({"card": "a", "ts": 109_999}), // sees 100 and 105
        json!({"card": "a", "ts": 115_000}), // 100 and 105 expired: sees 109
        json!({"card": "a"}),                // no event time: no state
        json!({"card": "a", "ts": 50_000}),  // late: reads as of 115 (sees 109, 115), adds nothing
        json!({"card": "a", "ts": 116_000}),
    ];
    let text: String = recs.iter().map(|r| format!("{r}\n")).collect();
    let state = WindowState::new(10);
    let r = rs
        .evaluate_ndjson(text.as_bytes(), &opts(&state, 1, 0))
        .expect("evaluates");
    assert_eq!(r.matched, [0, 0, 1, 0, 0, 1, 1]);
}

#[test]
fn nulls_add_nothing_and_a_missing_entity_reads_no_state() {
    let rs = load(json!({"rules": [
        window_rule("sum_is_3", json!({"entity_field": "card", "function": "sum", "sum_field": "v",
            "duration_seconds": 60, "op": "eq", "value": 3})),
        window_rule("count_lt_5", json!({"entity_field": "card", "duration_seconds": 60, "op": "lt", "value": 5})),
    ]}));
    let text = "{\"card\":\"a\",\"v\":3}\n{\"card\":\"a\",\"v\":null}\n{\"card\":\"a\"}\n{\"v\":1}\n{\"card\":null}\n";
    let state = WindowState::new(10);
    let r = rs
        .evaluate_ndjson(text.as_bytes(), &opts(&state, 1, 0))
        .expect("evaluates");
    assert_eq!(
        r.rule_hits[0],
        [1, 2],
        "null and missing v added nothing (BlazeRules: 1 each)"
    );
    assert_eq!(
        r.rule_hits[1],
        [0, 1, 2],
        "no entity: false (BlazeRules reads 0)"
    );
}

#[test]
fn a_refused_batch_leaves_the_state_as_it_was() {
    let rs = load(
        json!({"rules": [window_rule("seen", json!({"entity_field": "card",
        "duration_seconds": 60, "op": "gte", "value": 1}))]}),
    );
    let state = WindowState::new(10);
    let fail = EvalOptions {
        ingest_error_mode: IngestErrorMode::Fail,
        ..opts(&state, 1, 0)
    };
    assert!(rs
        .evaluate_ndjson(b"{\"card\":\"a\"}\n{broken\n", &fail)
        .is_err());
    assert_eq!(state.stats().entities, 0);
    let r = rs.evaluate_ndjson(b"{\"card\":\"a\"}\n{\"card\":\"a\"}\n", &fail);
    assert_eq!(r.expect("evaluates").matched, [0, 1]);
}

#[test]
fn shards_are_separate_and_processing_time_can_come_per_message() {
    let rs = load(
        json!({"rules": [window_rule("two", json!({"entity_field": "card",
        "duration_seconds": 10, "op": "gte", "value": 2}))]}),
    );
    let state = WindowState::new(10);
    let msg = b"{\"card\":\"a\"}".as_slice();
    let on = |p: u32, times: Vec<i64>| {
        let o = EvalOptions {
            window_shard: Some(state.shard(p)),
            record_times_ms: Some(Arc::from(times)),
            now_ms: Some(0),
            ..EvalOptions::default()
        };
        rs.evaluate_messages(&[msg, msg, msg], &o)
            .expect("evaluates")
            .matched
    };
    assert_eq!(on(0, vec![1_000, 2_000, 3_000]), [0, 0, 1]);
    assert_eq!(
        on(1, vec![1_000, 2_000, 3_000]),
        [0, 0, 1],
        "partition 1 starts empty"
    );
    // Partition 0 at 20 s: its records of seconds 1-3 are over.
    assert_eq!(on(0, vec![20_000, 20_000, 20_000]), [0, 0, 1]);
    assert_eq!(state.partitions(), [0, 1]);
    state.reset(Some(0));
    assert_eq!(state.shard(0).stats().entities, 0);
    assert_eq!(state.shard(1).stats().entities, 1);
}

#[test]
fn load_errors_name_the_key() {
    let bad = |w: Value| -> (String, String, String) {
        let doc = json!({"rules": [{"id": "r", "conditions": w}]});
        let e = RuleSet::load(&doc, Path::new(".")).expect_err("refused");
        let p = &e.problems[0];
        (
            p.code.as_str().to_string(),
            p.message.clone(),
            p.path.clone(),
        )
    };
    let w = |m: Value| json!({"window": m});
    assert_eq!(
        bad(w(json!({"duration_seconds": 5, "op": "gt", "value": 1}))),
        (
            "YAML_SYNTAX_ERROR".into(),
            "missing required key 'entity_field'".into(),
            "rules[0].conditions.window".into()
        )
    );
    assert_eq!(
        bad(w(
            json!({"entity_field": "c", "duration_seconds": 0, "op": "gt", "value": 1})
        ))
        .2,
        "rules[0].conditions.window.duration_seconds"
    );
    assert_eq!(
        bad(w(json!({"entity_field": "c", "function": "avg", "duration_seconds": 5, "op": "gt", "value": 1}))).1,
        "avg window requires sum_field"
    );
    assert_eq!(
        bad(
            json!({"window": {"entity_field": "c", "duration_seconds": 5}, "op": "nope", "value": 1})
        ),
        (
            "UNKNOWN_OP".into(),
            "unknown operator: 'nope'".into(),
            "rules[0].conditions.op".into()
        )
    );
    assert_eq!(
        bad(w(
            json!({"entity_field": "c", "duration_seconds": 5, "op": "in", "value": 1})
        ))
        .0,
        "UNKNOWN_OP"
    );
}

#[test]
fn a_replay_rebuilds_the_state_a_run_leaves() {
    let rs = every_function();
    let lines = traffic(3_000);
    let msgs: Vec<&[u8]> = lines.iter().map(|l| l.trim_end().as_bytes()).collect();
    let (before, after) = msgs.split_at(2_000);
    let run = |state: &WindowState, m: &[&[u8]]| {
        rs.evaluate_messages(m, &opts(state, 2, 1_700_000_000_000))
            .expect("evaluates")
    };
    let straight = WindowState::new(1_000_000);
    run(&straight, before);
    let want = run(&straight, after);
    let replayed = WindowState::new(1_000_000);
    let r = rs.replay_messages(before, &opts(&replayed, 2, 1_700_000_000_000));
    assert_eq!((r.records, r.skipped), (2_000, 0));
    let got = run(&replayed, after);
    assert_eq!(replayed.stats(), straight.stats(), "the same state");
    assert_eq!(got.rule_hits, want.rule_hits);
    assert!(want.rule_hits.iter().all(|h| !h.is_empty()));
}

/// A batch with windows merges its pieces as they are done and reuses their sinks for later
/// pieces (`batch/ordered.rs`): rows, lines, skipped records, warnings and the other rules'
/// decisions come out as from the same batch without windows (pieces merged at the end).
#[test]
fn reused_sinks_carry_nothing_from_piece_to_piece() {
    let plain = json!({"id": "big", "action": "flag", "conditions": {"field": "amount", "op": "gt", "value": 250}});
    let seen = window_rule(
        "seen_3",
        json!({"entity_field": "card", "duration_seconds": 60, "op": "gte", "value": 3}),
    );
    let windowed = load(json!({"rules": [seen, plain.clone()]}));
    let stateless = load(json!({"rules": [plain]}));
    // Blank lines, unreadable records and repeated keys here and there, over some 25 pieces.
    let lines: Vec<String> = traffic(20_000)
        .into_iter()
        .enumerate()
        .map(|(i, l)| match (i % 97, i % 101, i % 103) {
            (0, _, _) => format!("\n{l}"),
            (_, 0, _) => "{\"card\": oops}\n".to_string(),
            (_, _, 0) => l.replacen("{", "{\"amount\":900,", 1),
            _ => l,
        })
        .collect();
    let text = lines.concat();
    let msgs: Vec<&[u8]> = lines.iter().map(|l| l.trim().as_bytes()).collect();
    let state = WindowState::new(1_000_000);
    let o = EvalOptions {
        max_error_samples: 1_000,
        ..opts(&state, 2, 1_700_000_000_000)
    };
    let w = windowed
        .evaluate_ndjson(text.as_bytes(), &o)
        .expect("evaluates");
    let s = stateless
        .evaluate_ndjson(text.as_bytes(), &o)
        .expect("evaluates");
    assert!(
        w.messages_skipped > 150 && w.warning_samples.len() > 150,
        "{} {}",
        w.messages_skipped,
        w.warning_samples.len()
    );
    let same = |w: &blazerules_core::BatchResult, s: &blazerules_core::BatchResult| {
        assert_eq!(w.input_rows, s.input_rows);
        assert_eq!(w.input_lines, s.input_lines);
        assert_eq!(w.input_line_count, s.input_line_count);
        assert_eq!(w.error_samples, s.error_samples);
        assert_eq!(w.error_counts, s.error_counts);
        assert_eq!(w.warning_samples, s.warning_samples);
        assert_eq!(w.warning_counts, s.warning_counts);
        assert_eq!(
            (w.messages_processed, w.messages_skipped),
            (s.messages_processed, s.messages_skipped)
        );
        assert_eq!(w.rule_hits[1], s.rule_hits[0]);
    };
    same(&w, &s);
    let w = windowed.evaluate_messages(&msgs, &o).expect("evaluates");
    let s = stateless.evaluate_messages(&msgs, &o).expect("evaluates");
    same(&w, &s);
}
