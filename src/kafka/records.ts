/** Converting between node-rdkafka's message shapes and this module's. */
import { isUtf8 } from 'node:buffer';
import { KafkaIOError } from './errors';
import type { RdMessage } from './rdkafka';
import type { KafkaHeaders, KafkaRecord, PartitionRecords, ProduceHeaders } from './types';

/** Topic `i`'s partition `p` has window shard `i * TOPIC_STRIDE + p` (as runStream's shards.rs). */
const TOPIC_STRIDE = 2 ** 20;

/** Groups records by topic and partition (first-seen order), each group in poll order. */
export function byPartition(records: readonly KafkaRecord[], topics: readonly string[]): PartitionRecords[] {
  const groups = new Map<string, PartitionRecords>();
  for (const r of records) {
    const id = `${r.partition}\u0000${r.topic}`;
    let g = groups.get(id);
    if (g === undefined) {
      const i = Math.max(0, topics.indexOf(r.topic));
      const shard = topics.length <= 1 ? r.partition : i * TOPIC_STRIDE + r.partition;
      g = { topic: r.topic, partition: r.partition, shard, records: [], values: [] };
      groups.set(id, g);
    }
    g.records.push(r);
    g.values.push(r.value);
  }
  return [...groups.values()];
}

export function toRecord(m: RdMessage): KafkaRecord {
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset,
    key: m.key === null || m.key === undefined ? null : Buffer.isBuffer(m.key) ? m.key : Buffer.from(m.key),
    timestampMs: typeof m.timestamp === 'number' && m.timestamp >= 0 ? m.timestamp : -1,
    headers: toHeaders(m.headers),
    value: m.value ?? Buffer.alloc(0),
  };
}

function toHeaders(list: RdMessage['headers']): KafkaHeaders {
  const out: KafkaHeaders = {};
  if (!list) return out;
  for (const h of list) {
    for (const [k, raw] of Object.entries(h)) {
      const v = Buffer.isBuffer(raw) ? raw : Buffer.from(String(raw));
      const prev = out[k];
      if (prev === undefined) out[k] = v;
      else if (Array.isArray(prev)) prev.push(v);
      else out[k] = [prev, v];
    }
  }
  return out;
}

/**
 * KafkaJS-style or pair-list headers → node-rdkafka's list of one-key objects. node-rdkafka
 * sends header values as UTF-8 text, so a Buffer value must be valid UTF-8 (else it would
 * arrive altered): such a value is refused with PRODUCE_FAILED.
 */
export function toRdHeaders(headers: ProduceHeaders | undefined): Array<Record<string, string>> | undefined {
  if (headers === undefined || headers === null) return undefined;
  const out: Array<Record<string, string>> = [];
  const add = (key: string, value: unknown): void => {
    if (typeof value === 'string') out.push({ [key]: value });
    else if (Buffer.isBuffer(value) && isUtf8(value)) out.push({ [key]: value.toString('utf8') });
    else if (Buffer.isBuffer(value)) {
      throw new KafkaIOError(
        'PRODUCE_FAILED',
        `header '${key}' is not valid UTF-8: node-rdkafka sends header values as UTF-8 text`,
      );
    } else throw new KafkaIOError('PRODUCE_FAILED', `header '${key}' must be a string or a Buffer`);
  };
  if (Array.isArray(headers)) {
    for (const h of headers as readonly { key: string; value: Buffer | string }[]) add(h.key, h.value);
  } else {
    for (const [k, v] of Object.entries(
      headers as Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>,
    )) {
      if (v === undefined) continue;
      if (Array.isArray(v)) for (const one of v as readonly (Buffer | string)[]) add(k, one);
      else add(k, v);
    }
  }
  return out.length > 0 ? out : undefined;
}

/** The offsets to commit: for each partition, the next offset after the last one returned. */
export class OffsetTracker {
  readonly #next = new Map<string, { topic: string; partition: number; offset: number }>();

  static key(topic: string, partition: number): string {
    return `${partition}\u0000${topic}`;
  }

  /** Records that `m` was handed to the application. */
  returned(topic: string, partition: number, offset: number): void {
    const k = OffsetTracker.key(topic, partition);
    const cur = this.#next.get(k);
    if (cur === undefined || offset + 1 > cur.offset) this.#next.set(k, { topic, partition, offset: offset + 1 });
  }

  /** The pending offsets of the partitions in `owned` (all of them if `owned` is undefined). */
  pending(owned?: ReadonlySet<string>): { topic: string; partition: number; offset: number }[] {
    const out = [];
    for (const [k, v] of this.#next) if (owned === undefined || owned.has(k)) out.push({ ...v });
    return out;
  }

  /** Forgets offsets once committed (unless a later poll moved them on meanwhile). */
  committed(offsets: readonly { topic: string; partition: number; offset: number }[]): void {
    for (const o of offsets) {
      const k = OffsetTracker.key(o.topic, o.partition);
      if (this.#next.get(k)?.offset === o.offset) this.#next.delete(k);
    }
  }

  /** Keeps only the partitions in `owned` (after a rebalance). */
  retain(owned: ReadonlySet<string>): void {
    for (const k of [...this.#next.keys()]) if (!owned.has(k)) this.#next.delete(k);
  }

  get size(): number {
    return this.#next.size;
  }
}
