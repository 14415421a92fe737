/** POST /v1/decide (one record) and POST /v1/decide/batch (NDJSON or a JSON array). */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';

import type { BatchResult } from '../batch-result';
import type { RuleEngine } from '../engine';
import { BlazeRulesError } from '../errors';
import type { Explanation } from '../explain';
import { type DecisionBody, HTTP_SHARD, JSON_TYPE, decideText, httpErrorOf, parseRecord } from './answer';
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

/** The body as bytes: the engine reads it (no JSON.parse, no re-stringify). */
function keepBytes(_req: unknown, body: Buffer, done: (err: null, body: Buffer) => void): void {
  done(null, body);
}

/** The batch route in its own context: its bodies stay bytes for the native reader. */
function batchRoute(engine: RuleEngine): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser([NDJSON, 'application/json'], { parseAs: 'buffer' }, keepBytes);
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

/** The body as bytes, without a leading UTF-8 byte order mark (JSON.parse's parser in Fastify
 * ignores one, and so does this route). */
function withoutBom(_req: unknown, body: Buffer, done: (err: null, body: Buffer) => void): void {
  done(null, body[0] === 0xef && body[1] === 0xbb && body[2] === 0xbf ? body.subarray(3) : body);
}

/** `?explain=1`: the answer with `explanation`, both now, on this turn of the loop (one rule
 * set), the explanation first: it reads the window state as it is, and the decision then adds
 * the record to it. */
function explained(engine: RuleEngine, text: Buffer): DecisionBody {
  const record = parseRecord(text);
  let explanation: Explanation;
  try {
    explanation = engine.explain(record, HTTP_SHARD);
  } catch (err) {
    throw httpErrorOf(err);
  }
  const body = JSON.parse(decideText(engine, text).toString('utf8')) as DecisionBody;
  body.explanation = explanation;
  return body;
}

/** POST /v1/decide in its own context: its bodies stay bytes, decided with the other
 * requests of their turn of the loop (coalesce.ts); the answer is the core's text, sent as is. */
function decideRoute(engine: RuleEngine): FastifyPluginAsync {
  return async (app) => {
    app.removeAllContentTypeParsers();
    app.addContentTypeParser('application/json', { parseAs: 'buffer' }, withoutBom);
    const batcher = new DecisionBatcher(engine);
    app.post('/v1/decide', { schema: DECIDE }, (request, reply) => {
      const text = request.body as Buffer;
      if (wantsExplain(request.query)) {
        reply.send(explained(engine, text));
        return;
      }
      batcher.decide(text, (answer) => {
        if (answer instanceof Buffer) reply.type(JSON_TYPE).send(answer);
        else reply.send(answer);
      });
    });
  };
}

export function registerDecide(app: FastifyInstance, engine: RuleEngine): void {
  app.register(decideRoute(engine));
  app.register(batchRoute(engine));
}
