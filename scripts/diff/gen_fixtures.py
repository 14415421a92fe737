#!/usr/bin/env python3
"""Generate the differential fixtures in __test__/fixtures/diff/ from the reference engine.

The reference is BlazeRules 0.5.4 from PyPI (``pip install blazerules==0.5.4``).  For every case
in ``cases.py`` this script

1. writes ``rules.yaml``, ``input.ndjson`` and any lookup CSVs into
   ``__test__/fixtures/diff/<case>/``;
2. runs the reference engine on them exactly as a user would
   (``RuleEngine().load_rules(path)`` then ``evaluate_ndjson(bytes)``);
3. if the case declares a *twin* (a rewrite of the rules and/or input that makes the reference
   compute what OUR engine must compute where /work/shared/spec/choices.md deliberately
   differs), runs the twin too; every record whose twin answer differs from the reference
   answer becomes an entry of the ``overrides`` list, and the twin's answer is the expected one;
4. audits the case for hidden dependence on BlazeRules quirks that choices.md overrides
   (first-batch typing / nullability, null-like strings, dotted-name layout, ``not`` over
   contains_all / flags_all, ``eq_field`` on categorical codes, ``in_lookup`` on a closed
   categorical) and refuses to write a fixture whose expected values still depend on one;
5. writes ``expected.json``.

Usage (from the repository root):

    bash scripts/diff/regen.sh            # creates scripts/diff/.venv if needed, then runs this
    scripts/diff/.venv/bin/python scripts/diff/gen_fixtures.py [--show] [--only CASE ...]

``--show`` prints the per-record table of every case (reference vs expected).
``--check`` regenerates into a temporary directory and fails if the committed fixtures differ.
"""
from __future__ import annotations

import argparse
import copy
import filecmp
import json
import os
import shutil
import sys
import tempfile
import time

import yaml

import blazerules

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
OUT_DIR = os.path.join(REPO, "__test__", "fixtures", "diff")
REFERENCE_VERSION = "0.5.4"

sys.path.insert(0, HERE)
sys.dont_write_bytecode = True  # keep scripts/diff free of __pycache__
import cases as case_defs  # noqa: E402

NULL_LIKE = {"", "null", "NULL", "None", "NONE", "none"}


# --------------------------------------------------------------------------------------------
# running the reference engine
# --------------------------------------------------------------------------------------------

def _records_of(result) -> list[dict]:
    matched = set(int(i) for i in result.matched_indices)
    out = []
    for i in range(result.n_records):
        out.append({
            "decision": result.decisions[i],
            "score": float(result.scores[i]),
            "risk_band": result.risk_bands[i],
            "winning_rule_id": result.winning_rule_ids[i],
            "matched": i in matched,
        })
    return out


def _batch_result(result) -> dict:
    return {
        "records": _records_of(result),
        "n_records": int(result.n_records),
        "n_matched": int(result.n_matched),
        "messages_processed": int(result.messages_processed),
        "messages_skipped": int(result.messages_skipped),
        "match_counts": {k: int(v) for k, v in result.match_counts.items()},
        "error_counts": {k: int(v) for k, v in result.error_counts.items()},
        "error_samples": [
            {"code": s.code, "message": s.message, "row_index": int(s.row_index),
             "column": s.column_name}
            for s in result.error_samples
        ],
        "decision_label_map": {int(k): v for k, v in result.decision_label_map.items()},
    }


def _merged(parts: list[dict]) -> dict:
    """One batch's result from the results of evaluating its records one call each."""
    out = {"records": [], "n_records": 0, "n_matched": 0, "messages_processed": 0,
           "messages_skipped": 0, "match_counts": {}, "error_counts": {}, "error_samples": [],
           "decision_label_map": parts[0]["decision_label_map"] if parts else {}}
    for p in parts:
        for k in ("records", "error_samples"):
            out[k] += p[k]
        for k in ("n_records", "n_matched", "messages_processed", "messages_skipped"):
            out[k] += p[k]
        for k in ("match_counts", "error_counts"):
            for name, n in p[k].items():
                out[k][name] = out[k].get(name, 0) + n
    return out


def _wait_for_second(start: float, offset: int) -> int:
    """Sleeps until 0.3 s into second `start + offset` (so that the reference's clock, in whole
    seconds, reads that second); returns it in epoch ms, at its middle."""
    target = int(start) + offset
    while time.time() < target + 0.3:
        time.sleep(max(0.0, min(0.05, target + 0.3 - time.time())))
    if time.time() >= target + 0.8:
        raise SystemExit(f"missed second {offset} of a timed case (the machine is too busy): run it again")
    return target * 1000 + 500


