// Competitor 3: json-rules-engine (npm) with benchmarks/rules.yaml translated to its format.
//
// What json-rules-engine expresses natively here: all/any/not, equal, in, lessThan,
// greaterThan(Inclusive), fact-to-fact comparison ({ fact, path } as the value: gt_field),
// `someFact:in` (contains_any over an array), `$.length` paths (array_len_gt).
// What needs custom code (engine.addOperator / addFact), because it has no such operator:
// regex, substring contains / starts_with on strings, IPv4 CIDR, bit flags, day-of-week and
// time-of-day on epoch ms, arithmetic (`expr`: a computed fact), is_null, and the null rule
// for negative operators (its notEqual / notIn are true for a missing fact; BlazeRules says
// false).  `sql:` has no equivalent: it is translated by hand into all/any.  Score, risk band
// and the winning rule are not a json-rules-engine concept: each rule's event carries its
// metadata and the decision is computed in JS from the events (common.mjs `decide`).
import { createRequire } from 'node:module';
import { decide, parsedLines, RULE_IDS, META } from './common.mjs';

const require = createRequire(import.meta.url);

function ipv4(s) {
  const p = s.split('.');
  if (p.length !== 4 || p.some((x) => !/^[0-9]+$/.test(x))) return 0;
  return (((+p[0] * 256 + +p[1]) * 256 + +p[2]) * 256 + +p[3]) >>> 0;
}
function cidr(c) {
  const [ip, bits] = c.split('/');
  const b = Number(bits);
  const mask = b === 0 ? 0 : (0xffffffff << (32 - b)) >>> 0;
  return [(ipv4(ip) & mask) >>> 0, mask];
}

// Simple dotted-path resolver ('$.a.b'), json-rules-engine's documented `pathResolver`
// option; much faster than its default JSONPath-plus and equivalent for these paths.
function pathResolver(value, path) {
  let v = value;
  const parts = path.replace(/^\$\.?/, '').split('.');
  for (const p of parts) {
    if (p === '') continue;
    if (v === null || v === undefined) return undefined;
    v = v[p];
  }
  return v;
}

const f = (fact, path, operator, value) => ({ fact, ...(path ? { path: `$.${path}` } : {}), operator, value });

export const JRE_RULES = {
  sanctioned_merchant_country: { all: [f('merchant', 'country', 'in', ['KP', 'IR', 'SY', 'CU'])] },
  tor_exit_ip: {
    any: [f('device', 'ip', 'ipInSubnet', '185.220.100.0/22'), f('device', 'ip', 'ipInSubnet', '171.25.193.0/24')],
  },
  headless_browser: { all: [f('device', 'ua', 'strContains', 'HeadlessChrome')] },
  new_account_large_amount: { all: [f('amount', null, 'greaterThan', 2000), f('user', 'age_days', 'lessThan', 30)] },
  amount_spike: { all: [{ fact: 'amountOverAvg', operator: 'greaterThan', value: 8 }] },
  above_average_on_risky_merchant: {
    all: [
      f('amount', null, 'greaterThan', { fact: 'user', path: '$.avg_amt' }),
      f('merchant', 'risk.score', 'greaterThanInclusive', 0.6),
      f('amount', null, 'greaterThanInclusive', 200),
    ],
  },
  disposable_email: {
    all: [f('user', 'email', 'regex', '@(mailinator|yopmail|guerrillamail|10minutemail)\\.(com|net)$')],
  },
  high_risk_mcc: {
    all: [f('merchant', 'mcc', 'in', ['7995', '5967', '4829', '6051']), f('amount', null, 'greaterThanInclusive', 250)],
  },
  risky_merchant_score: {
    any: [
      f('merchant', 'risk.score', 'greaterThanInclusive', 0.92),
      {
        all: [
          f('merchant', 'risk.score', 'greaterThanInclusive', 0.75),
          f('amount', null, 'greaterThanInclusive', 1000),
          f('amount', null, 'lessThanInclusive', 25000),
        ],
      },
    ],
  },
  repeated_auth_failures: { all: [f('auth_fail', 'length', 'greaterThan', 1)] },
  gift_card_or_crypto: { all: [f('tags', null, 'someFact:in', ['gift_card', 'crypto'])] },
  // sql: channel = 'ecom' AND card.country NOT IN (...) AND amount BETWEEN 300 AND 5000
  cross_border_ecom: {
    all: [
      f('channel', null, 'equal', 'ecom'),
      f('card', 'country', 'notInPresent', ['US', 'GB', 'DE', 'FR', 'CA']),
      f('amount', null, 'greaterThanInclusive', 300),
      f('amount', null, 'lessThanInclusive', 5000),
    ],
  },
  weekend_night_high_value: {
    all: [
      f('ts', null, 'dayOfWeekIn', [0, 6]),
      f('ts', null, 'timeOfDayBetween', [1, 5]),
      f('amount', null, 'greaterThanInclusive', 500),
    ],
  },
  proxy_or_vpn: { all: [f('flags', null, 'flagsAny', 0x18)] },
  missing_device_fingerprint: {
    all: [f('device', 'fingerprint', 'isNull', true), f('channel', null, 'equal', 'ecom')],
  },
  test_card_bin_abroad: { all: [f('card', 'bin', 'startsWith', '4000'), f('merchant', 'country', 'neqPresent', 'US')] },
  trusted_small_purchase: {
    all: [
      f('merchant', 'risk.score', 'lessThan', 0.05),
      f('amount', null, 'greaterThanInclusive', 1),
      f('amount', null, 'lessThanInclusive', 50),
      { not: { any: [f('card', 'type', 'in', ['prepaid']), f('device', 'fingerprint', 'isNull', true)] } },
    ],
  },
};

