/** The Fastify app of `blazerules serve`: every route of service.md §5 (docs/serve.md). */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';

import type { RuleEngine } from '../engine';
import { registerDecide } from './decide';
import { HttpError, installErrorHandlers } from './errors';
import { type EventSink, registerEvents } from './events';
import { type AdminOptions, registerRules } from './rules';
import type { ServiceState } from './state';
import { registerStatus } from './status';

/** The default `--max-body-bytes`. */
export const DEFAULT_MAX_BODY_BYTES = 1_048_576;

export interface AppOptions {
  engine: RuleEngine;
  state: ServiceState;
  /** The largest request body (413 above it). */
  maxBodyBytes?: number;
  /** POST /v1/rules (absent without it). */
  admin?: AdminOptions;
  /** POST /v1/events (absent without it). */
  events?: EventSink;
  /** Fastify's pino options, or false for no logs. */
  logger?: FastifyServerOptions['logger'];
}

/** Paths pino replaces with "[Redacted]" in every log line. */
export const REDACT = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'headers.authorization',
  'conf["sasl.password"]',
  'conf["ssl.key.password"]',
];

export function buildApp(opts: AppOptions): FastifyInstance {
  const app = Fastify({
    bodyLimit: opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES,
    logger: opts.logger ?? false,
    // Requests arriving while draining get our 503 (the hook below), not Fastify's own body.
    return503OnClosing: false,
    // Idle keep-alive connections close at shutdown; busy ones finish their request first.
    forceCloseConnections: 'idle',
  });
  installErrorHandlers(app, (e) => {
    // Readiness probes polling a service that is not ready are not errors worth listing.
    if (e.code !== 'NOT_READY') opts.state.error('http', e.code, e.message);
  });
  // Only JSON bodies here (the batch and admin routes take their own types).
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', (_request, reply, done) => {
    if (!opts.state.draining) return done();
    reply.header('connection', 'close');
    done(new HttpError('NOT_READY', 'shutting down: finishing the requests in flight'));
  });
  registerStatus(app, opts.engine, opts.state);
  registerDecide(app, opts.engine);
  registerRules(app, opts.engine, opts.state, opts.admin);
  if (opts.events !== undefined) registerEvents(app, opts.engine, opts.events);
  return app;
}
