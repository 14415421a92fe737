/**
 * Helpers for runStream with window rules (__test__/stream-windows*.spec.ts): a rule set with
 * event-time and processing-time windows, records produced to chosen partitions with chosen
 * Kafka timestamps, the decisions one uninterrupted engine makes of them, and the decisions
 * read back from an enriched output topic (the last one per input offset).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RuleEngine } from '../../src/index';
import type { KafkaRecord } from '../../src/io';
import { KAFKA_LOCAL } from './kafka';
import { parseOut } from './stream-kit';

export const T0 = 1_709_510_400_000; // 2024-03-04T00:00:00Z

/** A payment of `card`: its event time `ts`, an integer amount (sums stay exact doubles). */
export interface Payment {
  partition: number;
  card: string;
  amount: number;
  ts: number;
  /** The Kafka timestamp (default: ts). */
  kafkaTs?: number;
  /** Bytes of padding the rules do not read (a bigger record). */
  pad?: number;
}

/** One rule per window, score weights 1, 2, 4 (the score says which matched): a count and a
 * sum over event time (`ts`), and (unless `eventTimeOnly`) a count over processing time,
 * which inside runStream is the Kafka timestamp. */
export function windowRules(eventTimeOnly = false): string {
  const rule = (id: string, weight: number, window: object) => ({
    id,
    action: 'score',
    weight,
    conditions: { window },
  });
  const rules = [
    rule('burst', 1, { entity_field: 'card', duration_seconds: 60, time_field: 'ts', op: 'gte', value: 3 }),
    rule('spend', 2, {
      entity_field: 'card',
      function: 'sum',
      sum_field: 'amount',
      duration_seconds: 120,
      time_field: 'ts',
      op: 'gt',
      value: 1500,
    }),
  ];
  if (!eventTimeOnly) rules.push(rule('busy', 4, { entity_field: 'card', duration_seconds: 30, op: 'gte', value: 4 }));
  const doc = { ruleset: { name: 'velocity', version: '1', rules } };
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-stream-windows-'));
  const file = join(dir, 'rules.json');
  writeFileSync(file, JSON.stringify(doc));
  return file;
}

export function paymentJson(p: Payment): string {
  const pad = p.pad ? { note: 'x'.repeat(p.pad) } : {};
  return JSON.stringify({ card: p.card, amount: p.amount, ts: p.ts, ...pad });
}

/** `n` payments over `cards` cards (card i always in partition i % partitions), `stepMs`
 * (1000) apart in event time from T0, amounts 0..699. */
export function payments(
  n: number,
  o: { partitions: number; cards: number; stepMs?: number; scatter?: boolean },
): Payment[] {
  const step = o.stepMs ?? 1000;
  return Array.from({ length: n }, (_, i) => {
    // scatter: cards in a pseudo-random order (irregular gaps: window values vary).
    const c = o.scatter ? (Math.imul(i + 1, 2654435761) >>> 0) % o.cards : (i * 7) % o.cards;
    return { partition: c % o.partitions, card: `c${c}`, amount: (i * 37) % 700, ts: T0 + i * step };
  });
}

/** Deletes a partition's records below `offset` (moves its log start, as retention would). */
export function deleteRecordsBelow(address: string, topic: string, partition: number, offset: number): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-delete-records-'));
  const file = join(dir, 'offsets.json');
  writeFileSync(file, JSON.stringify({ version: 1, partitions: [{ topic, partition, offset }] }));
  const args = ['tool', 'org.apache.kafka.tools.DeleteRecordsCommand', '--bootstrap-server', address];
  args.push('--offset-json-file', file);
  return new Promise((resolve, reject) =>
    execFile(KAFKA_LOCAL, args, { timeout: 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`deleting records of ${topic}: ${err.message} ${stderr}`)) : resolve(),
    ),
  );
}

/** Throttles what consumers with `client.id` = `clientId` may fetch (a broker quota, bytes/s):
 * a replay that takes seconds without millions of records. */
