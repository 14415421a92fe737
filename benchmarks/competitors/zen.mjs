// Competitor 4: @gorules/zen-engine (npm), rules.yaml as a JDM graph:
//   input -> expression node (one boolean per rule + the score) -> first-hit decision table
//   (rows in winner order: rank, severity, priority, YAML order) -> output.
//
// Zen expressions have no IPv4/CIDR, bitwise, day-of-week-on-epoch-ms or null-rule notions,
// so those are spelled out arithmetically (octets via split/number, bits via floor/%, the
// day via floor(ts / 86400000)) and every leaf is guarded with `x != null and ...` (a
// comparison with null is an error in zen, not false).  Score needs every rule, which a
// first-hit table cannot give, hence the expression node.  `sql:` is translated by hand.
import { createRequire } from 'node:module';
import { firstHitOrder, parsedLines, RULE_IDS, META, decide } from './common.mjs';

const require = createRequire(import.meta.url);

const q = (s) => JSON.stringify(s);
const list = (a) => `[${a.map(q).join(', ')}]`;
const ipNum = (ip) => ip.split('.').reduce((v, o) => v * 256 + Number(o), 0);
const ipRange = (c) => {
  const [ip, bits] = c.split('/');
  const size = 2 ** (32 - Number(bits));
  const lo = Math.floor(ipNum(ip) / size) * size;
  return `(ipn >= ${lo} and ipn <= ${lo + size - 1})`;
};

export const ZEN_EXPR = {
  sanctioned_merchant_country: `merchant.country != null and merchant.country in ${list(['KP', 'IR', 'SY', 'CU'])}`,
  tor_exit_ip: `ipn != null and (${ipRange('185.220.100.0/22')} or ${ipRange('171.25.193.0/24')})`,
  headless_browser: `device.ua != null and contains(device.ua, "HeadlessChrome")`,
  new_account_large_amount: `amount != null and amount > 2000 and user.age_days != null and user.age_days < 30`,
  amount_spike: `amount != null and user.avg_amt != null and user.avg_amt != 0 and amount / user.avg_amt > 8`,
  above_average_on_risky_merchant: `amount != null and user.avg_amt != null and amount > user.avg_amt and merchant.risk.score != null and merchant.risk.score >= 0.6 and amount >= 200`,
  // zen string literals keep backslashes verbatim: single quotes, one backslash
  disposable_email: `user.email != null and matches(user.email, '@(mailinator|yopmail|guerrillamail|10minutemail)\\.(com|net)$')`,
  high_risk_mcc: `merchant.mcc != null and merchant.mcc in ${list(['7995', '5967', '4829', '6051'])} and amount != null and amount >= 250`,
  risky_merchant_score: `merchant.risk.score != null and (merchant.risk.score >= 0.92 or (merchant.risk.score >= 0.75 and amount != null and amount >= 1000 and amount <= 25000))`,
  repeated_auth_failures: `auth_fail != null and len(auth_fail) > 1`,
  gift_card_or_crypto: `tags != null and some(tags, # in ${list(['gift_card', 'crypto'])})`,
  cross_border_ecom: `channel == "ecom" and card.country != null and not (card.country in ${list(['US', 'GB', 'DE', 'FR', 'CA'])}) and amount != null and amount >= 300 and amount <= 5000`,
  weekend_night_high_value: `ts != null and amount != null and amount >= 500 and ((floor(ts / 86400000) + 4) % 7 == 0 or (floor(ts / 86400000) + 4) % 7 == 6) and (ts - floor(ts / 86400000) * 86400000) / 3600000 >= 1 and (ts - floor(ts / 86400000) * 86400000) / 3600000 <= 5`,
  proxy_or_vpn: `flags != null and floor(flags / 8) % 4 != 0`,
  missing_device_fingerprint: `device.fingerprint == null and channel == "ecom"`,
  test_card_bin_abroad: `card.bin != null and startsWith(card.bin, "4000") and merchant.country != null and merchant.country != "US"`,
  trusted_small_purchase: `merchant.risk.score != null and merchant.risk.score < 0.05 and amount != null and amount >= 1 and amount <= 50 and not (card.type == "prepaid" or device.fingerprint == null)`,
};

