#!/usr/bin/env python3
"""Competitor 5: the BlazeRules Python engine (pip blazerules==0.5.4), in its own process.

Run by benchmarks/run.mjs with benchmarks/.venv/bin/python:

  python_bench.py --rules rules.yaml --data data/tx-64MB.ndjson [--bytes N] [--iterations 5]
                  [--min-seconds 1.0] [--verify-out PREFIX]

Loads the rules once (RuleEngine().load_rules), reads the file (optionally only its first
N bytes, cut at a newline), calls evaluate_ndjson(bytes) once to warm up (that first call
also binds BlazeRules' inferred schema), then times further calls on the same engine.
Prints one JSON object on stdout.  With --verify-out it also writes PREFIX.codes (int32 per
record), PREFIX.scores (float64 per record) and PREFIX.json (label map, winning rule ids,
skipped row indices, match counts) for a record-by-record comparison.
"""
import argparse
import json
import os
import statistics
import sys
import time

import blazerules


def vm_hwm_kb():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rules", required=True)
    ap.add_argument("--data", required=True)
    ap.add_argument("--bytes", type=int, default=0)
    ap.add_argument("--iterations", type=int, default=5)
    ap.add_argument("--min-seconds", type=float, default=0.0)
    ap.add_argument("--max-seconds", type=float, default=30.0)
    ap.add_argument("--verify-out", default="")
    a = ap.parse_args()

    with open(a.data, "rb") as f:
        payload = f.read()
    if a.bytes and a.bytes < len(payload):
        cut = payload.rfind(b"\n", 0, a.bytes)
        payload = payload[: cut + 1] if cut >= 0 else payload[: a.bytes]

    cfg = blazerules.EngineConfig()
    if a.verify_out:
        cfg.max_error_samples = 10_000_000
    engine = blazerules.RuleEngine(cfg)
    t0 = time.perf_counter()
    engine.load_rules(a.rules)
    load_ms = (time.perf_counter() - t0) * 1e3

    t0 = time.perf_counter()
    first = engine.evaluate_ndjson(payload)
    first_ms = (time.perf_counter() - t0) * 1e3

    times = []
    res = first
    start = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        res = engine.evaluate_ndjson(payload)
        times.append(time.perf_counter() - t0)
        el = time.perf_counter() - start
        if len(times) >= a.iterations and el >= a.min_seconds:
            break
        if el >= a.max_seconds and len(times) >= 1:
            break

    codes = list(res.decision_codes)
    labels = {int(k): v for k, v in res.decision_label_map.items()}
    by_label = {}
    for c in codes:
        by_label[labels.get(c, str(c))] = by_label.get(labels.get(c, str(c)), 0) + 1
    best = min(times)
    med = statistics.median(times)
    out = {
        "engine": "blazerules-python",
        "version": getattr(blazerules, "__version__", None) or getattr(blazerules, "BLAZERULES_VERSION", None),
        "simd_backend": str(blazerules.simd_backend()),
        "bytes": len(payload),
        "nRecords": res.n_records,
        "nMatched": res.n_matched,
        "messagesProcessed": res.messages_processed,
        "messagesSkipped": res.messages_skipped,
        "errorCounts": dict(res.error_counts),
        "matchCounts": dict(res.match_counts),
        "decisionCounts": by_label,
        "loadMs": load_ms,
        "firstCallMs": first_ms,
        "iterations": len(times),
        "bestMs": best * 1e3,
        "medianMs": med * 1e3,
        "recordsPerSec": res.n_records / med if med > 0 else None,
        "mbPerSec": len(payload) / med / 1e6 if med > 0 else None,
        "vmHwmKb": vm_hwm_kb(),
        "timing": dict(res.timing),
    }
    if a.verify_out:
        import array

        arr = array.array("i", codes)
        with open(a.verify_out + ".codes", "wb") as f:
            arr.tofile(f)
        sc = array.array("d", list(res.scores))
        with open(a.verify_out + ".scores", "wb") as f:
            sc.tofile(f)
        skipped = sorted({int(s.row_index) for s in res.error_samples if s.code == "MALFORMED_JSON"})
        typeerr = [
            {"row": int(s.row_index), "column": s.column_name, "code": s.code}
            for s in res.error_samples
            if s.code != "MALFORMED_JSON"
        ]
        with open(a.verify_out + ".json", "w") as f:
            json.dump(
                {
                    "labels": labels,
                    "winningRuleIds": list(res.winning_rule_ids),
                    "riskBands": list(res.risk_bands),
                    "skippedRows": skipped,
                    "typeErrors": typeerr,
                    "errorSamplesKept": len(res.error_samples),
                },
                f,
            )
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