export function throttle(address: string, clientId: string, bytesPerSecond: number): Promise<void> {
  const args = ['tool', 'kafka.admin.ConfigCommand', '--bootstrap-server', address, '--alter'];
  args.push('--add-config', `consumer_byte_rate=${bytesPerSecond}`, '--entity-type', 'clients');
  args.push('--entity-name', clientId);
  return new Promise((resolve, reject) =>
    execFile(KAFKA_LOCAL, args, { timeout: 60_000 }, (err, _out, stderr) =>
      err ? reject(new Error(`throttling ${clientId}: ${err.message} ${stderr}`)) : resolve(),
    ),
  );
}

type RdProducer = {
  connect(o: object, cb: (err: unknown) => void): void;
  produce(topic: string, partition: number, value: Buffer, key: string, timestamp: number): void;
  flush(timeout: number, cb: (err: unknown) => void): void;
  setPollInterval(ms: number): void;
  on(ev: 'delivery-report', cb: (err: unknown) => void): void;
  disconnect(cb: () => void): void;
};

/** Produces the payments to their partitions with their Kafka timestamps; waits for delivery. */
export async function producePayments(address: string, topic: string, recs: readonly Payment[]): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rd = require('node-rdkafka') as { Producer: new (conf: object, topicConf: object) => RdProducer };
  const p = new rd.Producer(
    { 'metadata.broker.list': address, dr_cb: true, 'linger.ms': 5, 'enable.idempotence': true },
    {},
  );
  let failed = 0;
  p.on('delivery-report', (err) => {
    if (err) failed++;
  });
  await new Promise<void>((resolve, reject) => p.connect({ timeout: 10_000 }, (e) => (e ? reject(e) : resolve())));
  p.setPollInterval(50);
  try {
    for (let start = 0; start < recs.length; start += 20_000) {
      for (const r of recs.slice(start, start + 20_000))
        p.produce(topic, r.partition, Buffer.from(paymentJson(r)), r.card, r.kafkaTs ?? r.ts);
      await new Promise<void>((resolve, reject) => p.flush(60_000, (e) => (e ? reject(e) : resolve())));
    }
    await new Promise((r) => setTimeout(r, 200)); // the last delivery reports
    if (failed > 0) throw new Error(`${failed} payments were not delivered to ${topic}`);
  } finally {
    await new Promise<void>((resolve) => p.disconnect(() => resolve()));
  }
}

/** "decision|score|winner": what the output and the reference must agree on. */
const outcome = (d: string, score: number, winner: string): string => `${d}|${score}|${winner}`;

/** What one uninterrupted engine decides: each partition's records in order, on that
 * partition's shard, each at its Kafka timestamp. Keyed "partition/offset" (offsets count
 * from `base[p]`, default 0, in production order). */
export function reference(rulesFile: string, recs: readonly Payment[]): Map<string, string> {
  const e = new RuleEngine();
  e.loadRules(rulesFile);
  const next = new Map<number, number>();
  const out = new Map<string, string>();
  for (const r of recs) {
    const o = next.get(r.partition) ?? 0;
    next.set(r.partition, o + 1);
    const b = e.evaluateNdjsonSync(paymentJson(r), { partition: r.partition, nowMs: r.kafkaTs ?? r.ts });
    out.set(`${r.partition}/${o}`, outcome(b.decisions[0] ?? '', b.scores[0] ?? 0, b.winningRuleIds[0] ?? ''));
  }
  return out;
}

/** The decisions on an enriched output topic: the last one per "partition/offset". */
export function decided(out: readonly KafkaRecord[]): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of out) {
    const d = parseOut(r);
    m.set(`${d.partition}/${d.offset}`, outcome(d.decision, d.score, d.winning_rule_id));
  }
  return m;
}

/** The offsets whose decision differs (or is missing), summarised. */
export function differences(got: ReadonlyMap<string, string>, want: ReadonlyMap<string, string>): string[] {
  const bad: string[] = [];
  for (const [k, v] of want) if (got.get(k) !== v) bad.push(`${k}: got ${got.get(k) ?? 'nothing'}, want ${v}`);
  return bad;
}