def _one_record_a_call(engine, ndjson: bytes, seconds, now_ms: list[int]) -> dict:
    """Evaluates each non-blank line as its own batch (one record per call: BlazeRules applies
    window updates per batch, we per record, so this is where the two coincide). With
    `seconds`, record i is evaluated during second `start + seconds[i]`."""
    lines = [l for l in ndjson.split(b"\n") if l.strip(b" \t\r")]
    start = time.time()
    parts = []
    for i, line in enumerate(lines):
        if seconds is not None:
            now_ms.append(_wait_for_second(start, 1 + seconds[i]))
        parts.append(_batch_result(engine.evaluate_ndjson(line + b"\n")))
    return _merged(parts)


def run_reference(rules_text: str, batches, lookups: dict[str, str], feed: dict | None = None) -> dict:
    """Load rules from a file (so lookups resolve relative to it) and evaluate each NDJSON batch
    in turn on the same engine. Returns the first batch's result, with the later batches'
    results under "next_batches". `feed` = {"per_record": True[, "seconds": [...]]} evaluates
    each record as its own call (the result is still one per batch), timed when `seconds` is
    given; the clock of each record is then under "now_ms"."""
    if isinstance(batches, bytes):
        batches = [batches]
    feed = feed or {}
    with tempfile.TemporaryDirectory(prefix="brdiff-") as tmp:
        rules_path = os.path.join(tmp, "rules.yaml")
        with open(rules_path, "w", encoding="utf-8") as fh:
            fh.write(rules_text)
        for name, text in lookups.items():
            with open(os.path.join(tmp, name), "w", encoding="utf-8", newline="") as fh:
                fh.write(text)
        engine = blazerules.RuleEngine()
        engine.load_rules(rules_path)
        results = []
        now_ms: list[int] = []
        for ndjson in batches:
            if feed.get("per_record"):
                results.append(_one_record_a_call(engine, ndjson, feed.get("seconds"), now_ms))
            else:
                results.append(_batch_result(engine.evaluate_ndjson(ndjson)))
        schema = [
            {"name": f.name, "type": str(f.type).split(".")[-1], "nullable": bool(f.nullable)}
            for f in engine.schema
        ]
        first = results[0]
        first["schema"] = schema
        first["next_batches"] = results[1:]
        if now_ms:
            first["now_ms"] = now_ms
        return first


def feed_of(case) -> dict | None:
    """How a case's records reach the reference (see run_reference)."""
    if not case.get("per_record"):
        return None
    return {"per_record": True, "seconds": case.get("seconds")}


def _all_batches(res: dict) -> list[dict]:
    return [res] + res.get("next_batches", [])


def _same(a: dict, b: dict) -> bool:
    return all(x["records"] == y["records"] and x["match_counts"] == y["match_counts"]
               for x, y in zip(_all_batches(a), _all_batches(b)))


# --------------------------------------------------------------------------------------------
# rules-file helpers
# --------------------------------------------------------------------------------------------

def _rules_list(doc: dict) -> list:
    rs = doc.get("ruleset")
    if isinstance(rs, dict) and "rules" in rs:
        return rs["rules"] or []
    return doc.get("rules") or []


def _walk_conditions(cond, parent_not=False):
    """Yield (leaf_dict, under_not) for every field leaf of a condition tree (not sql)."""
    if not isinstance(cond, dict):
        return
    if "and" in cond or "or" in cond:
        for c in cond.get("and", cond.get("or")) or []:
            yield from _walk_conditions(c, False)
        return
    if "not" in cond:
        yield from _walk_conditions(cond["not"], True)
        return
    if "array_any" in cond:
        return  # interpreted separately, per element
    if "sql" in cond or isinstance(cond.get("expr"), str):
        return
    yield cond, parent_not


def _hints(doc: dict) -> dict:
    f = doc.get("fields", doc.get("schema"))
    if isinstance(f, list):
        return {x["name"]: x for x in f if isinstance(x, dict) and "name" in x}
    return dict(f or {})


# --------------------------------------------------------------------------------------------
# quirk audit
# --------------------------------------------------------------------------------------------

TEMPORAL_OR_BITS = {"flags_any", "flags_all", "flags_none", "before", "after", "within_last",
                    "day_of_week_in", "time_of_day_between"}


