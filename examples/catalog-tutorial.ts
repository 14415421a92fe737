/**
 * The Kafka tutorial routed through a catalog (docs/kafka.md, "Catalog-routed Kafka"): the
 * loop names channels, never brokers or topics; the catalog (here the project's own,
 * `blazerules catalog serve`, started in this process from a YAML file) says where they are.
 *
 *   node --import tsx examples/catalog-tutorial.ts
 *
 * It starts the local broker (scripts/kafka-local.sh) if needed, writes a catalog file that
 * maps kafka://example.com/payments and kafka://example.com/decisions to fresh topics,
 * produces examples/sample.ndjson to the payments channel, then runs poll batch → evaluate →
 * produce one decision per record → flush → commit until every record has its decision.
 * Edit the printed catalog file while it runs (another topic, another cluster): the clients
 * follow within the TTL (5 s here).
 */
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { stringify } from 'yaml';

import { RuleEngine } from '../src/index';
import { KafkaConsumer, KafkaProducer, startCatalogServer } from '../src/io';
import { LocalBroker, exampleArgs, splitLines, stopOnSignals } from './kafka-example-kit';

const PAYMENTS = 'kafka://example.com/payments';
const DECISIONS = 'kafka://example.com/decisions';

async function main(): Promise<void> {
  const args = exampleArgs();
  const local = LocalBroker.start();
  const run = Date.now().toString(36);
  const [input, output] = [`catalog-payments-${run}`, `catalog-decisions-${run}`];
  local.createTopic(input, 3);
  local.createTopic(output, 3);
  const dir = mkdtempSync(join(tmpdir(), 'catalog-tutorial-'));
  const file = join(dir, 'catalog.yaml');
  writeFileSync(
    file,
    stringify({
      clusters: { local: { connection: { 'bootstrap.servers': local.brokers } } },
      channels: { [PAYMENTS]: { cluster: 'local', topic: input }, [DECISIONS]: { cluster: 'local', topic: output } },
      configProfiles: { tutorial: { 'socket.keepalive.enable': true } },
    }),
  );
  const server = await startCatalogServer({ file, user: 'tutorial', password: 'tutorial-pw' });
  console.error(`catalog ${server.url} serving ${file}`);
  const catalog = {
    url: `${server.url}/servicegw`,
    configProfile: 'tutorial',
    auth: { username: 'tutorial', password: 'tutorial-pw' },
    ttlMs: 5000,
  };
  const producer = new KafkaProducer({ catalog, channels: [PAYMENTS, DECISIONS] });
  const consumer = new KafkaConsumer({ catalog, groupId: `${args.groupId}-catalog-${run}`, channels: PAYMENTS });
  try {
    const lines = readFileSync(args.sample, 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    for (const [i, line] of lines.entries()) producer.produce(PAYMENTS, line, `record-${i}`);
    if (!(await producer.flush(30_000))) throw new Error('the sample was not delivered');
    const engine = new RuleEngine();
    engine.loadRules(args.rules);
    const signal = stopOnSignals();
    const decisions: Record<string, number> = {};
    let messages = 0;
    while (messages < lines.length && !signal.aborted) {
      const values = await consumer.pollBatch({ maxMessages: args.batchSize, timeoutMs: 1000 });
      if (values.length === 0) continue;
      const result = await engine.evaluateMessages(values);
      for (const line of splitLines(result.toJSONLines())) producer.produce(DECISIONS, line);
      if (!(await producer.flush(10_000))) throw new Error('decisions were not delivered; offsets stay uncommitted');
      await consumer.commit();
      messages += values.length;
      for (const d of result.decisions) decisions[d] = (decisions[d] ?? 0) + 1;
    }
    console.log(JSON.stringify({ messages, decisions, catalog: consumer.catalogStatus() }));
  } finally {
    await consumer.close();
    await producer.close();
    await server.close();
    local.stop();
  }
}

main().catch((err: unknown) => {
  console.error(`catalog-tutorial: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
