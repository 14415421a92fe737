/** One record's answer (POST /v1/decide, the `decision` of POST /v1/events): its shape, the
 * engine call that makes it, and the engine's errors as the routes answer them. */
import type { RuleEngine } from '../engine';
import { BlazeRulesError } from '../errors';
import type { Explanation } from '../explain';
import type { Decision } from '../types';
import { HttpError } from './errors';

/** The window state shard of every record decided over HTTP: apart from the shards of the
 * stream loop's partitions (`--stream`), which count up from 0. */
export const HTTP_SHARD = { partition: 2 ** 31 - 1 } as const;

/** The engine's errors as the route answers them. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof BlazeRulesError)) return err;
  if (err.code === 'NO_RULES') return new HttpError('NOT_READY', err.message);
  return new HttpError('INVALID_REQUEST', `${err.code}: ${err.message}`);
}

/** The answer of POST /v1/decide for one decision. */
export interface DecisionBody {
  decision: string;
  score: number;
  risk_band: string;
  winning_rule_id: string;
  matched_rule_ids: string[];
  ruleset_version: string;
  /** `?explain=1`: engine.explain's answer (service.md §2). */
  explanation?: Explanation;
}

export function decisionBody(d: Decision): DecisionBody {
  return {
    decision: d.decision,
    score: d.score,
    risk_band: d.riskBand,
    winning_rule_id: d.winningRuleId,
    matched_rule_ids: d.matchedRuleIds,
    ruleset_version: d.ruleSetVersion,
  };
}

/** The engine's decision of one record; a record it cannot read is a 400 with its code. */
export function decideOne(engine: RuleEngine, record: object): Decision {
  try {
    return engine.evaluate(record, HTTP_SHARD);
  } catch (err) {
    throw httpErrorOf(err);
  }
}
