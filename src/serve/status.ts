/** GET /healthz, /readyz, /metrics, /v1/stats (the dashboard's data) and / (the dashboard). */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { FastifyInstance } from 'fastify';

import type { RuleEngine } from '../engine';
import { HttpError } from './errors';
import type { ServiceState } from './state';

/** What the dashboard polls: counters since start (it computes rates from two polls). */
export interface ServiceStats {
  at: number;
  ready: boolean;
  rules: { name: string; version: string; source: string; loadedAt: string; reloads: number; failedReloads: number };
  /** Records decided by the HTTP routes (engine counters) and by the stream loop. */
  records: number;
  /** Records decided by the HTTP routes only (the per-rule and per-label counts are theirs). */
  httpRecords: number;
  skipped: number;
  decisions: Record<string, number>;
  fired: Record<string, number>;
  errors: ServiceState['errors'];
  /** The stream loop's stats (its consumer lag included: `consumerLag`, `consumerLagTotal`). */
  stream: ServiceState['stream'];
}

/** `name{key=value}` counters of the snapshot, by label value. */
function byLabel(counters: Record<string, number>, name: string): Record<string, number> {
  const out: Record<string, number> = {};
  const prefix = `blazerules.${name}{`;
  for (const [key, n] of Object.entries(counters)) {
    if (key.startsWith(prefix)) out[key.slice(key.indexOf('=') + 1, -1)] = n;
  }
  return out;
}

export function serviceStats(engine: RuleEngine, state: ServiceState): ServiceStats {
  const { counters } = engine.metricsSnapshot();
  return {
    at: Date.now(),
    ready: state.notReady() === undefined,
    rules: {
      name: engine.activeRuleSetName,
      version: engine.activeRuleSetVersion,
      source: state.source,
      loadedAt: state.loadedAt,
      reloads: state.reloads,
      failedReloads: state.failedReloads,
    },
    records: (counters['blazerules.records_evaluated_total'] ?? 0) + (state.stream?.messages ?? 0),
    httpRecords: counters['blazerules.records_evaluated_total'] ?? 0,
    skipped: (counters['blazerules.records_skipped_total'] ?? 0) + (state.stream?.skipped ?? 0),
    decisions: byLabel(counters, 'decisions_total'),
    fired: byLabel(counters, 'rule_fired_total'),
    errors: state.errors,
    stream: state.stream,
  };
}

/** The dashboard page: one file, no build step (src/serve/dashboard/, copied to dist). */
function dashboardFile(): string {
  const here = path.join(__dirname, 'dashboard', 'index.html');
  if (fs.existsSync(here)) return here;
  // Running from dist/: the page stays in the source tree.
  return path.join(__dirname, '..', '..', 'src', 'serve', 'dashboard', 'index.html');
}

export function registerStatus(app: FastifyInstance, engine: RuleEngine, state: ServiceState): void {
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async () => {
    const why = state.notReady();
    if (why !== undefined) throw new HttpError('NOT_READY', why);
    return { status: 'ready', version: engine.activeRuleSetVersion };
  });
  app.get('/metrics', async (_request, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(await engine.metricsText()),
  );
  app.get('/v1/stats', async () => serviceStats(engine, state));
  const page = fs.readFileSync(dashboardFile());
  app.get('/', async (_request, reply) => reply.type('text/html; charset=utf-8').send(page));
}
