#!/usr/bin/env node
// engine.explain per record, beside engine.evaluate of the same record (both on the calling
// thread), for the generated rule sets of 10, 100 and 1000 rules; and the first explanation,
// which compiles the explanation tree. Nothing is asserted: numbers are printed as JSON lines.
//
//   node benchmarks/explain.mjs [--records N]     (default 2000 records, from gen.mjs)

import { createRequire } from 'node:module';
import fs from 'node:fs';

import { ensureRulesFile } from './gen-rules.mjs';
import { ensureDataFile } from './gen.mjs';
import { ROOT } from './lib/setup.mjs';

const require = createRequire(import.meta.url);
const { RuleEngine } = require(ROOT);
const argv = process.argv.slice(2);
const n = Number(argv.includes('--records') ? argv[argv.indexOf('--records') + 1] : 2000);

const objects = fs
  .readFileSync(ensureDataFile('20000r', { malformedRate: 0 }), 'utf8')
  .split('\n')
  .filter((l) => l.trim() !== '')
  .slice(0, n);

for (const rules of [10, 100, 1000]) {
  const engine = new RuleEngine({ threads: 1 });
  engine.loadRules(ensureRulesFile(rules));
  const opts = { nowMs: Date.now() };
  const t0 = performance.now();
  const size = JSON.stringify(engine.explain(objects[0], opts)).length;
  const firstMs = performance.now() - t0;
  const reps = rules >= 1000 ? Math.min(n, 200) : n;
  const time = (fn) => {
    const start = performance.now();
    for (let i = 0; i < reps; i++) fn(objects[i % objects.length]);
    return ((performance.now() - start) * 1000) / reps;
  };
  const explainUs = time((r) => engine.explain(r, opts));
  const evaluateUs = time((r) => engine.evaluate(JSON.parse(r), opts));
  console.log(
    JSON.stringify({
      rules,
      firstExplainMs: +firstMs.toFixed(1),
      explainUsPerRecord: +explainUs.toFixed(1),
      evaluateOneUsPerRecord: +evaluateUs.toFixed(1),
      explanationBytes: size,
    }),
  );
}
