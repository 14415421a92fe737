/**
 * Catalog clients (src/catalog/cache.ts) in the metrics: every live resolver of the process,
 * written into each engine's text as `blazerules_catalog_*{url,profile}` (service.md §6: the
 * requests, failures and the age of the answer in use; never a credential).
 */
import type { Sample } from './counters';

/** What a resolver shows the metrics. */
export interface CatalogClientStatus {
  url: string;
  configProfile: string;
  requests: number;
  failures: number;
  answerAgeMs: number | undefined;
  stale: boolean;
}

export const catalogClients = new Set<{ status(): CatalogClientStatus }>();

/** One sample per metric and client (url, profile); clients with the same url and profile
 * are summed (the age and staleness: the oldest). */
export function catalogSamples(): Sample[] {
  const by = new Map<string, { url: string; profile: string; req: number; fail: number; age: number; stale: number }>();
  for (const c of catalogClients) {
    const s = c.status();
    const key = `${s.url}\n${s.configProfile}`;
    const row = by.get(key) ?? { url: s.url, profile: s.configProfile, req: 0, fail: 0, age: 0, stale: 0 };
    row.req += s.requests;
    row.fail += s.failures;
    row.age = Math.max(row.age, (s.answerAgeMs ?? 0) / 1000);
    row.stale = Math.max(row.stale, s.stale ? 1 : 0);
    by.set(key, row);
  }
  const out: Sample[] = [];
  for (const r of by.values()) {
    const labels = [
      { key: 'url', value: r.url },
      { key: 'profile', value: r.profile },
    ];
    out.push({ kind: 'counter', name: 'catalog_requests_total', value: r.req, labels });
    out.push({ kind: 'counter', name: 'catalog_failures_total', value: r.fail, labels });
    out.push({ kind: 'gauge', name: 'catalog_answer_age_seconds', value: r.age, labels });
    out.push({ kind: 'gauge', name: 'catalog_stale', value: r.stale, labels });
  }
  return out;
}