export function createEngine() {
  const { Engine } = require('json-rules-engine');
  const engine = new Engine([], { allowUndefinedFacts: true, pathResolver });
  const isStr = (v) => typeof v === 'string';
  const isNum = (v) => typeof v === 'number';
  const cidrCache = new Map();
  engine.addOperator('ipInSubnet', (a, b) => {
    if (!isStr(a)) return false;
    let c = cidrCache.get(b);
    if (!c) {
      c = cidr(b);
      cidrCache.set(b, c);
    }
    return (ipv4(a) & c[1]) >>> 0 === c[0];
  });
  engine.addOperator('strContains', (a, b) => isStr(a) && a.includes(b));
  engine.addOperator('startsWith', (a, b) => isStr(a) && a.startsWith(b));
  const reCache = new Map();
  engine.addOperator('regex', (a, b) => {
    if (!isStr(a)) return false;
    let re = reCache.get(b);
    if (!re) {
      re = new RegExp(b);
      reCache.set(b, re);
    }
    return re.test(a);
  });
  engine.addOperator('isNull', (a, b) => (a === null || a === undefined) === b);
  engine.addOperator('neqPresent', (a, b) => a !== null && a !== undefined && a !== b);
  engine.addOperator('notInPresent', (a, b) => a !== null && a !== undefined && !b.includes(a));
  engine.addOperator('flagsAny', (a, b) => isNum(a) && (Math.trunc(a) & b) !== 0);
  engine.addOperator('dayOfWeekIn', (a, b) => {
    if (!isNum(a)) return false;
    const dow = (((Math.floor(a / 86400000) + 4) % 7) + 7) % 7;
    return b.includes(dow);
  });
  engine.addOperator('timeOfDayBetween', (a, [lo, hi]) => {
    if (!isNum(a)) return false;
    const h = (a - Math.floor(a / 86400000) * 86400000) / 3600000;
    return lo <= hi ? h >= lo && h <= hi : h >= lo || h <= hi;
  });
  // expr: amount / user.avg_amt (null or division by zero -> no value -> false)
  engine.addFact('amountOverAvg', async (_params, almanac) => {
    const amount = await almanac.factValue('amount');
    const user = await almanac.factValue('user');
    const avg = user ? user.avg_amt : undefined;
    if (!isNum(amount) || !isNum(avg) || avg === 0) return undefined;
    return amount / avg;
  });
  RULE_IDS.forEach((id, k) => {
    const [label, sev, prio, w] = META[id];
    engine.addRule({
      name: id,
      priority: 1,
      conditions: JRE_RULES[id],
      event: { type: id, params: { label, sev, prio, w, k } },
    });
  });
  return engine;
}

/** Evaluate up to `limit` records of `buf`, one engine.run per record. */
export async function evaluate(engine, buf, limit = Infinity) {
  const codes = [];
  const scores = [];
  const winners = [];
  const matchCounts = Object.fromEntries(RULE_IDS.map((id) => [id, 0]));
  let skipped = 0;
  for (const r of parsedLines(buf, limit)) {
    if (r === null) {
      skipped++;
      continue;
    }
    const { events } = await engine.run(r);
    const ids = new Set();
    for (const e of events) {
      ids.add(e.type);
      matchCounts[e.type]++;
    }
    const d = decide(ids);
    codes.push(d.code);
    scores.push(d.score);
    winners.push(d.winner);
  }
  return {
    nRecords: codes.length,
    messagesSkipped: skipped,
    decisionCodes: Int32Array.from(codes),
    scores: Float64Array.from(scores),
    winners: Int16Array.from(winners),
    matchCounts,
  };
}
