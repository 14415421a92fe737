#!/usr/bin/env python3
"""The reference engine's answers for the hostile differential (issue 13).

Reads {"rules": YAML text, "records": [NDJSON line, ...]} as JSON on stdin and prints, as JSON,
one result per record: each record evaluated alone by a fresh BlazeRules 0.5.4 engine (so that
no record's typing depends on another's, BlazeRules infers column types from its first batch).

Run by __test__/differential.spec.ts with scripts/diff/.venv/bin/python (made by
`bash scripts/diff/regen.sh`, or `python3 -m venv scripts/diff/.venv &&
scripts/diff/.venv/bin/pip install -r scripts/diff/requirements.txt`).
"""
import json
import os
import sys
import tempfile

import blazerules


def evaluate(rules_path: str, line: str) -> dict:
    engine = blazerules.RuleEngine()
    engine.load_rules(rules_path)
    # Lone surrogates in \\u escapes stay escapes; the text itself is valid UTF-8.
    result = engine.evaluate_ndjson(line.encode("utf-8"))
    if result.n_records != 1:
        return {"skipped": True, "error_counts": dict(result.error_counts)}
    return {
        "decision": result.decisions[0],
        "score": float(result.scores[0]),
        "risk_band": result.risk_bands[0],
        "winning_rule_id": result.winning_rule_ids[0],
        "matched": len(result.matched_indices) > 0,
    }


def main() -> None:
    request = json.load(sys.stdin)
    with tempfile.TemporaryDirectory(prefix="brhostile-") as tmp:
        rules_path = os.path.join(tmp, "rules.yaml")
        with open(rules_path, "w", encoding="utf-8") as f:
            f.write(request["rules"])
        answers = [evaluate(rules_path, line) for line in request["records"]]
    json.dump({"version": blazerules.__version__, "answers": answers}, sys.stdout)


if __name__ == "__main__":
    main()
