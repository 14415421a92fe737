/**
 * Operator semantics, one data-driven table per family (rules-reference.md §2, with the
 * deliberate differences of choices.md). Each case is one rule; `expect[i]` says whether it
 * matches record i.
 */
import test from 'ava';
import { join } from 'node:path';

import { RuleEngine } from '../src/index';

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

interface Case {
  name: string;
  cond: Json;
  fields?: Json;
  records: Json[];
  expect: boolean[];
}

const LOOKUP_DIR = join(__dirname, 'fixtures', 'rules');
const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function check(cases: Case[]): void {
  for (const c of cases) {
    test(c.name, (t) => {
      const doc: { [k: string]: Json } = {
        lookups: { users: { type: 'string_set', path: 'lookups/users.csv' } },
        rules: [{ id: 'r', action: 'block', conditions: c.cond }],
      };
      if (c.fields !== undefined) doc.fields = c.fields;
      const e = new RuleEngine();
      e.loadRulesFromString(JSON.stringify(doc), 'json', LOOKUP_DIR);
      const payload = c.records.map((r) => JSON.stringify(r)).join('\n');
      const r = e.evaluateNdjsonSync(payload);
      t.is(r.nRecords, c.records.length);
      t.deepEqual(
        Array.from(r.matched, (m) => m === 1),
        c.expect,
        c.records.map((rec, i) => `${JSON.stringify(rec)} → ${String(c.expect[i])}`).join('\n'),
      );
    });
  }
}

const A = (amount: Json): Json => ({ amount });

