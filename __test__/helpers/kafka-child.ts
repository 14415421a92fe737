/**
 * A tutorial consumer process for the at-least-once test: runs the enriched loop and, after
 * its first batch's decisions were delivered but before that batch is committed, prints
 * "FLUSHED <n>" and hangs, for the test to SIGKILL it there.
 *
 *   node --import tsx __test__/helpers/kafka-child.ts BROKERS GROUP INPUT OUTPUT
 */
import { join } from 'node:path';

import { RuleEngine } from '../../src/index';
import { KafkaConsumer, KafkaProducer } from '../../src/io';
import { runEnrichedLoop } from '../../examples/kafka-enriched';
import { FAST_GROUP } from './kafka';

async function main(): Promise<void> {
  const [brokers, groupId, input, output] = process.argv.slice(2) as [string, string, string, string];
  const engine = new RuleEngine();
  engine.loadRules(join(__dirname, '..', '..', 'examples', 'rules.yaml'));
  const consumer = new KafkaConsumer({ brokers, groupId, topics: [input], conf: FAST_GROUP });
  const producer = new KafkaProducer({ brokers });
  await runEnrichedLoop({
    engine,
    consumer,
    producer,
    outputTopic: output,
    batchSize: 10_000,
    beforeCommit: async (batch) => {
      process.stdout.write(`FLUSHED ${batch.messages}\n`);
      await new Promise(() => setInterval(() => undefined, 1000)); // wait here for SIGKILL
    },
  });
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
