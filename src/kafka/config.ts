/** Checks constructor options and builds the librdkafka configuration. */
import { KafkaIOError } from './errors';
import type { KafkaConf } from './types';

export function brokerList(brokers: unknown): string {
  const list = typeof brokers === 'string' ? brokers.split(',') : Array.isArray(brokers) ? brokers : undefined;
  const clean = (list ?? []).map((b) => (typeof b === 'string' ? b.trim() : '')).filter((b) => b !== '');
  if (clean.length === 0) {
    throw new KafkaIOError('INVALID_CONFIG', 'brokers is required ("host:port" or an array of them)');
  }
  return clean.join(',');
}

export function topicList(topics: unknown): string[] {
  const list = typeof topics === 'string' ? topics.split(',') : Array.isArray(topics) ? topics : undefined;
  const clean = (list ?? []).map((t) => (typeof t === 'string' ? t.trim() : '')).filter((t) => t !== '');
  if (clean.length === 0) throw new KafkaIOError('INVALID_CONFIG', 'topics is required (at least one topic name)');
  return clean;
}

export function requireString(value: unknown, name: string): string {
  if (typeof value !== 'string' || value === '') {
    throw new KafkaIOError('INVALID_CONFIG', `${name} is required (a non-empty string)`);
  }
  return value;
}

export function positiveInt(value: unknown, name: string, fallback: number): number {
  return intFrom(1, 'a positive integer', value, name, fallback);
}

export function nonNegativeInt(value: unknown, name: string, fallback: number): number {
  return intFrom(0, 'an integer >= 0', value, name, fallback);
}

function intFrom(least: number, what: string, value: unknown, name: string, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < least) {
    throw new KafkaIOError('INVALID_CONFIG', `${name} must be ${what}, got ${String(value)}`);
  }
  return value;
}

/** The user's properties, checked: values must be strings, numbers or booleans. */
export function userConf(conf: unknown): KafkaConf {
  if (conf === undefined || conf === null) return {};
  if (typeof conf !== 'object' || Array.isArray(conf)) {
    throw new KafkaIOError('INVALID_CONFIG', 'conf must be an object of librdkafka properties');
  }
  const out: KafkaConf = {};
  for (const [k, v] of Object.entries(conf)) {
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw new KafkaIOError('INVALID_CONFIG', `conf['${k}'] must be a string, number or boolean`);
    }
    out[k] = v;
  }
  return out;
}

/** librdkafka's boolean properties accept true/false and "true"/"false". */
export function confFlag(conf: KafkaConf, key: string, fallback: boolean): boolean {
  const v = conf[key];
  if (v === undefined) return fallback;
  return v === true || String(v).toLowerCase() === 'true';
}

/** librdkafka's topic-level properties. node-rdkafka always installs a topic configuration
 * of its own, which replaces any topic-level property set in the global one, so these must
 * go into the topic configuration. */
const TOPIC_PROPERTIES = new Set([
  'request.required.acks',
  'acks',
  'request.timeout.ms',
  'message.timeout.ms',
  'delivery.timeout.ms',
  'queuing.strategy',
  'produce.offset.report',
  'partitioner',
  'compression.codec',
  'compression.type',
  'compression.level',
  'auto.commit.enable',
  'auto.offset.reset',
  'offset.store.path',
  'offset.store.sync.interval.ms',
  'offset.store.method',
  'consume.callback.max.messages',
]);

/** Splits properties into librdkafka's global and topic configurations. */
export function splitConf(conf: Record<string, unknown>): {
  global: Record<string, unknown>;
  topic: Record<string, unknown>;
} {
  const global: Record<string, unknown> = {};
  const topic: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(conf)) {
    if (TOPIC_PROPERTIES.has(k)) topic[k] = v;
    else global[k] = v;
  }
  return { global, topic };
}
