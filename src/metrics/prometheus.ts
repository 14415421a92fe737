/**
 * The engine's metrics as Prometheus text exposition 0.0.4, written by prom-client (a fresh
 * registry per call, filled from the engine's counters: nothing is counted through
 * prom-client, whose per-observation cost would show on small batches).
 *
 * Names: rules-reference.md §7's `blazerules.<name>` become `blazerules_<name>`; the
 * decision label `action` becomes `decision`; the µs latency histograms become `_seconds`
 * histograms with buckets. Added: `blazerules_rules_info{name,version} 1`. docs/metrics.md
 * lists them all.
 */
import { Counter, Gauge, Histogram as PromHistogram, Registry } from 'prom-client';
import type { MetricObjectWithValues, MetricType, MetricValueWithName } from 'prom-client';

import type { WindowStats } from '../types';
import type { EngineMetrics, Sample } from './counters';
import { BUCKETS_US, type Histogram } from './histogram';

/** Label keys as Prometheus shows them. */
const LABEL_KEYS: Record<string, string> = { action: 'decision' };

const HELP: Record<string, string> = {
  records_evaluated_total: 'Records evaluated (batch calls and evaluate())',
  batches_evaluated_total: 'Batches evaluated (an evaluate() call is a batch of one)',
  records_skipped_total: 'Records skipped as unreadable',
  records_matched_total: 'Records that matched at least one rule (shadow rules included)',
  rule_fired_total: 'Records each rule matched (shadow rules included)',
  rule_fire_rate: 'rule_fired_total / records_evaluated_total',
  decisions_total: 'Records per decision label',
  hot_reload_success_total: 'Rules reloads that loaded (hot reload and rules topic)',
  hot_reload_failed_total: 'Rules reloads that failed (the active rules stayed)',
  window_evicted_total: 'Window entities evicted to stay within maxWindowEntities',
  window_entities: 'Window entities with state',
  window_buckets: 'Window buckets, over every entity and window',
  window_bytes: 'Estimated heap bytes of the window state',
  stream_running: 'runStream loops running on this engine',
};

/** prom-client's `type` of a histogram: its typings declare an enum that its JavaScript does
 * not export; the registry writes the text it holds. */
const HISTOGRAM = 'histogram' as unknown as MetricType;

/** A histogram whose values are the engine's own (observed without prom-client): the
 * registry reads a metric through get(), overridden here. */
class SnapshotHistogram extends PromHistogram {
  readonly #name: string;
  readonly #help: string;
  readonly #h: Histogram;

  constructor(name: string, help: string, h: Histogram, registry: Registry) {
    super({ name, help, buckets: BUCKETS_US.map((us) => us / 1e6), registers: [registry] });
    this.#name = name;
    this.#help = help;
    this.#h = h;
  }

  override async get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const name = this.#name;
    const cumulative = this.#h.cumulative();
    const bounds: (number | string)[] = [...BUCKETS_US.map((us) => us / 1e6), '+Inf'];
    const values: MetricValueWithName<string>[] = bounds.map((le, i) => ({
      metricName: `${name}_bucket`,
      labels: { le },
      value: cumulative[i] ?? 0,
    }));
    values.push({ metricName: `${name}_sum`, labels: {}, value: this.#h.sum / 1e6 });
    values.push({ metricName: `${name}_count`, labels: {}, value: this.#h.count });
    return { name, help: this.#help, type: HISTOGRAM, values, aggregator: 'sum', collect: () => undefined };
  }

  /** What the registry writes the text from (prom-client calls it when present). */
  getForPromString(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    return this.get();
  }
}

function help(name: string): string {
  return HELP[name] ?? `runStream: ${name.replace(/^stream_/, '').replace(/_/g, ' ')}, over every run of this engine`;
}

/** The counters and gauges, one prom-client metric per name. */
function addSamples(registry: Registry, samples: Sample[]): void {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) byName.set(s.name, [...(byName.get(s.name) ?? []), s]);
  for (const [name, list] of byName) {
    const key = list[0]?.label?.key;
    const labelNames = key === undefined ? [] : [LABEL_KEYS[key] ?? key];
    const config = { name: `blazerules_${name}`, help: help(name), labelNames, registers: [registry] };
    const metric = list[0]?.kind === 'counter' ? new Counter(config) : new Gauge(config);
    for (const s of list) {
      const labels = s.label === undefined ? {} : { [LABEL_KEYS[s.label.key] ?? s.label.key]: s.label.value };
      if (metric instanceof Counter) metric.inc(labels, s.value);
      else metric.set(labels, s.value);
    }
  }
}

export function metricsText(
  metrics: EngineMetrics,
  windows: WindowStats,
  rules: { name: string; version: string },
): Promise<string> {
  const registry = new Registry();
  addSamples(registry, metrics.samples(windows));
  const info = new Gauge({
    name: 'blazerules_rules_info',
    help: 'The active rule set (always 1)',
    labelNames: ['name', 'version'],
    registers: [registry],
  });
  if (rules.version !== '' || rules.name !== '') info.set({ name: rules.name, version: rules.version }, 1);
  for (const [name, h] of Object.entries(metrics.histograms())) {
    const seconds = `blazerules_${name.replace(/_us$/, '_seconds')}`;
    new SnapshotHistogram(seconds, `Batch ${name.split('_')[1]} latency in seconds`, h, registry);
  }
  return registry.metrics();
}
