/**
 * runStream's stats as engine metrics: each run reports its running totals about once a
 * second (and at its end); the engine keeps the sum over every run of its rules, so that the
 * `blazerules_stream_*` counters only grow, across runs too. Consumer lag is a gauge of the
 * running loops only: a loop's partitions leave it when the loop ends.
 */
import type { StreamPartitionLag, StreamRunStats } from '../kafka/stream';

/** The counted fields of StreamRunStats and their metric names. */
const FIELDS = [
  ['batches', 'batches_total'],
  ['messages', 'messages_total'],
  ['matched', 'matched_total'],
  ['emitted', 'emitted_total'],
  ['skipped', 'skipped_total'],
  ['dlqRouted', 'dlq_routed_total'],
  ['deliveryErrors', 'delivery_errors_total'],
  ['outages', 'outages_total'],
] as const;

export class StreamTotals {
  /** Ended runs' totals, plus the latest stats of each running one. */
  readonly #ended = new Map<string, number>();
  readonly #running = new Map<object, StreamRunStats>();

  /** A run's latest stats (`ended`: its last ones). */
  update(run: object, stats: StreamRunStats, ended: boolean): void {
    if (!ended) {
      this.#running.set(run, stats);
      return;
    }
    this.#running.delete(run);
    for (const [k, v] of Object.entries(flatten(stats))) this.#ended.set(k, (this.#ended.get(k) ?? 0) + v);
  }

  /** Runs under way. */
  get running(): number {
    return this.#running.size;
  }

  /** The running loops' latest consumer lag per partition (summed where two loops, of two
   * groups, hold the same partition), by topic and partition. */
  lags(): StreamPartitionLag[] {
    const sum = new Map<string, StreamPartitionLag>();
    for (const s of this.#running.values()) {
      for (const { topic, partition, lag } of s.consumerLag) {
        const key = `${partition}/${topic}`;
        const seen = sum.get(key);
        if (seen === undefined) sum.set(key, { topic, partition, lag });
        else seen.lag += lag;
      }
    }
    return [...sum.values()].sort((a, b) =>
      a.topic < b.topic ? -1 : a.topic > b.topic ? 1 : a.partition - b.partition,
    );
  }

  /** `stream_<name>` → value, over every run. */
  counters(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, v] of this.#ended) out[k] = v;
    for (const s of this.#running.values()) {
      for (const [k, v] of Object.entries(flatten(s))) out[k] = (out[k] ?? 0) + v;
    }
    return out;
  }
}

function flatten(s: StreamRunStats): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [field, name] of FIELDS) out[`stream_${name}`] = s[field];
  out.stream_eval_seconds_total = s.evalMs / 1000;
  out.stream_outage_seconds_total = s.outageMs / 1000;
  return out;
}
