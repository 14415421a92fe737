// Shared helpers for the per-record competitors (json-rules-engine, zen-engine).
import { RULE_IDS, LABELS } from './handwritten.mjs';

export { RULE_IDS, LABELS };

// Rule metadata in YAML order: label code (= rank), severity, priority, score contribution.
export const META = {
  sanctioned_merchant_country: ['BLOCK', 3, 100, 100],
  tor_exit_ip: ['BLOCK', 2, 90, 70],
  headless_browser: ['BLOCK', 2, 80, 65],
  new_account_large_amount: ['BLOCK', 2, 70, 60],
  amount_spike: ['REVIEW', 1, 50, 35],
  above_average_on_risky_merchant: ['REVIEW', 1, 45, 32],
  disposable_email: ['REVIEW', 1, 40, 28],
  high_risk_mcc: ['REVIEW', 1, 35, 22],
  risky_merchant_score: ['REVIEW', 1, 30, 30],
  repeated_auth_failures: ['REVIEW', 1, 25, 25],
  gift_card_or_crypto: ['REVIEW', 0, 20, 18],
  cross_border_ecom: ['FLAG', 1, 15, 15],
  weekend_night_high_value: ['REVIEW', 0, 15, 13],
  proxy_or_vpn: ['FLAG', 0, 10, 12],
  missing_device_fingerprint: ['FLAG', 0, 10, 10],
  test_card_bin_abroad: ['FLAG', 0, 5, 5],
  trusted_small_purchase: ['APPROVE', 0, 1, 0],
};
const RANK = { APPROVE: 0, FLAG: 1, REVIEW: 2, BLOCK: 3 };

/** BlazeRules' decision from the set of matched rule ids (YAML order). */
export function decide(matchedIds) {
  let best = -1;
  let bestRank = 0;
  let bestSev = -1;
  let bestPrio = -Infinity;
  let score = 0;
  for (let k = 0; k < RULE_IDS.length; k++) {
    if (!matchedIds.has(RULE_IDS[k])) continue;
    const [label, sev, prio, w] = META[RULE_IDS[k]];
    score += w;
    const rank = RANK[label];
    if (rank > bestRank || (rank === bestRank && (sev > bestSev || (sev === bestSev && prio > bestPrio)))) {
      best = k;
      bestRank = rank;
      bestSev = sev;
      bestPrio = prio;
    }
  }
  return { code: best < 0 ? 0 : RANK[META[RULE_IDS[best]][0]], winner: best, score };
}

/** Rules sorted the way the winner is chosen (a first-hit order). */
export function firstHitOrder() {
  return RULE_IDS.map((id, k) => ({ id, k, rank: RANK[META[id][0]], sev: META[id][1], prio: META[id][2] })).sort(
    (a, b) => b.rank - a.rank || b.sev - a.sev || b.prio - a.prio || a.k - b.k,
  );
}

/** Split an NDJSON buffer into at most `limit` parsed records (malformed lines skipped). */
export function* parsedLines(buf, limit = Infinity) {
  const text = buf.toString('utf8');
  let start = 0;
  let n = 0;
  while (start < text.length && n < limit) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end).trimEnd();
    start = end + 1;
    if (!line) continue;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      yield null;
      continue;
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      yield null;
      continue;
    }
    n++;
    yield r;
  }
}

/** Prefix of `buf` holding the first `nLines` lines. */
export function firstLines(buf, nLines) {
  let pos = 0;
  for (let i = 0; i < nLines; i++) {
    const e = buf.indexOf(10, pos);
    if (e < 0) return buf;
    pos = e + 1;
  }
  return buf.subarray(0, pos);
}
