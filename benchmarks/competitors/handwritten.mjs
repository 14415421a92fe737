// Competitor 2: benchmarks/rules.yaml written by hand in plain JavaScript over JSON.parse of
// each line.  Same semantics as the engine (rules-reference.md + choices.md):
//  - a leaf on a missing/null value is false (negative operators included);
//  - `not` over a leaf flips the operator (null stays false), over and/or it is a complement;
//  - score = sum of weights (weight 0 and action != approve -> (severity+1)*10), no caps here;
//  - winner: highest rank (BLOCK 3 > REVIEW 2 > FLAG 1 > APPROVE 0, from the precedence list),
//    then severity, then priority, earliest rule on ties; risk band from label and score.
// Timed end to end: Buffer in -> typed arrays out, like the engine's BatchResult.

export const RULE_IDS = [
  'sanctioned_merchant_country',
  'tor_exit_ip',
  'headless_browser',
  'new_account_large_amount',
  'amount_spike',
  'above_average_on_risky_merchant',
  'disposable_email',
  'high_risk_mcc',
  'risky_merchant_score',
  'repeated_auth_failures',
  'gift_card_or_crypto',
  'cross_border_ecom',
  'weekend_night_high_value',
  'proxy_or_vpn',
  'missing_device_fingerprint',
  'test_card_bin_abroad',
  'trusted_small_purchase',
];
// the fields each rule reads (for the cross-check's explanations)
export const RULE_FIELDS = {
  sanctioned_merchant_country: ['merchant.country'],
  tor_exit_ip: ['device.ip'],
  headless_browser: ['device.ua'],
  new_account_large_amount: ['amount', 'user.age_days'],
  amount_spike: ['amount', 'user.avg_amt'],
  above_average_on_risky_merchant: ['amount', 'user.avg_amt', 'merchant.risk.score'],
  disposable_email: ['user.email'],
  high_risk_mcc: ['merchant.mcc', 'amount'],
  risky_merchant_score: ['merchant.risk.score', 'amount'],
  repeated_auth_failures: ['auth_fail'],
  gift_card_or_crypto: ['tags'],
  cross_border_ecom: ['channel', 'card.country', 'amount'],
  weekend_night_high_value: ['ts', 'amount'],
  proxy_or_vpn: ['flags'],
  missing_device_fingerprint: ['device.fingerprint', 'channel'],
  test_card_bin_abroad: ['card.bin', 'merchant.country'],
  trusted_small_purchase: ['merchant.risk.score', 'amount', 'card.type', 'device.fingerprint'],
};
// code 0 = default label, then the precedence list (as the engine numbers them)
export const LABELS = ['APPROVE', 'FLAG', 'REVIEW', 'BLOCK'];
const L = { APPROVE: 0, FLAG: 1, REVIEW: 2, BLOCK: 3 };
const SEV = { LOW: 0, MEDIUM: 1, HIGH: 2, CRITICAL: 3 };
// per rule: label code (= rank here), severity, priority, score contribution
const META = [
  [L.BLOCK, SEV.CRITICAL, 100, 100], // sanctioned_merchant_country
  [L.BLOCK, SEV.HIGH, 90, 70], // tor_exit_ip
  [L.BLOCK, SEV.HIGH, 80, 65], // headless_browser
  [L.BLOCK, SEV.HIGH, 70, 60], // new_account_large_amount
  [L.REVIEW, SEV.MEDIUM, 50, 35], // amount_spike
  [L.REVIEW, SEV.MEDIUM, 45, 32], // above_average_on_risky_merchant
  [L.REVIEW, SEV.MEDIUM, 40, 28], // disposable_email
  [L.REVIEW, SEV.MEDIUM, 35, 22], // high_risk_mcc
  [L.REVIEW, SEV.MEDIUM, 30, 30], // risky_merchant_score
  [L.REVIEW, SEV.MEDIUM, 25, 25], // repeated_auth_failures
  [L.REVIEW, SEV.LOW, 20, 18], // gift_card_or_crypto
  [L.FLAG, SEV.MEDIUM, 15, 15], // cross_border_ecom
  [L.REVIEW, SEV.LOW, 15, 13], // weekend_night_high_value
  [L.FLAG, SEV.LOW, 10, 12], // proxy_or_vpn
  [L.FLAG, SEV.LOW, 10, 10], // missing_device_fingerprint
  [L.FLAG, SEV.LOW, 5, 5], // test_card_bin_abroad
  [L.APPROVE, SEV.LOW, 1, 0], // trusted_small_purchase: approve, weight 0 -> contributes 0
];
export const N_RULES = RULE_IDS.length;

const isNum = (v) => typeof v === 'number';
// Categorical ops (in / not_in / eq / neq on strings, contains_any) read a JSON number or
// boolean as its text, as BlazeRules' closed categorical columns do: integers as "7995",
// other numbers with six decimals, booleans as "true" / "false".  Anything else is absent.
const catText = (v) =>
  typeof v === 'string'
    ? v
    : typeof v === 'number'
      ? Number.isInteger(v)
        ? String(v)
        : v.toFixed(6)
      : typeof v === 'boolean'
        ? String(v)
        : undefined;
