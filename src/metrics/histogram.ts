/** A latency histogram with fixed buckets, cheap to observe (a few comparisons, no
 * allocation): what the batch latency metrics are made of. */

/** Bucket upper bounds in microseconds: 100 µs to 10 s. */
export const BUCKETS_US: readonly number[] = [
  100, 250, 500, 1000, 2500, 5000, 10_000, 25_000, 50_000, 100_000, 250_000, 500_000, 1e6, 2.5e6, 5e6, 1e7,
];

/** rules-reference.md §7: count, sum, min, max, mean (µs). */
export interface HistogramSummary {
  count: number;
  sum: number;
  min: number;
  max: number;
  mean: number;
}

export class Histogram {
  /** Observations per bucket (not cumulative); the last entry is above every bound. */
  readonly counts = new Float64Array(BUCKETS_US.length + 1);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  observe(us: number): void {
    if (!(us >= 0)) return;
    let i = 0;
    while (i < BUCKETS_US.length && us > (BUCKETS_US[i] as number)) i++;
    this.counts[i] += 1;
    this.count++;
    this.sum += us;
    if (us < this.min) this.min = us;
    if (us > this.max) this.max = us;
  }

  summary(): HistogramSummary {
    const n = this.count;
    return { count: n, sum: this.sum, min: n > 0 ? this.min : 0, max: this.max, mean: n > 0 ? this.sum / n : 0 };
  }

  /** Cumulative counts per bound (Prometheus `le`), `+Inf` last. */
  cumulative(): number[] {
    let acc = 0;
    return Array.from(this.counts, (c) => (acc += c));
  }
}
