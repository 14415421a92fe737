/** POST /v1/decide (one record) and POST /v1/decide/batch (NDJSON or a JSON array). */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

import type { BatchResult } from '../batch-result';
import type { RuleEngine } from '../engine';
import { BlazeRulesError } from '../errors';
import type { Decision } from '../types';
import { HttpError } from './errors';
import { DECIDE } from './schemas';

/** engine.explain (service.md §2): the shape this route passes through as `explanation`. */
export interface Explanation {
  decision: string;
  score: number;
  riskBand: string;
  winningRuleId: string;
  ruleSetVersion: string;
  winner: { ruleId: string; why: string } | null;
  rules: Array<Record<string, unknown>>;
}
type Explaining = RuleEngine & { explain(record: object): Explanation };

/** The answer of POST /v1/decide for one decision. */
export interface DecisionBody {
  decision: string;
  score: number;
  risk_band: string;
  winning_rule_id: string;
  matched_rule_ids: string[];
  ruleset_version: string;
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
    return engine.evaluate(record);
  } catch (err) {
    if (err instanceof BlazeRulesError && err.code === 'NO_RULES') throw new HttpError('NOT_READY', err.message);
    if (err instanceof BlazeRulesError) throw new HttpError('INVALID_REQUEST', `${err.code}: ${err.message}`);
    throw err;
  }
}

function wantsExplain(q: unknown): boolean {
  const v = (q as { explain?: string }).explain;
  return v === '1' || v === 'true';
}

/** The decision lines of a batch (one writer: `toJSONLines`, `decisions-jsonl`), each with the
 * record's `row` among the input's records, and an error line for each record not decided. */
export function batchLines(result: BatchResult): Buffer {
  const lines = result.toJSONLines({ format: 'decisions-jsonl' });
  const bad = [...result.errorSamples].sort((a, b) => a.rowIndex - b.rowIndex);
  if (bad.length === 0) return lines;
  // Decided record k is input row k + (bad rows before it): renumber, and put each error line
  // in its place.
  const out: string[] = [];
  let b = 0;
  let row = 0;
  const errorLine = (): void => {
    const e = bad[b++];
    if (e !== undefined) out.push(JSON.stringify({ row: row++, error: { code: e.code, message: e.message } }));
  };
  for (const line of lines.toString('utf8').split('\n')) {
    if (line === '') continue;
    while (b < bad.length && bad[b]?.rowIndex === row) errorLine();
    const k = line.indexOf(',');
    out.push(`{"row":${row++}${line.slice(k)}`);
  }
  while (b < bad.length) errorLine();
  return Buffer.from(`${out.join('\n')}\n`, 'utf8');
}

const NDJSON = 'application/x-ndjson';

/** The batch route in its own context: its bodies stay bytes for the native reader. */
function batchRoute(engine: RuleEngine): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser([NDJSON, 'application/json'], { parseAs: 'buffer' }, (_req, body, done) =>
      done(null, body),
    );
    app.post('/v1/decide/batch', async (request, reply) => {
      const body = request.body as Buffer;
      const ndjson = (request.headers['content-type'] ?? '').startsWith(NDJSON);
      let result: BatchResult;
      try {
        result = ndjson ? await engine.evaluateNdjson(body) : await engine.evaluateJsonArray(body);
      } catch (err) {
        if (err instanceof BlazeRulesError && err.code === 'NO_RULES') throw new HttpError('NOT_READY', err.message);
        if (err instanceof BlazeRulesError) throw new HttpError('MALFORMED_JSON', err.message);
        throw err;
      }
      return reply.type(NDJSON).send(batchLines(result));
    });
  };
}

export function registerDecide(app: FastifyInstance, engine: RuleEngine): void {
  app.post('/v1/decide', { schema: DECIDE }, async (request) => {
    const record = request.body as object;
    const body = decisionBody(decideOne(engine, record));
    if (wantsExplain(request.query)) body.explanation = (engine as Explaining).explain(record);
    return body;
  });
  app.register(batchRoute(engine));
}