const isStr = (v) => typeof v === 'string';
const SANCTIONED = new Set(['KP', 'IR', 'SY', 'CU']);
const RISKY_MCC = new Set(['7995', '5967', '4829', '6051']);
const HOME = new Set(['US', 'GB', 'DE', 'FR', 'CA']);
const DISPOSABLE = /@(mailinator|yopmail|guerrillamail|10minutemail)\.(com|net)$/;

// IPv4 as the engine reads it: four dot-separated decimal parts, anything else = 0.0.0.0
function ipv4(s) {
  let v = 0;
  let part = 0;
  let digits = 0;
  let dots = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 46) {
      if (digits === 0) return 0;
      v = v * 256 + part;
      part = 0;
      digits = 0;
      if (++dots > 3) return 0;
    } else if (c >= 48 && c <= 57) {
      part = part * 10 + (c - 48);
      digits++;
    } else return 0;
  }
  if (dots !== 3 || digits === 0) return 0;
  return (v * 256 + part) >>> 0;
}
const inSubnet = (ip, net, bits) => {
  const mask = bits === 0 ? 0 : (0xffffffff << (32 - bits)) >>> 0;
  return (ip & mask) >>> 0 === net;
};
const NET1 = ipv4('185.220.100.0');
const NET2 = ipv4('171.25.193.0');

/** Evaluate one parsed record: fills `hits` (Uint8Array(N_RULES)); returns nothing. */
export function matchRules(r, hits) {
  const card = r.card;
  const m = r.merchant;
  const dev = r.device;
  const user = r.user;
  const amount = r.amount;
  const mcountry = m != null ? catText(m.country) : undefined;
  const score = m != null && m.risk != null ? m.risk.score : undefined;
  const ip = dev != null ? dev.ip : undefined;
  const fp = dev != null ? dev.fingerprint : undefined;
  const avg = user != null ? user.avg_amt : undefined;
  const amt = isNum(amount);
  const sc = isNum(score);
  const ts = r.ts;
  // 1 sanctioned_merchant_country
  hits[0] = mcountry !== undefined && SANCTIONED.has(mcountry) ? 1 : 0;
  // 2 tor_exit_ip
  if (isStr(ip)) {
    const v = ipv4(ip);
    hits[1] = inSubnet(v, NET1, 22) || inSubnet(v, NET2, 24) ? 1 : 0;
  } else hits[1] = 0;
  // 3 headless_browser
  const ua = dev != null ? dev.ua : undefined;
  hits[2] = isStr(ua) && ua.includes('HeadlessChrome') ? 1 : 0;
  // 4 new_account_large_amount
  const age = user != null ? user.age_days : undefined;
  hits[3] = amt && amount > 2000 && isNum(age) && age < 30 ? 1 : 0;
  // 5 amount_spike: amount / avg > 8, division by zero -> false
  hits[4] = amt && isNum(avg) && avg !== 0 && amount / avg > 8 ? 1 : 0;
  // 6 above_average_on_risky_merchant
  hits[5] = amt && isNum(avg) && amount > avg && sc && score >= 0.6 && amount >= 200 ? 1 : 0;
  // 7 disposable_email
  const email = user != null ? user.email : undefined;
  hits[6] = isStr(email) && DISPOSABLE.test(email) ? 1 : 0;
  // 8 high_risk_mcc
  const mcc = m != null ? catText(m.mcc) : undefined;
  hits[7] = mcc !== undefined && RISKY_MCC.has(mcc) && amt && amount >= 250 ? 1 : 0;
  // 9 risky_merchant_score
  hits[8] = sc && (score >= 0.92 || (score >= 0.75 && amt && amount >= 1000 && amount <= 25000)) ? 1 : 0;
  // 10 repeated_auth_failures
  const af = r.auth_fail;
  hits[9] = Array.isArray(af) ? (af.length > 1 ? 1 : 0) : isStr(af) && Buffer.byteLength(af) > 1 ? 1 : 0;
  // 11 gift_card_or_crypto
  const tags = r.tags;
  let gc = 0;
  if (Array.isArray(tags)) {
    for (let i = 0; i < tags.length; i++) {
      const t = catText(tags[i]);
      if (t === 'gift_card' || t === 'crypto') {
        gc = 1;
        break;
      }
    }
  } else if (tags === 'gift_card' || tags === 'crypto') gc = 1;
  hits[10] = gc;
  // 12 cross_border_ecom (sql)
  const ch = catText(r.channel);
  const cc = card != null ? catText(card.country) : undefined;
  hits[11] = ch === 'ecom' && cc !== undefined && !HOME.has(cc) && amt && amount >= 300 && amount <= 5000 ? 1 : 0;
  // 13 weekend_night_high_value
  let wn = 0;
  if (isNum(ts) && amt && amount >= 500) {
    const day = Math.floor(ts / 86400000);
    const dow = (((day + 4) % 7) + 7) % 7;
    if (dow === 0 || dow === 6) {
      const h = (ts - day * 86400000) / 3600000;
      wn = h >= 1 && h <= 5 ? 1 : 0;
    }
  }
  hits[12] = wn;
  // 14 proxy_or_vpn
  const flags = r.flags;
  hits[13] = isNum(flags) && (Math.trunc(flags) & 0x18) !== 0 ? 1 : 0;
  // 15 missing_device_fingerprint
  hits[14] = (fp === undefined || fp === null) && ch === 'ecom' ? 1 : 0;
  // 16 test_card_bin_abroad: not(eq US) flips to neq (null stays false)
  const bin = card != null ? card.bin : undefined;
  hits[15] = isStr(bin) && bin.startsWith('4000') && mcountry !== undefined && mcountry !== 'US' ? 1 : 0;
  // 17 trusted_small_purchase: not over `or` is a plain complement
  const ctype = card != null ? catText(card.type) : undefined;
  const prepaidOrNoFp = ctype === 'prepaid' || fp === undefined || fp === null;
  hits[16] = sc && score < 0.05 && amt && amount >= 1 && amount <= 50 && !prepaidOrNoFp ? 1 : 0;
}

