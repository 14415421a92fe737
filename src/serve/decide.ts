/** POST /v1/decide (one record) and POST /v1/decide/batch (NDJSON or a JSON array). */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

import type { BatchResult } from '../batch-result';
import type { RuleEngine } from '../engine';
import { BlazeRulesError } from '../errors';
import type { Explanation } from '../explain';
import { type DecisionBody, HTTP_SHARD, decideOne, decisionBody, httpErrorOf } from './answer';
import { DecisionBatcher } from './coalesce';
import { HttpError } from './errors';
import { DECIDE } from './schemas';

function wantsExplain(q: unknown): boolean {
  const v = (q as { explain?: string }).explain;
  return v === '1' || v === 'true';
}

/** The decision lines of a batch (one writer: `toJSONLines`, `decisions-jsonl`), each with the
 * record's `row` among the input's records, and an error line for each record not decided
 * (the engine keeps every error sample: `maxErrorSamples` covers a body's records). */
export function batchLines(result: BatchResult): Buffer {
  const lines = result.toJSONLines({ format: 'decisions-jsonl' });
  if (result.messagesSkipped === 0) return lines;
  const decided = lines.toString('utf8').split('\n');
  const out: Array<[row: number, line: string]> = [];
  for (const [k, row] of result.inputRows.entries()) {
    const line = decided[k] ?? '';
    out.push([row, `{"row":${row}${line.slice(line.indexOf(','))}`]);
  }
  for (const e of result.errorSamples) {
    out.push([e.rowIndex, JSON.stringify({ row: e.rowIndex, error: { code: e.code, message: e.message } })]);
  }
  out.sort((a, b) => a[0] - b[0]);
  return Buffer.from(`${out.map(([, line]) => line).join('\n')}\n`, 'utf8');
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
        result = ndjson
          ? await engine.evaluateNdjson(body, HTTP_SHARD)
          : await engine.evaluateJsonArray(body, HTTP_SHARD);
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
  const batcher = new DecisionBatcher(engine);
  app.post('/v1/decide', { schema: DECIDE }, async (request) => {
    const record = request.body as object;
    if (!wantsExplain(request.query)) return batcher.decide(record);
    // Both now, on this turn of the loop (one rule set), the explanation first: it reads the
    // window state as it is, and the decision then adds the record to it.
    let explanation: Explanation;
    try {
      explanation = engine.explain(record, HTTP_SHARD);
    } catch (err) {
      throw httpErrorOf(err);
    }
    const body: DecisionBody = decisionBody(decideOne(engine, record));
    body.explanation = explanation;
    return body;
  });
  app.register(batchRoute(engine));
}
