"""Differential cases: each is a rules.yaml, an NDJSON input (records or raw bytes) and optional
lookup CSVs, plus an optional *twin* for records where our engine deliberately differs from
BlazeRules (see gen_fixtures.py).  Keep inputs small (10-60 records) and realistic, and make the
first records representative (a null among early records of nullable fields, decimals in float
fields) so the reference's first-batch inference does not decide the answer.

Epoch times used below (UTC): T0 = 2024-03-04T00:00:00Z (a Monday) = 1709510400000.
"""

T0 = 1709510400000
H = 3_600_000
D = 86_400_000

C = "choices.md"  # citations below are line numbers of /work/shared/spec/choices.md
WHY_TYPING = f"{C}:28-30 types come from each value; a missing/null value is missing, never 0 (BlazeRules inferred int32/non-nullable from the first batch)"
WHY_NULLLIKE = f"{C}:33-34 the strings null/NULL/None are ordinary strings; an empty string is empty, not null, unless the hint says nullable"
WHY_DOTTED = f"{C}:31-32 dotted names resolve per record, never by the layout of the first record parsed"
WHY_NOT_ALL = f"{C}:35 `not` over contains_all / flags_all negates them (BlazeRules ignores the not)"
WHY_EQ_FIELD = f"{C}:36 eq_field/neq_field on categorical fields compare the strings, not per-column codes"
WHY_LOOKUP = f"{C}:36-37 in_lookup on a string field checks the lookup set whatever values the first batch held"

CASES = []


def case(**kw):
    CASES.append(kw)


# =============================================================================================
# 2.3 numeric operators
# =============================================================================================
case(
    name="numeric_ops_float",
    doc="""gt/lt/gte/lte/eq/neq/between_including/between_excluding on inferred float64 fields
(decimals present, nulls among early records). Null rows never match, neq included (2.2).
A scalar `between_*` value behaves as gt (2.1 item 11).""",
    rules="""schema_version: "2.1"
ruleset:
  name: numeric
  version: "1.0.0"
  rules:
    - {id: amt_gt_500, action: flag, weight: 5, conditions: {field: amount, op: gt, value: 500}}
    - {id: amt_lt_1, action: flag, weight: 1, conditions: {field: amount, op: lt, value: 1.0}}
    - {id: amt_gte_250_5, action: flag, weight: 2, conditions: {field: amount, op: gte, value: 250.5}}
    - {id: amt_lte_0, action: review, weight: 3, conditions: {field: amount, op: lte, value: 0}}
    - {id: amt_eq_99_99, action: flag, weight: 7, conditions: {field: amount, op: eq, value: 99.99}}
    - {id: ratio_neq_1, action: flag, weight: 11, conditions: {field: ratio, op: neq, value: 1}}
    - {id: amt_between_inc, action: flag, weight: 13, conditions: {field: amount, op: between_including, value: [100, 200]}}
    - {id: amt_between_exc, action: flag, weight: 17, conditions: {field: amount, op: between_excluding, values: [100, 200]}}
    - {id: ratio_between_scalar, action: flag, weight: 19, conditions: {field: ratio, op: between_including, value: 2.5}}
""",
    records=[
        {"id": 1, "amount": 12.5, "ratio": 1.0},
        {"id": 2, "amount": None, "ratio": None},
        {"id": 3, "amount": 100.0, "ratio": 0.75},
        {"id": 4, "ratio": 3.25},
        {"id": 5, "amount": 200, "ratio": 1},
        {"id": 6, "amount": 150.25, "ratio": 2.5},
        {"id": 7, "amount": 99.99, "ratio": 2.51},
        {"id": 8, "amount": 0, "ratio": 0.0},
        {"id": 9, "amount": -5.75, "ratio": 1.5},
        {"id": 10, "amount": 0.5, "ratio": 1e0},
        {"id": 11, "amount": 250.5, "ratio": 1.0000001},
        {"id": 12, "amount": 250.49, "ratio": 0.999},
        {"id": 13, "amount": 500, "ratio": 1},
        {"id": 14, "amount": 500.01, "ratio": 10},
        {"id": 15, "amount": 1e3, "ratio": 2},
        {"id": 16, "amount": 199.999, "ratio": None},
        {"id": 17, "amount": 100.001},
        {"id": 18, "amount": 1.0, "ratio": -1},
        {"id": 19, "amount": 0.999, "ratio": 1.0},
        {"id": 20, "amount": 7250.0, "ratio": 4.5},
    ],
)

case(
    name="numeric_type_hints",
    doc="""Explicit `fields` hints (choices.md:24-25 follows BlazeRules): int32/int64 truncate the
threshold toward zero (`qty lt 2.5` is `qty < 2`, `between_including [1.5, 3.9]` is [1, 3],
`lt -1.5` is `< -1`); float32 compares in float32 (`amount32 gt 0.1` is false for JSON 0.1,
`eq 0.1` is true); float64 hint compares as double. Integer hints truncate fractional JSON
values (7.9 -> 7).""",
    rules="""schema_version: "2.1"
fields:
  qty: {type: int32, nullable: true}
  big: {type: int64, nullable: true}
  amount32: {type: float32, nullable: true}
  amount64: {type: float64, nullable: true}
ruleset:
  name: hints
  version: "1.0.0"
  rules:
    - {id: qty_lt_2_5, weight: 1, conditions: {field: qty, op: lt, value: 2.5}}
    - {id: qty_between, weight: 2, conditions: {field: qty, op: between_including, value: [1.5, 3.9]}}
    - {id: qty_gt_6_9, weight: 4, conditions: {field: qty, op: gt, value: 6.9}}
    - {id: big_lt_neg1_5, weight: 8, conditions: {field: big, op: lt, value: -1.5}}
    - {id: big_eq_5, weight: 16, conditions: {field: big, op: eq, value: 5.7}}
    - {id: a32_gt_0_1, weight: 32, conditions: {field: amount32, op: gt, value: 0.1}}
    - {id: a32_eq_0_1, weight: 64, conditions: {field: amount32, op: eq, value: 0.1}}
    - {id: a64_gt_0_1, weight: 128, conditions: {field: amount64, op: gt, value: 0.1}}
""",
    records=[
        {"qty": 1, "big": 5, "amount32": 0.1, "amount64": 0.1},
        {"qty": None, "big": None, "amount32": None, "amount64": None},
        {"qty": 2, "big": -1, "amount32": 0.10000001, "amount64": 0.10000001},
        {"qty": 3, "big": -2, "amount32": 0.2, "amount64": 0.2},
        {"qty": 4, "big": 6, "amount32": 0.09, "amount64": 0.09},
        {"qty": 7, "big": 5, "amount32": 0.1000001, "amount64": 0.1000000000000001},
        {"qty": 6, "big": 9007199254740993, "amount32": 1, "amount64": 1},
        {"qty": 0, "big": 0, "amount32": 0, "amount64": 0},
        {"qty": -3, "big": -3, "amount32": -0.1, "amount64": -0.1},
        {"qty": 7.9, "big": 5.9, "amount32": 0.30000001, "amount64": 0.3},
        {"qty": 2.9, "big": -1.9, "amount32": 0.1, "amount64": 0.1},
        {"qty": 1.5, "big": 4, "amount32": 100.5, "amount64": 100.5},
    ],
)

case(
    name="eq_neq_numeric_vs_categorical",
    doc="""eq/neq with a value that converts to a number compare numerically (float64 field);
with a non-numeric string they compare categorically (exact, case-sensitive). neq on a null
value is false in both kinds (2.2). Items given as YAML numbers in a set list compare as text.
A quoted number (`value: "3"`) is numeric. JSON integers in a closed categorical column
(http_status, closed by its `in` literals) become text ("401"), so they match the literals.""",
    rules="""schema_version: "2.1"
ruleset:
  name: eqneq
  version: "1.0.0"
  rules:
    - {id: score_eq_42, weight: 1, conditions: {field: risk_score, op: eq, value: 42}}
    - {id: score_neq_0, weight: 2, conditions: {field: risk_score, op: neq, value: 0}}
    - {id: score_eq_dec, weight: 4, conditions: {field: risk_score, op: eq, value: 42.5}}
    - {id: country_eq_us, weight: 8, conditions: {field: country, op: eq, value: US}}
    - {id: country_neq_us, weight: 16, conditions: {field: country, op: neq, value: US}}
    - {id: channel_in, weight: 32, conditions: {field: channel, op: in, values: [web, 3, pos]}}
    - {id: quoted_num_eq, weight: 64, conditions: {field: attempts, op: eq, value: "3"}}
    - {id: status_in, weight: 128, conditions: {field: http_status, op: in, values: [401, 403, "429"]}}
""",
    records=[
        {"risk_score": 42.0, "country": "US", "channel": "web", "attempts": 3.0, "http_status": 200},
        {"risk_score": None, "country": None, "channel": None, "attempts": None, "http_status": None},
        {"risk_score": 0.0, "country": "us", "channel": "3", "attempts": 3, "http_status": 401},
        {"risk_score": 42.5, "country": "GB", "channel": "pos", "attempts": 2.5, "http_status": "403"},
        {"risk_score": 41.99, "country": "US ", "channel": "app", "attempts": 1, "http_status": 429},
        {"country": "DE", "channel": "WEB", "http_status": "401"},
        {"risk_score": 42, "channel": "web", "attempts": 4, "http_status": 500},
        {"risk_score": -1.5, "country": "US", "channel": "mobile", "attempts": 3.25, "http_status": 403},
        {"risk_score": 0, "country": "FR", "channel": "pos", "attempts": 0, "http_status": "200"},
        {"risk_score": 100.25, "country": "USA", "channel": "3.0", "attempts": 3, "http_status": 404},
        {"risk_score": 42.0000001, "country": "CA", "channel": "web", "attempts": 2, "http_status": "429"},
        {"risk_score": 7.5, "country": "US", "channel": "pos", "attempts": 30, "http_status": 401},
    ],
)

# =============================================================================================
# 2.4 set operators
# =============================================================================================
case(
    name="set_ops_single_valued",
    doc="""in / not_in / contains_any / contains_all / intersects / not_intersects on a single-valued
categorical string field. contains_all with two values is always false on a single-valued
column; contains_all with one value behaves like in. A scalar `value:` for a set op gives an
empty list (in [] never matches, not_in [] matches every non-null row). array_len_* on a
single-valued categorical is 1 for a value in the closed list (here: the literals used on the
field, in and not_in: 7995, 5967, 4829, 5411, 5812), 0 for any other value.""",
    rules="""schema_version: "2.1"
ruleset:
  name: sets1
  version: "1.0.0"
  rules:
    - {id: mcc_in, weight: 1, conditions: {field: mcc, op: in, values: ["7995", "5967", "4829"]}}
    - {id: mcc_not_in, weight: 2, conditions: {field: mcc, op: not_in, values: ["5411", "5812"]}}
    - {id: status_any, weight: 4, conditions: {field: status, op: contains_any, values: [declined, reversed]}}
    - {id: status_all2, weight: 8, conditions: {field: status, op: contains_all, values: [declined, reversed]}}
    - {id: status_all1, weight: 16, conditions: {field: status, op: contains_all, values: [declined]}}
    - {id: status_intersects, weight: 32, conditions: {field: status, op: intersects, values: [approved]}}
    - {id: status_not_intersects, weight: 64, conditions: {field: status, op: not_intersects, values: [approved, pending]}}
    - {id: tier_scalar_in, weight: 128, conditions: {field: tier, op: in, value: gold}}
    - {id: tier_scalar_not_in, weight: 256, conditions: {field: tier, op: not_in, value: gold}}
    - {id: mcc_known, weight: 512, conditions: {field: mcc, op: array_len_eq, value: 1}}
    - {id: mcc_unknown, weight: 1024, conditions: {field: mcc, op: array_len_eq, value: 0}}
""",
    records=[
        {"mcc": "7995", "status": "declined", "tier": "gold"},
        {"mcc": None, "status": None, "tier": None},
        {"mcc": "5411", "status": "approved", "tier": "silver"},
        {"mcc": "5812", "status": "pending", "tier": "gold"},
        {"mcc": "4829", "status": "reversed"},
        {"mcc": "6011", "status": "Declined", "tier": "bronze"},
        {"status": "approved", "tier": "gold"},
        {"mcc": "5967", "status": "declined ", "tier": "GOLD"},
        {"mcc": "5999", "status": "chargeback", "tier": "silver"},
        {"mcc": "7995", "status": "approved", "tier": None},
        {"mcc": "79950", "status": "reversed", "tier": "gold"},
        {"mcc": "5411", "status": "declined", "tier": "platinum"},
    ],
)

