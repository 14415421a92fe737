/** A catalog answer: its shape checked, and resolved into what a Kafka client needs. */
import { KafkaIOError } from '../kafka/errors';
import type { KafkaConf } from '../kafka/types';
import { channelName } from './options';

/** The catalog's answer (service.md §6, the seed's format). */
export interface CatalogAnswer {
  channel_mapping: Record<string, string>;
  connection: KafkaConf;
  credentials: KafkaConf;
  configuration: KafkaConf;
}

/** What the clients are built from. */
export interface CatalogResolution {
  /** From `connection['bootstrap.servers']` (or `metadata.broker.list`). */
  brokers: string;
  /** connection + credentials + configuration + `client.id`, brokers left out. */
  conf: KafkaConf;
  /** Topic of each channel asked for. */
  topics: Record<string, string>;
}

function invalid(message: string): KafkaIOError {
  return new KafkaIOError('CATALOG_INVALID_ANSWER', `catalog answer: ${message}`);
}

function props(value: unknown, name: string, required: boolean): KafkaConf {
  if (value === undefined && !required) return {};
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw invalid(`'${name}' must be an object of properties`);
  }
  const out: KafkaConf = {};
  for (const [k, v] of Object.entries(value)) {
    // The value is never printed: it may be a credential.
    if (typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'boolean') {
      throw invalid(`'${name}.${k}' must be a string, number or boolean`);
    }
    out[k] = v;
  }
  return out;
}

/** Checks an answer's shape (credentials and configuration may be absent: empty). */
export function checkAnswer(value: unknown): CatalogAnswer {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) throw invalid('not a JSON object');
  const a = value as Record<string, unknown>;
  const mapping = props(a.channel_mapping, 'channel_mapping', true);
  for (const [k, v] of Object.entries(mapping)) {
    if (typeof v !== 'string' || v === '') throw invalid(`channel_mapping.${k} must be a topic name`);
  }
  return {
    channel_mapping: mapping as Record<string, string>,
    connection: props(a.connection, 'connection', true),
    credentials: props(a.credentials, 'credentials', false),
    configuration: props(a.configuration, 'configuration', false),
  };
}

const BROKER_KEYS = ['bootstrap.servers', 'metadata.broker.list'];

/** Brokers, the merged configuration (as the seed merges it) and each channel's topic. */
export function resolve(answer: CatalogAnswer, channels: readonly string[], clientId: string): CatalogResolution {
  const merged: KafkaConf = {
    ...answer.connection,
    ...answer.credentials,
    ...answer.configuration,
    'client.id': clientId,
  };
  const brokers = BROKER_KEYS.map((k) => merged[k]).find((v) => typeof v === 'string' && v.trim() !== '');
  if (brokers === undefined) throw invalid("connection has no 'bootstrap.servers'");
  const conf: KafkaConf = {};
  for (const [k, v] of Object.entries(merged)) if (!BROKER_KEYS.includes(k)) conf[k] = v;
  const topics: Record<string, string> = {};
  for (const c of channels) {
    const topic = answer.channel_mapping[channelName(c)];
    if (topic === undefined) {
      throw invalid(`no topic for channel '${c}' (channel_mapping has no '${channelName(c)}')`);
    }
    topics[c] = topic;
  }
  return { brokers: String(brokers), conf, topics };
}

/** The same answer, whatever the order of its keys. */
export function sameAnswer(a: unknown, b: unknown): boolean {
  return canonical(a) === canonical(b);
}

function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const keys = Object.keys(v).sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${canonical((v as Record<string, unknown>)[k])}`).join(',')}}`;
}
