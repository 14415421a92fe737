/**
 * The engine's counters (rules-reference.md §7), always on. A batch adds what its result
 * already holds: records, skipped, matched, per-rule match counts and per-decision counts
 * (counted natively, off the JS thread), and its timing. The cost per batch is a few additions
 * per rule and per label into typed arrays of the rule set that evaluated it (its Tally); the
 * named maps are only built by snapshot(), so counting never shows in a benchmark.
 */
import type { BatchResult } from '../batch-result';
import type { WindowStats } from '../types';
import { Histogram, type HistogramSummary } from './histogram';
import { catalogSamples } from './catalog';
import { StreamTotals } from './stream';

/** `metricsSnapshot()`: keys look like `name{label=value}` (rules-reference.md §7). */
export interface MetricsSnapshot {
  counters: Record<string, number>;
  gauges: Record<string, number>;
  /** Latency histograms in microseconds. */
  histograms: Record<string, HistogramSummary>;
}

/** One label of a metric. */
export interface Label {
  key: string;
  value: string;
}

/** One counter or gauge value (`name` without the `blazerules` prefix), with its labels
 * (none, one or several, in the order both writers show them). */
export interface Sample {
  kind: 'counter' | 'gauge';
  name: string;
  value: number;
  labels: readonly Label[];
}

/** One rule set's counts since the last fold. */
export class Tally {
  readonly ruleIds: readonly string[];
  readonly labels: readonly string[];
  readonly fired: Float64Array;
  readonly decisions: Float64Array;
  /** In the engine's list of tallies (a tally is dropped once folded and replaced). */
  attached = true;
  readonly #owner: EngineMetrics;

  constructor(owner: EngineMetrics, ruleIds: readonly string[], labels: readonly string[]) {
    this.#owner = owner;
    this.ruleIds = ruleIds;
    this.labels = labels;
    this.fired = new Float64Array(ruleIds.length);
    this.decisions = new Float64Array(Math.max(labels.length, 1));
  }

  /** A batch this rule set evaluated. */
  batch(b: BatchResult): void {
    const m = this.#owner;
    if (!this.attached) m.attach(this);
    m.batches++;
    m.records += b.nRecords;
    m.skipped += b.messagesSkipped;
    m.matched += b.nMatched;
    const fired = b.ruleMatchCountsView;
    for (let r = 0; r < fired.length; r++) this.fired[r] += fired[r] ?? 0;
    const dc = b.decisionCountsView;
    for (let c = 0; c < dc.length; c++) this.decisions[c] += dc[c] ?? 0;
    m.latency(b.timing.totalMs, b.timing.evalMs, b.timing.parseMs);
  }

  /** A record `evaluate` decided (rule indexes of the matches). */
  one(code: number, matched: boolean, rules: readonly number[]): void {
    const m = this.#owner;
    if (!this.attached) m.attach(this);
    m.batches++;
    m.records++;
    if (matched) m.matched++;
    for (const r of rules) this.fired[r] += 1;
    this.decisions[code] += 1;
  }
}

export class EngineMetrics {
  batches = 0;
  records = 0;
  skipped = 0;
  matched = 0;
  reloadOk = 0;
  reloadFailed = 0;
  readonly total = new Histogram();
  readonly evaluation = new Histogram();
  readonly transpose = new Histogram();
  readonly stream = new StreamTotals();
  #tallies: Tally[] = [];
  readonly #fired = new Map<string, number>();
  readonly #decisions = new Map<string, number>();

  /** A new rule set's tally. */
  tally(ruleIds: readonly string[], labels: readonly string[]): Tally {
    const t = new Tally(this, ruleIds, labels);
    this.#tallies.push(t);
    return t;
  }

  attach(t: Tally): void {
    t.attached = true;
    this.#tallies.push(t);
  }

  latency(totalMs: number, evalMs: number, parseMs: number): void {
    this.total.observe(totalMs * 1000);
    this.evaluation.observe(evalMs * 1000);
    this.transpose.observe(parseMs * 1000);
  }