case(
    name="set_ops_arrays",
    doc="""Multi-valued closed categorical (JSON arrays): contains_any/intersects/in/eq need one shared
member, contains_all needs every listed member, not_in/neq/not_intersects need no shared member;
array_len_* counts known members only (values outside the closed list do not count).
The closed list is the union of literals used on the field (no `values` hint).""",
    rules="""schema_version: "2.1"
ruleset:
  name: arrays
  version: "1.0.0"
  rules:
    - {id: tags_any, weight: 1, conditions: {field: tags, op: contains_any, values: [vpn, tor]}}
    - {id: tags_all, weight: 2, conditions: {field: tags, op: contains_all, values: [new_device, new_ip]}}
    - {id: tags_intersects, weight: 4, conditions: {field: tags, op: intersects, values: [proxy]}}
    - {id: tags_not_intersects, weight: 8, conditions: {field: tags, op: not_intersects, values: [vpn, tor, proxy]}}
    - {id: tags_in, weight: 16, conditions: {field: tags, op: in, values: [trusted]}}
    - {id: tags_not_in, weight: 32, conditions: {field: tags, op: not_in, values: [trusted]}}
    - {id: tags_eq, weight: 64, conditions: {field: tags, op: eq, value: new_ip}}
    - {id: tags_neq, weight: 128, conditions: {field: tags, op: neq, value: new_ip}}
    - {id: tags_len_gt_2, weight: 256, conditions: {field: tags, op: array_len_gt, value: 2}}
    - {id: tags_len_eq_0, weight: 512, conditions: {field: tags, op: array_len_eq, value: 0}}
    - {id: tags_len_lt_2, weight: 1024, conditions: {field: tags, op: array_len_lt, value: 2}}
""",
    records=[
        {"user": "u1", "tags": ["vpn", "new_device", "new_ip"]},
        {"user": "u2", "tags": None},
        {"user": "u3", "tags": ["trusted"]},
        {"user": "u4", "tags": []},
        {"user": "u5", "tags": ["new_device"]},
        {"user": "u6"},
        {"user": "u7", "tags": ["tor", "proxy", "trusted"]},
        {"user": "u8", "tags": ["new_ip", "new_device"]},
        {"user": "u9", "tags": ["unknown_tag", "other", "x"]},
        {"user": "u10", "tags": ["unknown_tag", "vpn"]},
        {"user": "u11", "tags": ["new_ip"]},
        {"user": "u12", "tags": ["VPN", "Tor"]},
        {"user": "u13", "tags": ["proxy", "new_ip", "new_device", "vpn"]},
        {"user": "u14", "tags": "vpn"},
    ],
)

# =============================================================================================
# 2.5 null / empty
# =============================================================================================
case(
    name="null_and_empty",
    doc="""is_null / is_not_null / is_empty / is_not_empty and the aliases is_none, not_null,
is_not_none, not_empty. `email` has a `nullable: true` hint, so "" is null in both engines
(choices.md:33-34). `device_id` is categorical (an `in` rule) where is_empty == is_null.""",
    rules="""schema_version: "2.1"
fields:
  email: {type: string, nullable: true}
ruleset:
  name: nulls
  version: "1.0.0"
  rules:
    - {id: email_null, weight: 1, conditions: {field: email, op: is_null}}
    - {id: email_not_null, weight: 2, conditions: {field: email, op: is_not_null}}
    - {id: email_empty, weight: 4, conditions: {field: email, op: is_empty}}
    - {id: email_not_empty, weight: 8, conditions: {field: email, op: is_not_empty}}
    - {id: phone_is_none, weight: 16, conditions: {field: phone, op: is_none}}
    - {id: phone_not_null, weight: 32, conditions: {field: phone, op: not_null}}
    - {id: device_is_not_none, weight: 64, conditions: {field: device_id, op: is_not_none}}
    - {id: device_blocked, weight: 128, conditions: {field: device_id, op: in, values: [dev-bad]}}
    - {id: device_not_empty, weight: 256, conditions: {field: device_id, op: not_empty}}
    - {id: device_empty, weight: 512, conditions: {field: device_id, op: is_empty}}
""",
    records=[
        {"email": "a@example.com", "phone": "+15550100", "device_id": "dev-1"},
        {"email": None, "phone": None, "device_id": None},
        {"email": "", "phone": "+15550101", "device_id": "dev-bad"},
        {"phone": "+15550102"},
        {"email": "b@example.com", "device_id": "dev-2"},
        {"email": "c@example.com", "phone": None, "device_id": "dev-bad"},
        {"email": "d@example.com", "phone": "+15550103", "device_id": "dev-3"},
        {"email": None, "device_id": "dev-4"},
        {"email": "e@example.com", "phone": "+15550104"},
        {"email": "f@example.com", "phone": "+15550105", "device_id": None},
    ],
)

# =============================================================================================
# 2.6 cross-field
# =============================================================================================
case(
    name="cross_field_numeric",
    doc="""gt_field/lt_field/gte_field/lte_field/eq_field/neq_field on numeric fields, and a plain op
with `other_field`. False when either side is null.""",
    rules="""schema_version: "2.1"
ruleset:
  name: xfield
  version: "1.0.0"
  rules:
    - {id: amt_gt_limit, weight: 1, conditions: {field: amount, op: gt_field, other_field: daily_limit}}
    - {id: amt_lt_avg, weight: 2, conditions: {field: amount, op: lt_field, other_field: avg_amount}}
    - {id: amt_gte_limit, weight: 4, conditions: {field: amount, op: gte_field, other_field: daily_limit}}
    - {id: amt_lte_avg, weight: 8, conditions: {field: amount, op: lte_field, other_field: avg_amount}}
    - {id: amt_eq_limit, weight: 16, conditions: {field: amount, op: eq_field, other_field: daily_limit}}
    - {id: amt_neq_avg, weight: 32, conditions: {field: amount, op: neq_field, other_field: avg_amount}}
    - {id: amt_gt_other, weight: 64, conditions: {field: amount, op: gt, other_field: avg_amount}}
""",
    records=[
        {"amount": 120.5, "daily_limit": 100.0, "avg_amount": 80.25},
        {"amount": None, "daily_limit": 100.0, "avg_amount": None},
        {"amount": 100.0, "daily_limit": 100, "avg_amount": 100.0},
        {"amount": 50.0, "daily_limit": None, "avg_amount": 75.5},
        {"amount": 75.5, "daily_limit": 500.0},
        {"daily_limit": 10.0, "avg_amount": 1.0},
        {"amount": 0.0, "daily_limit": 0.0, "avg_amount": 0.0},
        {"amount": -3.5, "daily_limit": -3.5, "avg_amount": -4.0},
        {"amount": 1000.01, "daily_limit": 1000.0, "avg_amount": 1000.02},
        {"amount": 42.0, "daily_limit": 41.99, "avg_amount": 42},
    ],
)

case(
    name="cross_field_string",
    doc="""eq_field/neq_field between two STRING fields (referenced only by eq_field/neq_field and
string ops, so both infer as string): a byte comparison, case-sensitive; null on either side is
false.""",
    rules="""schema_version: "2.1"
ruleset:
  name: xstr
  version: "1.0.0"
  rules:
    - {id: bill_eq_ship, weight: 1, action: approve, conditions: {field: billing_zip, op: eq_field, other_field: shipping_zip}}
    - {id: bill_neq_ship, weight: 20, conditions: {field: billing_zip, op: neq_field, other_field: shipping_zip}}
    - {id: name_eq_card, weight: 5, conditions: {field: account_name, op: eq_field, other_field: card_name}}
    - {id: name_has_test, weight: 50, action: review, conditions: {field: account_name, op: contains, value: test}}
""",
    records=[
        {"billing_zip": "94107", "shipping_zip": "94107", "account_name": "Ann Lee", "card_name": "Ann Lee"},
        {"billing_zip": None, "shipping_zip": "10001", "account_name": None, "card_name": "Bob"},
        {"billing_zip": "94107", "shipping_zip": "94107-1234", "account_name": "ann lee", "card_name": "Ann Lee"},
        {"billing_zip": "10001", "account_name": "test user", "card_name": "test user"},
        {"shipping_zip": "60601", "account_name": "Cy", "card_name": None},
        {"billing_zip": "60601", "shipping_zip": "60601", "account_name": "Dee", "card_name": "Dee "},
        {"billing_zip": "02139", "shipping_zip": "2139", "account_name": "Éva", "card_name": "Éva"},
        {"billing_zip": "73301", "shipping_zip": "73301", "account_name": "Fox"},
        {"billing_zip": "30301", "shipping_zip": "30302", "account_name": "Gil", "card_name": "Gil"},
        {"billing_zip": "98101", "shipping_zip": "98101", "account_name": "Hal test", "card_name": "Hal"},
    ],
)

# =============================================================================================
# 2.7 string ops, 2.8 regex
# =============================================================================================
case(
    name="string_ops",
    doc="""contains / starts_with / ends_with (byte-wise, case-sensitive), ci_eq (ASCII case folding
only: "ÉVE" is not ci_eq "éve"), length_gt/lt/eq counting UTF-8 bytes, and array_len_* on a
STRING field (its byte length).""",
    rules="""schema_version: "2.1"
ruleset:
  name: strings
  version: "1.0.0"
  rules:
    - {id: email_disposable, weight: 1, conditions: {field: email, op: ends_with, value: "@mailinator.com"}}
    - {id: email_starts_admin, weight: 2, conditions: {field: email, op: starts_with, value: admin}}
    - {id: ua_has_bot, weight: 4, conditions: {field: user_agent, op: contains, value: bot}}
    - {id: name_ci_eq, weight: 8, conditions: {field: name, op: ci_eq, value: "éve smith"}}
    - {id: name_ci_eq_ascii, weight: 16, conditions: {field: name, op: ci_eq, value: "JOHN DOE"}}
    - {id: name_len_gt_10, weight: 32, conditions: {field: name, op: length_gt, value: 10}}
    - {id: name_len_lt_3, weight: 64, conditions: {field: name, op: length_lt, value: 3}}
    - {id: name_len_eq_4, weight: 128, conditions: {field: name, op: length_eq, value: 4}}
    - {id: name_arrlen_gt_9, weight: 256, conditions: {field: name, op: array_len_gt, value: 9}}
""",
    records=[
        {"email": "x1@mailinator.com", "user_agent": "Mozilla/5.0", "name": "John Doe"},
        {"email": None, "user_agent": None, "name": None},
        {"email": "admin@corp.example", "user_agent": "Googlebot/2.1", "name": "john doe"},
        {"email": "ADMIN@corp.example", "user_agent": "Bot-Checker", "name": "éve smith"},
        {"email": "y@MAILINATOR.COM", "user_agent": "curl/8.0 (bot)", "name": "Éve Smith"},
        {"email": "z@mailinator.com.evil", "name": "ÉVE SMITH"},
        {"user_agent": "robotics", "name": "Al"},
        {"email": "administrator@x.io", "user_agent": "bo t", "name": "Zoë"},
        {"email": "q@x.io", "user_agent": "", "name": "Anna"},
        {"email": "@mailinator.com", "user_agent": "bot", "name": "Maximilianus"},
        {"email": "r@x.io", "user_agent": "Mozilla", "name": "日本"},
        {"email": "s@x.io", "user_agent": "Mozilla", "name": "Jo"},
    ],
    audit_allow=["line 8: field 'user_agent' holds null-like string ''"],
    notes="""Record 8 has user_agent "" in an inferred nullable string column: BlazeRules stores it as
null; ours keeps "" (choices.md:33-34). Only `contains bot` reads user_agent and it is false for
both null and "", so the answer is the same.""",
)

case(
    name="regex_ops",
    doc="""regex / not_regex: RE2 syntax, partial match unless anchored; not_regex on null is false.""",
    rules="""schema_version: "2.1"
ruleset:
  name: regex
  version: "1.0.0"
  rules:
    - {id: email_plus_alias, weight: 1, conditions: {field: email, op: regex, value: "\\\\+[a-z0-9]+@"}}
    - {id: email_anchored, weight: 2, conditions: {field: email, op: regex, value: "^[a-z]+@example\\\\.com$"}}
    - {id: email_not_corp, weight: 4, conditions: {field: email, op: not_regex, value: "@corp\\\\."}}
    - {id: ref_digits, weight: 8, conditions: {field: ref, op: regex, value: "\\\\d{4,}"}}
    - {id: ref_case_insensitive, weight: 16, conditions: {field: ref, op: regex, value: "(?i)^inv-"}}
""",
    records=[
        {"email": "ann+shop@example.com", "ref": "INV-0001"},
        {"email": None, "ref": None},
        {"email": "bob@example.com", "ref": "inv-12"},
        {"email": "carl@corp.example.com", "ref": "PO-123456"},
        {"ref": "x"},
        {"email": "dan@example.com.au", "ref": "ref 2024 a"},
        {"email": "Eve@example.com"},
        {"email": "frank+1@corp.io", "ref": "INVOICE-9"},
        {"email": "g@examplexcom", "ref": "123"},
        {"email": "h+X@example.com", "ref": "1234"},
    ],
)

