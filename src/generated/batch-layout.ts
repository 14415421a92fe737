// Generated from crates/blazerules-node/src/layout.rs by its test
// (BLAZERULES_WRITE_GENERATED=1 cargo test --workspace generated). Do not edit.

/** Risk band names by code. */
export const RISK_BAND_NAMES = ['LOW', 'MEDIUM', 'HIGH'] as const;
export type RiskBandName = (typeof RISK_BAND_NAMES)[number];

/** The sections of a native batch's two buffers. */
export interface BatchViews {
  inputRows: Uint32Array;
  inputLines: Uint32Array;
  decisionCodes: Int32Array;
  winners: Int32Array;
  ruleHits: Uint32Array;
  ruleHitEnds: Uint32Array;
  riskBands: Uint8Array;
  matched: Uint8Array;
  scores: Float64Array;
  matchCounts: Float64Array;
}

/** Views over `ints` and `floats` of a batch of `records` records, `rules` rules and `hits` rule hits. */
export function batchViews(
  ints: Uint32Array,
  floats: Float64Array,
  records: number,
  rules: number,
  hits: number,
): BatchViews {
  let at: number;
  const intsb = ints.buffer;
  at = ints.byteOffset;
  const inputRows = new Uint32Array(intsb, at, records);
  at += 4 * records;
  const inputLines = new Uint32Array(intsb, at, records);
  at += 4 * records;
  const decisionCodes = new Int32Array(intsb, at, records);
  at += 4 * records;
  const winners = new Int32Array(intsb, at, records);
  at += 4 * records;
  const ruleHits = new Uint32Array(intsb, at, hits);
  at += 4 * hits;
  const ruleHitEnds = new Uint32Array(intsb, at, rules);
  at += 4 * rules;
  const riskBands = new Uint8Array(intsb, at, records);
  at += records;
  const matched = new Uint8Array(intsb, at, records);
  const floatsb = floats.buffer;
  at = floats.byteOffset;
  const scores = new Float64Array(floatsb, at, records);
  at += 8 * records;
  const matchCounts = new Float64Array(floatsb, at, rules);
  return {
    inputRows,
    inputLines,
    decisionCodes,
    winners,
    ruleHits,
    ruleHitEnds,
    riskBands,
    matched,
    scores,
    matchCounts,
  };
}
