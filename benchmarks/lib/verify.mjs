// The engines' results in one shape, and record-by-record comparison of two engines, with each
// difference explained by the rule that causes it (toggled in the hand-written evaluation).
import fs from 'node:fs';

const BANDS = ['LOW', 'MEDIUM', 'HIGH'];
export function normBlaze(r) {
  const labels = r.decisionLabelMap;
  const skipped = new Set(
    (r.errorSamples || []).filter((s) => s.code !== 'FIELD_TYPE_COERCION_FAILED').map((s) => s.rowIndex),
  );
  return {
    nRecords: r.nRecords,
    messagesSkipped: r.messagesSkipped,
    label: (i) => labels[r.decisionCodes[i]],
    score: (i) => r.scores[i],
    winner: (i) => r.winningRuleIds[i],
    band: (i) => r.riskBands[i],
    skipped,
    alignable: skipped.size === r.messagesSkipped,
    matchCounts: { ...r.matchCounts },
  };
}
export function normHand(r, H) {
  return {
    nRecords: r.nRecords,
    messagesSkipped: r.messagesSkipped,
    label: (i) => H.LABELS[r.decisionCodes[i]],
    score: (i) => r.scores[i],
    winner: (i) => (r.winners[i] < 0 ? '' : H.RULE_IDS[r.winners[i]]),
    band: (i) => BANDS[r.riskBands[i]],
    skipped: new Set(r.skippedLines),
    alignable: true,
    matchCounts: { ...r.matchCounts },
  };
}
export function normPython(summary, prefix) {
  const codes = new Int32Array(fs.readFileSync(`${prefix}.codes`).buffer.slice(0));
  const scores = new Float64Array(fs.readFileSync(`${prefix}.scores`).buffer.slice(0));
  const j = JSON.parse(fs.readFileSync(`${prefix}.json`, 'utf8'));
  const skipped = new Set(j.skippedRows);
  return {
    nRecords: summary.nRecords,
    messagesSkipped: summary.messagesSkipped,
    label: (i) => j.labels[codes[i]],
    score: (i) => scores[i],
    winner: (i) => j.winningRuleIds[i],
    band: (i) => j.riskBands[i],
    skipped,
    alignable: skipped.size === summary.messagesSkipped,
    matchCounts: summary.matchCounts,
    typeErrors: j.typeErrors,
  };
}
export function normPerRecord(r, H) {
  // json-rules-engine / zen results: records in order, malformed lines not represented
  return {
    nRecords: r.nRecords,
    label: (i) => H.LABELS[r.decisionCodes[i]],
    score: (i) => r.scores[i],
    winner: (i) => (r.winners[i] < 0 ? '' : H.RULE_IDS[r.winners[i]]),
    matchCounts: r.matchCounts,
  };
}

/** Compare two engines record by record over the non-empty lines `lines`. */
export function compareEngines(nameA, A, nameB, B, lines, H, { maxExamples = 2 } = {}) {
  const out = {
    pair: `${nameA} vs ${nameB}`,
    nA: A.nRecords,
    nB: B.nRecords,
    skippedA: A.messagesSkipped,
    skippedB: B.messagesSkipped,
    ruleCountDiffs: [],
    kinds: {},
    explained: {},
    examples: [],
    aligned: false,
  };
  for (const id of new Set([...Object.keys(A.matchCounts), ...Object.keys(B.matchCounts)])) {
    const a = A.matchCounts[id] ?? 0;
    const b = B.matchCounts[id] ?? 0;
    if (a !== b) out.ruleCountDiffs.push({ rule: id, [nameA]: a, [nameB]: b });
  }
  const preferred = new Set(out.ruleCountDiffs.map((d) => d.rule));
  if (!A.alignable || !B.alignable) {
    out.note = 'skipped-row indices unavailable for one side; compared counts only';
    return out;
  }
  out.aligned = true;
  let ia = 0;
  let ib = 0;
  const hits = new Uint8Array(H.N_RULES);
  const bump = (k, ex) => {
    out.kinds[k] = (out.kinds[k] || 0) + 1;
    // keep a few examples of each kind of difference and each explanation
    if (out.examples.filter((e) => e.kind === k && e.explainedBy === ex.explainedBy).length < maxExamples)
      out.examples.push({ kind: k, ...ex });
  };
  for (let li = 0; li < lines.length; li++) {
    const sa = A.skipped.has(li);
    const sb = B.skipped.has(li);
    const ra = sa ? -1 : ia++;
    const rb = sb ? -1 : ib++;
    if (sa !== sb) {
      bump('skipped by one engine only', {
        line: li,
        text: lines[li].slice(0, 600),
        [nameA]: sa ? 'skipped' : `${A.label(ra)} score ${A.score(ra)}`,
        [nameB]: sb ? 'skipped' : `${B.label(rb)} score ${B.score(rb)}`,
      });
      continue;
    }
    if (sa) continue;
    const la = A.label(ra);
    const lb = B.label(rb);
    const wa = A.winner(ra);
    const wb = B.winner(rb);
    const sca = A.score(ra);
    const scb = B.score(rb);
    const bandA = A.band(ra);
    const bandB = B.band(rb);
    const kinds = [];
    if (la !== lb) kinds.push('decision');
    if (Math.abs(sca - scb) > 1e-9) kinds.push('score');
    if (wa !== wb) kinds.push('winning rule');
    if (bandA !== bandB) kinds.push('risk band');
    if (!kinds.length) continue;
    let fired = '';
    let explained = '';
    try {
      const rec = JSON.parse(lines[li]);
      H.matchRules(rec, hits);
      fired = H.RULE_IDS.filter((_, k) => hits[k]).join(',');
      explained = attribute(
        hits,
        H,
        { label: la, score: sca, winner: wa, band: bandA },
        { label: lb, score: scb, winner: wb, band: bandB },
        preferred,
      );
      if (explained) explained += ` [${unusualValues(rec, explained, H) || 'ordinary values'}]`;
    } catch {}
    if (explained) out.explained[explained] = (out.explained[explained] || 0) + 1;
    bump(kinds.join('+'), {
      line: li,
      text: lines[li].slice(0, 600),
      [nameA]: `${la} ${sca} ${bandA} ${wa || '""'}`,
      [nameB]: `${lb} ${scb} ${bandB} ${wb || '""'}`,
      handJsRulesFired: fired,
      explainedBy: explained || undefined,
    });
  }
  return out;
}
// The unusual values (missing, null, wrong JSON type, "" or null-like strings, odd IPs) among
// the fields read by the rules named in an explanation: the likely cause of a difference.
const NUMERIC_FIELDS = new Set(['amount', 'user.age_days', 'user.avg_amt', 'merchant.risk.score', 'ts', 'flags']);
const ARRAY_FIELDS = new Set(['tags', 'auth_fail']);
function unusualValues(rec, explanation, H) {
  const out = [];
  const seen = new Set();
  for (const id of H.RULE_IDS) {
    if (!explanation.includes(id)) continue;
    for (const f of H.RULE_FIELDS[id]) {
      if (seen.has(f)) continue;
      seen.add(f);
      let v = rec;
      for (const k of f.split('.')) v = v !== null && typeof v === 'object' && !Array.isArray(v) ? v[k] : undefined;
      let odd;
      if (v === undefined) odd = 'missing';
      else if (v === null) odd = 'null';
      else if (NUMERIC_FIELDS.has(f)) odd = typeof v === 'number' ? '' : JSON.stringify(v);
      else if (ARRAY_FIELDS.has(f))
        odd = Array.isArray(v) && v.every((x) => typeof x === 'string') ? '' : JSON.stringify(v);
      else if (typeof v !== 'string') odd = JSON.stringify(v);
      else if (v === '' || /^(null|none|nan)$/i.test(v) || v !== v.trim()) odd = JSON.stringify(v);
      else if (f === 'device.ip' && !/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(v))
        odd = JSON.stringify(v);
      if (odd) out.push(`${f}=${odd}`);
    }
  }
  return out.join(', ');
}