# =============================================================================================
# 2.9 flags
# =============================================================================================
case(
    name="flags_ops",
    doc="""flags_any / flags_all / flags_none with `mask` as decimal or 0x hex, and with a scalar `value`.
An int32 hint sign-extends negative values to 64 bits before masking; flags_none on null is
false.""",
    rules="""schema_version: "2.1"
fields:
  flags32: {type: int32, nullable: true}
ruleset:
  name: flags
  version: "1.0.0"
  rules:
    - {id: any_risky, weight: 1, conditions: {field: risk_flags, op: flags_any, mask: "0x05"}}
    - {id: all_6, weight: 2, conditions: {field: risk_flags, op: flags_all, mask: 6}}
    - {id: none_8, weight: 4, conditions: {field: risk_flags, op: flags_none, mask: "8"}}
    - {id: any_values, weight: 8, conditions: {field: risk_flags, op: flags_any, value: 256}}
    - {id: f32_high_bit, weight: 16, conditions: {field: flags32, op: flags_any, mask: "0x100000000"}}
    - {id: f32_all_low, weight: 32, conditions: {field: flags32, op: flags_all, mask: "0x3"}}
""",
    records=[
        {"risk_flags": 1, "flags32": 3},
        {"risk_flags": None, "flags32": None},
        {"risk_flags": 6, "flags32": -1},
        {"risk_flags": 8, "flags32": 1},
        {"risk_flags": 14, "flags32": 2147483647},
        {"risk_flags": 0, "flags32": 0},
        {"flags32": -2},
        {"risk_flags": 263, "flags32": 7},
        {"risk_flags": 4, "flags32": -2147483648},
        {"risk_flags": 4294967301, "flags32": 4},
    ],
)

# =============================================================================================
# 2.10 ip
# =============================================================================================
case(
    name="ip_ops",
    doc="""ip_in_subnet / ip_not_in_subnet and the aliases in_subnet / not_in_subnet on a string
field; a CIDR without `/` is /32; malformed addresses read as 0.0.0.0 (so they match
0.0.0.0/8); ip_not_in_subnet on null is false. An int64-hinted field holds the address as an
integer. Leading zeros are decimal ("010.001.002.003" is 10.1.2.3); five parts, a leading
space or IPv6 are malformed (0.0.0.0); an octet above 255 is not rejected: the parts are
combined as (a<<24)|(b<<16)|(c<<8)|d, so "9.255.255.256" reads as 9.255.255.0 (not 10.0.0.0).""",
    rules="""schema_version: "2.1"
fields:
  ip_int: {type: int64, nullable: true}
ruleset:
  name: ip
  version: "1.0.0"
  rules:
    - {id: private_10, weight: 1, conditions: {field: ip, op: ip_in_subnet, value: "10.0.0.0/8"}}
    - {id: not_192_168, weight: 2, conditions: {field: ip, op: ip_not_in_subnet, value: "192.168.0.0/16"}}
    - {id: exact_host, weight: 4, conditions: {field: ip, op: in_subnet, value: "203.0.113.7"}}
    - {id: zero_net, weight: 8, conditions: {field: ip, op: ip_in_subnet, value: "0.0.0.0/8"}}
    - {id: not_docnet, weight: 16, conditions: {field: ip, op: not_in_subnet, value: "198.51.100.0/24"}}
    - {id: int_in_172, weight: 32, conditions: {field: ip_int, op: ip_in_subnet, value: "172.16.0.0/12"}}
""",
    records=[
        {"ip": "10.1.2.3", "ip_int": 2886729729},
        {"ip": None, "ip_int": None},
        {"ip": "192.168.1.10", "ip_int": 167772161},
        {"ip": "203.0.113.7", "ip_int": 2887778303},
        {"ip": "203.0.113.8", "ip_int": 2887778304},
        {"ip": "not-an-ip"},
        {"ip": "198.51.100.255", "ip_int": 0},
        {"ip": "11.0.0.1"},
        {"ip": "0.1.2.3"},
        {"ip": "10.0.0.0"},
        {"ip": "9.255.255.255"},
        {"ip": "2001:db8::1"},
        {"ip": "010.001.002.003"},
        {"ip": "10.1.2.3.4"},
        {"ip": " 10.1.2.3"},
        {"ip": "9.255.255.256"},
    ],
)

# =============================================================================================
# 2.11 temporal
# =============================================================================================
case(
    name="temporal_ops",
    doc="""before / after (epoch ms), day_of_week_in (0 = Sunday, UTC; 7 never matches),
time_of_day_between with fractional hours, inclusive bounds, and wrap-around when lo > hi.
T0 = 2024-03-04T00:00Z, a Monday.""",
    rules=f"""schema_version: "2.1"
ruleset:
  name: temporal
  version: "1.0.0"
  rules:
    - {{id: before_t0, weight: 1, conditions: {{field: ts, op: before, value: {T0}}}}}
    - {{id: after_t0_1d, weight: 2, conditions: {{field: ts, op: after, value: {T0 + D}}}}}
    - {{id: weekend, weight: 4, conditions: {{field: ts, op: day_of_week_in, value: [0, 6]}}}}
    - {{id: dow_7, weight: 8, conditions: {{field: ts, op: day_of_week_in, value: [7]}}}}
    - {{id: night_wrap, weight: 16, conditions: {{field: ts, op: time_of_day_between, value: [22, 5]}}}}
    - {{id: lunch, weight: 32, conditions: {{field: ts, op: time_of_day_between, value: [12, 13.5]}}}}
    - {{id: signup_monday, weight: 64, conditions: {{field: signup_ts, op: day_of_week_in, values: [1]}}}}
""",
    records=[
        {"ts": T0 + 12 * H, "signup_ts": T0},
        {"ts": None, "signup_ts": None},
        {"ts": T0 - 1, "signup_ts": T0 - 1},
        {"ts": T0, "signup_ts": T0 + 7 * D},
        {"ts": T0 + D, "signup_ts": T0 + D},
        {"ts": T0 + D + 1},
        {"ts": T0 + 5 * D + 23 * H, "signup_ts": T0 - 6 * D},
        {"ts": T0 + 6 * D + 3 * H},
        {"ts": T0 + 13 * H + 30 * 60_000, "signup_ts": T0 + 3 * H},
        {"ts": T0 + 13 * H + 30 * 60_000 + 1},
        {"ts": T0 + 22 * H},
        {"ts": T0 + 5 * H},
        {"ts": T0 + 5 * H + 1},
        {"ts": T0 + 21 * H + 59 * 60_000},
        {"ts": 0, "signup_ts": 0},
    ],
)

# =============================================================================================
# 2.12 geo
# =============================================================================================
case(
    name="geo_distance",
    doc="""distance_gt / distance_lt (and the alias geo_distance_gt) in km between two coordinate
pairs; equirectangular below 1500 km, haversine above; any null coordinate is false.""",
    rules="""schema_version: "2.1"
ruleset:
  name: geo
  version: "1.0.0"
  rules:
    - id: far_from_home
      weight: 10
      conditions: {op: distance_gt, lat_field: lat, lon_field: lon, other_lat_field: home_lat, other_lon_field: home_lon, value: 500}
    - id: near_home
      weight: 1
      action: approve
      conditions: {op: distance_lt, lat_field: lat, lon_field: lon, other_lat_field: home_lat, other_lon_field: home_lon, value: 25.5}
    - id: very_far
      weight: 30
      conditions: {op: geo_distance_gt, lat_field: lat, lon_field: lon, other_lat_field: home_lat, other_lon_field: home_lon, value: 5000}
""",
    records=[
        {"lat": 40.7128, "lon": -74.006, "home_lat": 40.7306, "home_lon": -73.9352},
        {"lat": None, "lon": None, "home_lat": 40.7128, "home_lon": -74.006},
        {"lat": 51.5074, "lon": -0.1278, "home_lat": 48.8566, "home_lon": 2.3522},
        {"lat": 35.6762, "lon": 139.6503, "home_lat": 40.7128, "home_lon": -74.006},
        {"lat": 40.7128, "lon": -74.006, "home_lat": 42.3601, "home_lon": -71.0589},
        {"lat": 34.0522, "lon": -118.2437},
        {"lat": 0.0, "lon": 0.0, "home_lat": 0.0, "home_lon": 0.0},
        {"lat": 37.7749, "lon": -122.4194, "home_lat": 37.8044, "home_lon": -122.2712},
        {"lat": -33.8688, "lon": 151.2093, "home_lat": 51.5074, "home_lon": -0.1278},
        {"lat": 52.52, "lon": 13.405, "home_lat": 48.1351, "home_lon": 11.582},
        {"lat": 64.1466, "lon": -21.9426, "home_lat": 55.6761, "home_lon": 12.5683},
    ],
)

# =============================================================================================
# 2.13 lookups
# =============================================================================================
case(
    name="lookups",
    doc="""in_lookup / not_in_lookup with string_set, int_set and ipv4_cidr_set CSVs relative to the
rules file. The CSVs exercise the header rule (value column by name `value`/`cidr`, else column
0), quoted cells, CRLF, blank lines, a leading-integer int cell ("12abc" -> 12), a CIDR without
/ (/32), and duplicates. The string field is only used by lookups (inferred string). int_set
needs an integer column, so card_bin carries an int64 hint (411111.0 and 555555.9 truncate).""",
    rules="""schema_version: "2.1"
fields:
  card_bin: {type: int64, nullable: true}
lookups:
  bad_emails: {type: string_set, path: bad_emails.csv}
  bad_bins: {type: int_set, path: bad_bins.csv}
  bad_nets: {type: ipv4_cidr_set, path: bad_nets.csv}
ruleset:
  name: lookups
  version: "1.0.0"
  rules:
    - {id: email_listed, action: block, weight: 60, conditions: {field: email, op: in_lookup, lookup: bad_emails}}
    - {id: email_not_listed, action: approve, conditions: {field: email, op: not_in_lookup, lookup: bad_emails}}
    - {id: bin_listed, action: review, weight: 40, conditions: {field: card_bin, op: in_lookup, lookup: bad_bins}}
    - {id: bin_not_listed, weight: 1, conditions: {field: card_bin, op: not_in_lookup, lookup: bad_bins}}
    - {id: ip_listed, action: review, weight: 45, conditions: {field: ip, op: in_lookup, lookup: bad_nets}}
    - {id: ip_not_listed, weight: 2, conditions: {field: ip, op: not_in_lookup, lookup: bad_nets}}
""",
    lookups={
        "bad_emails.csv": 'note,value\r\nseed,fraud@example.com\r\n,"quoted@example.com"\r\n\r\nx, spaced@example.com \r\ny,fraud@example.com\r\n',
        "bad_bins.csv": "value\n411111\n555555\n12abc\n\n400000\n",
        "bad_nets.csv": "id,CIDR\n1,10.0.0.0/8\n2,203.0.113.7\n3,198.51.100.0/25\n4,198.51.100.128/25\n",
    },
    records=[
        {"email": "fraud@example.com", "card_bin": 411111.0, "ip": "10.9.8.7"},
        {"email": None, "card_bin": None, "ip": None},
        {"email": "quoted@example.com", "card_bin": 12, "ip": "203.0.113.7"},
        {"email": "spaced@example.com", "card_bin": 400000, "ip": "203.0.113.8"},
        {"email": "FRAUD@example.com", "card_bin": 411112, "ip": "198.51.100.200"},
        {"email": "ok@example.com", "card_bin": 555555.9, "ip": "11.0.0.1"},
        {"email": "seed", "ip": "198.51.100.0"},
        {"card_bin": 123456},
        {"email": "note", "card_bin": 0, "ip": "garbage"},
        {"email": "value", "card_bin": 13, "ip": "0.0.0.0"},
    ],
)

# =============================================================================================
# 2.14 expr arithmetic
# =============================================================================================
case(
    name="expr_arithmetic",
    doc="""`expr` leaves: add/sub/mul/div and their symbol aliases, {literal}, {value}, {field},
scalar field names and numbers, args form, against a `value` or an `other_field`. A null
operand or division by zero makes the row false (main path).""",
    rules="""schema_version: "2.1"
ruleset:
  name: expr
  version: "1.0.0"
  rules:
    - id: ratio_gt_3
      weight: 1
      conditions: {op: gt, value: 3, expr: {op: div, left: amount, right: avg_amount}}
    - id: total_gt_limit
      weight: 2
      conditions: {op: gt, other_field: limit, expr: {op: "+", left: {field: amount}, right: {field: fee}}}
    - id: net_lt_0
      weight: 4
      conditions: {op: lt, value: 0, expr: {op: sub, args: [amount, {op: mul, left: fee, right: {literal: 10}}]}}
    - id: scaled_gte
      weight: 8
      conditions: {op: gte, value: 150, expr: {op: "*", left: amount, right: 1.5}}
    - id: div_const
      weight: 16
      conditions: {op: eq, value: 25, expr: {op: "/", left: {field: amount}, right: {value: 4}}}
    - id: inv_avg_lt
      weight: 32
      conditions: {op: lte, value: 0.01, expr: {op: div, left: 1, right: avg_amount}}
    - id: diff_not_zero
      weight: 64
      conditions: {op: neq, value: 0, expr: {op: "-", left: amount, right: avg_amount}}
""",
    records=[
        {"amount": 100.0, "avg_amount": 25.0, "fee": 2.5, "limit": 100.0},
        {"amount": None, "avg_amount": None, "fee": None, "limit": None},
        {"amount": 100.0, "avg_amount": 0.0, "fee": 0.0, "limit": 50.0},
        {"amount": 10.5, "avg_amount": 10.5, "fee": 1.5, "limit": 12.0},
        {"amount": 5.0, "avg_amount": 200.0, "fee": 0.75, "limit": 5.75},
        {"amount": 0.0, "avg_amount": 0.0, "fee": 0.0, "limit": 0.0},
        {"amount": 400.0, "avg_amount": 100.0, "limit": 399.0},
        {"amount": 99.99, "avg_amount": 33.33, "fee": 0.01, "limit": 100.0},
        {"amount": -8.0, "avg_amount": -2.0, "fee": 1.0, "limit": -10.0},
        {"avg_amount": 50.0, "fee": 1.0, "limit": 1.0},
        {"amount": 1000.0, "avg_amount": 100000.0, "fee": 200.0, "limit": 2000.0},
    ],
)

