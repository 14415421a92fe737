// A/B of evaluateNdjson between another build of this package and this one, in one process:
// the two take turns (each round the other goes first) so machine noise hits both alike.
//   node benchmarks/ab.mjs BASELINE_DIR RULES DATA [ROUNDS]
// Prints the median records/s of each and current / baseline.
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const require = createRequire(import.meta.url);
const [baselineDir, rules, dataFile, roundsArg] = process.argv.slice(2);
if (!baselineDir || !rules || !dataFile) {
  console.error('usage: node benchmarks/ab.mjs BASELINE_DIR RULES DATA [ROUNDS]');
  process.exit(2);
}
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const data = fs.readFileSync(dataFile);
const engines = [require(path.resolve(baselineDir)), require(root)].map((pkg) => {
  const e = new pkg.RuleEngine();
  e.loadRules(rules);
  return { e, msPerRecord: [] };
});
const rounds = Number(roundsArg ?? 24);
for (let i = 0; i < rounds; i++) {
  for (const x of i % 2 ? engines : [...engines].reverse()) {
    const start = process.hrtime.bigint();
    const r = await x.e.evaluateNdjson(data);
    x.msPerRecord.push(Number(process.hrtime.bigint() - start) / 1e6 / r.nRecords);
  }
}
const median = (a) => [...a].sort((p, q) => p - q)[a.length >> 1];
const [base, cur] = engines.map((x) => median(x.msPerRecord));
console.log(
  JSON.stringify({
    baselineRecPerS: Math.round(1e3 / base),
    currentRecPerS: Math.round(1e3 / cur),
    ratio: +(base / cur).toFixed(3),
  }),
);
