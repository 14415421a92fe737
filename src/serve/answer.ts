/** Records' answers (POST /v1/decide, the `decision` of POST /v1/events): the engine call that
 * makes them, their text (written by the core: batch/output.rs `answer_line`, the one writer
 * of the shape schemas.ts DECISION describes), and the engine's errors as the routes answer them. */
import type { BatchResult } from '../batch-result';
import type { InternalEvaluateOptions, RuleEngine } from '../engine';
import { BlazeRulesError } from '../errors';
import type { Explanation } from '../explain';
import type { ErrorSample } from '../types';
import { HttpError } from './errors';

/** The window state shard of every record decided over HTTP: apart from the shards of the
 * stream loop's partitions (`--stream`), which count up from 0. */
export const HTTP_SHARD = { partition: 2 ** 31 - 1 } as const;

/** HTTP_SHARD, the call also writing each record's answer text. */
const ANSWERED: InternalEvaluateOptions = { ...HTTP_SHARD, answers: true };

/** The content type of every JSON answer (as Fastify's serializer writes it). */
export const JSON_TYPE = 'application/json; charset=utf-8';

/** The engine's errors as the route answers them. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof BlazeRulesError)) return err;
  if (err.code === 'NO_RULES') return new HttpError('NOT_READY', err.message);
  return new HttpError('INVALID_REQUEST', `${err.code}: ${err.message}`);
}

/** The answer of POST /v1/decide for one decision, parsed. */
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

/** `text` as one JSON object, or the error a body that is not one gets: MALFORMED_JSON when
 * it is not JSON, INVALID_REQUEST when it is JSON but not an object. */
export function parseRecord(text: Buffer): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text.toString('utf8'));
  } catch (err) {
    throw new HttpError('MALFORMED_JSON', (err as Error).message);
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new HttpError('INVALID_REQUEST', 'body must be object');
  }
  return value as Record<string, unknown>;
}

/** The error of a record the engine did not decide (`sample`: the engine's reason, when it
 * kept one). The engine says MALFORMED_JSON for anything that is not an object; the route
 * tells a body that is not JSON from JSON that is not an object, as JSON.parse does. */
function refusal(text: Buffer, sample: ErrorSample | undefined): HttpError {
  if (sample === undefined || sample.code === 'MALFORMED_JSON') {
    try {
      parseRecord(text);
    } catch (err) {
      return err as HttpError;
    }
  }
  if (sample === undefined) return new HttpError('INVALID_REQUEST', 'the record could not be read');
  return new HttpError('INVALID_REQUEST', `${sample.code}: ${sample.message}`);
}

/** The answer of each of `texts` (a record's JSON text each), decided in order by one engine
 * call: the answer's JSON text, or the error its request gets. */
export function decideTexts(engine: RuleEngine, texts: readonly Buffer[]): Array<Buffer | HttpError> {
  let result: BatchResult;
  try {
    result = engine.evaluateMessagesSync(texts, ANSWERED);
  } catch (err) {
    throw httpErrorOf(err);
  }
  const out = new Array<Buffer | HttpError | undefined>(texts.length);
  const lines = result.answerLines();
  if (lines === undefined) throw new Error('the evaluate call wrote no answers');
  let start = 0;
  for (const row of result.inputRows) {
    const end = lines.indexOf(10, start);
    out[row] = lines.subarray(start, end);
    start = end + 1;
  }
  for (const e of result.errorSamples) {
    const text = texts[e.rowIndex];
    if (text !== undefined && out[e.rowIndex] === undefined) out[e.rowIndex] = refusal(text, e);
  }
  return texts.map((text, row) => out[row] ?? refusal(text, undefined));
}

/** One record's answer, now. */
export function decideText(engine: RuleEngine, text: Buffer): Buffer {
  const answer = decideTexts(engine, [text])[0];
  if (answer instanceof Buffer) return answer;
  throw answer ?? new HttpError('INTERNAL', 'no answer');
}
