/** The `catalog` option (service.md §6) and its one validation. */
import { KafkaIOError } from '../kafka/errors';

export type CatalogAuth = { username: string; password: string } | { token: string };

/** Extra query parameters: nested objects are flattened to dotted keys (`kafka.env=prod`). */
export interface CatalogParams {
  [key: string]: string | number | boolean | CatalogParams;
}

export interface CatalogOptions {
  /** The catalog endpoint, e.g. `http://catalog:8090/servicegw`. */
  url: string;
  /** Basic (`{ username, password }`) or bearer (`{ token }`) authentication. */
  auth?: CatalogAuth;
  /** The config profile asked for (`config_profile=`). */
  configProfile: string;
  /** An answer is used without asking again for this long (default 300000 = 5 min). */
  ttlMs?: number;
  params?: CatalogParams;
  /** `client.id` of the Kafka clients (default "blazerules"). */
  clientId?: string;
  /** One catalog request may take this long (default 10000). */
  requestTimeoutMs?: number;
}

/** Validated options, defaults filled in. */
export interface CatalogSettings {
  url: string;
  auth: CatalogAuth | undefined;
  configProfile: string;
  ttlMs: number;
  params: Record<string, string>;
  clientId: string;
  requestTimeoutMs: number;
}

export const DEFAULT_TTL_MS = 300_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 10_000;

function bad(message: string): KafkaIOError {
  return new KafkaIOError('INVALID_CONFIG', `catalog: ${message}`);
}

function text(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') throw bad(`${name} is required (a non-empty string)`);
  return value;
}

function ms(value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
    throw bad(`${name} must be a positive integer (milliseconds), got ${String(value)}`);
  }
  return value;
}

function auth(value: unknown): CatalogAuth | undefined {
  if (value === undefined) return undefined;
  if (value === null || typeof value !== 'object') throw bad('auth must be { username, password } or { token }');
  const a = value as Record<string, unknown>;
  if ('token' in a) return { token: text(a.token, 'auth.token') };
  return { username: text(a.username, 'auth.username'), password: text(a.password, 'auth.password') };
}

/** `{ a: { b: 1 } }` → `{ 'a.b': '1' }`, as the seed's client encodes them. */
export function flattenParams(params: unknown, prefix = ''): Record<string, string> {
  if (params === undefined) return {};
  if (params === null || typeof params !== 'object' || Array.isArray(params)) {
    throw bad(`params${prefix === '' ? '' : ` at '${prefix.slice(0, -1)}'`} must be an object`);
  }
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(params)) {
    if (v !== null && typeof v === 'object' && !Array.isArray(v))
      Object.assign(out, flattenParams(v, `${prefix}${k}.`));
    else if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') out[`${prefix}${k}`] = String(v);
    else throw bad(`params.${prefix}${k} must be a string, number, boolean or object`);
  }
  return out;
}

/** Checks the `catalog` option once; every error names the field. */
export function catalogSettings(value: unknown): CatalogSettings {
  if (value === null || typeof value !== 'object') throw bad('must be { url, configProfile, auth?, ttlMs?, ... }');
  const o = value as Record<string, unknown>;
  const url = text(o.url, 'url');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw bad(`url is not a URL: '${url}'`);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') throw bad(`url must be http(s), got '${url}'`);
  if (parsed.username !== '' || parsed.password !== '') throw bad('url must not carry credentials (use auth)');
  return {
    url,
    auth: auth(o.auth),
    configProfile: text(o.configProfile, 'configProfile'),
    ttlMs: ms(o.ttlMs, 'ttlMs', DEFAULT_TTL_MS),
    params: flattenParams(o.params),
    clientId: o.clientId === undefined ? 'blazerules' : text(o.clientId, 'clientId'),
    requestTimeoutMs: ms(o.requestTimeoutMs, 'requestTimeoutMs', DEFAULT_REQUEST_TIMEOUT_MS),
  };
}

/** A channel's name as the answer maps it: the last path segment (`kafka://x.com/bar` → bar). */
export function channelName(channel: string): string {
  return channel.split('/').pop() ?? channel;
}

/** Checks a list of channels (`kafka://<domain>/<name>`). */
export function channelList(value: unknown, name: string): string[] {
  const list = typeof value === 'string' ? value.split(',') : Array.isArray(value) ? value : undefined;
  const clean = (list ?? []).map((c) => (typeof c === 'string' ? c.trim() : '')).filter((c) => c !== '');
  if (clean.length === 0) throw bad(`${name} is required (at least one kafka://<domain>/<name> channel)`);
  for (const c of clean) if (!isChannel(c)) throw bad(`${name}: '${c}' is not a kafka://<domain>/<name> channel`);
  return clean;
}

export function isChannel(name: string): boolean {
  return /^kafka:\/\/[^/]+\/.*[^/]$/.test(name);
}
