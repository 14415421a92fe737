/**
 * The BlazeRules Kafka tutorial, in TypeScript: consume a batch of JSON records, evaluate
 * them in one call, produce one decision per record, flush, and only then commit.
 *
 *   node --import tsx examples/kafka-tutorial.ts                # local broker, sample data
 *   node --import tsx examples/kafka-tutorial.ts --brokers 127.0.0.1:9092 \
 *        --input-topic payments --output-topic decisions --group-id rules
 *
 * Delivery is at-least-once: a batch's offsets are committed only after every decision of
 * that batch was acknowledged by the broker, so a crash repeats at most the batch in flight.
 */
import { RuleEngine, type BatchResult } from '../src/index';
import { KafkaConsumer, KafkaIOError, KafkaProducer } from '../src/io';
import { LocalBroker, exampleArgs, produceFile, splitLines, stopOnSignals } from './kafka-example-kit';

export interface LoopOptions {
  engine: RuleEngine;
  consumer: KafkaConsumer;
  producer: KafkaProducer;
  outputTopic: string;
  batchSize?: number;
  pollTimeoutMs?: number;
  flushTimeoutMs?: number;
  /** Stop after this many consumed messages (0 = no limit). */
  maxMessages?: number;
  /** Stop after this long without a message (0 = never). */
  idleTimeoutMs?: number;
  signal?: AbortSignal;
  /** Called after a batch's decisions were delivered, before its offsets are committed. */
  beforeCommit?: (batch: BatchStats) => void | Promise<void>;
}

export interface BatchStats {
  messages: number;
  evaluated: number;
  skipped: number;
}

export interface LoopStats {
  batches: number;
  /** Messages consumed (evaluated + skipped). */
  messages: number;
  evaluated: number;
  /** Malformed records: counted, skipped, never stop the loop. */
  skipped: number;
  produced: number;
  /** Commits the broker refused (e.g. during a rebalance); those batches may be repeated. */
  commitFailures: number;
  decisions: Record<string, number>;
}

/** Errors a long-running loop waits out: librdkafka reconnects and refreshes by itself. */
export function isTransient(err: unknown): boolean {
  return err instanceof KafkaIOError && (err.code === 'BROKER_DOWN' || err.code === 'UNKNOWN_TOPIC');
}

/** The end of every batch: wait until the broker has acknowledged every decision, then
 * commit the batch's offsets (a refused commit only means the batch may be repeated). */
export async function deliverAndCommit(
  o: LoopOptions,
  stats: LoopStats,
  messages: number,
  result: BatchResult,
): Promise<void> {
  if (!(await o.producer.flush(o.flushTimeoutMs ?? 10_000))) {
    throw new Error(`decisions of batch ${stats.batches + 1} were not delivered; its offsets stay uncommitted`);
  }
  const batch: BatchStats = { messages, evaluated: result.nRecords, skipped: result.messagesSkipped };
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

/** The loop every example shares: poll a batch → `handle` it (evaluate in one call, produce
 * one decision per record) → wait for delivery → commit; until a limit or the signal. Broker
 * hiccups (isTransient) are waited out. */
export async function pollLoop<M>(
  o: LoopOptions,
  name: string,
  poll: (maxMessages: number, timeoutMs: number) => Promise<M[]>,
  handle: (batch: M[]) => Promise<BatchResult>,
): Promise<LoopStats> {
  const stats: LoopStats = {
    batches: 0,
    messages: 0,
    evaluated: 0,
    skipped: 0,
    produced: 0,
    commitFailures: 0,
    decisions: {},
  };
  const batchSize = o.batchSize ?? 500;
  let idleSince = Date.now();
  while (!o.signal?.aborted) {
    if (o.maxMessages && stats.messages >= o.maxMessages) break;
    const want = o.maxMessages ? Math.min(batchSize, o.maxMessages - stats.messages) : batchSize;
    const batch = await poll(want, o.pollTimeoutMs ?? 1000).catch((err: unknown): M[] => {
      if (!isTransient(err)) throw err;
      console.error(`${name}: ${(err as Error).message} (retrying)`);
      return [];
    });
    if (batch.length === 0) {
      if (o.idleTimeoutMs && Date.now() - idleSince >= o.idleTimeoutMs) break;
      continue;
    }
    idleSince = Date.now();
    await deliverAndCommit(o, stats, batch.length, await handle(batch));
  }
  return stats;
}

/** poll batch → evaluate → produce one `rows` decision per record → flush → commit. */
export function runTutorialLoop(o: LoopOptions): Promise<LoopStats> {
  const poll = (maxMessages: number, timeoutMs: number) => o.consumer.pollBatch({ maxMessages, timeoutMs });
  return pollLoop(o, 'kafka-tutorial', poll, async (values) => {
    // One call evaluates the whole batch (off the JS thread); bad records are skipped.
    const result = await o.engine.evaluateMessages(values);
    // One decision message per evaluated record, in BlazeRules' `rows` format.
    for (const line of splitLines(result.toJSONLines())) o.producer.produce(o.outputTopic, line);
    return result;
  });
}

/** Runs an example loop: against a local broker started for it (topics created, the sample
 * produced) or, with --brokers, against yours; prints the stats as JSON. */
export async function runExample(name: string, loop: (o: LoopOptions) => Promise<LoopStats>): Promise<void> {
  const args = exampleArgs();
  const local = args.brokers === undefined ? LocalBroker.start() : undefined;
  const brokers = args.brokers ?? (local as LocalBroker).brokers;
  try {
    const run = Date.now().toString(36);
    const inputTopic = args.inputTopic ?? (local ? `${name}-payments-${run}` : 'payments');
    const outputTopic = args.outputTopic ?? (local ? `${name}-decisions-${run}` : 'decisions');
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
    const consumer = new KafkaConsumer({
      brokers,
      groupId: local ? `${args.groupId}-${name}-${run}` : args.groupId,
      topics: [inputTopic],
    });
    const producer = new KafkaProducer({ brokers });
    let stats: LoopStats;
    try {
      stats = await loop({
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
  runExample('tutorial', runTutorialLoop).catch((err: unknown) => {
    console.error(`kafka-tutorial: ${err instanceof Error ? err.message : String(err)}`);
    process.exit(1);
  });
}