# =============================================================================================
# 2.15 array_any
# =============================================================================================
case(
    name="array_any",
    doc="""array_any over an array of objects: true iff some object element satisfies `where`
(nested keys flattened with '.'); non-array values and non-object elements give false. Inside
the interpreter `not` is a plain negation (a missing key under `not` is true), numeric ops read
JSON numbers/booleans, categorical ops compare text.""",
    rules="""schema_version: "2.1"
ruleset:
  name: arrayany
  version: "1.0.0"
  rules:
    - id: pricey_item
      weight: 1
      conditions:
        array_any:
          path: items
          where: {field: price, op: gt, value: 500}
    - id: gift_card_qty
      weight: 2
      conditions:
        array_any:
          path: items
          where:
            and:
              - {field: category, op: in, values: [gift_card, crypto]}
              - {field: qty, op: gte, value: 3}
    - id: item_without_sku
      weight: 4
      conditions:
        array_any:
          path: items
          where:
            not: {field: sku, op: is_not_null}
    - id: nested_seller
      weight: 8
      conditions:
        array_any:
          path: items
          where: {field: seller.country, op: eq, value: NG}
    - id: not_cheap
      weight: 16
      conditions:
        array_any:
          path: items
          where:
            not: {field: price, op: lt, value: 1}
""",
    records=[
        {"order": 1, "items": [{"sku": "A1", "price": 20.5, "qty": 1, "category": "books", "seller": {"country": "US"}}]},
        {"order": 2, "items": None},
        {"order": 3, "items": [{"sku": "B2", "price": 899.0, "qty": 1, "category": "electronics"}]},
        {"order": 4, "items": [{"sku": "C3", "price": 50.0, "qty": 5, "category": "gift_card"}, {"sku": "C4", "price": 0.5, "qty": 1, "category": "crypto"}]},
        {"order": 5, "items": [{"price": 0.25, "qty": 1, "category": "misc"}]},
        {"order": 6, "items": [{"sku": "D1", "price": 10.0, "qty": 1, "category": "misc", "seller": {"country": "NG"}}]},
        {"order": 7, "items": []},
        {"order": 8},
        {"order": 9, "items": [1, 2, "x"]},
        {"order": 10, "items": {"sku": "E1", "price": 900.0}},
        {"order": 11, "items": [{"sku": "F1", "price": 0.99, "qty": 3, "category": "crypto"}, "junk"]},
        {"order": 12, "items": [{"sku": "G1", "qty": 1, "category": "books"}]},
    ],
)

# =============================================================================================
# 2.18 not semantics
# =============================================================================================
case(
    name="not_semantics",
    doc="""`not` over a simple leaf flips the operator, so a null row stays false (gt->lte, in->not_in,
is_null->is_not_null, regex->not_regex, flags_any->flags_none, ip_in->ip_not_in,
contains_any->not_intersects). `not` over and/or and over string, range, temporal, geo, expr,
array_len and array_any children is a bitwise complement, so a null row becomes true.""",
    rules="""schema_version: "2.1"
ruleset:
  name: nots
  version: "1.0.0"
  rules:
    - {id: not_gt, weight: 1, conditions: {not: {field: amount, op: gt, value: 100}}}
    - {id: not_in, weight: 2, conditions: {not: {field: country, op: in, values: [US, CA]}}}
    - {id: not_contains, weight: 4, conditions: {not: {field: email, op: contains, value: "@corp."}}}
    - {id: not_between, weight: 8, conditions: {not: {field: amount, op: between_including, value: [10, 100]}}}
    - {id: not_and, weight: 16, conditions: {not: {and: [{field: amount, op: gt, value: 50}, {field: country, op: eq, value: US}]}}}
    - {id: not_regex, weight: 32, conditions: {not: {field: email, op: regex, value: "^admin"}}}
    - {id: not_is_null, weight: 64, conditions: {not: {field: country, op: is_null}}}
    - {id: not_expr, weight: 128, conditions: {not: {op: gt, value: 100, expr: {op: mul, left: amount, right: 2}}}}
    - {id: not_contains_any, weight: 256, conditions: {not: {field: tags, op: contains_any, values: [vpn]}}}
    - {id: not_not_lt, weight: 512, conditions: {not: {not: {field: amount, op: lt, value: 20}}}}
""",
    records=[
        {"amount": 20.5, "country": "US", "email": "a@corp.example", "tags": ["vpn"]},
        {"amount": None, "country": None, "email": None, "tags": None},
        {"amount": 150.0, "country": "GB", "email": "admin@x.io", "tags": ["new"]},
        {"amount": 75.0, "country": "US", "email": "b@x.io", "tags": []},
        {"country": "CA", "tags": ["vpn", "tor"]},
        {"amount": 10.0, "email": "admin@corp.io"},
        {"amount": 5.0, "country": "FR", "email": "c@y.io", "tags": ["tor"]},
        {"amount": 100.0, "country": "US", "email": "d@corp.x"},
        {"amount": 50.01, "country": "MX", "email": "e@z.io", "tags": ["new", "vpn"]},
        {"amount": 1000.0, "country": "US", "email": "f@z.io", "tags": ["x"]},
    ],
)

# =============================================================================================
# 2.19 sql
# =============================================================================================
case(
    name="sql_grammar",
    doc="""Every `sql:` grammar form: comparisons with > < >= <= = == != <>, numeric vs quoted vs
bare-identifier right sides, IS [NOT] NULL, [NOT] IN with strings and numbers (numbers become
"5"), BETWEEN (inclusive), LIKE/ILIKE (%x%, x%, %x, no % = contains; ILIKE is case-sensitive),
AND/OR/NOT precedence, parentheses, case-insensitive keywords, dotted identifiers, `expr:` as a
scalar string, and any_match(path, x -> body) as the whole expression. NOT over a comparison
or IN flips the operator (null stays false, with or without parentheses); NOT over LIKE (a
string op) is a complement, so a null email matches `NOT email LIKE ...`.""",
    rules="""schema_version: "2.1"
ruleset:
  name: sql
  version: "1.0.0"
  rules:
    - {id: s_gt, weight: 1, conditions: {sql: "amount > 100"}}
    - {id: s_le_and_eq, weight: 2, conditions: {sql: "amount <= 50 and country = 'US'"}}
    - {id: s_neq_bare, weight: 4, conditions: {sql: "country <> GB AND country != \\"FR\\""}}
    - {id: s_eqeq, weight: 8, conditions: {sql: "channel == 'web'"}}
    - {id: s_is_null, weight: 16, conditions: {sql: "email IS NULL"}}
    - {id: s_is_not_null_or, weight: 32, conditions: {sql: "email is not null OR amount >= 1000"}}
    - {id: s_in, weight: 64, conditions: {sql: "mcc IN ('7995', 5967, 4829.5)"}}
    - {id: s_not_in, weight: 128, conditions: {sql: "country NOT IN ('US', 'CA')"}}
    - {id: s_between, weight: 256, conditions: {sql: "amount BETWEEN 10 AND 20"}}
    - {id: s_like, weight: 512, conditions: {sql: "email LIKE '%@mailinator%' OR email like 'admin%' OR email LIKE '%.ru'"}}
    - {id: s_like_nopct, weight: 1024, conditions: {sql: "email LIKE 'test'"}}
    - {id: s_ilike, weight: 2048, conditions: {sql: "email ILIKE 'ADMIN%'"}}
    - {id: s_not_prec, weight: 4096, conditions: {sql: "NOT amount < 5 AND NOT (country = 'US' OR channel = 'pos')"}}
    - {id: s_dotted, weight: 8192, conditions: {sql: "device.score >= 0.8"}}
    - {id: s_expr_str, weight: 16384, conditions: {expr: "amount < 1 or amount = 42"}}
    - {id: s_any_match, weight: 32768, conditions: {sql: "any_match(items, x -> x.price > 500 AND x.qty >= 2)"}}
    - {id: s_like_underscore, weight: 65536, conditions: {sql: "email LIKE 'a_b%'"}}
    - {id: s_not_leaf, weight: 131072, conditions: {sql: "NOT amount < 5"}}
    - {id: s_not_paren_leaf, weight: 262144, conditions: {sql: "not (country IN ('US'))"}}
    - {id: s_not_like, weight: 524288, conditions: {sql: "NOT email LIKE '%@x.io'"}}
""",
    records=[
        {"amount": 120.5, "country": "US", "channel": "web", "email": "a@mailinator.com", "mcc": "7995", "device": {"score": 0.9}, "items": [{"price": 600.0, "qty": 2}]},
        {"amount": None, "country": None, "channel": None, "email": None, "mcc": None, "device": {"score": None}, "items": None},
        {"amount": 45.0, "country": "US", "channel": "pos", "email": "admin@x.io", "mcc": "5967", "device": {"score": 0.8}},
        {"amount": 15.0, "country": "GB", "channel": "web", "email": "ADMIN@x.io", "mcc": "4829.5", "device": {"score": 0.1}},
        {"amount": 1000.0, "country": "FR", "email": "me@test.com", "mcc": "5411", "items": [{"price": 600.0, "qty": 1}]},
        {"amount": 4.99, "country": "DE", "channel": "app", "email": "ivan@mail.ru", "mcc": "4829.500000", "device": {"score": 0.95}},
        {"amount": 20.0, "country": "CA", "channel": "web", "email": "a_b@x.io", "mcc": "4829"},
        {"amount": 42.0, "country": "MX", "channel": "pos", "email": "axb@x.io", "items": [{"price": 999.0, "qty": 3}, {"price": 1.0}]},
        {"amount": 0.5, "country": "US", "channel": "web", "device": {"score": 0.79}},
        {"amount": 10.0, "country": "BR", "channel": "app", "email": "Test@x.io", "mcc": "7995", "items": [{"price": 501, "qty": 2.0}]},
        {"amount": 300.0, "country": "ES", "channel": "web", "email": "contest@x.io"},
    ],
)

# =============================================================================================
# §4 decisions
# =============================================================================================
case(
    name="decisions_precedence",
    doc="""Decision precedence and tie-breaks: a custom default label (ALLOW, not in the precedence
list, so inserted at rank 0), a custom precedence list, custom labels via `label:` (normalised:
uppercase, other characters -> _), a label missing from precedence outranking everything
listed (rank quirk 4.1), shadow rules (counted, never win, no score), disabled rules (dropped),
severity then priority tie-breaks, earlier rule wins a full tie.""",
    rules="""schema_version: "2.1"
decisions:
  default: allow
  precedence: [approve, flag, step_up, review, block]
ruleset:
  name: decisions
  version: "2.3.0"
  rules:
    - {id: r_flag_low, action: flag, severity: low, priority: 5, weight: 1, conditions: {field: amount, op: gt, value: 10}}
    - {id: r_flag_high, action: flag, severity: high, priority: 0, weight: 2, conditions: {field: amount, op: gt, value: 20}}
    - {id: r_flag_high_p9, action: FLAG, severity: HIGH, priority: 9, weight: 4, conditions: {field: amount, op: gt, value: 30}}
    - {id: r_flag_high_p9_dup, action: flag, severity: high, priority: 9, weight: 8, conditions: {field: amount, op: gt, value: 30}}
    - {id: r_step_up, action: flag, label: "step up", weight: 16, conditions: {field: country, op: in, values: [NG, RU]}}
    - {id: r_review, action: review, severity: medium, weight: 32, conditions: {field: amount, op: gt, value: 1000}}
    - {id: r_block_shadow, action: block, shadow: true, weight: 64, conditions: {field: amount, op: gt, value: 500}}
    - {id: r_block_disabled, action: block, enabled: false, weight: 128, conditions: {field: amount, op: gt, value: 0}}
    - {id: r_manual, action: review, label: manual-check!, weight: 256, conditions: {field: channel, op: eq, value: phone}}
    - {id: r_approve_vip, action: approve, label: vip, weight: 0, conditions: {field: tier, op: eq, value: vip}}
    - {id: r_critical_flag, action: flag, severity: critical, priority: -1, weight: 512, conditions: {field: tier, op: eq, value: suspect}}
""",
    records=[
        {"amount": 15.5, "country": "US", "channel": "web", "tier": "std"},
        {"amount": None, "country": None, "channel": None, "tier": None},
        {"amount": 25.0, "country": "US", "channel": "web", "tier": "std"},
        {"amount": 35.0, "country": "US", "channel": "web", "tier": "std"},
        {"amount": 35.0, "country": "NG", "channel": "web", "tier": "std"},
        {"amount": 1500.0, "country": "NG", "channel": "web", "tier": "std"},
        {"amount": 600.0, "country": "US", "channel": "web", "tier": "std"},
        {"amount": 5.0, "country": "US", "channel": "phone", "tier": "std"},
        {"amount": 2000.0, "country": "RU", "channel": "phone", "tier": "std"},
        {"amount": 5.0, "country": "US", "channel": "web", "tier": "vip"},
        {"amount": 50.0, "country": "US", "channel": "web", "tier": "vip"},
        {"amount": 1.0, "country": "US", "channel": "web", "tier": "suspect"},
        {"amount": 35.0, "country": "US", "channel": "web", "tier": "suspect"},
        {"amount": 0.5, "country": "DE", "channel": "web", "tier": "std"},
    ],
)

