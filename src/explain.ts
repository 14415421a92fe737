/**
 * `engine.explain(record)`: why a record gets its decision (service.md §2). The explanation is
 * made natively (crates/blazerules-core/src/explain/) by the engine's own reader, predicates
 * and decision, so it agrees with `evaluate` on every record; window conditions read the
 * state of the call's shard as it is and never add the record.
 */
import { fromNative } from './errors';
import type { NativeCallOptions, NativeEvalConfig, NativeRuleSet } from './native';
import type { RiskBand } from './types';

/** What `explain` takes: a record object (serialised with JSON.stringify), or its JSON text. */
export type ExplainInput = object | string | Buffer;

/** One node of a rule's condition tree, as written in the rules file. */
export interface ConditionTrace {
  /** `and` (also a bare list), `or`, `not`, or `leaf` (a field leaf, a window, a vector
   * distance, an `array_any`). A `sql:` condition is shown as the tree it parses to. */
  kind: 'and' | 'or' | 'not' | 'leaf';
  /** The node's result for this record, as the engine decides it. Under `not`, a leaf whose
   * operator has an opposite is flipped (`not gt` is `lte`), so a missing value leaves both
   * the leaf and its `not` false. */
  result: boolean;
  /** Leaves: the operator's canonical spelling (aliases and case resolved: `is_none` →
   * `is_null`); `array_any` for an array_any. */
  op?: string;
  /** Leaves on a field: its name as written (inside `array_any`, within the element). */
  field?: string;
  /** Leaves: the value read (null when missing or null), or the value computed (`computed`:
   * a window's value for this record, a vector distance, an `expr`, a distance in km). */
  actual?: unknown;
  /** Leaves: the operand as written (`values`, else `value`; a lookup's name; a mask); a
   * comparison with another field shows `{ field, value }`. */
  expected?: unknown;
  /** Leaves whose value is computed: what from (e.g. `window sum(amount) by card over 60 s`). */
  computed?: string;
  /** An `array_any`'s `where` tree: the index of the array element it was evaluated on. */
  element?: number;
  /** The document path, as load errors name it (`ruleset.rules[3].conditions.and[1]`); the
   * parts of a `sql:` string continue its path (`…conditions.sql.and[1]`). */
  path: string;
  /** and/or/not: their operands; array_any: its `where` on the element that matched, or on
   * each object element (at most 16) when none did. */
  children?: ConditionTrace[];
}

/** One rule's part in the decision. */
export interface RuleExplanation {
  id: string;
  matched: boolean;
  shadow: boolean;
  /** The action's label: BLOCK, REVIEW, FLAG, SCORE or APPROVE. */
  action: string;
  /** The decision label the rule reports (its `label`, else its action's). */
  label: string;
  /** What the rule added to this record's score (after any `score_cap`; 0 unless it
   * matched and is not shadow). The contributions add up to `score`. */
  scoreContribution: number;
  condition: ConditionTrace;
}

/** Why a record got its decision. */
export interface Explanation {
  decision: string;
  score: number;
  riskBand: RiskBand;
  /** "" when no rule won. */
  winningRuleId: string;
  ruleSetVersion: string;
  /** The winner and why it won (e.g. "highest precedence BLOCK; severity HIGH beats MEDIUM of
   * rule r2"); null when no rule won. */
  winner: { ruleId: string; why: string } | null;
  /** Every rule, matched or not, in rule order. */
  rules: RuleExplanation[];
}

function recordBytes(record: ExplainInput): Buffer {
  if (Buffer.isBuffer(record)) return record;
  if (typeof record === 'string') return Buffer.from(record, 'utf8');
  if (record === null || typeof record !== 'object' || Array.isArray(record)) {
    throw new TypeError('explain(record) needs a plain object, a JSON string or a Buffer');
  }
  return Buffer.from(JSON.stringify(record), 'utf8');
}

/** Explains `record` with the rule set `handle` (RuleEngine.explain). A record that cannot be
 * read throws a BlazeRulesError with the code a batch gives it (MALFORMED_JSON, …). */
export function explainRecord(
  handle: NativeRuleSet,
  config: NativeEvalConfig,
  record: ExplainInput,
  call: NativeCallOptions | undefined,
): Explanation {
  const bytes = recordBytes(record);
  try {
    return JSON.parse(handle.explainOne(bytes, config, call)) as Explanation;
  } catch (err) {
    throw fromNative(err);
  }
}
