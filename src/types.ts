/** Public types of the `blazerules` package. */
import type { RiskBandName } from './generated/batch-layout';
import type { RecordErrorCode } from './generated/error-codes';

/** How a batch treats records that cannot be read (rules-reference §5). */
export type IngestErrorMode = 'skip' | 'deadLetter' | 'fail';

export interface EngineConfig {
  /** Evaluation threads for one large batch (default: all cores). */
  threads?: number;
  /** At most this many `errorSamples` per batch (default 16). */
  maxErrorSamples?: number;
  /** 'skip' (default): skip and count bad records; 'deadLetter': also append them to
   * `deadLetterPath`; 'fail': reject the batch with MALFORMED_JSON if any record was bad. */
  ingestErrorMode?: IngestErrorMode;
  /** Where 'deadLetter' mode appends one JSON line per bad record. */
  deadLetterPath?: string;
  /** Records longer than this many bytes are skipped as RECORD_TOO_LARGE (0 = no limit). */
  maxRecordBytes?: number;
  /** `loadRules` refuses a larger rules file with FILE_TOO_LARGE (default 16 MiB; 0 = no limit). */
  maxRulesFileBytes?: number;
  /** A rules load refuses a larger lookup file with FILE_TOO_LARGE (default 256 MiB; 0 = no limit). */
  maxLookupFileBytes?: number;
  /** `evaluateNdjsonFile` refuses a larger file with FILE_TOO_LARGE (default 1 GiB; 0 = no limit). */
  maxFileBytes?: number;
  /** Directories lookup files may be read from besides the rules file's own (or `baseDir` of
   * `loadRulesFromString`); symlinks and `..` are resolved first. `['/']` allows any path. */
  lookupRoots?: string[];
  /** A record that repeats a key the rules read: 'last' (default) takes the last occurrence,
   * as `JSON.parse` does, and reports a DUPLICATE_KEY warning (`warningSamples`); 'reject'
   * skips the record as DUPLICATE_KEY. */
  duplicateKeys?: DuplicateKeysMode;
  /** Window conditions: at most this many entities per state shard (default 1 000 000); past
   * it, the least recently seen entity is dropped and counted (`windowStats().evicted`). */
  maxWindowEntities?: number;
}

/** Per-call options of the evaluate methods. */
export interface EvaluateOptions {
  /** The window state shard this call reads and updates (default 0): one per Kafka partition
   * (or any other stream of records that must not share windows). An integer 0..2^31-1. */
  partition?: number;
  /** The call's clock in epoch ms (default: the wall clock): processing time for windows
   * without `time_field`, and `now` for `within_last`. Tests and replays pass a fixed one. */
  nowMs?: number;
}

/** `engine.windowStats()`: the window state over every shard. */
export interface WindowStats {
  /** Entities with state. */
  entities: number;
  /** Per-second buckets, over every entity and window. */
  buckets: number;
  /** Estimated heap bytes of the state (see README "Windows" for the measured memory per entity). */
  bytes: number;
  /** Entities dropped to stay within `maxWindowEntities`, since the engine was created. */
  evicted: number;
}

/** What a repeated key in a record gets (`EngineConfig.duplicateKeys`). */
export type DuplicateKeysMode = 'last' | 'reject';

export type RulesFormat = 'yaml' | 'json';

/** 'LOW' | 'MEDIUM' | 'HIGH' (generated from the core's `RISK_BAND_NAMES`). */
export type RiskBand = RiskBandName;

/** What a successful load reports. */
export interface LoadReport {
  /** `ruleset.name`. */
  rulesetName: string;
  /** `ruleset.version`: every BatchResult evaluated by these rules names it. */
  rulesetVersion: string;
  /** Number of enabled rules. */
  ruleCount: number;
  /** Enabled rule ids, in rule order. */
  ruleIds: string[];
  /** Decision labels by code (index 0 = the default label). */
  decisionLabels: string[];
  /** The rules file (absent for rules loaded from a string). */
  file?: string;
  format: RulesFormat;
  /** Wall time of parsing + compiling, in milliseconds. */
  loadMs: number;
}

/** One record that was skipped (rules-reference §5). */
export interface ErrorSample {
  /** 0-based index among the batch's non-empty lines (or messages / array elements). */
  rowIndex: number;
  code: RecordErrorCode;
  message: string;
  /** The JSON key near the error, when known. */
  column?: string;
}

/** A decided record's warning (a repeated key the rules read: DUPLICATE_KEY). */
export interface WarningSample {
  /** As `ErrorSample.rowIndex`. */
  rowIndex: number;
  code: RecordErrorCode;
  /** The dotted name of the repeated key (`card.bin` for `bin` inside `card`). */
  key: string;
}

export interface Timing {
  parseMs: number;
  evalMs: number;
  totalMs: number;
}

/** The outcome for one record (`RuleEngine.evaluate`). */
export interface Decision {
  decision: string;
  decisionCode: number;
  score: number;
  riskBand: RiskBand;
  /** "" when nothing matched. */
  winningRuleId: string;
  /** True if any rule (shadow rules included) matched. */
  matched: boolean;
  /** Every rule that matched, shadow rules included, in rule order. */
  matchedRuleIds: string[];
  ruleSetVersion: string;
}

/** Options of `BatchResult.toJSONLines`. */
export interface JSONLinesOptions {
  /** Added to each row number (`batch_row`, or `row`; default 0): e.g. the rows of earlier batches. */
  rowOffset?: number;
  /** `decisions-jsonl`: added to each `line` (default 0): e.g. the lines of earlier chunks. */
  lineOffset?: number;
  /** Emit `ruleset_version` (default true; it is omitted anyway when empty; `rows` only). */
  includeRuleSetVersion?: boolean;
  /** 'rows' (default), or 'decisions-jsonl': the CLI's `{"row","line","matched","decision","score",
   * "risk_band","winning_rule_id"}` lines (shortest-form score, no version; `line`, the record's
   * 1-based input line, only for NDJSON input). */
  format?: 'rows' | 'decisions-jsonl';
}
