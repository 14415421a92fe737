/**
 * The HTTP errors of `blazerules serve` (service.md §5): every error answer is
 * `{ "error": { "code", "message" } }`. The codes are the engine's where one fits
 * (MALFORMED_JSON, NO_RULES, a RulesError's code) and these HTTP ones otherwise; this table is
 * their one definition (docs/serve.md, "Errors").
 */
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';

export const HTTP_ERRORS = {
  MALFORMED_JSON: 400,
  INVALID_REQUEST: 400,
  RULES_INVALID: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  BODY_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  NOT_READY: 503,
  EVENT_NOT_DELIVERED: 503,
  INTERNAL: 500,
} as const;

export type HttpErrorCode = keyof typeof HTTP_ERRORS;

/** An error a handler throws to answer with its status and `{ error: { code, message } }`. */
export class HttpError extends Error {
  readonly code: HttpErrorCode;
  readonly status: number;
  constructor(code: HttpErrorCode, message: string) {
    super(message);
    this.code = code;
    this.status = HTTP_ERRORS[code];
  }
}

export interface ErrorBody {
  error: { code: string; message: string };
}

export function errorBody(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Fastify's own errors (body parsing, limits, validation) in the service's vocabulary. */
const FASTIFY_CODES: Readonly<Record<string, HttpErrorCode>> = {
  FST_ERR_CTP_INVALID_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'MALFORMED_JSON',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_REQUEST',
  FST_ERR_VALIDATION: 'INVALID_REQUEST',
};

function classify(err: FastifyError): HttpError {
  if (err instanceof HttpError) return err;
  if (err.validation !== undefined) return new HttpError('INVALID_REQUEST', err.message);
  const code = FASTIFY_CODES[err.code];
  if (code !== undefined) return new HttpError(code, err.message);
  if (err instanceof SyntaxError) return new HttpError('MALFORMED_JSON', err.message);
  return new HttpError('INTERNAL', 'internal error');
}

function send(reply: FastifyReply, e: HttpError): FastifyReply {
  return reply.code(e.status).type('application/json; charset=utf-8').send(errorBody(e.code, e.message));
}

/** Every error and unknown route answers in the JSON error shape; 5xx are logged and
 * passed to `on5xx` (the dashboard's recent errors). */
export function installErrorHandlers(app: FastifyInstance, on5xx: (e: HttpError) => void): void {
  app.setErrorHandler((err: FastifyError, request, reply) => {
    const e = classify(err);
    if (e.code === 'INTERNAL') request.log.error({ err }, 'request failed');
    else if (e.status >= 500) request.log.warn({ code: e.code, reason: e.message }, 'request refused');
    if (e.status >= 500) on5xx(e);
    return send(reply, e);
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, new HttpError('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}
