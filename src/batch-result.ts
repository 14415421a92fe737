/** The native names of a rule set's lines, made once per rule set: the engine shares one
 * frozen `ruleIds` array among all the batches of a rule set, and it keys this cache. */
const LINE_NAMES = new WeakMap<
  readonly string[],
  { labels: readonly string[]; version: string; names: NativeLineNames }
>();

function lineNames(labels: readonly string[], ruleIds: readonly string[], version: string): NativeLineNames {
  const hit = LINE_NAMES.get(ruleIds);
  if (hit !== undefined && hit.labels === labels && hit.version === version) return hit.names;
  const names = new native.NativeLineNames(labels as string[], ruleIds as string[], version);
  LINE_NAMES.set(ruleIds, { labels, version, names });
  return names;
}

/** One evaluated batch: typed arrays from the native core plus lazy, cached JS views. */
import { RISK_BAND_NAMES, batchViews } from './generated/batch-layout';
import { nativeCode } from './errors';
import { native } from './native';
import type { NativeBatch, NativeLineNames, NativeLineOptions } from './native';
import type { ErrorSample, JSONLinesOptions, RiskBand, Timing, WarningSample } from './types';

function riskBandName(code: number): RiskBand {
  return RISK_BAND_NAMES[code] ?? RISK_BAND_NAMES[0];
}

function byCode(list: readonly { code: string; count: number }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const c of list) counts[c.code] = c.count;
  return counts;
}

export class BatchResult {
  /** Records evaluated (one entry per record in every per-record array). */
  readonly nRecords: number;
  /** Records that matched at least one rule (shadow rules included). */
  readonly nMatched: number;
  /** Records evaluated + records skipped. */
  readonly messagesProcessed: number;
  /** Records skipped as unreadable. */
  readonly messagesSkipped: number;
  /** Decision label code per record (index into `decisionLabelMap`; 0 = the default label). */
  readonly decisionCodes: Int32Array;
  /** Decision labels by code (index 0 = the default label). */
  readonly decisionLabelMap: readonly string[];
  readonly scores: Float64Array;
  /** Risk band codes per record: 0 LOW, 1 MEDIUM, 2 HIGH. */
  readonly riskBandCodes: Uint8Array;
  /** Winning rule index per record (into `ruleIds`), or -1. */
  readonly winnerIndices: Int32Array;
  /** 1 if any rule (shadow included) matched the record. */
  readonly matched: Uint8Array;
  /** Each record's index among the batch's non-empty input rows (skipped rows are absent). */
  readonly inputRows: Uint32Array;
  /** NDJSON input: each record's 1-based line in the payload (blank lines counted); 0 for
   * messages and JSON arrays. */
  readonly inputLines: Uint32Array;
  /** NDJSON input: the payload's lines, blank ones included (0 for other input). */
  readonly inputLineCount: number;
  /** The rule ids `winnerIndices` and match counts refer to, in rule order. */
  readonly ruleIds: readonly string[];
  /** Version of the rule set that evaluated this batch (the whole batch). */
  readonly ruleSetVersion: string;
  readonly errorCounts: Readonly<Record<string, number>>;
  readonly errorSamples: readonly ErrorSample[];
  /** Warnings of decided records by code (DUPLICATE_KEY), and the first `maxErrorSamples`. */
  readonly warningCounts: Readonly<Record<string, number>>;
  readonly warningSamples: readonly WarningSample[];
  readonly timing: Timing;
  readonly #ruleMatchCounts: Float64Array;
  /** @internal Records matched per rule, in rule order (the engine's counters add them). */
  get ruleMatchCountsView(): Float64Array {
    return this.#ruleMatchCounts;
  }
  readonly #ruleHits: Uint32Array;
  readonly #ruleHitEnds: Uint32Array;
  readonly #raw: NativeBatch;
  readonly #decisionCounts: Float64Array;
  /** @internal Records per decision label code (the engine's counters add them). */
  get decisionCountsView(): Float64Array {
    return this.#decisionCounts;
  }

