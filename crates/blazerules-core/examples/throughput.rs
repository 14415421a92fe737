//! `cargo run --release --example throughput -- rules.json data.ndjson [threads] [reps]`:
//! raw core throughput, without Node in the way.

use blazerules_core::{EvalOptions, RuleSet};
use std::time::Instant;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().collect();
    if args.len() < 3 {
        return Err("usage: throughput RULES.json DATA.ndjson [threads] [reps]".into());
    }
    let doc: serde_json::Value = serde_json::from_slice(&std::fs::read(&args[1])?)?;
    let base = std::path::Path::new(&args[1])
        .parent()
        .unwrap_or(std::path::Path::new("."));
    let rs = RuleSet::load(&doc, base)?;
    let data = std::fs::read(&args[2])?;
    let threads = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(0);
    let reps: usize = args.get(4).and_then(|s| s.parse().ok()).unwrap_or(5);
    let opts = EvalOptions {
        threads,
        ..EvalOptions::default()
    };
    if std::env::var_os("BR_SMALL").is_some() {
        // Small-batch latency: the same payload evaluated many times.
        let t = Instant::now();
        let n = 20_000;
        for _ in 0..n {
            rs.evaluate_ndjson(&data, &opts)?;
        }
        println!(
            "{:.2} µs per call",
            t.elapsed().as_secs_f64() * 1e6 / n as f64
        );
        return Ok(());
    }
    for _ in 0..reps {
        let t = Instant::now();
        let c0 = cpu_ns();
        let r = rs.evaluate_ndjson(&data, &opts)?;
        let s = t.elapsed().as_secs_f64();
        let cpu = (cpu_ns() - c0) as f64 / 1e9;
        println!(
            "cpu {:.3}s ({:.2} M rec/cpu-s; read {:.0} / eval {:.0} ms) | {} records, {} matched, {} skipped: {:.2} M rec/s, {:.0} MB/s",
            cpu,
            r.n_records() as f64 / cpu / 1e6,
            r.timing.parse_ms,
            r.timing.eval_ms,
            r.n_records(),
            r.n_matched(),
            r.messages_skipped,
            r.n_records() as f64 / s / 1e6,
            data.len() as f64 / s / 1e6
        );
    }
    Ok(())
}

/// CPU time of the whole process (all threads), in ns, from /proc (Linux only; 0 elsewhere).
fn cpu_ns() -> u64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0;
    };
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks: u64 = fields.get(11).and_then(|u| u.parse().ok()).unwrap_or(0)
        + fields.get(12).and_then(|s| s.parse().ok()).unwrap_or(0);
    ticks * 10_000_000
}