case(
    name="decisions_builtin_default",
    doc="""No `decisions` key: default APPROVE, precedence [APPROVE, SCORE, FLAG, REVIEW, BLOCK].
Built-in ranks, a custom label absent from the precedence (BOT_BLOCK) outranking BLOCK,
an approve rule that never beats the default, a score action.""",
    rules="""schema_version: "2.1"
ruleset:
  name: builtin
  version: "1.0.0"
  rules:
    - {id: score_small, action: score, weight: 5, conditions: {field: amount, op: gt, value: 10}}
    - {id: approve_trusted, action: approve, weight: 0, conditions: {field: trusted, op: eq, value: "yes"}}
    - {id: flag_mid, action: flag, weight: 15, conditions: {field: amount, op: gt, value: 100}}
    - {id: review_big, action: review, conditions: {field: amount, op: gt, value: 1000}}
    - {id: block_huge, action: block, weight: 50, conditions: {field: amount, op: gt, value: 5000}}
    - {id: bot_block, action: block, label: bot_block, weight: 30, conditions: {field: ua, op: contains, value: bot}}
""",
    records=[
        {"amount": 5.5, "trusted": "yes", "ua": "Mozilla"},
        {"amount": None, "trusted": None, "ua": None},
        {"amount": 50.0, "trusted": "no", "ua": "Mozilla"},
        {"amount": 500.0, "trusted": "yes", "ua": "Mozilla"},
        {"amount": 2500.0, "trusted": "no", "ua": "Mozilla"},
        {"amount": 9000.0, "trusted": "no", "ua": "Mozilla"},
        {"amount": 9000.0, "trusted": "no", "ua": "Googlebot"},
        {"amount": 1.0, "trusted": "no", "ua": "bot"},
        {"amount": 50.0, "ua": "curlbot"},
        {"amount": 0.0, "trusted": "yes"},
    ],
)

case(
    name="score_cap_and_bands",
    doc="""Score accumulation: weight 0 defaults to (severity rank + 1) x 10 for non-approve actions
(LOW 10, MEDIUM 20, HIGH 30, CRITICAL 40), 0 for approve; score_cap applies at that rule's turn
so order matters (A{50,cap 60} then B{40} = 90; B then A = 60); shadow rules add nothing.
Risk bands: HIGH if label is exactly BLOCK or score >= 80, MEDIUM if REVIEW or score >= 40,
else LOW (custom BOT_BLOCK with low score is LOW).""",
    rules="""schema_version: "2.1"
ruleset:
  name: scores
  version: "1.0.0"
  rules:
    - {id: cap_first, action: score, weight: 50, score_cap: 60, conditions: {field: path, op: eq, value: cap_then_add}}
    - {id: add_40_a, action: score, weight: 40, conditions: {field: path, op: in, values: [cap_then_add, add_then_cap]}}
    - {id: cap_last, action: score, weight: 50, score_cap: 60, conditions: {field: path, op: eq, value: add_then_cap}}
    - {id: sev_low, action: flag, severity: low, conditions: {field: level, op: gte, value: 1}}
    - {id: sev_medium, action: flag, severity: medium, conditions: {field: level, op: gte, value: 2}}
    - {id: sev_high, action: flag, severity: high, conditions: {field: level, op: gte, value: 3}}
    - {id: sev_critical, action: flag, severity: critical, conditions: {field: level, op: gte, value: 4}}
    - {id: approve_zero, action: approve, severity: critical, conditions: {field: level, op: eq, value: 0}}
    - {id: shadow_big, action: flag, shadow: true, weight: 70, conditions: {field: level, op: gte, value: 0}}
    - {id: review_small, action: review, weight: 1, conditions: {field: path, op: eq, value: review_small}}
    - {id: bot_block, action: block, label: bot_block, weight: 30, conditions: {field: path, op: eq, value: bot}}
    - {id: real_block, action: block, weight: 1, conditions: {field: path, op: eq, value: block_small}}
    - {id: cap_total, action: score, weight: 15.5, score_cap: 79.5, conditions: {field: path, op: eq, value: capped_total}}
    - {id: score_decimal, action: score, weight: 39.75, conditions: {field: path, op: in, values: [just_below_40, capped_total]}}
    - {id: score_decimal2, action: score, weight: 0.25, conditions: {field: path, op: eq, value: just_below_40}}
    - {id: flag_80, action: flag, weight: 80, conditions: {field: path, op: eq, value: eighty}}
    - {id: flag_79, action: flag, weight: 79.999, conditions: {field: path, op: eq, value: just_below_80}}
""",
    records=[
        {"path": "cap_then_add", "level": 0.5},
        {"path": None, "level": None},
        {"path": "add_then_cap", "level": 0.5},
        {"path": "plain", "level": 1},
        {"path": "plain", "level": 2},
        {"path": "plain", "level": 3},
        {"path": "plain", "level": 4},
        {"path": "plain", "level": 0},
        {"path": "review_small", "level": 0.5},
        {"path": "bot", "level": 0.5},
        {"path": "block_small", "level": 0.5},
        {"path": "just_below_40", "level": 0.5},
        {"path": "capped_total", "level": 4},
        {"path": "bot", "level": 4},
        {"path": "plain", "level": 3.5},
        {"path": "eighty", "level": 0.5},
        {"path": "just_below_80", "level": 0.5},
    ],
)

# =============================================================================================
# §5 NDJSON ingestion
# =============================================================================================
case(
    name="ndjson_ingestion",
    doc="""NDJSON framing: blank and whitespace-only lines ignored (not counted), CRLF and trailing
spaces/tabs tolerated, a last line without a newline is read, malformed lines / arrays /
scalars / strings are skipped and counted in messages_skipped; numbers of any size are read
(an integer beyond 64 bits, 1e400); duplicate keys: the last wins (the reference: the first);
string values are unescaped. (Escaped keys are a deliberate difference: docs/compatibility.md.)""",
    rules="""schema_version: "2.1"
ruleset:
  name: ingest
  version: "1.0.0"
  rules:
    - {id: big, action: review, weight: 40, conditions: {field: amount, op: gt, value: 100}}
    - {id: us, action: flag, weight: 5, conditions: {field: country, op: eq, value: US}}
""",
    raw_input=(
        '{"amount": 150.5, "country": "US"}\r\n'
        '{"amount": null, "country": null}\n'
        '\n'
        '   \t \r\n'
        '{"amount": 20.25, "country": "GB"} \t\r\n'
        '{"amount": 300, "country": "US"\n'
        '[1, 2, 3]\n'
        '42\n'
        '"just a string"\n'
        'null\n'
        '{"amount": 500.0, "country": "U\\u0053"}\n'
        '{"amount": 5.0, "amount": 700.0, "country": "DE"}\n'
        '{"country": "US", "amount": 101}\n'
        '\r\n'
        '{not json}\n'
        '{"amount": 99.5, "country": "CA"}\n'
        '{"txn_id": 123456789012345678901234567890, "amount": 15000}\n'
        '{"amount": 1e400, "country": "GB", "x": -1e400}\n'
        '{"amount": 1e3, "country": "US"}'
    ),
    twin={
        "reason": "issue 13: a repeated key: the last occurrence wins, as JSON.parse (BlazeRules: the first); "
                  "a number beyond f64 reads as Infinity (docs/compatibility.md)",
        "input_sub": [('"amount": 5.0, "amount": 700.0', '"amount": 700.0'),
                      ('"amount": 1e400, "country": "GB", "x": -1e400', '"amount": 1e300, "country": "GB", "x": -1e300')],
    },
    audit_allow=["duplicate"],
)

# =============================================================================================
# Quirks that choices.md overrides: expected values are OUR engine's, with an `overrides` list
# =============================================================================================
case(
    name="quirk_first_batch_typing",
    doc="""First-batch inference (rules-reference 3.7) vs per-value typing (choices.md:28-30).
`qty` holds only integers in the batch, so BlazeRules infers int32 and truncates thresholds
(`lt 2.5` acts as `lt 2`, `gte 10.5` as `gte 10`, `eq 3.5` as `eq 3`, between [1.5, 2.5] as
[1, 2]); our engine compares as float64. `promo_count` and `coupon` appear in no record:
BlazeRules infers int32 / categorical but *nullable* (the sampled rows lacked them), so both
engines treat them as missing (no match); see quirk_nonnullable_second_batch for the case
where they are not.""",
    rules="""schema_version: "2.1"
ruleset:
  name: typing
  version: "1.0.0"
  rules:
    - {id: qty_lt_2_5, weight: 1, conditions: {field: qty, op: lt, value: 2.5}}
    - {id: qty_gte_10_5, weight: 2, conditions: {field: qty, op: gte, value: 10.5}}
    - {id: qty_eq_3_5, weight: 4, conditions: {field: qty, op: eq, value: 3.5}}
    - {id: qty_between, weight: 8, conditions: {field: qty, op: between_including, value: [1.5, 2.5]}}
    - {id: qty_gt_4, weight: 16, conditions: {field: qty, op: gt, value: 4}}
    - {id: no_promo, weight: 32, conditions: {field: promo_count, op: lt, value: 1}}
    - {id: coupon_not_free, weight: 64, conditions: {field: coupon, op: neq, value: FREE10}}
""",
    records=[
        {"order": "o1", "qty": 1},
        {"order": "o2", "qty": None},
        {"order": "o3", "qty": 2},
        {"order": "o4", "qty": 3},
        {"order": "o5", "qty": 10},
        {"order": "o6", "qty": 11},
        {"order": "o7"},
        {"order": "o8", "qty": 5},
        {"order": "o9", "qty": 0},
        {"order": "o10", "qty": -2},
    ],
    twin={"auto_hints": True, "reason": WHY_TYPING},
)

case(
    name="quirk_null_like_strings",
    doc="""Null-like strings (rules-reference 3.3) vs choices.md:33-34. BlazeRules stores the strings
"null", "NULL", "None" (and "", "NONE", "none") as null in string/categorical columns, so
is_null is true and neq / in / not_regex are false for them. Our engine keeps them as ordinary
strings. An "" in `middle_name` (no nullable hint) is null in BlazeRules (nullable column) but
an empty string for us: is_null false, is_empty true, length_lt 1 true, not_regex true.
`middle_name` is never missing or null here, so the twin can pin it with `nullable: false`.""",
    rules="""schema_version: "2.1"
ruleset:
  name: nulllike
  version: "1.0.0"
  rules:
    - {id: status_null, weight: 1, conditions: {field: status, op: is_null}}
    - {id: status_not_approved, weight: 2, conditions: {field: status, op: neq, value: approved}}
    - {id: status_literal_none, weight: 4, conditions: {field: status, op: in, values: ["None", "null"]}}
    - {id: middle_null, weight: 8, conditions: {field: middle_name, op: is_null}}
    - {id: middle_empty, weight: 16, conditions: {field: middle_name, op: is_empty}}
    - {id: middle_short, weight: 32, conditions: {field: middle_name, op: length_lt, value: 1}}
    - {id: middle_no_x, weight: 64, conditions: {field: middle_name, op: not_regex, value: "x"}}
    - {id: note_present, weight: 128, conditions: {field: note, op: is_not_null}}
""",
    records=[
        {"status": "approved", "middle_name": "A", "note": None},
        {"status": None, "middle_name": "Lee", "note": "vip"},
        {"status": "None", "middle_name": "", "note": "None"},
        {"status": "null", "middle_name": "B", "note": "NULL"},
        {"status": "NULL", "middle_name": "", "note": "ok"},
        {"status": "declined", "middle_name": "Xavier"},
        {"middle_name": "", "note": "null"},
        {"status": "pending", "middle_name": "Max", "note": "call back"},
        {"status": "approved", "middle_name": "", "note": "later"},
        {"status": "None", "middle_name": "J", "note": "x"},
    ],
    twin={
        "reason": WHY_NULLLIKE,
        "rules_sub": [('"None", "null"', '"Nqne", "nqll"'),
                      ("ruleset:\n", "fields:\n  middle_name: {type: string, nullable: false}\nruleset:\n")],
        "input_sub": [('"None"', '"Nqne"'), ('"null"', '"nqll"'), ('"NULL"', '"NQLL"')],
    },
    audit_allow=["holds null-like string"],
    notes="""The twin renames "None"/"null"/"NULL" to same-length non-null-like strings (in rules and
input) and pins middle_name non-nullable, which is exactly our semantics for these records.""",
)