  #decisions: string[] | undefined;
  #riskBands: RiskBand[] | undefined;
  #winningRuleIds: string[] | undefined;
  #matchCounts: Record<string, number> | undefined;
  #matchedIndices: Uint32Array | undefined;
  #grouped: Record<string, Uint32Array> | undefined;

  /** @internal Built by RuleEngine from a native batch. */
  constructor(raw: NativeBatch, labels: readonly string[], ruleIds: readonly string[]) {
    // Views over the native buffer, laid out as crates/blazerules-node/src/layout.rs says.
    const v = batchViews(raw.data);
    this.#raw = raw;
    this.#decisionCounts = v.decisionCounts;
    this.nRecords = v.records;
    this.nMatched = v.nMatched;
    this.messagesProcessed = v.messagesProcessed;
    this.messagesSkipped = v.messagesSkipped;
    this.inputRows = v.inputRows;
    this.inputLines = v.inputLines;
    this.inputLineCount = v.inputLineCount;
    this.decisionCodes = v.decisionCodes;
    this.winnerIndices = v.winners;
    this.#ruleHits = v.ruleHits;
    this.#ruleHitEnds = v.ruleHitEnds;
    this.riskBandCodes = v.riskBands;
    this.matched = v.matched;
    this.scores = v.scores;
    this.#ruleMatchCounts = v.matchCounts;
    this.decisionLabelMap = labels;
    this.ruleIds = ruleIds;
    this.ruleSetVersion = raw.rulesetVersion;
    const notes = raw.notes;
    this.errorCounts = byCode(notes?.errorCounts ?? []);
    this.warningCounts = byCode(notes?.warningCounts ?? []);
    this.warningSamples = (notes?.warningSamples ?? []).map((w) => ({
      rowIndex: w.rowIndex,
      code: nativeCode(w.code),
      key: w.key,
    }));
    this.errorSamples = (notes?.errorSamples ?? []).map((s) => {
      const sample: ErrorSample = { rowIndex: s.rowIndex, code: nativeCode(s.code), message: s.message };
      if (s.column !== undefined && s.column !== null) sample.column = s.column;
      return sample;
    });
    this.timing = { parseMs: v.parseMs, evalMs: v.evalMs, totalMs: v.totalMs };
  }

  /** Decision label per record (built on first access from `decisionCodes`). */
  get decisions(): string[] {
    if (this.#decisions === undefined) {
      const labels = this.decisionLabelMap;
      const fallback = labels[0] ?? 'APPROVE';
      const out = new Array<string>(this.nRecords);
      for (let i = 0; i < this.nRecords; i++) out[i] = labels[this.decisionCodes[i] ?? 0] ?? fallback;
      this.#decisions = out;
    }
    return this.#decisions;
  }

  /** Risk band per record. */
  get riskBands(): RiskBand[] {
    if (this.#riskBands === undefined) {
      const out = new Array<RiskBand>(this.nRecords);
      for (let i = 0; i < this.nRecords; i++) out[i] = riskBandName(this.riskBandCodes[i] ?? 0);
      this.#riskBands = out;
    }
    return this.#riskBands;
  }

  /** Winning rule id per record ("" where nothing matched). */
  get winningRuleIds(): string[] {
    if (this.#winningRuleIds === undefined) {
      const out = new Array<string>(this.nRecords);
      for (let i = 0; i < this.nRecords; i++) out[i] = this.ruleIds[this.winnerIndices[i] ?? -1] ?? '';
      this.#winningRuleIds = out;
    }
    return this.#winningRuleIds;
  }

  /** Records matched per rule id (shadow rules included), every enabled rule listed. */
  get matchCounts(): Record<string, number> {
    if (this.#matchCounts === undefined) {
      const out: Record<string, number> = {};
      this.ruleIds.forEach((id, i) => {
        out[id] = this.#ruleMatchCounts[i] ?? 0;
      });
      this.#matchCounts = out;
    }
    return this.#matchCounts;
  }