def auto_hinted_rules(rules_text: str, schema: list[dict]) -> str | None:
    """Rules with hints that switch off first-batch typing: every inferred int column becomes
    float64 and every inferred non-nullable column nullable (choices.md:28-30)."""
    doc = yaml.safe_load(rules_text)
    hints = _hints(doc)
    pinned_int = set()
    for rule in _rules_list(doc):
        for leaf, _ in _walk_conditions(rule.get("conditions")):
            if str(leaf.get("op", "")).lower() in TEMPORAL_OR_BITS:
                pinned_int.add(leaf.get("field"))
    changed = False
    new = {k: dict(v or {}) for k, v in hints.items()}
    for col in schema:
        name = col["name"]
        if name.startswith("__"):
            continue
        h = new.setdefault(name, {})
        hinted_type = "type" in h
        if not hinted_type and col["type"] in ("INT32", "INT64") and name not in pinned_int:
            h["type"] = "float64"
            changed = True
        if "nullable" not in h and not col["nullable"]:
            h["nullable"] = True
            changed = True
        if not h:
            del new[name]
    if not changed:
        return None
    doc.pop("schema", None)
    doc["fields"] = new
    return yaml.safe_dump(doc, sort_keys=False)


def audit(case, rules_text: str, batches: list[bytes], lookups: dict, ref: dict) -> list[str]:
    """Return the quirks the reference result may depend on (empty = none found)."""
    problems = []
    doc = yaml.safe_load(rules_text)
    schema = {c["name"]: c for c in ref["schema"]}

    # 1. first-batch typing and nullability
    hinted = auto_hinted_rules(rules_text, ref["schema"])
    if hinted is not None:
        hinted = _drop_unsampled_float64(hinted, batches, lookups, feed_of(case))
        alt = run_reference(hinted, batches, lookups, feed_of(case))
        for bi, (x, y) in enumerate(zip(_all_batches(ref), _all_batches(alt))):
            diff = [i for i, (a, b) in enumerate(zip(x["records"], y["records"])) if a != b]
            if diff or x["match_counts"] != y["match_counts"]:
                problems.append(f"first-batch typing/nullability changes batch {bi + 1} records "
                                f"{diff} (match_counts {x['match_counts']} -> {y['match_counts']})")

    # 2. null-like strings in input values (any depth)
    hints = _hints(doc)
    lines = [l for nd in batches for l in nd.split(b"\n") if l.strip()]
    for idx, line in enumerate(lines):
        try:
            rec = json.loads(line)
        except Exception:
            continue
        if not isinstance(rec, dict):
            continue
        for key, val in _flatten(rec):
            if not isinstance(val, str) or val not in NULL_LIKE:
                continue
            if val == "" and (hints.get(key) or {}).get("nullable") is True:
                continue  # "" is null in both engines when the hint says nullable
            problems.append(f"line {idx}: field {key!r} holds null-like string {val!r}")

    # 3. dotted names vs the layout of the first parsed record
    dotted = [n for n in schema if "." in n and not n.startswith("__")]
    if dotted and lines:
        first = None
        for line in lines:
            try:
                first = json.loads(line)
            except Exception:
                continue
            break  # the first line the reader parses, object or not
        has_obj = isinstance(first, dict) and any(isinstance(v, dict) for v in first.values())
        nested_later = any(b"{" in l[1:] for l in lines[1:])
        if not has_obj and nested_later:
            problems.append("dotted field names with a first record that has no object value")

    # 4. not over contains_all / flags_all; 5. eq_field on categorical; 6. in_lookup on closed
    lk = {k: str((v or {}).get("type", "string_set")).lower() for k, v in (doc.get("lookups") or {}).items()}
    for rule in _rules_list(doc):
        if rule.get("enabled", True) is False:
            continue
        for leaf, under_not in _walk_conditions(rule.get("conditions")):
            op = str(leaf.get("op", "")).lower()
            if under_not and op in ("contains_all", "flags_all"):
                problems.append(f"rule {rule['id']}: not over {op}")
            if op in ("eq_field", "neq_field") or ("other_field" in leaf and op in ("eq", "neq")):
                a, b = schema.get(leaf.get("field"), {}), schema.get(leaf.get("other_field"), {})
                if a.get("type") in ("CATEGORICAL", "ENTITY_KEY") or b.get("type") in ("CATEGORICAL", "ENTITY_KEY"):
                    problems.append(f"rule {rule['id']}: {op} on categorical/entity codes")
            if op in ("in_lookup", "not_in_lookup"):
                t = lk.get(leaf.get("lookup"), "string_set")
                if t not in ("int_set", "ipv4_cidr_set") and schema.get(leaf.get("field"), {}).get("type") in ("CATEGORICAL", "ENTITY_KEY"):
                    problems.append(f"rule {rule['id']}: string_set lookup on a categorical column")
    return problems