/** Decision from the rules that matched: { code, score, winner (-1 = none), band (0 LOW 1 MEDIUM 2 HIGH), matched }. */
export function decideHits(hits) {
  let score = 0;
  let best = -1;
  let bestRank = 0; // default label APPROVE, rank 0
  let bestSev = -1;
  let bestPrio = -Infinity;
  let any = 0;
  for (let k = 0; k < N_RULES; k++) {
    if (!hits[k]) continue;
    any = 1;
    const meta = META[k];
    score += meta[3];
    const rank = meta[0];
    const sev = meta[1];
    const prio = meta[2];
    if (rank > bestRank || (rank === bestRank && (sev > bestSev || (sev === bestSev && prio > bestPrio)))) {
      best = k;
      bestRank = rank;
      bestSev = sev;
      bestPrio = prio;
    }
  }
  const code = best < 0 ? 0 : META[best][0];
  return {
    code,
    score,
    winner: best,
    band: code === L.BLOCK || score >= 80 ? 2 : code === L.REVIEW || score >= 40 ? 1 : 0,
    matched: any,
  };
}

/** Buffer in -> { nRecords, messagesSkipped, decisionCodes, scores, winners, riskBands, matched, matchCounts, skippedLines }. */
export function evaluateNdjson(buf, { keepSkippedLines = false } = {}) {
  const text = typeof buf === 'string' ? buf : buf.toString('utf8');
  const lines = text.split('\n');
  const n = lines.length;
  const codes = new Int32Array(n);
  const scores = new Float64Array(n);
  const winners = new Int16Array(n);
  const bands = new Uint8Array(n); // 0 LOW 1 MEDIUM 2 HIGH
  const matched = new Uint8Array(n);
  const counts = new Uint32Array(N_RULES);
  const hits = new Uint8Array(N_RULES);
  const skippedLines = keepSkippedLines ? [] : null;
  let rows = 0;
  let skipped = 0;
  let nonEmpty = 0;
  for (let li = 0; li < n; li++) {
    let line = lines[li];
    if (line.length === 0) continue;
    if (
      line.charCodeAt(line.length - 1) === 13 ||
      line.charCodeAt(line.length - 1) === 32 ||
      line.charCodeAt(line.length - 1) === 9
    ) {
      line = line.trimEnd();
      if (line.length === 0) continue;
    }
    nonEmpty++;
    let r;
    try {
      r = JSON.parse(line);
    } catch {
      skipped++;
      if (skippedLines) skippedLines.push(nonEmpty - 1);
      continue;
    }
    if (r === null || typeof r !== 'object' || Array.isArray(r)) {
      skipped++;
      if (skippedLines) skippedLines.push(nonEmpty - 1);
      continue;
    }
    matchRules(r, hits);
    const d = decideHits(hits);
    for (let k = 0; k < N_RULES; k++) counts[k] += hits[k];
    codes[rows] = d.code;
    scores[rows] = d.score;
    winners[rows] = d.winner;
    bands[rows] = d.band;
    matched[rows] = d.matched;
    rows++;
  }
  const matchCounts = {};
  for (let k = 0; k < N_RULES; k++) matchCounts[RULE_IDS[k]] = counts[k];
  return {
    nRecords: rows,
    messagesSkipped: skipped,
    messagesProcessed: rows + skipped,
    decisionCodes: codes.subarray(0, rows),
    scores: scores.subarray(0, rows),
    winners: winners.subarray(0, rows),
    riskBands: bands.subarray(0, rows),
    matched: matched.subarray(0, rows),
    matchCounts,
    skippedLines,
  };
}