  /** Indices (into the per-record arrays) of the records that matched any rule. */
  get matchedIndices(): Uint32Array {
    if (this.#matchedIndices === undefined) {
      const out = new Uint32Array(this.nMatched);
      let j = 0;
      for (let i = 0; i < this.nRecords && j < out.length; i++) if (this.matched[i] !== 0) out[j++] = i;
      this.#matchedIndices = j === out.length ? out : out.subarray(0, j);
    }
    return this.#matchedIndices;
  }

  /** Indices of the records whose decision is `label` (empty for an unknown label). */
  indicesForDecision(label: string): Uint32Array {
    return this.groupedDecisionIndices()[label] ?? new Uint32Array(0);
  }

  /** Record indices per decision label, for the labels that occur (in label-code order). */
  groupedDecisionIndices(): Record<string, Uint32Array> {
    if (this.#grouped === undefined) {
      const nLabels = this.decisionLabelMap.length;
      const counts = new Uint32Array(Math.max(nLabels, 1));
      for (let i = 0; i < this.nRecords; i++) {
        const c = this.decisionCodes[i] ?? 0;
        if (c >= 0 && c < counts.length) counts[c] = (counts[c] ?? 0) + 1;
      }
      const lists = Array.from(counts, (n) => new Uint32Array(n));
      const fill = new Uint32Array(counts.length);
      for (let i = 0; i < this.nRecords; i++) {
        const c = this.decisionCodes[i] ?? 0;
        const list = lists[c];
        if (list !== undefined) list[fill[c]++] = i;
      }
      const out: Record<string, Uint32Array> = {};
      lists.forEach((list, code) => {
        const label = this.decisionLabelMap[code];
        if (label !== undefined && list.length > 0) out[label] = list;
      });
      this.#grouped = out;
    }
    return this.#grouped;
  }

  /** Indices of the records that rule `id` matched (shadow rules included), ascending. */
  indicesForRule(id: string): Uint32Array {
    const r = this.ruleIds.indexOf(id);
    if (r < 0) throw new RangeError(`unknown rule id: '${id}'`);
    const start = r === 0 ? 0 : (this.#ruleHitEnds[r - 1] ?? 0);
    const end = this.#ruleHitEnds[r] ?? start;
    return this.#ruleHits.subarray(start, end);
  }

  /**
   * One line per record in the `rows` format:
   * `{"batch_row","matched","decision","score","risk_band","winning_rule_id","ruleset_version"}`
   * (score with six decimals; `winning_rule_id` and `ruleset_version` omitted when empty), or
   * with `format: 'decisions-jsonl'` the CLI's `{"row","matched","decision","score","risk_band","winning_rule_id"}`.
   * A non-finite score is written as `null`. Written natively (core `batch/output.rs`).
   */
  toJSONLines(opts: JSONLinesOptions = {}): Buffer {
    return this.#lines(opts);
  }

  /** @internal The lines `toJSONLines(opts)` writes for records `from..`, as many whole ones
   * as fit in `target`: the next record and the bytes written (no line fits: the next record
   * is `from`). For a writer that reuses one buffer (the CLI's `eval`). */
  linesInto(target: Buffer, from: number, opts: JSONLinesOptions = {}): { next: number; bytes: number } {
    const names = lineNames(this.decisionLabelMap, this.ruleIds, this.ruleSetVersion);
    const [next = from, bytes = 0] = native.batchLinesInto(this.#raw.data, names, opts, from, target);
    return { next, bytes };
  }

  /** @internal Each record's answer of `blazerules serve`'s POST /v1/decide, one per line, in
   * record order (docs/serve.md), written natively (core `batch/output.rs`) by the evaluate
   * call that asked for them (`{ answers: true }`); undefined when it did not. */
  answerLines(): Buffer | undefined {
    return this.#raw.answers ?? undefined;
  }

  #lines(opts: NativeLineOptions): Buffer {
    const names = lineNames(this.decisionLabelMap, this.ruleIds, this.ruleSetVersion);
    return native.batchLines(this.#raw.data, names, opts);
  }
}
