/** The admin routes' bearer token: read once from `--admin-token-file`, compared in constant
 * time, never logged (the logger redacts `authorization`). */
import { createHash, timingSafeEqual } from 'node:crypto';
import * as fs from 'node:fs';

import type { FastifyRequest } from 'fastify';

import { HttpError } from './errors';

function digest(text: string): Buffer {
  return createHash('sha256').update(text, 'utf8').digest();
}

/** The token of `file` (surrounding whitespace dropped); an empty file is refused. */
export function readAdminToken(file: string): string {
  const token = fs.readFileSync(file, 'utf8').trim();
  if (token === '') throw new Error(`--admin-token-file ${file} is empty`);
  return token;
}

/** A preHandler: 401 without `Authorization: Bearer …`, 403 with another token. */
export function bearerAuth(token: string): (request: FastifyRequest) => Promise<void> {
  const expected = digest(token);
  return async (request) => {
    const header = request.headers.authorization;
    const m = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
    if (m?.[1] === undefined) {
      throw new HttpError('UNAUTHORIZED', 'this route needs an Authorization: Bearer <token> header');
    }
    if (!timingSafeEqual(digest(m[1]), expected))
      throw new HttpError('FORBIDDEN', 'the bearer token is not the admin token');
  };
}
