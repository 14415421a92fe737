// Timing loops. No assertions: numbers are measured and reported.
import { median, pct } from './format.mjs';

/**
 * Times each of `fns` (async, each returning its result) after `warm` warm-up calls each. With
 * several, they take turns (a b, b a, a b, …: machine noise and drift hit them alike) until each
 * ran `minIters` times and `minSec` per function passed, or `maxSec` per function passed.
 * Returns one timing per function: { times, medianMs, bestMs, p99Ms, iters, last }.
 */
export async function timeEach(fns, { minIters, minSec, maxSec, warm = 1 }) {
  for (const fn of fns) for (let i = 0; i < warm; i++) await fn();
  const times = fns.map(() => []);
  const last = fns.map(() => undefined);
  const order = [...fns.keys()];
  const t0 = performance.now();
  for (let round = 0; ; round++) {
    for (const k of round % 2 ? [...order].reverse() : order) {
      const t = performance.now();
      last[k] = await fns[k]();
      times[k].push(performance.now() - t);
    }
    const el = (performance.now() - t0) / 1000;
    if ((times[0].length >= minIters && el >= minSec * fns.length) || el >= maxSec * fns.length) break;
  }
  return times.map((ts, k) => ({
    times: ts,
    medianMs: median(ts),
    bestMs: Math.min(...ts),
    p99Ms: pct(ts, 99),
    iters: ts.length,
    last: last[k],
  }));
}

export async function timeLoop(fn, opts) {
  return (await timeEach([fn], opts))[0];
}

/** The figures of a timing that go into the results. */
export function pick(t) {
  return { medianMs: t.medianMs, bestMs: t.bestMs, p99Ms: t.p99Ms, iters: t.iters };
}

/** Records per second of a timing whose results are BatchResults (or have nRecords). */
export function recordsPerSec(t) {
  return t.last.nRecords / (t.medianMs / 1e3);
}