def _flatten(obj, prefix=""):
    for k, v in obj.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            yield from _flatten(v, key + ".")
        elif isinstance(v, list):
            for item in v:
                if isinstance(item, dict):
                    yield from _flatten(item, key + ".")
                else:
                    yield key, item
        else:
            yield key, v


# --------------------------------------------------------------------------------------------
# twins (what OUR engine must answer where choices.md differs from the reference)
# --------------------------------------------------------------------------------------------

def _subst(text: str, subs) -> str:
    for old, new in subs or []:
        if old not in text:
            raise SystemExit(f"twin substitution {old!r} not found")
        text = text.replace(old, new)
    return text


def build_twin(case) -> tuple[str, list[bytes], dict] | None:
    tw = case.get("twin")
    if not tw:
        return None
    lookups = dict(case.get("lookups") or {})
    lookups.update(tw.get("lookups") or {})
    rules = tw.get("rules") or _subst(case["rules"], tw.get("rules_sub"))
    inputs = case_inputs(case)
    if tw.get("input_sub"):
        joined = b"\x00".join(inputs).decode("utf-8")
        inputs = [x.encode("utf-8") for x in _subst(joined, tw["input_sub"]).split("\x00")]
    if tw.get("auto_hints"):
        # hints that switch off first-batch typing (int32 -> float64, non-nullable -> nullable)
        probe = run_reference(rules, inputs, lookups, feed_of(case))
        rules = auto_hinted_rules(rules, probe["schema"]) or rules
        rules = _drop_unsampled_float64(rules, inputs, lookups, feed_of(case))
    return rules, inputs, lookups


def _drop_unsampled_float64(rules: str, batches, lookups: dict, feed: dict | None = None) -> str:
    """BlazeRules rejects a float64 hint on a field with no non-null value in the first batch
    ("unable to infer numeric field from sampled data: f", see FINDINGS.md). Where the auto
    hints hit that, drop the type hint (keeping `nullable`) and use the inferred type."""
    for _ in range(50):
        try:
            run_reference(rules, batches, lookups, feed)
            return rules
        except Exception as exc:  # noqa: BLE001
            msg = str(exc)
            prefix = "unable to infer numeric field from sampled data: "
            if prefix not in msg:
                raise
            field = msg.split(prefix, 1)[1].strip()
            doc = yaml.safe_load(rules)
            doc["fields"][field].pop("type", None)
            rules = yaml.safe_dump(doc, sort_keys=False)
    raise SystemExit("could not build auto-hinted twin")


