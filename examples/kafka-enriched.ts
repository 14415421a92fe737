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
import type { BatchResult } from '../src/index';
import type { KafkaRecord } from '../src/io';
import { pollLoop, runExample, type LoopOptions, type LoopStats } from './kafka-tutorial';

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
export function runEnrichedLoop(o: LoopOptions): Promise<LoopStats> {
  const poll = (maxMessages: number, timeoutMs: number) => o.consumer.pollRecords({ maxMessages, timeoutMs });
  return pollLoop(o, 'kafka-enriched', poll, async (records) => {
    const result = await o.engine.evaluateMessages(records.map((r) => r.value));
    // inputRows[i] is the message the i-th evaluated record came from (skipped ones are absent).
    for (let i = 0; i < result.nRecords; i++) {
      const src = records[result.inputRows[i] as number] as KafkaRecord;
      o.producer.produce(o.outputTopic, enrichedLine(src, result, i), src.key);
    }
    return result;
  });
}

if (require.main === module) {
  runExample('enriched', runEnrichedLoop).catch((err: unknown) => {
    console.error(`kafka-enriched: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
