/**
 * `blazerules catalog serve` as a function: the project's own small catalog (service.md §6),
 * answering `GET <any path>?config_profile=P&channel=C` (or `channel[i]=`) from a YAML file it
 * re-reads on change, with optional basic auth. docs/catalog.md.
 */
import { createHash, timingSafeEqual } from 'node:crypto';

import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';

import { HttpError, installErrorHandlers } from '../serve/errors';
import { CatalogFile, LookupError, answerFor } from './file';

export interface CatalogServerOptions {
  file: string;
  host?: string;
  /** 0 (default): any free port. */
  port?: number;
  /** Basic auth: both or neither. */
  user?: string;
  password?: string;
  /** Fastify's pino options (false: no logs). */
  logger?: FastifyServerOptions['logger'];
}

export interface CatalogServer {
  /** `http://HOST:PORT` (any path answers). */
  url: string;
  app: FastifyInstance;
  /** Catalog requests answered so far (any status). */
  requests(): number;
  close(): Promise<void>;
}

/** Log paths pino replaces (the password never reaches a log line). */
export const CATALOG_REDACT = ['req.headers.authorization', 'headers.authorization'];

function digest(s: string): Buffer {
  return createHash('sha256').update(s).digest();
}

/** Checks `authorization: Basic …` against the expected user and password. */
function checkAuth(header: string | undefined, expected: Buffer | undefined): void {
  if (expected === undefined) return;
  const m = /^Basic\s+(\S+)$/i.exec(header ?? '');
  if (m === null || !timingSafeEqual(digest(Buffer.from(m[1] ?? '', 'base64').toString('utf8')), expected)) {
    throw new HttpError('UNAUTHORIZED', 'basic authentication required (user and password of the catalog)');
  }
}

/** `channel` or `channel[0]`, `channel[1]`… in index order. */
function channelsOf(query: Record<string, unknown>): string[] {
  const one = query.channel;
  if (typeof one === 'string') return [one];
  const indexed: Array<[number, string]> = [];
  for (const [k, v] of Object.entries(query)) {
    const m = /^channel\[(\d+)\]$/.exec(k);
    if (m !== null && typeof v === 'string') indexed.push([Number(m[1]), v]);
  }
  return indexed.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
}

export async function startCatalogServer(o: CatalogServerOptions): Promise<CatalogServer> {
  if ((o.user === undefined) !== (o.password === undefined)) {
    throw new Error('catalog serve: give both --user and --password-file, or neither');
  }
  const expected = o.user === undefined ? undefined : digest(`${o.user}:${o.password ?? ''}`);
  const app = Fastify({ logger: o.logger ?? false, forceCloseConnections: true });
  const file = new CatalogFile(o.file, (error) => {
    if (error === undefined) app.log.info({ file: o.file }, 'catalog file reloaded');
    else app.log.warn({ file: o.file, reason: error }, 'catalog file not reloaded: the last good content stays');
  });
  let requests = 0;
  installErrorHandlers(app, () => undefined);
  app.get('/*', async (request) => {
    requests++;
    checkAuth(request.headers.authorization, expected);
    const query = request.query as Record<string, unknown>;
    const profile = query.config_profile;
    if (typeof profile !== 'string' || profile === '') {
      throw new HttpError('INVALID_REQUEST', 'config_profile is required');
    }
    try {
      return answerFor(file.content, profile, channelsOf(query));
    } catch (err) {
      if (err instanceof LookupError) throw new HttpError(err.code, err.message);
      throw err;
    }
  });
  try {
    await app.listen({ host: o.host ?? '127.0.0.1', port: o.port ?? 0 });
  } catch (err) {
    file.close();
    throw err;
  }
  const addr = app.server.address();
  const port = typeof addr === 'object' && addr !== null ? addr.port : o.port;
  const host = o.host ?? '127.0.0.1';
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    app,
    requests: () => requests,
    close: async () => {
      file.close();
      await app.close();
    },
  };
}
