// Generated from crates/blazerules-node/src/layout.rs by its test
// (BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated). Do not edit.

/** Risk band names by code. */
export const RISK_BAND_NAMES = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type RiskBandName = (typeof RISK_BAND_NAMES)[number];

/** A native batch's header values and sections. */
export interface BatchViews {
  records: number;
  rules: number;
  hits: number;
  labels: number;
  nMatched: number;
  messagesProcessed: number;
  messagesSkipped: number;
  inputLineCount: number;
  parseMs: number;
  evalMs: number;
  totalMs: number;
  scores: Float64Array;
  matchCounts: Float64Array;
  decisionCounts: Float64Array;
  inputRows: Uint32Array;
  inputLines: Uint32Array;
  decisionCodes: Int32Array;
  winners: Int32Array;
  ruleHits: Uint32Array;
  ruleHitEnds: Uint32Array;
  riskBands: Uint8Array;
  matched: Uint8Array;
}

/** The header and views over the sections of a native batch's buffer (`data.byteOffset`: a multiple of 8). */
export function batchViews(data: Uint32Array): BatchViews {
  const b = data.buffer;
  const h = new Float64Array(b, data.byteOffset, 11);
  const records = h[0] ?? 0;
  const rules = h[1] ?? 0;
  const hits = h[2] ?? 0;
  const labels = h[3] ?? 0;
  const nMatched = h[4] ?? 0;
  const messagesProcessed = h[5] ?? 0;
  const messagesSkipped = h[6] ?? 0;
  const inputLineCount = h[7] ?? 0;
  const parseMs = h[8] ?? 0;
  const evalMs = h[9] ?? 0;
  const totalMs = h[10] ?? 0;
  let at = data.byteOffset + 88;
  const scores = new Float64Array(b, at, records);
  at += 8 * records;
  const matchCounts = new Float64Array(b, at, rules);
  at += 8 * rules;
  const decisionCounts = new Float64Array(b, at, labels);
  at += 8 * labels;
  const inputRows = new Uint32Array(b, at, records);
  at += 4 * records;
  const inputLines = new Uint32Array(b, at, records);
  at += 4 * records;
  const decisionCodes = new Int32Array(b, at, records);
  at += 4 * records;
  const winners = new Int32Array(b, at, records);
  at += 4 * records;
  const ruleHits = new Uint32Array(b, at, hits);
  at += 4 * hits;
  const ruleHitEnds = new Uint32Array(b, at, rules);
  at += 4 * rules;
  const riskBands = new Uint8Array(b, at, records);
  at += records;
  const matched = new Uint8Array(b, at, records);
  return {
    records,
    rules,
    hits,
    labels,
    nMatched,
    messagesProcessed,
    messagesSkipped,
    inputLineCount,
    parseMs,
    evalMs,
    totalMs,
    scores,
    matchCounts,
    decisionCounts,
    inputRows,
    inputLines,
    decisionCodes,
    winners,
    ruleHits,
    ruleHitEnds,
    riskBands,
    matched,
  };
}
