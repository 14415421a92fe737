// Number formats, statistics and Markdown tables shared by the benchmark reports.

const finite = (x) => x != null && Number.isFinite(x);

export const fmtInt = (x) => (finite(x) ? Math.round(x).toLocaleString('en-US') : '—');
export const fmtRate = (x) => {
  if (!finite(x)) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e3) return `${(x / 1e3).toFixed(1)}k`;
  return x.toFixed(0);
};
export const fmtMB = (x) => (!finite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(1) : x.toFixed(3));
export const fmtMs = (x) => (!finite(x) ? '—' : x >= 100 ? x.toFixed(0) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
export const fmtX = (x) => (!finite(x) ? '—' : x >= 10 ? `${x.toFixed(0)}×` : `${x.toFixed(2)}×`);

export const median = (a) => {
  const s = [...a].sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : Number.NaN;
};
export const pct = (a, p) => {
  const s = [...a].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

export function table(headers, rows) {
  const w = headers.map((h, i) => Math.max(String(h).length, ...rows.map((r) => String(r[i]).length)));
  const line = (cells) => `| ${cells.map((c, i) => String(c).padEnd(w[i])).join(' | ')} |`;
  return [line(headers), `|${w.map((n) => '-'.repeat(n + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

/**
 * The "baseline vs current" table: rows of { what, baseline, current, unit } where unit is
 * 'rec/s' (higher is better, the default) or 'ms' (lower is better); the ratio is current /
 * baseline either way.
 */
export function baselineTable(rows) {
  const fmt = (r, x) => (r.unit === 'ms' ? `${fmtMs(x)} ms` : `${fmtRate(x)} rec/s`);
  return table(
    ['measurement', 'baseline', 'current', 'current / baseline'],
    rows.map((r) => [
      r.what,
      r.error ? `error: ${r.error}` : fmt(r, r.baseline),
      fmt(r, r.current),
      r.error ? '—' : fmtX(r.current / r.baseline),
    ]),
  );
}