def _encode(raw_or_records) -> bytes:
    if isinstance(raw_or_records, bytes):
        return raw_or_records
    if isinstance(raw_or_records, str):
        return raw_or_records.encode("utf-8")
    return "".join(json.dumps(r, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for r in raw_or_records).encode("utf-8")


def case_inputs(case) -> list[bytes]:
    """One NDJSON payload per batch (most cases have one)."""
    if "batches" in case:
        return [_encode(b) for b in case["batches"]]
    if "raw_input" in case:
        return [_encode(case["raw_input"])]
    return [_encode(case["records"])]


def input_name(i: int) -> str:
    return "input.ndjson" if i == 0 else f"input.{i + 1}.ndjson"


# --------------------------------------------------------------------------------------------
# main
# --------------------------------------------------------------------------------------------

def _batch_expected(res: dict) -> dict:
    return {
        "n_records": res["n_records"],
        "n_matched": res["n_matched"],
        "messages_processed": res["messages_processed"],
        "messages_skipped": res["messages_skipped"],
        "error_counts": res["error_counts"],
        "match_counts": res["match_counts"],
        "records": res["records"],
    }


def generate(case, out_root: str, show: bool) -> dict:
    name = case["name"]
    rules_text = case["rules"]
    inputs = case_inputs(case)
    lookups = dict(case.get("lookups") or {})
    ref = run_reference(rules_text, inputs, lookups, feed_of(case))

    twin = build_twin(case)
    expected = ref
    overrides: list[list[dict]] = [[] for _ in inputs]
    if twin is not None:
        t_rules, t_inputs, t_lookups = twin
        expected = run_reference(t_rules, t_inputs, t_lookups, feed_of(case))
        reason = case["twin"]["reason"]
        for bi, (rb, eb) in enumerate(zip(_all_batches(ref), _all_batches(expected))):
            if rb["n_records"] != eb["n_records"]:
                raise SystemExit(f"{name}: twin changes the record count of batch {bi + 1}")
            for i, (a, b) in enumerate(zip(rb["records"], eb["records"])):
                if a != b:
                    changed = {k: {"reference": a[k], "ours": b[k]} for k in a if a[k] != b[k]}
                    rr = case["twin"].get("record_reasons") or {}
                    why = rr.get(f"{bi + 1}:{i}") or (rr.get(i) if bi == 0 else None)
                    overrides[bi].append({"record": i, "changed": changed,
                                          "reason": f"{why} [{reason}]" if why else reason})
        if _same(ref, expected):
            raise SystemExit(f"{name}: twin declared but nothing differs from the reference")
        problems = audit(case, t_rules, t_inputs, t_lookups, expected)
    else:
        problems = audit(case, rules_text, inputs, lookups, ref)
    allowed = case.get("audit_allow") or []
    left = [p for p in problems if not any(a in p for a in allowed)]
    if left:
        raise SystemExit(f"{name}: expected values depend on overridden quirks:\n  " + "\n  ".join(left))

    d = os.path.join(out_root, name)
    if os.path.isdir(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(d, "rules.yaml"), "w", encoding="utf-8") as fh:
        fh.write(rules_text)
    for i, payload in enumerate(inputs):
        with open(os.path.join(d, input_name(i)), "wb") as fh:
            fh.write(payload)
    for lname, text in lookups.items():
        with open(os.path.join(d, lname), "w", encoding="utf-8", newline="") as fh:
            fh.write(text)
    exp = {
        "case": name,
        "description": " ".join(case["doc"].split()),
        "reference": f"blazerules=={REFERENCE_VERSION} (PyPI): RuleEngine().load_rules(rules.yaml); evaluate_ndjson(input.ndjson)",
        "input": input_name(0),
    }
    if case.get("per_record"):
        # BlazeRules applies window updates per batch, we per record: fed one record per call,
        # the two coincide. Our test evaluates the whole input in one call (or one call per
        # second of `now_ms`, the reference's clock for each record, for timed cases).
        exp["reference"] += ", one record per call"
        if "now_ms" in ref:
            exp["now_ms"] = ref["now_ms"]
    exp.update(_batch_expected(expected))
    exp["overrides"] = overrides[0]
    if twin is not None:
        exp["reference_match_counts"] = ref["match_counts"]
    nb = []
    for bi, (eb, rb) in enumerate(zip(expected["next_batches"], ref["next_batches"]), start=1):
        item = {"input": input_name(bi)}
        item.update(_batch_expected(eb))
        item["overrides"] = overrides[bi]
        if twin is not None:
            item["reference_match_counts"] = rb["match_counts"]
        nb.append(item)
    if nb:
        exp["next_batches"] = nb
    if case.get("notes"):
        exp["notes"] = " ".join(case["notes"].split())
    exp["reference_schema"] = ref["schema"]
    with open(os.path.join(d, "expected.json"), "w", encoding="utf-8") as fh:
        json.dump(exp, fh, indent=1, ensure_ascii=False)
        fh.write("\n")

    if show:
        print(f"== {name}: schema {[(c['name'], c['type'], c['nullable']) for c in ref['schema']]}")
        for bi, (eb, payload) in enumerate(zip(_all_batches(expected), inputs)):
            print(f"   batch {bi + 1}: {eb['n_records']} records, skipped {eb['messages_skipped']}, "
                  f"errors {eb['error_counts']}")
            print(f"   match_counts {eb['match_counts']}")
            ok_lines = [l for l in payload.split(b"\n") if l.strip(b" \t\r") and _is_obj(l)]
            for i, r in enumerate(eb["records"]):
                o = next((o for o in overrides[bi] if o["record"] == i), None)
                line = ok_lines[i].decode("utf-8", "replace")[:110] if i < len(ok_lines) else ""
                print(f"   {i:3d} {r['decision']:<12} {r['score']:>7g} {r['risk_band']:<6} "
                      f"{r['winning_rule_id']:<18} {'M' if r['matched'] else '-'} "
                      f"{'OVR ' + json.dumps(o['changed']) if o else ''} {line}")
    return exp


def write_readme(out_root: str, rows: list[str]) -> None:
    text = f"""# Differential fixtures (generated: do not edit by hand)

Each directory is one case: `rules.yaml` (plus the lookup CSVs it names), `input.ndjson` (and
`input.2.ndjson`, … for cases that need several batches on one engine) and `expected.json`.
`__test__/differential.spec.ts` loads the rules, evaluates each input in order with
`evaluateNdjson` and compares per-record decision, score (1e-9), risk band, winning rule and
matched flag, plus matchCounts, nMatched, nRecords, messagesSkipped and the MALFORMED_JSON count.

`expected.json` holds the reference engine's output (BlazeRules {REFERENCE_VERSION} from PyPI),
except for the records listed under `overrides`: there choices.md makes us differ on purpose,
and the expected values are ours. Each override keeps the reference's value (`changed.*.reference`)
and the reason. `reference_match_counts` is the reference's own count where a case has overrides.
`reference_schema` is the schema BlazeRules inferred (informational). What the reference does
that rules-reference.md does not say, or says differently, is in FINDINGS.md.

Regenerate (needs Python 3 and PyPI; the test itself needs no Python):

    bash scripts/diff/regen.sh            # rewrites every fixture directory and this README
    bash scripts/diff/regen.sh --show     # also prints each case's per-record table
    bash scripts/diff/regen.sh --check    # exit 1 if the committed fixtures are stale

Cases are defined in `scripts/diff/cases.py`.

| case | records per batch | skipped lines | overridden records | what it covers |
|---|---|---|---|---|
""" + "\n".join(rows) + "\n"
    with open(os.path.join(out_root, "README.md"), "w", encoding="utf-8") as fh:
        fh.write(text)


def _is_obj(line: bytes) -> bool:
    try:
        return isinstance(json.loads(line), dict)
    except Exception:
        return False


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--show", action="store_true")
    ap.add_argument("--only", nargs="*")
    ap.add_argument("--check", action="store_true",
                    help="regenerate into a temp dir and compare with the committed fixtures")
    args = ap.parse_args()
    if blazerules.BLAZERULES_VERSION != REFERENCE_VERSION:
        print(f"warning: reference is {blazerules.BLAZERULES_VERSION}, fixtures are for "
              f"{REFERENCE_VERSION}", file=sys.stderr)
    all_cases = case_defs.CASES
    names = [c["name"] for c in all_cases]
    if len(set(names)) != len(names):
        raise SystemExit("duplicate case names")
    selected = [c for c in all_cases if not args.only or c["name"] in args.only]

    out_root = tempfile.mkdtemp(prefix="brdiff-out-") if args.check else OUT_DIR
    if not args.check and not args.only:
        # remove fixture dirs of cases that no longer exist
        if os.path.isdir(OUT_DIR):
            for entry in os.listdir(OUT_DIR):
                p = os.path.join(OUT_DIR, entry)
                if os.path.isdir(p) and entry not in names:
                    shutil.rmtree(p)
    os.makedirs(out_root, exist_ok=True)
    total_over = 0
    rows = []
    for case in selected:
        exp = generate(case, out_root, args.show)
        n_over = len(exp["overrides"]) + sum(len(b["overrides"]) for b in exp.get("next_batches", []))
        total_over += n_over
        batches = [exp] + exp.get("next_batches", [])
        first = exp["description"].split(". ")[0].rstrip(".")
        rows.append(f"| `{case['name']}` | {' + '.join(str(b['n_records']) for b in batches)} "
                    f"| {sum(b['messages_skipped'] for b in batches)} | {n_over} | {first}. |")
    if not args.only:
        write_readme(out_root, rows)
    print(f"{len(selected)} cases, {total_over} overridden records -> {out_root}")
    if args.check:
        bad = []
        for case in selected:
            a, b = os.path.join(out_root, case["name"]), os.path.join(OUT_DIR, case["name"])
            cmp = filecmp.dircmp(a, b)
            if cmp.left_only or cmp.right_only or cmp.diff_files:
                bad.append((case["name"], cmp.left_only, cmp.right_only, cmp.diff_files))
        if not args.only and not filecmp.cmp(os.path.join(out_root, "README.md"),
                                             os.path.join(OUT_DIR, "README.md"), shallow=False):
            bad.append(("README.md",))
        shutil.rmtree(out_root)
        if bad:
            for b in bad:
                print("stale fixture:", b)
            return 1
        print("committed fixtures are up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
