// One runStream loop in its own process, for benchmarks/stream/run.mjs:
//   node runstream-child.mjs PKG RULES BROKERS INPUT OUTPUT GROUP MAX_MESSAGES WORKERS
// MAX_MESSAGES 0 = until SIGINT/SIGTERM. Prints the StreamRunStats JSON on stdout.
import { createRequire } from 'node:module';
import path from 'node:path';

const [pkg, rules, brokers, input, output, groupId, maxMessages, workers] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { RuleEngine } = require(pkg);
const { runStream } = require(path.join(pkg, 'dist', 'io.js'));
if (typeof runStream !== 'function') {
  console.error('runStream is not exported by blazerules/io in this build');
  process.exit(3);
}
const engine = new RuleEngine();
engine.loadRules(rules);
const ac = new AbortController();
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => ac.abort());
const stats = await runStream(
  engine,
  {
    brokers,
    groupId,
    inputTopics: [input],
    outputTopic: output,
    outputMode: 'enriched',
    maxMessages: Number(maxMessages),
    workers: Number(workers) || 1,
  },
  { signal: ac.signal },
);
console.log(JSON.stringify(stats));