export function buildGraph() {
  const ipExpr = `device.ip != null ? ((number(split(device.ip, ".")[0]) * 256 + number(split(device.ip, ".")[1])) * 256 + number(split(device.ip, ".")[2])) * 256 + number(split(device.ip, ".")[3]) : null`;
  const expressions = [{ id: 'ipn', key: 'ipn', value: ipExpr }];
  // the expression node sees the record; `ipn` is referenced as `$.ipn`
  for (const id of RULE_IDS)
    expressions.push({ id: `r_${id}`, key: `r_${id}`, value: ZEN_EXPR[id].replace(/\bipn\b/g, '$.ipn') });
  expressions.push({
    id: 'score',
    key: 'score',
    value: RULE_IDS.map((id) => `($.r_${id} ? ${META[id][3]} : 0)`).join(' + '),
  });
  const rows = firstHitOrder().map((r) => ({
    _id: r.id,
    hit: `r_${r.id} == true`,
    decision: q(META[r.id][0]),
    rule: q(r.id),
  }));
  rows.push({ _id: 'default', hit: '', decision: q('APPROVE'), rule: q('') });
  return {
    contentType: 'application/vnd.gorules.decision',
    nodes: [
      { id: 'in', type: 'inputNode', name: 'request', position: { x: 0, y: 0 }, content: { schema: '' } },
      {
        id: 'rules',
        type: 'expressionNode',
        name: 'rules',
        position: { x: 200, y: 0 },
        content: { expressions, passThrough: false, inputField: null, outputPath: null, executionMode: 'single' },
      },
      {
        id: 'table',
        type: 'decisionTableNode',
        name: 'winner',
        position: { x: 400, y: 0 },
        content: {
          hitPolicy: 'first',
          inputs: [{ id: 'hit', name: 'hit', field: '' }],
          outputs: [
            { id: 'decision', name: 'decision', field: 'decision' },
            { id: 'rule', name: 'rule', field: 'rule' },
          ],
          rules: rows,
          passThrough: true,
          inputField: null,
          outputPath: null,
          executionMode: 'single',
        },
      },
      { id: 'out', type: 'outputNode', name: 'response', position: { x: 600, y: 0 }, content: { schema: '' } },
    ],
    edges: [
      { id: 'e1', sourceId: 'in', targetId: 'rules', type: 'edge' },
      { id: 'e2', sourceId: 'rules', targetId: 'table', type: 'edge' },
      { id: 'e3', sourceId: 'table', targetId: 'out', type: 'edge' },
    ],
  };
}

export function createDecision() {
  const { ZenEngine } = require('@gorules/zen-engine');
  const engine = new ZenEngine();
  return { engine, decision: engine.createDecision(buildGraph()) };
}

const LABEL_CODE = { APPROVE: 0, FLAG: 1, REVIEW: 2, BLOCK: 3 };
const RULE_INDEX = Object.fromEntries(RULE_IDS.map((id, k) => [id, k]));

/**
 * Evaluate up to `limit` records of `buf`, one decision.evaluate per record.  zen evaluates on
 * its own threads, so `concurrency` evaluations are kept in flight (results stay in order).
 */
export async function evaluate(decision, buf, limit = Infinity, { crossCheck = false, concurrency = 8 } = {}) {
  const codes = [];
  const scores = [];
  const winners = [];
  const matchCounts = Object.fromEntries(RULE_IDS.map((id) => [id, 0]));
  let skipped = 0;
  let inconsistent = 0;
  const records = [];
  for (const r of parsedLines(buf, limit)) {
    if (r === null) skipped++;
    else records.push(r);
  }
  const outputs = new Array(records.length);
  let next = 0;
  const worker = async () => {
    while (next < records.length) {
      const i = next++;
      outputs[i] = (await decision.evaluate(records[i])).result;
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, concurrency) }, worker));
  for (const result of outputs) {
    const ids = new Set();
    for (const id of RULE_IDS) {
      if (result[`r_${id}`] === true) {
        ids.add(id);
        matchCounts[id]++;
      }
    }
    codes.push(LABEL_CODE[result.decision]);
    scores.push(result.score);
    winners.push(result.rule ? RULE_INDEX[result.rule] : -1);
    if (crossCheck) {
      const d = decide(ids);
      if (d.code !== LABEL_CODE[result.decision] || d.score !== result.score) inconsistent++;
    }
  }
  return {
    nRecords: codes.length,
    messagesSkipped: skipped,
    decisionCodes: Int32Array.from(codes),
    scores: Float64Array.from(scores),
    winners: Int16Array.from(winners),
    matchCounts,
    inconsistent,
  };
}
