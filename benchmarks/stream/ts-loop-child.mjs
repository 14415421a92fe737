// The TypeScript loop of examples/kafka-tutorial.ts / kafka-enriched.ts (KafkaConsumer +
// KafkaProducer + engine.evaluateMessages), in its own process, for benchmarks/stream/run.mjs:
// poll records → evaluate the batch in one call → produce one enriched decision per record,
// keyed by the source key → flush → commit. The same output as runStream's `enriched` mode.
//   node ts-loop-child.mjs PKG RULES BROKERS INPUT OUTPUT GROUP MAX_MESSAGES BATCH_SIZE
import { createRequire } from 'node:module';
import path from 'node:path';

const [pkg, rules, brokers, input, output, groupId, maxMessagesArg, batchSizeArg] = process.argv.slice(2);
const require = createRequire(import.meta.url);
const { RuleEngine } = require(pkg);
const { KafkaConsumer, KafkaProducer, KafkaIOError } = require(path.join(pkg, 'dist', 'io.js'));
const maxMessages = Number(maxMessagesArg);
const batchSize = Number(batchSizeArg) || 2048;

const engine = new RuleEngine();
engine.loadRules(rules);
const consumer = new KafkaConsumer({ brokers, groupId, topics: [input] });
const producer = new KafkaProducer({ brokers });
let stop = false;
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => (stop = true));

const line = (src, r, i) => {
  const score = r.scores[i];
  return (
    `{"source_topic":${JSON.stringify(src.topic)},"partition":${src.partition},"offset":${src.offset},` +
    `"decision":${JSON.stringify(r.decisions[i])},"score":${Number.isFinite(score) ? score.toFixed(6) : 'null'},` +
    `"risk_band":${JSON.stringify(r.riskBands[i])},"winning_rule_id":${JSON.stringify(r.winningRuleIds[i] ?? '')},` +
    `"ruleset_version":${JSON.stringify(r.ruleSetVersion)}}\n`
  );
};

const stats = { batches: 0, messages: 0, emitted: 0 };
const t0 = Date.now();
while (!stop && (maxMessages === 0 || stats.messages < maxMessages)) {
  const want = maxMessages ? Math.min(batchSize, maxMessages - stats.messages) : batchSize;
  const records = await consumer.pollRecords({ maxMessages: want, timeoutMs: 200 }).catch((err) => {
    if (err instanceof KafkaIOError && (err.code === 'BROKER_DOWN' || err.code === 'UNKNOWN_TOPIC')) return [];
    throw err;
  });
  if (records.length === 0) continue;
  const result = await engine.evaluateMessages(records.map((r) => r.value));
  for (let i = 0; i < result.nRecords; i++) {
    const src = records[result.inputRows[i]];
    producer.produce(output, line(src, result, i), src.key);
  }
  if (!(await producer.flush(30_000))) throw new Error('delivery failed');
  await consumer.commit();
  stats.batches++;
  stats.messages += records.length;
  stats.emitted += result.nRecords;
}
await consumer.close();
await producer.close();
console.log(JSON.stringify({ ...stats, elapsedMs: Date.now() - t0 }));
