/** One catalog request, built exactly as the seed's Python client builds it (service.md §6). */
import type { CatalogSettings } from './options';

/** Python's `quote_plus`: only letters, digits and `_.-~` stay; a space becomes `+`. */
function quotePlus(s: string): string {
  return encodeURIComponent(s)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+');
}

/** `config_profile`, then `channel` (one) or `channel[i]` (several), then the flattened params;
 * a param with the name of an earlier key replaces its value in place, as a Python dict does. */
export function queryString(settings: CatalogSettings, channels: readonly string[]): string {
  const q = new Map<string, string>([['config_profile', settings.configProfile]]);
  if (channels.length === 1) q.set('channel', channels[0] as string);
  else for (const [i, c] of channels.entries()) q.set(`channel[${i}]`, c);
  for (const [k, v] of Object.entries(settings.params)) q.set(k, v);
  return [...q].map(([k, v]) => `${quotePlus(k)}=${quotePlus(v)}`).join('&');
}

export function requestUrl(settings: CatalogSettings, channels: readonly string[]): string {
  const sep = settings.url.includes('?') ? '&' : '?';
  return `${settings.url}${sep}${queryString(settings, channels)}`;
}

function authorization(settings: CatalogSettings): string | undefined {
  const a = settings.auth;
  if (a === undefined) return undefined;
  if ('token' in a) return `Bearer ${a.token}`;
  return `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}`;
}

/** Why a request failed; `message` may hold secrets: the resolver redacts it. */
export class CatalogRequestError extends Error {
  readonly status: number | undefined;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
}

/** GETs the answer for `channels`: the parsed JSON body of a 2xx answer. */
export async function fetchAnswer(settings: CatalogSettings, channels: readonly string[]): Promise<unknown> {
  const url = requestUrl(settings, channels);
  const headers: Record<string, string> = { accept: 'application/json' };
  const auth = authorization(settings);
  if (auth !== undefined) headers.authorization = auth;
  let res: Response;
  try {
    res = await fetch(url, { headers, signal: AbortSignal.timeout(settings.requestTimeoutMs) });
  } catch (err) {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    const why = e.name === 'TimeoutError' ? `no answer within ${settings.requestTimeoutMs} ms` : causeText(e);
    throw new CatalogRequestError(`catalog request to ${settings.url} failed: ${why}`);
  }
  const body = await res.text().catch(() => '');
  if (!res.ok) {
    const detail = errorDetail(body);
    throw new CatalogRequestError(
      `catalog ${settings.url} answered ${res.status}${detail === '' ? '' : `: ${detail}`}`,
      res.status,
    );
  }
  try {
    return JSON.parse(body) as unknown;
  } catch {
    throw new CatalogRequestError(`catalog ${settings.url} answered ${res.status} with a body that is not JSON`);
  }
}

function causeText(e: Error & { cause?: { code?: string; message?: string } }): string {
  const c = e.cause;
  if (c?.code !== undefined) return `${c.code}${c.message === undefined ? '' : ` (${c.message})`}`;
  return c?.message ?? e.message;
}

/** The `{ error: { code, message } }` of an error body, or its start. */
function errorDetail(body: string): string {
  try {
    const e = (JSON.parse(body) as { error?: { code?: unknown; message?: unknown } }).error;
    if (e !== undefined) return `${String(e.code)} ${String(e.message)}`;
  } catch {
    // not JSON: its beginning
  }
  return body.slice(0, 200);
}