check([
  // Numeric comparisons (§2.3); missing and null are false for every leaf (§2.2).
  {
    name: 'gt',
    cond: { field: 'amount', op: 'gt', value: 5 },
    records: [A(6), A(5), A(4.5), {}, A(null)],
    expect: [true, false, false, false, false],
  },
  {
    name: 'gte',
    cond: { field: 'amount', op: 'gte', value: 5 },
    records: [A(6), A(5), A(4.99)],
    expect: [true, true, false],
  },
  {
    name: 'lt',
    cond: { field: 'amount', op: 'lt', value: 5 },
    records: [A(4), A(5), A(-1), {}],
    expect: [true, false, true, false],
  },
  { name: 'lte', cond: { field: 'amount', op: 'lte', value: 5 }, records: [A(5), A(5.01)], expect: [true, false] },
  {
    name: 'eq numeric',
    cond: { field: 'amount', op: 'eq', value: 5 },
    records: [A(5), A(5.0), A(6), {}],
    expect: [true, true, false, false],
  },
  {
    name: 'neq numeric: null stays false',
    cond: { field: 'amount', op: 'neq', value: 5 },
    records: [A(6), A(5), {}, A(null)],
    expect: [true, false, false, false],
  },
  {
    name: 'between_including',
    cond: { field: 'amount', op: 'between_including', value: [1, 5] },
    records: [A(1), A(5), A(3), A(0), A(6)],
    expect: [true, true, true, false, false],
  },
  {
    name: 'between_excluding',
    cond: { field: 'amount', op: 'between_excluding', value: [1, 5] },
    records: [A(1), A(5), A(3)],
    expect: [false, false, true],
  },
  {
    name: 'numbers compare as float64 without a hint',
    cond: { field: 'amount', op: 'lt', value: 2.5 },
    records: [A(2), A(2.4), A(2.5)],
    expect: [true, true, false],
  },
  {
    name: 'int hint truncates the threshold (x lt 2.5 is x < 2)',
    fields: { amount: { type: 'int32' } },
    cond: { field: 'amount', op: 'lt', value: 2.5 },
    records: [A(2), A(1)],
    expect: [false, true],
  },
  {
    name: 'float32 hint compares in float32',
    fields: { amount: { type: 'float32' } },
    cond: { field: 'amount', op: 'gt', value: 0.1 },
    records: [A(0.1), A(0.2)],
    expect: [false, true],
  },

  // Categorical equality and sets (§2.4).
  {
    name: 'eq string',
    cond: { field: 'country', op: 'eq', value: 'US' },
    records: [{ country: 'US' }, { country: 'us' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'neq string: null stays false',
    cond: { field: 'country', op: 'neq', value: 'US' },
    records: [{ country: 'CA' }, { country: 'US' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'in',
    cond: { field: 'country', op: 'in', values: ['US', 'CA'] },
    records: [{ country: 'CA' }, { country: 'MX' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'not_in: null stays false',
    cond: { field: 'country', op: 'not_in', values: ['US', 'CA'] },
    records: [{ country: 'MX' }, { country: 'US' }, {}, { country: null }],
    expect: [true, false, false, false],
  },
  {
    name: 'contains_any / intersects on arrays',
    cond: { field: 'tags', op: 'contains_any', values: ['a', 'z'] },
    records: [{ tags: ['a', 'b'] }, { tags: ['b'] }, { tags: [] }, {}],
    expect: [true, false, false, false],
  },
  {
    name: 'intersects',
    cond: { field: 'tags', op: 'intersects', values: ['b'] },
    records: [{ tags: ['a', 'b'] }, { tags: ['c'] }],
    expect: [true, false],
  },
  {
    name: 'contains_all',
    cond: { field: 'tags', op: 'contains_all', values: ['a', 'b'] },
    records: [{ tags: ['a', 'b', 'c'] }, { tags: ['a'] }, {}],
    expect: [true, false, false],
  },
  {
    name: 'not_intersects',
    cond: { field: 'tags', op: 'not_intersects', values: ['a'] },
    records: [{ tags: ['b'] }, { tags: ['a', 'b'] }, {}],
    expect: [true, false, false],
  },

  // Null and empty (§2.5, choices.md: "null" is an ordinary string; "" is empty, not null).
  {
    name: 'is_null',
    cond: { field: 's', op: 'is_null' },
    records: [{}, { s: null }, { s: 'null' }, { s: '' }, { s: 'x' }],
    expect: [true, true, false, false, false],
  },
  {
    name: 'is_not_null',
    cond: { field: 's', op: 'is_not_null' },
    records: [{}, { s: null }, { s: 'None' }, { s: 'x' }],
    expect: [false, false, true, true],
  },
  {
    name: 'is_empty',
    cond: { field: 's', op: 'is_empty' },
    records: [{ s: '' }, {}, { s: 'x' }],
    expect: [true, true, false],
  },
  {
    name: 'is_not_empty',
    cond: { field: 's', op: 'is_not_empty' },
    records: [{ s: '' }, {}, { s: 'x' }],
    expect: [false, false, true],
  },

  // String ops (§2.7): byte-wise and case-sensitive; lengths in UTF-8 bytes.
  {
    name: 'contains',
    cond: { field: 's', op: 'contains', value: 'bc' },
    records: [{ s: 'abcd' }, { s: 'aBCd' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'starts_with',
    cond: { field: 's', op: 'starts_with', value: 'ab' },
    records: [{ s: 'abc' }, { s: 'cab' }],
    expect: [true, false],
  },
  {
    name: 'ends_with',
    cond: { field: 's', op: 'ends_with', value: '@x.com' },
    records: [{ s: 'a@x.com' }, { s: 'a@x.co' }],
    expect: [true, false],
  },
  {
    name: 'ci_eq folds ASCII case',
    cond: { field: 's', op: 'ci_eq', value: 'Hello' },
    records: [{ s: 'hELLO' }, { s: 'hell' }],
    expect: [true, false],
  },
  {
    name: 'length_gt counts bytes',
    cond: { field: 's', op: 'length_gt', value: 3 },
    records: [{ s: 'abcd' }, { s: 'abc' }, { s: 'éé' }],
    expect: [true, false, true],
  },
  {
    name: 'length_lt',
    cond: { field: 's', op: 'length_lt', value: 3 },
    records: [{ s: 'ab' }, { s: 'abc' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'length_eq',
    cond: { field: 's', op: 'length_eq', value: 2 },
    records: [{ s: 'é' }, { s: 'ab' }, { s: 'a' }],
    expect: [true, true, false],
  },

  // Regex (§2.8): RE2 syntax, partial match.
  {
    name: 'regex partial match',
    cond: { field: 's', op: 'regex', value: 'b+c' },
    records: [{ s: 'abbbcd' }, { s: 'ac' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'regex anchored',
    cond: { field: 's', op: 'regex', value: '^a\\d{2}$' },
    records: [{ s: 'a12' }, { s: 'a123' }],
    expect: [true, false],
  },
  {
    name: 'not_regex: null stays false',
    cond: { field: 's', op: 'not_regex', value: '^x' },
    records: [{ s: 'abc' }, { s: 'xyz' }, {}],
    expect: [true, false, false],
  },

  // IPv4 (§2.10).
  {
    name: 'ip_in_subnet',
    cond: { field: 'ip', op: 'ip_in_subnet', value: '10.0.0.0/8' },
    records: [{ ip: '10.1.2.3' }, { ip: '11.0.0.1' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'in_subnet alias, /32 without a slash',
    cond: { field: 'ip', op: 'in_subnet', value: '192.168.1.7' },
    records: [{ ip: '192.168.1.7' }, { ip: '192.168.1.8' }],
    expect: [true, false],
  },
  {
    name: 'ip_not_in_subnet: null stays false',
    cond: { field: 'ip', op: 'ip_not_in_subnet', value: '10.0.0.0/8' },
    records: [{ ip: '11.0.0.1' }, { ip: '10.9.9.9' }, {}],
    expect: [true, false, false],
  },

  // Flags (§2.9).
  {
    name: 'flags_any',
    cond: { field: 'f', op: 'flags_any', mask: 5 },
    records: [{ f: 4 }, { f: 2 }, {}],
    expect: [true, false, false],
  },
  {
    name: 'flags_all',
    cond: { field: 'f', op: 'flags_all', mask: '0x5' },
    records: [{ f: 7 }, { f: 4 }],
    expect: [true, false],
  },
  {
    name: 'flags_none: null stays false',
    cond: { field: 'f', op: 'flags_none', mask: 5 },
    records: [{ f: 2 }, { f: 1 }, {}],
    expect: [true, false, false],
  },

  // Temporal (§2.11): epoch milliseconds, UTC, 0 = Sunday.
  {
    name: 'before',
    cond: { field: 'ts', op: 'before', value: 1000 },
    records: [{ ts: 999 }, { ts: 1000 }],
    expect: [true, false],
  },
  {
    name: 'after',
    cond: { field: 'ts', op: 'after', value: 1000 },
    records: [{ ts: 1001 }, { ts: 1000 }],
    expect: [true, false],
  },
  {
    name: 'day_of_week_in (1970-01-04 was a Sunday)',
    cond: { field: 'ts', op: 'day_of_week_in', value: [0, 6] },
    records: [{ ts: 3 * DAY + HOUR }, { ts: 2 * DAY }, { ts: 0 }],
    expect: [true, true, false],
  },
  {
    name: 'time_of_day_between',
    cond: { field: 'ts', op: 'time_of_day_between', value: [9, 17] },
    records: [{ ts: 10 * HOUR }, { ts: DAY + 9 * HOUR }, { ts: 20 * HOUR }],
    expect: [true, true, false],
  },
  {
    name: 'time_of_day_between wraps past midnight',
    cond: { field: 'ts', op: 'time_of_day_between', value: [22, 2] },
    records: [{ ts: 23 * HOUR }, { ts: HOUR }, { ts: 12 * HOUR }],
    expect: [true, true, false],
  },
  {
    name: 'within_last',
    cond: { field: 'ts', op: 'within_last', value: 3600 },
    records: [{ ts: Date.now() - 60_000 }, { ts: Date.now() - 2 * HOUR }, { ts: Date.now() + HOUR }],
    expect: [true, false, true],
  },

  // Geo (§2.12): Paris–London is about 344 km.
  {
    name: 'distance_lt / distance_gt',
    cond: {
      or: [
        {
          op: 'distance_lt',
          lat_field: 'lat',
          lon_field: 'lon',
          other_lat_field: 'lat2',
          other_lon_field: 'lon2',
          value: 100,
        },
      ],
    },
    records: [
      { lat: 48.8566, lon: 2.3522, lat2: 48.86, lon2: 2.35 },
      { lat: 48.8566, lon: 2.3522, lat2: 51.5074, lon2: -0.1278 },
      { lat: 48.8566, lon: 2.3522 },
    ],
    expect: [true, false, false],
  },
  {
    name: 'distance_gt',
    cond: {
      op: 'distance_gt',
      field: 'lat',
      lat_field: 'lat',
      lon_field: 'lon',
      other_lat_field: 'lat2',
      other_lon_field: 'lon2',
      value: 300,
    },
    records: [
      { lat: 48.8566, lon: 2.3522, lat2: 51.5074, lon2: -0.1278 },
      { lat: 48.8566, lon: 2.3522, lat2: 48.86, lon2: 2.35 },
    ],
    expect: [true, false],
  },

  // Lookups (§2.13).
  {
    name: 'in_lookup',
    cond: { field: 'user', op: 'in_lookup', lookup: 'users' },
    records: [{ user: 'mallory' }, { user: 'alice' }, {}],
    expect: [true, false, false],
  },
  {
    name: 'not_in_lookup: null stays false',
    cond: { field: 'user', op: 'not_in_lookup', lookup: 'users' },
    records: [{ user: 'alice' }, { user: 'trudy' }, {}],
    expect: [true, false, false],
  },

  // Cross-field (§2.6; choices.md: eq_field compares strings).
  {
    name: 'gt_field',
    cond: { field: 'a', op: 'gt_field', other_field: 'b' },
    records: [{ a: 2, b: 1 }, { a: 1, b: 2 }, { a: 2 }],
    expect: [true, false, false],
  },
  {
    name: 'eq_field compares strings',
    cond: { field: 'a', op: 'eq_field', other_field: 'b' },
    records: [{ a: 'x', b: 'x' }, { a: 'x', b: 'y' }, { a: 'x' }],
    expect: [true, false, false],
  },
  {
    name: 'neq_field',
    cond: { field: 'a', op: 'neq_field', other_field: 'b' },
    records: [
      { a: 'x', b: 'y' },
      { a: 'x', b: 'x' },
    ],
    expect: [true, false],
  },

  // expr arithmetic (§2.14): a null operand or division by zero is false.
  {
    name: 'expr mul',
    cond: { op: 'gt', expr: { op: 'mul', left: 'price', right: 'qty' }, value: 100 },
    records: [{ price: 20, qty: 6 }, { price: 20, qty: 5 }, { price: 20 }],
    expect: [true, false, false],
  },
  {
    name: 'expr division by zero is false',
    cond: { op: 'lt', expr: { op: 'div', left: { field: 'a' }, right: { field: 'b' } }, value: 1 },
    records: [
      { a: 1, b: 2 },
      { a: 1, b: 0 },
    ],
    expect: [true, false],
  },

  // and / or / not (§2.18, choices.md).
  {
    name: 'and',
    cond: {
      and: [
        { field: 'a', op: 'gt', value: 1 },
        { field: 'b', op: 'eq', value: 'x' },
      ],
    },
    records: [
      { a: 2, b: 'x' },
      { a: 2, b: 'y' },
      { a: 0, b: 'x' },
    ],
    expect: [true, false, false],
  },
  {
    name: 'or',
    cond: {
      or: [
        { field: 'a', op: 'gt', value: 1 },
        { field: 'b', op: 'eq', value: 'x' },
      ],
    },
    records: [{ a: 0, b: 'x' }, { a: 2 }, { a: 0, b: 'y' }],
    expect: [true, true, false],
  },
  {
    name: 'not over a numeric leaf flips the operator (null stays false)',
    cond: { not: { field: 'a', op: 'gt', value: 5 } },
    records: [{ a: 3 }, { a: 6 }, {}],
    expect: [true, false, false],
  },
  {
    name: 'not over a string op is a complement (null becomes true)',
    cond: { not: { field: 's', op: 'contains', value: 'x' } },
    records: [{ s: 'abc' }, { s: 'xyz' }, {}],
    expect: [true, false, true],
  },
  {
    name: 'not over and/or is a complement',
    cond: {
      not: {
        and: [
          { field: 'a', op: 'gt', value: 1 },
          { field: 'a', op: 'lt', value: 5 },
        ],
      },
    },
    records: [{ a: 3 }, { a: 7 }, {}],
    expect: [false, true, true],
  },
  {
    name: 'not over contains_all negates it (choices.md)',
    cond: { not: { field: 'tags', op: 'contains_all', values: ['a', 'b'] } },
    records: [{ tags: ['a', 'b'] }, { tags: ['a'] }],
    expect: [false, true],
  },

  // array_any (§2.15).
  {
    name: 'array_any',
    cond: { array_any: { path: 'items', where: { field: 'price', op: 'gt', value: 10 } } },
    records: [{ items: [{ price: 5 }, { price: 20 }] }, { items: [{ price: 5 }] }, { items: [] }, { items: 'x' }, {}],
    expect: [true, false, false, false, false],
  },

  // sql: (§2.19).
  {
    name: 'sql comparison and IN',
    cond: { sql: "amount > 5 AND country IN ('US', 'CA')" },
    records: [
      { amount: 6, country: 'US' },
      { amount: 6, country: 'MX' },
      { amount: 1, country: 'US' },
    ],
    expect: [true, false, false],
  },
  {
    name: 'sql LIKE without % is contains',
    cond: { sql: "email LIKE 'bad'" },
    records: [{ email: 'a-bad-b' }, { email: 'good' }],
    expect: [true, false],
  },
  {
    name: 'sql LIKE prefix%',
    cond: { sql: "email LIKE 'adm%'" },
    records: [{ email: 'admin@x' }, { email: 'x-adm' }],
    expect: [true, false],
  },
  {
    name: 'sql IS NULL / NOT',
    cond: { sql: 'NOT (amount IS NULL) AND amount BETWEEN 1 AND 3' },
    records: [{ amount: 2 }, { amount: 4 }, {}],
    expect: [true, false, false],
  },
  {
    name: 'sql OR and <>',
    cond: { sql: "country <> 'US' OR amount >= 100" },
    records: [
      { country: 'CA', amount: 1 },
      { country: 'US', amount: 100 },
      { country: 'US', amount: 1 },
    ],
    expect: [true, true, false],
  },

  // Dotted names resolve per record (choices.md).
  {
    name: 'dotted names: literal key or nested path',
    cond: { field: 'merchant.risk.score', op: 'gt', value: 50 },
    records: [
      { 'merchant.risk.score': 60 },
      { merchant: { risk: { score: 70 } } },
      { merchant: { risk: { score: 10 } } },
      { merchant: 1 },
    ],
    expect: [true, true, false, false],
  },
]);

test('decisions: shadow rules match but do not decide; score_cap applies in rule order', (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
rules:
  - {id: shadow, shadow: true, action: block, conditions: {field: a, op: gt, value: 0}}
  - {id: capped, action: score, weight: 50, score_cap: 60, conditions: {field: a, op: gt, value: 0}}
  - {id: plus, action: score, weight: 40, conditions: {field: a, op: gt, value: 1}}
  - {id: severe, action: review, severity: critical, conditions: {field: a, op: gt, value: 2}}
  - {id: mild, action: review, severity: low, priority: 100, conditions: {field: a, op: gt, value: 2}}
`);
  const r = e.evaluateNdjsonSync('{"a":1}\n{"a":2}\n{"a":3}\n{"a":0}\n');
  t.deepEqual(r.decisions, ['SCORE', 'SCORE', 'REVIEW', 'APPROVE']);
  t.deepEqual(Array.from(r.scores), [50, 90, 90 + 40 + 10, 0]);
  t.deepEqual(r.winningRuleIds, ['capped', 'capped', 'severe', '']);
  t.deepEqual(r.riskBands, ['MEDIUM', 'HIGH', 'HIGH', 'LOW']);
  t.deepEqual(Array.from(r.matched), [1, 1, 1, 0]);
  t.deepEqual(Array.from(r.indicesForRule('shadow')), [0, 1, 2]);
  t.deepEqual(Array.from(r.indicesForRule('mild')), [2]);
});

test('decisions: custom labels outrank the precedence list; default label', (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
decisions: {default: allow, precedence: [allow, review, block]}
rules:
  - {id: bot, action: block, label: "bot block", conditions: {field: ua, op: contains, value: bot}}
  - {id: big, action: block, conditions: {field: amount, op: gt, value: 1000}}
`);
  const r = e.evaluateNdjsonSync('{"ua":"x","amount":5000}\n{"ua":"bot","amount":5000}\n{"ua":"x","amount":1}\n');
  t.deepEqual(r.decisionLabelMap, ['ALLOW', 'REVIEW', 'BLOCK', 'BOT_BLOCK']);
  t.deepEqual(r.decisions, ['BLOCK', 'BOT_BLOCK', 'ALLOW']);
  t.deepEqual(r.riskBands, ['HIGH', 'LOW', 'LOW']);
});