case(
    name="quirk_dotted_layout",
    doc="""Dotted field names (rules-reference 3.5) vs choices.md:31-32. The first record has no
object-valued field, so BlazeRules reads every later record without descending into nested
objects: `{"device":{"score":0.93}}` reads as missing. A record holding both a literal
"device.score" key and a nested device.score resolves by document order in BlazeRules (first
wins); ours prefers the literal key (choices.md:31).""",
    rules="""schema_version: "2.1"
ruleset:
  name: dotted
  version: "1.0.0"
  rules:
    - {id: device_risky, action: review, weight: 40, conditions: {field: device.score, op: gt, value: 0.8}}
    - {id: ip_country_ru, action: flag, weight: 15, conditions: {field: geo.ip.country, op: eq, value: RU}}
    - {id: device_missing, action: flag, weight: 5, conditions: {field: device.score, op: is_null}}
""",
    records=[
        {"txn": "t1", "device.score": 0.12, "geo.ip.country": "US"},
        {"txn": "t2", "device.score": None, "geo.ip.country": None},
        {"txn": "t3", "device": {"score": 0.93}, "geo": {"ip": {"country": "RU"}}},
        {"txn": "t4", "device.score": 0.95, "geo.ip.country": "RU"},
        {"txn": "t5", "device": {"score": 0.2}, "geo": {"ip": {"country": "DE"}}},
        {"txn": "t6", "device": {"score": 0.1}, "device.score": 0.9},
        {"txn": "t7", "device": {"model": "x"}, "geo": {"ip": {"country": "RU", "asn": 1}}},
        {"txn": "t8", "device.score": 0.5},
        {"txn": "t9", "device": {"score": 0.81}},
        {"txn": "t10", "geo.ip.country": "RU", "device.score": 0.85},
    ],
    twin={
        "reason": WHY_DOTTED,
        "input_sub": [
            ('"device":{"score":0.93},"geo":{"ip":{"country":"RU"}}', '"device.score":0.93,"geo.ip.country":"RU"'),
            ('"device":{"score":0.2},"geo":{"ip":{"country":"DE"}}', '"device.score":0.2,"geo.ip.country":"DE"'),
            ('"device":{"score":0.1},"device.score":0.9', '"device.score":0.9'),
            ('"device":{"model":"x"},"geo":{"ip":{"country":"RU","asn":1}}', '"geo.ip.country":"RU"'),
            ('"device":{"score":0.81}', '"device.score":0.81'),
        ],
    },
    audit_allow=["dotted field names with a first record"],
    notes="""The twin flattens nested objects into literal dotted keys, which BlazeRules reads whatever
the layout. Record 5 ({"device":{"score":0.1},"device.score":0.9}) reads 0.9 in both engines
here (flat layout: BlazeRules ignores the nested object); with a nested layout BlazeRules
takes the first occurrence instead (see dotted_names_nested_layout).""",
)

case(
    name="dotted_names_nested_layout",
    doc="""Dotted names when the first record already has an object-valued field (so BlazeRules
descends into nested objects for every record): literal "a.b" keys and nested paths both
resolve; depth 3 paths; a nested object with the leaf missing or null is missing. Records
10-12 hold both a literal key and the nested path (overridden: ours prefers the literal key).""",
    rules="""schema_version: "2.1"
ruleset:
  name: dotted2
  version: "1.0.0"
  rules:
    - {id: device_risky, action: review, weight: 40, conditions: {field: device.score, op: gt, value: 0.8}}
    - {id: ip_country_ru, action: flag, weight: 15, conditions: {field: geo.ip.country, op: eq, value: RU}}
    - {id: device_missing, action: flag, weight: 5, conditions: {field: device.score, op: is_null}}
""",
    records=[
        {"txn": "t1", "device": {"score": 0.12, "model": "a"}, "geo": {"ip": {"country": "US"}}},
        {"txn": "t2", "device": {"score": None}, "geo": {"ip": None}},
        {"txn": "t3", "device": {"score": 0.93}, "geo": {"ip": {"country": "RU"}}},
        {"txn": "t4", "device.score": 0.95, "geo.ip.country": "RU"},
        {"txn": "t5", "device": {"model": "b"}, "geo": {"ip": {"country": "DE", "asn": 3}}},
        {"txn": "t6"},
        {"txn": "t7", "device": {"score": 0.85, "extra": {"deep": 1}}, "geo.ip.country": "RU"},
        {"txn": "t8", "device": {"score": 0.5}, "geo": {"ip": {"country": "ru"}}},
        {"txn": "t9", "device": None, "geo": "RU"},
        {"txn": "t10", "device": {"score": 0.81}, "geo": {"ip": {"country": "RU"}}},
        {"txn": "t11", "device": {"score": 0.1}, "device.score": 0.9},
        {"txn": "t12", "device.score": 0.2, "device": {"score": 0.99}},
        {"txn": "t13", "geo": {"ip": {"country": "US"}}, "geo.ip.country": "RU"},
    ],
    twin={
        "reason": WHY_DOTTED + " (a literal \"a.b.c\" key wins over the nested path; BlazeRules takes whichever comes first in the document)",
        "input_sub": [
            ('{"txn":"t11","device":{"score":0.1},"device.score":0.9}', '{"txn":"t11","device.score":0.9}'),
            ('{"txn":"t12","device.score":0.2,"device":{"score":0.99}}', '{"txn":"t12","device.score":0.2}'),
            ('{"txn":"t13","geo":{"ip":{"country":"US"}},"geo.ip.country":"RU"}', '{"txn":"t13","geo.ip.country":"RU"}'),
        ],
    },
    notes="""Records 10-12 hold both a literal dotted key and the nested path. BlazeRules reads whichever
comes first in the document (record 10: nested 0.1; record 11: literal 0.2; record 12: nested
"US"); choices.md:31 says a literal key wins, so ours reads 0.9 / 0.2 / "RU". The twin drops
the nested duplicate.""",
)

case(
    name="quirk_not_contains_all_flags_all",
    doc="""`not` over contains_all and flags_all (rules-reference 2.18 "bug to reproduce") vs
choices.md:35. BlazeRules ignores the `not` (the leaf is evaluated un-negated); ours negates.
Null rows are kept out of this case: whether a negated contains_all/flags_all leaf is false
(leaf flip, null stays false) or true (complement) on null is not pinned by choices.md.""",
    rules="""schema_version: "2.1"
ruleset:
  name: notall
  version: "1.0.0"
  rules:
    - {id: not_all_tags, weight: 1, conditions: {not: {field: tags, op: contains_all, values: [kyc_passed, email_verified]}}}
    - {id: not_all_flags, weight: 2, conditions: {not: {field: verif_flags, op: flags_all, mask: "0x3"}}}
    - {id: all_tags, weight: 4, conditions: {field: tags, op: contains_all, values: [kyc_passed, email_verified]}}
    - {id: not_any_tags, weight: 8, conditions: {not: {field: tags, op: contains_any, values: [kyc_passed]}}}
""",
    records=[
        {"user": "u1", "tags": ["kyc_passed", "email_verified"], "verif_flags": 3},
        {"user": "u2", "tags": ["kyc_passed"], "verif_flags": 1},
        {"user": "u3", "tags": [], "verif_flags": 0},
        {"user": "u4", "tags": ["email_verified", "kyc_passed", "other"], "verif_flags": 7},
        {"user": "u5", "tags": ["email_verified"], "verif_flags": 2},
        {"user": "u6", "tags": ["other"], "verif_flags": 4},
        {"user": "u7", "tags": ["kyc_passed", "email_verified"], "verif_flags": 11},
        {"user": "u8", "tags": ["kyc_passed", "email_verified"], "verif_flags": 9},
    ],
    twin={
        "reason": WHY_NOT_ALL,
        "rules_sub": [
            ("{not: {field: tags, op: contains_all, values: [kyc_passed, email_verified]}}",
             "{or: [{field: tags, op: not_intersects, values: [kyc_passed]}, {field: tags, op: not_intersects, values: [email_verified]}]}"),
            ('{not: {field: verif_flags, op: flags_all, mask: "0x3"}}',
             '{or: [{field: verif_flags, op: flags_none, mask: "0x1"}, {field: verif_flags, op: flags_none, mask: "0x2"}]}'),
        ],
    },
    audit_allow=["not over contains_all", "not over flags_all"],
)

case(
    name="quirk_categorical_codes",
    doc="""Categorical codes (rules-reference 2.6 / 3.8) vs choices.md:36-37. `country` and
`ip_country` are closed categoricals (set ops with literals), so BlazeRules' eq_field/neq_field
compare per-column codes: US vs US can be "different" and US vs RU "equal". `merchant` is
closed to [m_1, m_2] by its `in` rule, so in_lookup is false (and not_in_lookup true) for
m_9/m_7 although the lookup lists them. Ours compares strings and checks the lookup set.""",
    rules="""schema_version: "2.1"
lookups:
  bad_merchants: {type: string_set, path: bad_merchants.csv}
ruleset:
  name: codes
  version: "1.0.0"
  rules:
    - {id: home_country, weight: 1, conditions: {field: country, op: in, values: [US, CA]}}
    - {id: risky_ip_country, weight: 2, conditions: {field: ip_country, op: in, values: [RU, NG]}}
    - {id: same_country, weight: 4, conditions: {field: country, op: eq_field, other_field: ip_country}}
    - {id: country_mismatch, weight: 8, conditions: {field: country, op: neq_field, other_field: ip_country}}
    - {id: known_merchant, weight: 16, conditions: {field: merchant, op: in, values: [m_1, m_2]}}
    - {id: merchant_listed, weight: 32, conditions: {field: merchant, op: in_lookup, lookup: bad_merchants}}
    - {id: merchant_unlisted, weight: 64, conditions: {field: merchant, op: not_in_lookup, lookup: bad_merchants}}
""",
    lookups={"bad_merchants.csv": "value\nm_1\nm_9\nm_7\n"},
    records=[
        {"country": "US", "ip_country": "US", "merchant": "m_1"},
        {"country": None, "ip_country": None, "merchant": None},
        {"country": "US", "ip_country": "RU", "merchant": "m_9"},
        {"country": "CA", "ip_country": "NG", "merchant": "m_2"},
        {"country": "GB", "ip_country": "GB", "merchant": "m_3"},
        {"country": "GB", "ip_country": "FR"},
        {"country": "CA", "ip_country": "CA", "merchant": "m_7"},
        {"country": "DE", "ip_country": "RU", "merchant": "m_2"},
        {"country": "NG", "ip_country": "NG", "merchant": "m_9"},
        {"country": "RU", "ip_country": "US", "merchant": "m_5"},
    ],
    twin={
        "record_reasons": {
            0: "US eq_field US is equal (BlazeRules: the codes differ)",
            2: "US eq_field RU is not equal (BlazeRules: same code); m_9 is in the lookup file",
            3: "CA eq_field NG is not equal (BlazeRules: same code)",
            5: "GB eq_field FR is not equal (BlazeRules: both unknown, same code)",
            6: "CA eq_field CA is equal (BlazeRules: the codes differ); m_7 is in the lookup file",
            8: "NG eq_field NG is equal (BlazeRules: the codes differ); m_9 is in the lookup file",
            9: "RU eq_field US is not equal (BlazeRules: same code)",
        },
        "reason": f"{WHY_EQ_FIELD}; {WHY_LOOKUP}",
        "rules_sub": [
            ("{field: country, op: in, values: [US, CA]}", '{field: country, op: regex, value: "^(US|CA)$"}'),
            ("{field: ip_country, op: in, values: [RU, NG]}", '{field: ip_country, op: regex, value: "^(RU|NG)$"}'),
            ("{field: merchant, op: in, values: [m_1, m_2]}", '{field: merchant, op: regex, value: "^(m_1|m_2)$"}'),
        ],
    },
    audit_allow=["on categorical/entity codes", "string_set lookup on a categorical column"],
    notes="""The twin replaces each `in` by an equivalent anchored regex, which makes the fields STRING
in BlazeRules, where eq_field compares bytes and lookups check the set.""",
)