// Which single rule (or pair of rules), toggled in the hand-written evaluation of this record,
// turns one engine's output into the other's?  Returns e.g. "repeated_auth_failures not
// matched by engine B" or "" when no one- or two-rule toggle explains the difference.
function attribute(hits, H, a, b, preferred = new Set()) {
  const same = (d, x) =>
    H.LABELS[d.code] === x.label &&
    Math.abs(d.score - x.score) < 1e-9 &&
    (d.winner < 0 ? '' : H.RULE_IDS[d.winner]) === x.winner &&
    BANDS[d.band] === x.band;
  const base = H.decideHits(hits);
  let other;
  let otherName;
  if (same(base, a)) [other, otherName] = [b, 'B'];
  else if (same(base, b)) [other, otherName] = [a, 'A'];
  else return '';
  const n = H.N_RULES;
  const h = Uint8Array.from(hits);
  const desc = (ks) => ks.map((k) => `${H.RULE_IDS[k]} ${hits[k] ? 'not matched' : 'matched'}`).join(' and ');
  // rules whose match counts differ between the engines are tried first (equal weights can
  // make two different toggles explain the same record)
  const order = [...Array(n).keys()].sort(
    (x, y) => Number(preferred.has(H.RULE_IDS[y])) - Number(preferred.has(H.RULE_IDS[x])),
  );
  for (const i of order) {
    h[i] ^= 1;
    const ok = same(H.decideHits(h), other);
    h[i] ^= 1;
    if (ok) return `${desc([i])} by the ${otherName === 'A' ? 'first' : 'second'} engine`;
  }
  for (let i = 0; i < n; i++)
    for (let j = i + 1; j < n; j++) {
      h[i] ^= 1;
      h[j] ^= 1;
      const ok = same(H.decideHits(h), other);
      h[i] ^= 1;
      h[j] ^= 1;
      if (ok) return `${desc([i, j])} by the ${otherName === 'A' ? 'first' : 'second'} engine`;
    }
  return '';
}

export function comparePerRecord(name, R, ref, refName) {
  // R covers the first R.nRecords parsed records; ref (hand JS) the whole verify slice
  let bad = 0;
  const ex = [];
  for (let i = 0; i < R.nRecords; i++) {
    if (R.label(i) !== ref.label(i) || Math.abs(R.score(i) - ref.score(i)) > 1e-9 || R.winner(i) !== ref.winner(i)) {
      bad++;
      if (ex.length < 3)
        ex.push({
          record: i,
          [name]: `${R.label(i)} ${R.score(i)} ${R.winner(i)}`,
          [refName]: `${ref.label(i)} ${ref.score(i)} ${ref.winner(i)}`,
        });
    }
  }
  return { pair: `${name} vs ${refName}`, records: R.nRecords, mismatches: bad, examples: ex };
}