  /** A hot reload or rules-topic update loaded (`ok`) or was refused. */
  reloaded(ok: boolean): void {
    if (ok) this.reloadOk++;
    else this.reloadFailed++;
  }

  /** Rule fire counts and decision counts by name, every tally folded in. */
  folded(): { fired: ReadonlyMap<string, number>; decisions: ReadonlyMap<string, number> } {
    const current = this.#tallies[this.#tallies.length - 1];
    for (const t of this.#tallies) {
      addInto(this.#fired, t.ruleIds, t.fired);
      addInto(this.#decisions, t.labels, t.decisions);
      t.fired.fill(0);
      t.decisions.fill(0);
      // Every rule and label of the current rule set is listed, even at 0.
      if (t !== current) t.attached = false;
    }
    this.#tallies = current === undefined ? [] : [current];
    return { fired: this.#fired, decisions: this.#decisions };
  }

  /** Every counter and gauge: one list for both snapshot() and the Prometheus text. */
  samples(windows: WindowStats): Sample[] {
    const { fired, decisions } = this.folded();
    const counter = (name: string, value: number, ...labels: Label[]): Sample => ({
      kind: 'counter',
      name,
      value,
      labels,
    });
    const gauge = (name: string, value: number, ...labels: Label[]): Sample => ({ kind: 'gauge', name, value, labels });
    const out: Sample[] = [
      counter('records_evaluated_total', this.records),
      counter('batches_evaluated_total', this.batches),
      counter('records_skipped_total', this.skipped),
      counter('records_matched_total', this.matched),
      counter('hot_reload_success_total', this.reloadOk),
      counter('hot_reload_failed_total', this.reloadFailed),
      counter('window_evicted_total', windows.evicted),
      gauge('window_entities', windows.entities),
      gauge('window_buckets', windows.buckets),
      gauge('window_bytes', windows.bytes),
    ];
    for (const [id, n] of fired) {
      out.push(counter('rule_fired_total', n, { key: 'rule_id', value: id }));
      out.push(gauge('rule_fire_rate', this.records > 0 ? n / this.records : 0, { key: 'rule_id', value: id }));
    }
    for (const [label, n] of decisions) out.push(counter('decisions_total', n, { key: 'action', value: label }));
    for (const [name, n] of Object.entries(this.stream.counters())) out.push(counter(name, n));
    out.push(gauge('stream_running', this.stream.running));
    for (const { topic, partition, lag } of this.stream.lags()) {
      out.push(
        gauge(
          'stream_consumer_lag',
          lag,
          { key: 'topic', value: topic },
          { key: 'partition', value: String(partition) },
        ),
      );
    }
    out.push(...catalogSamples());
    return out;
  }

  /** The latency histograms by name (µs). */
  histograms(): Record<string, Histogram> {
    return {
      batch_total_latency_us: this.total,
      batch_evaluation_latency_us: this.evaluation,
      batch_transpose_latency_us: this.transpose,
    };
  }

  snapshot(windows: WindowStats): MetricsSnapshot {
    const snap: MetricsSnapshot = { counters: {}, gauges: {}, histograms: {} };
    for (const s of this.samples(windows)) {
      const labels = s.labels.map((l) => `${l.key}=${l.value}`).join(',');
      const key = `blazerules.${s.name}${labels === '' ? '' : `{${labels}}`}`;
      (s.kind === 'counter' ? snap.counters : snap.gauges)[key] = s.value;
    }
    for (const [name, h] of Object.entries(this.histograms())) snap.histograms[`blazerules.${name}`] = h.summary();
    return snap;
  }
}

/** Adds `counts[i]` to `totals[names[i]]`. */
function addInto(totals: Map<string, number>, names: readonly string[], counts: Float64Array): void {
  for (const [i, name] of names.entries()) totals.set(name, (totals.get(name) ?? 0) + (counts[i] ?? 0));
}
