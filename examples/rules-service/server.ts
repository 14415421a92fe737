/**
 * A decision service whose rules follow a Kafka topic: the seed "FastAPI with Kafka Consumer"
 * (a web API whose state is updated by messages on a topic) with a rule set as the state.
 *
 *   node --import tsx examples/rules-service/server.ts --brokers 127.0.0.1:9092 --topic rules [--port 8080]
 *
 * At start it loads the latest bundle of the topic (each instance reads every partition from
 * its last message, with no consumer group commits, so every instance sees every update and a
 * restarted one is never behind), then applies each new one as `blazerules rules publish`
 * sends it. Routes (plain node:http):
 *   GET  /rules    the state: rule set name, version, rule ids, where it came from, when
 *   POST /decide   one JSON record → its decision by the current rules
 *   GET  /metrics  Prometheus text
 */
import { type IncomingMessage, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { parseArgs } from 'node:util';

import { RuleEngine, type RulesError } from '../../src/index';

/** The largest request body accepted (bytes). */
const MAX_BODY = 1 << 20;

export interface RulesService {
  url: string;
  engine: RuleEngine;
  close(): Promise<void>;
}

function send(res: ServerResponse, status: number, body: unknown, type = 'application/json'): void {
  const text = typeof body === 'string' ? body : `${JSON.stringify(body)}\n`;
  res.writeHead(status, { 'content-type': type });
  res.end(text);
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) reject(new Error(`request body over ${MAX_BODY} bytes`));
      else parts.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(parts).toString('utf8')));
    req.on('error', reject);
  });
}

/** Follows `topic` (waits for its latest bundle) and serves decisions on `port` (0: any). */
export async function startRulesService(opts: { brokers: string; topic: string; port?: number; host?: string }) {
  const engine = new RuleEngine();
  let state = { source: '', loadedAt: '' };
  engine.on('rules', ({ version, source }) => {
    state = { source, loadedAt: new Date().toISOString() };
    console.log(`${state.loadedAt} rules updated to version ${version} from ${source}`);
  });
  engine.on('rulesError', (err: RulesError) => console.error(`rules refused, the active ones stay: ${err.message}`));
  const follower = await engine.followRulesTopic({ brokers: opts.brokers, topic: opts.topic });

  const rules = () => ({
    name: engine.activeRuleSetName,
    version: engine.activeRuleSetVersion,
    ruleIds: engine.ruleIds,
    ...state,
    follower: follower.status(),
  });
  const decide = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let record: unknown;
    try {
      record = JSON.parse(await readBody(req));
    } catch (err) {
      return send(res, 400, { error: { code: 'MALFORMED_JSON', message: (err as Error).message } });
    }
    if (record === null || typeof record !== 'object' || Array.isArray(record)) {
      return send(res, 400, { error: { code: 'MALFORMED_JSON', message: 'the body must be one JSON object' } });
    }
    send(res, 200, engine.evaluate(record));
  };
  const server = createServer((req, res) => {
    const route = `${req.method} ${(req.url ?? '').split('?')[0]}`;
    if (route === 'GET /rules') return send(res, 200, rules());
    if (route === 'POST /decide') return void decide(req, res).catch((e) => send(res, 500, { error: String(e) }));
    if (route === 'GET /metrics') {
      return send(res, 200, engine.metricsText(), 'text/plain; version=0.0.4');
    }
    send(res, 404, { error: { code: 'NOT_FOUND', message: `no route ${route}` } });
  });
  await new Promise<void>((resolve) => server.listen(opts.port ?? 8080, opts.host ?? '127.0.0.1', resolve));
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    engine,
    close: async () => {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await follower.stop();
    },
  } satisfies RulesService;
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: { brokers: { type: 'string' }, topic: { type: 'string' }, port: { type: 'string' } },
  });
  if (values.brokers === undefined || values.topic === undefined) {
    console.error('usage: server.ts --brokers HOST:PORT --topic TOPIC [--port 8080]');
    process.exit(2);
  }
  const service = await startRulesService({
    brokers: values.brokers,
    topic: values.topic,
    port: values.port === undefined ? 8080 : Number(values.port),
  });
  console.log(`listening on ${service.url} (GET /rules, POST /decide, GET /metrics)`);
  const stop = (): void => void service.close().then(() => process.exit(0));
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  });
}
