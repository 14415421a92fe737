#!/usr/bin/env node
// Memory of window state, run by lib/windows.mjs in a fresh process:
//   node benchmarks/windows-mem.mjs --rules RULES
// Loads RULES (the benchmark rules plus the window rules), notes VmRSS, fills shard 0 with
// 1 M entities, and prints {entities, buckets, statsBytes, baselineRssKb, rssAfterKb,
// rssDeltaKb, peakHwmKb} as JSON.
import path from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { procStatus } from './lib/setup.mjs';
import { ENTITIES, prefill, prefillChunk } from './lib/windows.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

const args = process.argv.slice(2);
const rules = args[args.indexOf('--rules') + 1];
const { RuleEngine } = require(path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || path.resolve(HERE, '..')));
const engine = new RuleEngine({ maxWindowEntities: 2 * ENTITIES });
engine.loadRules(rules);
// A first batch of the same size as the fill's, on another shard, so that the evaluation's
// own buffers count in the baseline; that shard is then dropped.
await engine.evaluateNdjson(prefillChunk(0, 100_000), { partition: 1 });
engine.resetWindowState(1);
global.gc?.();
const before = procStatus();
await prefill(engine);
global.gc?.();
const after = procStatus();
const stats = engine.windowStats();
console.log(
  JSON.stringify({
    entities: stats.entities,
    buckets: stats.buckets,
    statsBytes: stats.bytes,
    baselineRssKb: before.rss,
    rssAfterKb: after.rss,
    rssDeltaKb: after.rss - before.rss,
    peakHwmKb: after.hwm,
  }),
);
