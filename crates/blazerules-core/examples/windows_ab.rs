//! `cargo run --release --example windows_ab -- A.json B.json DATA.ndjson [entities] [threads] [rounds] [step_ms]`:
//! time per record of rule set B against rule set A on the same data, the two taking turns
//! (medians), both on one window state shard that is first filled with `entities` accounts
//! (`{"acct":"a<k>","amount":…,"ts":…}`); the clock moves on `step_ms` each round (default
//! 1000: each round's records fall in a new second, as a stream's would). Without Node in the way: A the benchmark rules, B
//! the same plus window rules on `acct` gives the cost of the windows (benchmarks/lib/windows.mjs
//! writes such rules and data).

use blazerules_core::{EvalOptions, RuleSet, WindowState};
use std::time::Instant;

type Res<T> = Result<T, Box<dyn std::error::Error>>;

fn load(path: &str) -> Res<RuleSet> {
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(path)?)?;
    Ok(RuleSet::load(&doc, std::path::Path::new("."))?)
}

/// Evaluates `entities` small records, one per account, to fill the state.
fn fill(rs: &RuleSet, opts: &EvalOptions, entities: usize) -> Res<()> {
    let now = opts.now_ms.unwrap_or(0);
    for from in (0..entities).step_by(100_000) {
        let mut s = String::new();
        for k in from..(from + 100_000).min(entities) {
            let ts = now + (k as i64 % 86_400) * 1000;
            s.push_str(&format!(
                "{{\"acct\":\"a{k}\",\"amount\":{}.5,\"ts\":{ts}}}\n",
                k % 997
            ));
        }
        rs.evaluate_ndjson(s.as_bytes(), opts)?;
    }
    Ok(())
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v.get(v.len() / 2).copied().unwrap_or(f64::NAN)
}

fn main() -> Res<()> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 4 {
        return Err(
            "usage: windows_ab A.json B.json DATA.ndjson [entities] [threads] [rounds]".into(),
        );
    }
    let (a, b) = (load(&args[1])?, load(&args[2])?);
    let data = std::fs::read(&args[3])?;
    let arg = |i: usize, d: usize| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let (entities, threads, rounds) = (arg(4, 1_000_000), arg(5, 0), arg(6, 10));
    let step_ms = arg(7, 1000) as i64;
    let state = WindowState::new(usize::MAX);
    let mut opts = EvalOptions {
        threads,
        window_shard: Some(state.shard(0)),
        now_ms: Some(1_790_000_000_000),
        ..EvalOptions::default()
    };
    fill(&b, &opts, entities)?;
    let (mut ta, mut tb) = (Vec::new(), Vec::new());
    for round in 0..rounds {
        opts.now_ms = opts.now_ms.map(|t| t + step_ms);
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for k in order {
            let t = Instant::now();
            let r = [&a, &b][k].evaluate_ndjson(&data, &opts)?;
            let ns = t.elapsed().as_secs_f64() * 1e9 / r.n_records().max(1) as f64;
            [&mut ta, &mut tb][k].push(ns);
        }
    }
    let (ma, mb) = (median(ta), median(tb));
    println!(
        "A {ma:.0} ns/record, B {mb:.0} ns/record, B/A {:.2} ({} entities)",
        mb / ma,
        state.stats().entities
    );
    Ok(())
}
