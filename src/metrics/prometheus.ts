/**
 * The engine's metrics as Prometheus text exposition 0.0.4, written here, synchronously, from
 * the engine's own counters.
 *
 * Why not prom-client's registry: it writes text only through an async `metrics()`, so
 * `engine.metricsText()` could not return the text itself (service.md §4); and it can only
 * write what it counted, at 0.5-1 µs per labelled increment, which would show on one-record
 * batches. The format (escaping, `le` buckets, `+Inf`, `_sum`/`_count`) is checked by parsing
 * the text back in __test__/metrics.spec.ts.
 *
 * Names: rules-reference.md §7's `blazerules.<name>` become `blazerules_<name>`; the
 * decision label `action` becomes `decision`; the µs latency histograms become `_seconds`
 * histograms with buckets. Added: `blazerules_rules_info{name,version} 1`. docs/metrics.md
 * lists them all.
 */
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
  stream_consumer_lag: 'runStream: latest consumer lag of each partition the running loops have assigned',
  catalog_requests_total: 'Catalog requests of the catalog-routed Kafka clients of this process',
  catalog_failures_total: 'Catalog requests that failed (the last good answer stayed in use)',
  catalog_answer_age_seconds: 'Age of the oldest catalog answer in use',
  catalog_stale: '1 while a catalog answer in use is older than its TTL (the catalog failing)',
};

function help(name: string): string {
  return HELP[name] ?? `runStream: ${name.replace(/^stream_/, '').replace(/_/g, ' ')}, over every run of this engine`;
}

/** A sample value as the format writes it. */
function num(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Number.POSITIVE_INFINITY) return '+Inf';
  if (v === Number.NEGATIVE_INFINITY) return '-Inf';
  return String(v);
}

/** `{k="v",…}` with the format's escapes (backslash, double quote, newline). */
function labels(pairs: ReadonlyArray<readonly [string, string]>): string {
  if (pairs.length === 0) return '';
  const esc = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${pairs.map(([k, v]) => `${k}="${esc(v)}"`).join(',')}}`;
}

/** The HELP and TYPE lines of a metric family. */
function family(out: string[], name: string, text: string, type: string): void {
  out.push(`# HELP ${name} ${text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
}

/** The counters and gauges, one family per name, in the order of their first sample. */
function writeSamples(out: string[], samples: readonly Sample[]): void {
  const byName = new Map<string, Sample[]>();
  for (const s of samples) {
    const list = byName.get(s.name);
    if (list === undefined) byName.set(s.name, [s]);
    else list.push(s);
  }
  for (const [name, list] of byName) {
    const full = `blazerules_${name}`;
    family(out, full, help(name), list[0]?.kind === 'counter' ? 'counter' : 'gauge');
    for (const s of list) {
      const pairs = s.labels.map((l) => [LABEL_KEYS[l.key] ?? l.key, l.value] as const);
      out.push(`${full}${labels(pairs)} ${num(s.value)}`);
    }
  }
}

/** A latency histogram (µs) as a `_seconds` histogram: cumulative buckets, `_sum`, `_count`. */
function writeHistogram(out: string[], name: string, h: Histogram): void {
  const full = `blazerules_${name.replace(/_us$/, '_seconds')}`;
  family(out, full, `Batch ${name.split('_')[1]} latency in seconds`, 'histogram');
  const cumulative = h.cumulative();
  BUCKETS_US.forEach((us, i) => {
    out.push(`${full}_bucket${labels([['le', num(us / 1e6)]])} ${num(cumulative[i] ?? 0)}`);
  });
  out.push(`${full}_bucket${labels([['le', '+Inf']])} ${num(h.count)}`);
  out.push(`${full}_sum ${num(h.sum / 1e6)}`, `${full}_count ${num(h.count)}`);
}

export function metricsText(
  metrics: EngineMetrics,
  windows: WindowStats,
  rules: { name: string; version: string },
): string {
  const out: string[] = [];
  writeSamples(out, metrics.samples(windows));
  family(out, 'blazerules_rules_info', 'The active rule set (always 1)', 'gauge');
  if (rules.version !== '' || rules.name !== '') {
    out.push(
      `blazerules_rules_info${labels([
        ['name', rules.name],
        ['version', rules.version],
      ])} 1`,
    );
  }
  for (const [name, h] of Object.entries(metrics.histograms())) writeHistogram(out, name, h);
  return `${out.join('\n')}\n`;
}
