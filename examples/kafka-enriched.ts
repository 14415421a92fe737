/**
 * The tutorial's metadata-preserving variant: each decision says which record it is about.
 * Records come with their topic, partition, offset and key (pollRecords); each decision is
 *
 *   {"source_topic","partition","offset","decision","score","risk_band","winning_rule_id","ruleset_version"}
 *
 * produced with the source record's key, so it lands next to the record's other events.
 *
 *   node --import tsx examples/kafka-enriched.ts                # local broker, sample data
 *   node --import tsx examples/kafka-enriched.ts --brokers 127.0.0.1:9092 --input-topic payments --output-topic decisions
 */
import { RuleEngine } from '../src/index';
import type { BatchResult } from '../src/index';
import { KafkaConsumer, KafkaIOError, KafkaProducer, type KafkaRecord } from '../src/io';
import { isTransient, type BatchStats, type LoopOptions, type LoopStats } from './kafka-tutorial';
import { LocalBroker, exampleArgs, produceFile, stopOnSignals } from './kafka-example-kit';

/** One enriched decision line (score with six decimals, as in the `rows` format). */
export function enrichedLine(src: KafkaRecord, result: BatchResult, i: number): string {
  const score = result.scores[i] ?? 0;
  return (
    `{"source_topic":${JSON.stringify(src.topic)},"partition":${src.partition},"offset":${src.offset},` +
    `"decision":${JSON.stringify(result.decisions[i])},"score":${Number.isFinite(score) ? score.toFixed(6) : 'null'},` +
    `"risk_band":${JSON.stringify(result.riskBands[i])},"winning_rule_id":${JSON.stringify(result.winningRuleIds[i] ?? '')},` +
    `"ruleset_version":${JSON.stringify(result.ruleSetVersion)}}\n`
  );
}

/** poll records → evaluate → produce one enriched decision per record, keyed by the
 * source key → flush → commit. */
export async function runEnrichedLoop(o: LoopOptions): Promise<LoopStats> {
  const stats: LoopStats = { batches: 0, messages: 0, evaluated: 0, skipped: 0, produced: 0, commitFailures: 0, decisions: {} };
  const batchSize = o.batchSize ?? 500;
  let idleSince = Date.now();
  while (!o.signal?.aborted) {
    if (o.maxMessages && stats.messages >= o.maxMessages) break;
    const want = o.maxMessages ? Math.min(batchSize, o.maxMessages - stats.messages) : batchSize;
    const records = await o.consumer.pollRecords({ maxMessages: want, timeoutMs: o.pollTimeoutMs ?? 1000 }).catch((err: unknown) => {
      if (!isTransient(err)) throw err;
      console.error(`kafka-enriched: ${(err as Error).message} (retrying)`);
      return [];
    });
    if (records.length === 0) {
      if (o.idleTimeoutMs && Date.now() - idleSince >= o.idleTimeoutMs) break;
      continue;
    }
    idleSince = Date.now();

    const result = await o.engine.evaluateMessages(records.map((r) => r.value));
    // inputRows[i] is the message the i-th evaluated record came from (skipped ones are absent).
    for (let i = 0; i < result.nRecords; i++) {
      const src = records[result.inputRows[i] as number] as KafkaRecord;
      o.producer.produce(o.outputTopic, enrichedLine(src, result, i), src.key);
    }
    if (!(await o.producer.flush(o.flushTimeoutMs ?? 10_000))) {
      throw new Error(`decisions of batch ${stats.batches + 1} were not delivered; its offsets stay uncommitted`);
    }

    const batch: BatchStats = { messages: records.length, evaluated: result.nRecords, skipped: result.messagesSkipped };
    await o.beforeCommit?.(batch);
    try {
      await o.consumer.commit();
    } catch (err) {
      if (!(err instanceof KafkaIOError && err.code === 'COMMIT_FAILED')) throw err;
      stats.commitFailures++;
    }

    stats.batches++;
    stats.messages += batch.messages;
    stats.evaluated += batch.evaluated;
    stats.skipped += batch.skipped;
    stats.produced += result.nRecords;
    for (const d of result.decisions) stats.decisions[d] = (stats.decisions[d] ?? 0) + 1;
  }
  return stats;
}

async function main(): Promise<void> {
  const args = exampleArgs();
  const local = args.brokers === undefined ? LocalBroker.start() : undefined;
  const brokers = args.brokers ?? (local as LocalBroker).brokers;
  try {
    const run = Date.now().toString(36);
    const inputTopic = args.inputTopic ?? (local ? `enriched-payments-${run}` : 'payments');
    const outputTopic = args.outputTopic ?? (local ? `enriched-decisions-${run}` : 'decisions');
    let maxMessages = args.maxMessages;
    if (local) {
      local.createTopic(inputTopic, 3);
      local.createTopic(outputTopic, 3);
    }
    if (local || args.produceSample) {
      const n = await produceFile(brokers, inputTopic, args.sample);
      console.error(`produced ${n} records of ${args.sample} to ${inputTopic}`);
      if (local && maxMessages === 0) maxMessages = n;
    }

    const engine = new RuleEngine();
    engine.loadRules(args.rules);
    const groupId = local ? `${args.groupId}-enriched-${run}` : args.groupId;
    const consumer = new KafkaConsumer({ brokers, groupId, topics: [inputTopic] });
    const producer = new KafkaProducer({ brokers });
    let stats: LoopStats;
    try {
      stats = await runEnrichedLoop({
        engine,
        consumer,
        producer,
        outputTopic,
        batchSize: args.batchSize,
        maxMessages,
        idleTimeoutMs: args.idleTimeoutMs || (local ? 30_000 : 0),
        signal: stopOnSignals(),
      });
    } finally {
      await consumer.close();
      await producer.close();
    }
    console.log(JSON.stringify({ input_topic: inputTopic, output_topic: outputTopic, ...stats }));
  } finally {
    local?.stop();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(`kafka-enriched: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
