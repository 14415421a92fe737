#!/usr/bin/env node
// Peak-memory probe, run by run.mjs in a fresh process per batch size:
//   node benchmarks/mem-child.mjs --engine blazerules|handwritten --rules R --data F [--iterations 3]
// Loads the engine and rules, reads F (the whole batch) into a Buffer, notes VmHWM/VmRSS,
// evaluates the batch `iterations` times (keeping only the last result), and prints
// {baselineHwmKb, peakHwmKb, rssAfterKb, nRecords, bytes} as JSON.
import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { procStatus } from './lib/setup.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const opt = (k, d) => {
  const i = args.indexOf(k);
  return i >= 0 ? args[i + 1] : d;
};
const engineName = opt('--engine', 'blazerules');
const rules = opt('--rules', path.join(HERE, 'rules.yaml'));
const data = opt('--data');
const iterations = Number(opt('--iterations', '3'));

let evaluate;
if (engineName === 'blazerules') {
  const { RuleEngine } = require(path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || path.resolve(HERE, '..')));
  const engine = new RuleEngine();
  engine.loadRules(rules);
  evaluate = (buf) => engine.evaluateNdjson(buf);
} else {
  const h = await import('./competitors/handwritten.mjs');
  evaluate = async (buf) => h.evaluateNdjson(buf);
}
const buf = fs.readFileSync(data);
// touch the engine once on a tiny batch so lazily-initialised pools count in the baseline
await evaluate(Buffer.from(buf.subarray(0, Math.max(0, buf.indexOf(10)) + 1)));
const before = procStatus();
let last;
for (let i = 0; i < iterations; i++) {
  last = null;
  last = await evaluate(buf);
}
const after = procStatus();
console.log(
  JSON.stringify({
    engine: engineName,
    bytes: buf.length,
    nRecords: last.nRecords,
    baselineHwmKb: before.hwm,
    baselineRssKb: before.rss,
    peakHwmKb: after.hwm,
    rssAfterKb: after.rss,
  }),
);