case(
    name="quirk_nonnullable_second_batch",
    doc="""Two batches on one engine. The first batch has every field present, integral `qty` and
merchants m_1..m_3, so BlazeRules binds amount float64 NON-nullable, qty int32 non-nullable,
country/email non-nullable and merchant's dictionary to the first batch's values. In the second
batch a missing/null amount reads 0.0 (`amount lt 10` matches), a null country reads "" (`neq US`
matches), a missing email reads "" (is_null false, not_regex true), qty 2.7 truncates to 2
(`gt 2.5` false), and merchant m_9 (listed in the lookup, unseen in batch 1) is not in_lookup.
Ours: missing is missing, qty compares as float64, in_lookup checks the set (choices.md:28-30,
36-37). Run input.ndjson then input.2.ndjson on the same engine.""",
    rules="""schema_version: "2.1"
fields:
  merchant: {type: categorical}
lookups:
  watchlist: {type: string_set, path: watchlist.csv}
ruleset:
  name: twobatch
  version: "1.0.0"
  rules:
    - {id: small_amount, weight: 1, conditions: {field: amount, op: lt, value: 10}}
    - {id: not_us, weight: 2, conditions: {field: country, op: neq, value: US}}
    - {id: no_email, weight: 4, conditions: {field: email, op: is_null}}
    - {id: email_not_corp, weight: 8, conditions: {field: email, op: not_regex, value: "@corp\\\\.example$"}}
    - {id: bulk_qty, weight: 16, conditions: {field: qty, op: gt, value: 2.5}}
    - {id: watchlisted, action: review, weight: 32, conditions: {field: merchant, op: in_lookup, lookup: watchlist}}
""",
    lookups={"watchlist.csv": "value\nm_1\nm_9\n"},
    batches=[
        [
            {"amount": 25.5, "country": "US", "email": "a@corp.example", "qty": 1, "merchant": "m_1"},
            {"amount": 5.25, "country": "GB", "email": "b@mail.example", "qty": 3, "merchant": "m_2"},
            {"amount": 120.0, "country": "US", "email": "c@corp.example", "qty": 2, "merchant": "m_3"},
            {"amount": 9.99, "country": "FR", "email": "d@corp.example", "qty": 5, "merchant": "m_2"},
            {"amount": 60.75, "country": "US", "email": "e@x.example", "qty": 1, "merchant": "m_1"},
            {"amount": 10.0, "country": "DE", "email": "f@corp.example", "qty": 2, "merchant": "m_3"},
        ],
        [
            {"amount": 30.5, "country": "US", "email": "g@corp.example", "qty": 2.7, "merchant": "m_9"},
            {"amount": None, "country": None, "email": None, "qty": None, "merchant": None},
            {"country": "US", "email": "h@corp.example", "qty": 1, "merchant": "m_1"},
            {"amount": 45.0, "email": "i@corp.example", "qty": 3.9, "merchant": "m_4"},
            {"amount": 80.0, "country": "US", "qty": 1, "merchant": "m_2"},
            {"amount": 8.5, "country": "GB", "email": "j@mail.example", "merchant": "m_9"},
            {"amount": 15.0, "country": "US", "email": "k@corp.example", "qty": 2.5},
            {"amount": 22.0, "country": "CA", "email": "l@corp.example", "qty": 2.51, "merchant": "m_3"},
        ],
    ],
    twin={
        "reason": f"{WHY_TYPING}; {WHY_LOOKUP}",
        "rules_sub": [("merchant: {type: categorical}", "merchant: {type: string}")],
        "auto_hints": True,
        "record_reasons": {
            "2:0": "qty 2.7 is not truncated to 2 (bulk_qty matches); m_9 is in the lookup file (watchlisted matches)",
            "2:1": "null amount/country/email are missing, not 0.0/\"\" (small_amount, not_us, email_not_corp do not match; no_email does)",
            "2:2": "missing amount is missing, not 0.0 (small_amount does not match)",
            "2:3": "missing country is missing, not \"\" (not_us does not match)",
            "2:4": "missing email is missing, not \"\" (no_email matches, email_not_corp does not)",
            "2:5": "m_9 is in the lookup file (watchlisted matches)",
            "2:7": "qty 2.51 is not truncated to 2 (bulk_qty matches)",
        },
    },
    notes="""The twin hints every inferred int column float64 and every inferred non-nullable column
nullable, and types merchant as string (a string_set lookup on a STRING column checks the set),
which is our engine's behaviour for these records.""",
)

# =============================================================================================
# §1 rules-file keys and aliases
# =============================================================================================
case(
    name="rules_file_aliases",
    doc="""Rules-file spellings (rules-reference §1): no `ruleset` (top-level name/version/rules),
`schema` as an alias of `fields` in list form with `closed_values` and `is_entity_field`,
upper/mixed-case `action`, `severity` and `op`, `values` taking priority over `value`, operator
aliases (is_none, not_null, in_subnet), per-rule `name`/`version`/`reason_code` (not emitted),
`enabled: false` with a duplicate id (disabled rules are dropped before the duplicate-id check),
`priority` as a tie-break, and a `decisions` block with only `default`.""",
    rules="""schema_version: "2.1"
name: top_level
version: "3.1.4"
schema:
  - {name: country, closed_values: [US, CA, GB]}
  - {name: account_id, is_entity_field: true, nullable: true}
  - {name: amount, type: Float64, nullable: true}
decisions:
  default: approve
rules:
  - id: big_amount
    name: Big amount
    version: "9"
    reason_code: R001
    action: REVIEW
    severity: Medium
    weight: 25
    conditions: {field: amount, op: GT, value: 1000}
  - id: foreign
    action: Flag
    severity: LOW
    priority: 3
    weight: 5
    conditions: {field: country, op: NOT_IN, value: ignored, values: [US, CA]}
  - id: foreign
    enabled: false
    conditions: {field: amount, op: gt, value: 0}
  - id: no_account
    action: flag
    severity: low
    priority: 7
    weight: 5
    conditions: {field: account_id, op: IS_NONE}
  - id: has_account_big
    action: block
    severity: critical
    weight: 60
    conditions:
      and:
        - {field: account_id, op: not_null}
        - {field: amount, op: gte, value: 5000}
        - {field: ip, op: In_Subnet, value: "203.0.113.0/24"}
""",
    records=[
        {"account_id": "acc-1", "country": "US", "amount": 12.5, "ip": "198.51.100.1"},
        {"account_id": None, "country": None, "amount": None, "ip": None},
        {"account_id": "acc-2", "country": "GB", "amount": 1500.0, "ip": "203.0.113.9"},
        {"country": "FR", "amount": 20.0, "ip": "203.0.113.10"},
        {"account_id": "acc-3", "country": "CA", "amount": 7500.0, "ip": "203.0.113.11"},
        {"account_id": "acc-4", "country": "DE", "amount": 9000.0, "ip": "10.0.0.1"},
        {"account_id": "acc-1", "country": "US", "amount": 1000.0, "ip": "203.0.113.12"},
        {"country": "GB", "amount": 5.0},
        {"account_id": "acc-5", "country": "US", "amount": 5000.0, "ip": "203.0.113.200"},
        {"account_id": "acc-6", "country": "gb", "amount": 1000.5, "ip": "203.0.113.1"},
    ],
)

case(
    name="rules_json_text",
    doc="""A rules file written as JSON text (JSON is YAML, and BlazeRules accepts JSON input):
the same semantics as YAML, here with a lookup relative to the rules file, a `not` over an
`or`, and an `expr` written as a SQL string.""",
    rules="""{
  "schema_version": "2.1",
  "lookups": {"vip_users": {"type": "string_set", "path": "vip_users.csv"}},
  "decisions": {"default": "APPROVE", "precedence": ["APPROVE", "FLAG", "REVIEW", "BLOCK"]},
  "ruleset": {
    "name": "json_rules",
    "version": "1.2.0",
    "rules": [
      {"id": "vip", "action": "approve", "label": "VIP_PASS", "conditions": {"field": "user", "op": "in_lookup", "lookup": "vip_users"}},
      {"id": "odd_hours_big", "action": "review", "weight": 45,
       "conditions": {"and": [{"field": "ts", "op": "time_of_day_between", "value": [1, 4]}, {"expr": "amount >= 250"}]}},
      {"id": "not_known_channel", "action": "flag", "weight": 10,
       "conditions": {"not": {"or": [{"field": "channel", "op": "eq", "value": "web"}, {"field": "channel", "op": "eq", "value": "app"}]}}}
    ]
  }
}
""",
    lookups={"vip_users.csv": "value\nu_vip1\nu_vip2\n"},
    records=[
        {"user": "u1", "ts": T0 + 2 * H, "amount": 300.5, "channel": "web"},
        {"user": None, "ts": None, "amount": None, "channel": None},
        {"user": "u_vip1", "ts": T0 + 3 * H, "amount": 999.0, "channel": "pos"},
        {"user": "u2", "ts": T0 + 12 * H, "amount": 500.0, "channel": "app"},
        {"user": "u3", "ts": T0 + 1 * H, "amount": 250.0, "channel": "kiosk"},
        {"user": "u4", "ts": T0 + 4 * H + 1, "amount": 260.0},
        {"user": "u_vip2", "ts": T0 + 5 * H, "amount": 10.0, "channel": "web"},
        {"user": "u5", "ts": T0 + 4 * H, "amount": 249.99, "channel": "WEB"},
        {"user": "u6", "ts": T0 + 2 * H + 30 * 60_000, "amount": 1000.0, "channel": "app"},
        {"user": "u_vip3", "ts": T0, "amount": 1.0, "channel": "app"},
    ],
)


# =============================================================================================
# 2.16 windows (fed one record per call on the reference side: BlazeRules applies a batch's
# window updates after the whole batch, we after each record, so one-record batches are where
# the two coincide; our test evaluates each input whole) and 2.17 vector_distance
# =============================================================================================
WHY_WIN_NULL = (f"{C}:38-39 a null or missing value adds nothing to a window (BlazeRules adds 1.0); "
                "a null or missing entity reads no state, so the window leaf is false (BlazeRules reads 0)")
WIN_HINTS = """fields:
  card: {type: entity_key, nullable: true}
  amount: {type: float64, nullable: true}
  fee: {type: float64, nullable: true}
"""

case(
    name="window_count_sum_avg",
    doc="""count / sum / avg windows over a card (rules-reference 2.16): a record sees the records
before it (count = prior records, so the first of a card reads 0); sum_field and value_field;
windows in and/or with field leaves; two windows of different durations over one card.""",
    per_record=True,
    rules=WIN_HINTS + """ruleset:
  name: windows_basic
  version: "1.0.0"
  rules:
    - {id: velocity_3, action: review, weight: 1, conditions: {window: {entity_field: card, duration_seconds: 3600, op: gte, value: 3}}}
    - {id: first_seen, action: flag, weight: 2, conditions: {window: {entity_field: card, function: count, duration_seconds: 7200, op: eq, value: 0}}}
    - {id: spend_over_1000, action: block, weight: 4, conditions: {window: {entity_field: card, function: sum, sum_field: amount, duration_seconds: 3600, op: gt, value: 1000}}}
    - id: big_vs_avg
      action: review
      weight: 8
      conditions:
        and:
          - {field: amount, op: gt, value: 400}
          - {window: {entity_field: card, function: avg, value_field: amount, duration_seconds: 3600}, op: lt, value: 150}
    - id: busy_or_big
      action: flag
      weight: 16
      conditions:
        or:
          - {window: {entity_field: card, duration_seconds: 3600, op: gt, value: 4}}
          - {field: amount, op: gte, value: 2000}
""",
    records=[
        {"card": "c1", "amount": 120.5, "fee": 1.0},
        {"card": "c1", "amount": 80.25, "fee": 0.5},
        {"card": "c2", "amount": 2500.0, "fee": 2.0},
        {"card": "c1", "amount": 610.0, "fee": 1.5},
        {"card": "c3", "amount": 15.0, "fee": 0.1},
        {"card": "c1", "amount": 450.0, "fee": 2.0},
        {"card": "c2", "amount": 40.0, "fee": 0.2},
        {"card": "c1", "amount": 20.0, "fee": 0.3},
        {"card": "c1", "amount": 5.5, "fee": 0.1},
        {"card": "c3", "amount": 700.0, "fee": 3.0},
        {"card": "c2", "amount": 900.0, "fee": 1.0},
        {"card": "c1", "amount": 1.0, "fee": 0.0},
        {"card": "c4", "amount": 99.99, "fee": 0.9},
        {"card": "c3", "amount": 420.0, "fee": 1.2},
        {"card": "c2", "amount": 12.0, "fee": 0.1},
        {"card": "c1", "amount": 3000.0, "fee": 9.0},
    ],
)

case(
    name="window_min_max_ratio",
    doc="""min / max (sum_field or value_field) and ratio (numerator_field / denominator_field)
windows: min and max over the surviving buckets, ratio = Σ numerator / Σ denominator and 0
while the denominator sum is not positive (a zero or negative fee).""",
    per_record=True,
    rules=WIN_HINTS + """ruleset:
  name: windows_extremes
  version: "1.0.0"
  rules:
    - {id: tiny_before, action: flag, weight: 1, conditions: {window: {entity_field: card, function: min, sum_field: amount, duration_seconds: 3600, op: lt, value: 10}}}
    - {id: huge_before, action: review, weight: 2, conditions: {window: {entity_field: card, function: max, value_field: amount, duration_seconds: 3600, op: gte, value: 1000}}}
    - {id: min_zero, action: flag, weight: 4, conditions: {window: {entity_field: card, function: MIN, value_field: amount, duration_seconds: 3600, op: eq, value: 0}}}
    - {id: fee_ratio_high, action: block, weight: 8, conditions: {window: {entity_field: card, function: ratio, numerator_field: amount, denominator_field: fee, duration_seconds: 3600, op: gt, value: 400}}}
    - {id: fee_ratio_zero, action: flag, weight: 16, conditions: {window: {entity_field: card, function: ratio, sum_field: amount, denominator_field: fee, duration_seconds: 3600, op: eq, value: 0}}}
""",
    records=[
        {"card": "k1", "amount": 250.0, "fee": 1.0},
        {"card": "k1", "amount": 5.0, "fee": 0.5},
        {"card": "k2", "amount": 1200.0, "fee": 2.0},
        {"card": "k1", "amount": 1500.0, "fee": 0.0},
        {"card": "k2", "amount": 300.0, "fee": -3.0},
        {"card": "k1", "amount": 40.0, "fee": 1.0},
        {"card": "k2", "amount": 0.5, "fee": 0.5},
        {"card": "k3", "amount": -20.0, "fee": 1.0},
        {"card": "k3", "amount": 7.25, "fee": 0.25},
        {"card": "k2", "amount": 9.0, "fee": 0.1},
        {"card": "k1", "amount": 999.0, "fee": 2.5},
        {"card": "k3", "amount": 2000.0, "fee": 0.0},
        {"card": "k2", "amount": 10.0, "fee": 10.0},
        {"card": "k1", "amount": 60.0, "fee": 0.2},
    ],
)

case(
    name="window_ops_not_keys",
    doc="""Window operators and keys: gt/gte/lt/lte/eq/neq; `not` over a window flips its operator
(2.18); `op`/`value` beside `window`, and inside winning over beside; between_* with a scalar
acts as gt (2.1); a count compares with the threshold as written (lt 1.9 is true for 1: no
truncation), a sum in float32 (a sum of 0.1 is not gt 0.1); an unknown function name (count),
an upper-case one, and sum without a value field (it counts).""",
    per_record=True,
    rules=WIN_HINTS + """ruleset:
  name: windows_ops
  version: "1.0.0"
  rules:
    - {id: w_gt_1, action: flag, weight: 1, conditions: {window: {entity_field: card, duration_seconds: 3600, op: gt, value: 1}}}
    - {id: w_lte_1, action: flag, weight: 2, conditions: {window: {entity_field: card, duration_seconds: 3600, op: lte, value: 1}}}
    - {id: w_neq_2, action: flag, weight: 4, conditions: {window: {entity_field: card, duration_seconds: 3600, op: neq, value: 2}}}
    - {id: not_gt_1, action: flag, weight: 8, conditions: {not: {window: {entity_field: card, duration_seconds: 3600, op: gt, value: 1}}}}
    - {id: not_eq_2, action: flag, weight: 16, conditions: {not: {window: {entity_field: card, duration_seconds: 3600, op: eq, value: 2}}}}
    - {id: beside, action: flag, weight: 32, conditions: {window: {entity_field: card, duration_seconds: 3600}, op: gte, value: 3}}
    - {id: inside_wins, action: flag, weight: 64, conditions: {window: {entity_field: card, duration_seconds: 3600, op: lt, value: 1}, op: gte, value: 0}}
    - {id: between_scalar, action: flag, weight: 128, conditions: {window: {entity_field: card, duration_seconds: 3600, op: between_including, value: 2}}}
    - {id: count_lt_1_9, action: flag, weight: 256, conditions: {window: {entity_field: card, duration_seconds: 3600, op: lt, value: 1.9}}}
    - {id: sum_gt_0_1, action: flag, weight: 512, conditions: {window: {entity_field: card, function: Sum, sum_field: amount, duration_seconds: 3600, op: gt, value: 0.1}}}
    - {id: sum_no_field, action: flag, weight: 1024, conditions: {window: {entity_field: card, function: sum, duration_seconds: 3600, op: gte, value: 2}}}
    - {id: unknown_fn, action: flag, weight: 2048, conditions: {window: {entity_field: card, function: median, sum_field: amount, duration_seconds: 3600, op: eq, value: 3}}}
""",
    records=[
        {"card": "a", "amount": 0.1, "fee": 1.0},
        {"card": "a", "amount": 0.1, "fee": 1.0},
        {"card": "b", "amount": 0.2, "fee": 1.0},
        {"card": "a", "amount": 0.1, "fee": 1.0},
        {"card": "a", "amount": 5.0, "fee": 1.0},
        {"card": "b", "amount": 0.5, "fee": 1.0},
        {"card": "a", "amount": 1.0, "fee": 1.0},
        {"card": "b", "amount": 2.0, "fee": 1.0},
        {"card": "c", "amount": 0.25, "fee": 1.0},
        {"card": "b", "amount": 3.0, "fee": 1.0},
    ],
)

case(
    name="window_nulls",
    doc="""Null and missing values and entities in windows (choices.md:38-39): BlazeRules adds 1.0
for a null value field and reads 0 for a null or missing entity (so `count lt 3` holds for
records without a card); we add nothing and read no state (the leaf is false).""",
    per_record=True,
    rules=WIN_HINTS + """ruleset:
  name: windows_nulls
  version: "1.0.0"
  rules:
    - {id: few_before, action: flag, weight: 1, conditions: {window: {entity_field: card, duration_seconds: 3600, op: lt, value: 3}}}
    - {id: spend_over_50, action: review, weight: 2, conditions: {window: {entity_field: card, function: sum, sum_field: amount, duration_seconds: 3600, op: gt, value: 50}}}
    - {id: spend_exactly_60, action: block, weight: 4, conditions: {window: {entity_field: card, function: sum, sum_field: amount, duration_seconds: 3600, op: eq, value: 60}}}
    - {id: max_small, action: flag, weight: 8, conditions: {window: {entity_field: card, function: max, sum_field: amount, duration_seconds: 3600, op: lt, value: 25}}}
""",
    records=[
        {"card": "n1", "amount": 20.0, "fee": 1.0},
        {"card": "n1", "amount": None, "fee": 1.0},
        {"card": "n1", "amount": 40.0, "fee": 1.0},
        {"card": None, "amount": 10.0, "fee": 1.0},
        {"card": "n1", "amount": 5.0, "fee": 1.0},
        {"amount": 10.0, "fee": 1.0},
        {"card": "n2", "amount": None, "fee": 1.0},
        {"card": "n2", "fee": 1.0},
        {"card": "n2", "amount": 24.0, "fee": 1.0},
        {"card": "n1", "amount": 1.0, "fee": 1.0},
        {"card": "n2", "amount": 30.0, "fee": 1.0},
    ],
    twin={
        "reason": WHY_WIN_NULL,
        # every window leaf guarded by the card, as ours reads no state without one
        "rules_sub": [("conditions: {window: ", "conditions: {and: [{field: card, op: is_not_null}, {window: "),
                      ("3600, op: lt, value: 3}}}", "3600, op: lt, value: 3}}]}}"),
                      ("3600, op: gt, value: 50}}}", "3600, op: gt, value: 50}}]}}"),
                      ("3600, op: eq, value: 60}}}", "3600, op: eq, value: 60}}]}}"),
                      ("3600, op: lt, value: 25}}}", "3600, op: lt, value: 25}}]}}")],
        "input_sub": [('"amount":null', '"amount":0.0'),
                      ('{"card":"n2","fee":1.0}', '{"card":"n2","amount":0.0,"fee":1.0}')],
    },
    notes="""The twin guards every window with `card is_not_null` and gives the null or missing amounts
0 (the reference adds a value, so adding 0 is adding nothing to a sum, and the amounts are
positive, so 0 never changes a max).""",
)

case(
    name="window_expiry",
    doc="""Per-second buckets expiring (2.16), against the reference's own clock: each record is
evaluated in a given second (the `now_ms` of expected.json) and our test passes that clock;
buckets at or before now - duration are gone, and a card idle for a whole window starts over.
count, sum, min and max over a 2-second window.""",
    per_record=True,
    seconds=[0, 0, 0, 1, 1, 2, 2, 3, 6, 6, 6, 7, 9],
    rules=WIN_HINTS + """ruleset:
  name: windows_expiry
  version: "1.0.0"
  rules:
    - {id: twice_before, action: review, weight: 1, conditions: {window: {entity_field: card, duration_seconds: 2, op: gte, value: 2}}}
    - {id: once_before, action: flag, weight: 2, conditions: {window: {entity_field: card, duration_seconds: 2, op: eq, value: 1}}}
    - {id: spend_over_100, action: block, weight: 4, conditions: {window: {entity_field: card, function: sum, sum_field: amount, duration_seconds: 2, op: gt, value: 100}}}
    - {id: min_under_5, action: flag, weight: 8, conditions: {window: {entity_field: card, function: min, sum_field: amount, duration_seconds: 2, op: lt, value: 5}}}
    - {id: max_over_90, action: flag, weight: 16, conditions: {window: {entity_field: card, function: max, sum_field: amount, duration_seconds: 2, op: gt, value: 90}}}
""",
    records=[
        {"card": "t1", "amount": 95.0, "fee": 1.0},
        {"card": "t1", "amount": 2.0, "fee": 1.0},
        {"card": "t2", "amount": 50.0, "fee": 1.0},
        {"card": "t1", "amount": 10.0, "fee": 1.0},
        {"card": "t2", "amount": 60.0, "fee": 1.0},
        {"card": "t1", "amount": 30.0, "fee": 1.0},
        {"card": "t2", "amount": 1.0, "fee": 1.0},
        {"card": "t1", "amount": 20.0, "fee": 1.0},
        {"card": "t1", "amount": 70.0, "fee": 1.0},
        {"card": "t1", "amount": 40.0, "fee": 1.0},
        {"card": "t2", "amount": 3.0, "fee": 1.0},
        {"card": "t1", "amount": 8.0, "fee": 1.0},
        {"card": "t1", "amount": 99.0, "fee": 1.0},
    ],
)

VEC_HINTS = """fields:
  v1: {type: float64, nullable: true}
  v2: {type: float64, nullable: true}
  v3: {type: float64, nullable: true}
"""

case(
    name="vector_distance",
    doc="""vector_distance (2.17): cosine (the default, and any unknown metric; 0 when either norm is
0), l2 with its aliases euclidean and distance, dot with its alias inner; `op` defaults to gt
and is compared in float32; between_* takes [lo, hi]; `op`/`value` beside the condition;
`not` over a vector is a plain complement; a null, missing or non-numeric dimension counts 0
and an array gives its first number.""",
    rules=VEC_HINTS + """ruleset:
  name: vectors
  version: "1.0.0"
  rules:
    - {id: cos_close, action: review, weight: 1, conditions: {vector_distance: {dims: [v1, v2, v3], reference: [1.0, 0.5, 0.0], value: 0.95}}}
    - {id: cos_unknown_metric, action: flag, weight: 2, conditions: {vector_distance: {dims: [v1, v2, v3], reference: [0.0, 0.0, 1.0], metric: manhattan, op: lt, value: 0.1}}}
    - {id: cos_zero_ref, action: flag, weight: 4, conditions: {vector_distance: {dims: [v1, v2], reference: [0, 0], op: eq, value: 0}}}
    - {id: l2_near, action: flag, weight: 8, conditions: {vector_distance: {dims: [v1, v2, v3], reference: [1, 1, 1], metric: l2, op: lt, value: 1.0}}}
    - {id: euclid_far, action: flag, weight: 16, conditions: {vector_distance: {dims: [v1, v2, v3], reference: [1, 1, 1], metric: Euclidean, op: gte, value: 5}}}
    - {id: distance_alias, action: flag, weight: 32, conditions: {vector_distance: {dims: [v1, v2], reference: [0, 0], metric: distance}, op: between_including, value: [1, 2]}}
    - {id: dot_big, action: block, weight: 64, conditions: {vector_distance: {dims: [v1, v2, v3], reference: [2, 2, 2], metric: dot, op: gte, value: 10}}}
    - {id: inner_band, action: flag, weight: 128, conditions: {vector_distance: {dims: [v1, v2], reference: [1, -1], metric: inner, op: between_excluding, value: [-1, 1]}}}
    - {id: not_dot, action: flag, weight: 256, conditions: {not: {vector_distance: {dims: [v1], reference: [1], metric: dot, op: gt, value: 0.5}}}}
    - {id: f32_compare, action: flag, weight: 512, conditions: {vector_distance: {dims: [v1], reference: [1], metric: dot, op: gt, value: 0.1}}}
""",
    records=[
        {"v1": 1.0, "v2": 0.5, "v3": 0.0},
        {"v1": 0.1, "v2": 0.2, "v3": 0.3},
        {"v1": None, "v2": 0.0, "v3": 2.0},
        {"v2": 1.5},
        {"v1": 3.0, "v2": 4.0, "v3": 5.0},
        {"v1": "x", "v2": 1.2, "v3": 0.9},
        {"v1": [0.9, 5.0], "v2": 1.1, "v3": 1.0},
        {"v1": -1.0, "v2": -0.5, "v3": 0.0},
        {"v1": 0.6, "v2": 0.3, "v3": 0.05},
        {"v1": 0.0, "v2": 0.0, "v3": 0.0},
        {"v1": 1.2, "v2": 0.6, "v3": 0.01},
        {"v1": 2.0, "v2": 1.0, "v3": 2.5},
    ],
)
