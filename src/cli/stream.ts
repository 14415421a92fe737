/** `blazerules stream kafka`: the native runStream loop until SIGINT/SIGTERM or a limit; prints
 * the stats (snake_case keys, as BlazeRules' CLI, plus `skipped` and `elapsed_ms`). */
import { RuleEngine } from '../engine';
import { type StreamRunConfig, type StreamRunOptions, type StreamRunStats, runStream } from '../kafka/stream';
import { UsageError, command } from './args';
import { RULES } from './common';

/** Integer options, each the runStream setting of the same name. */
const NUMBERS = [
  ['batch-size', 'batchSize', 'most messages per batch'],
  ['workers', 'workers', 'evaluator threads; a partition always goes to one of them, in offset order'],
  ['max-messages', 'maxMessages', 'stop after this many messages (0: no limit)'],
  ['max-batches', 'maxBatches', 'stop after this many batches (0: no limit)'],
  ['idle-timeout-ms', 'idleTimeoutMs', 'stop after this long without a message (0: run until stopped)'],
  ['poll-timeout-ms', 'pollTimeoutMs', 'wait this long for the first message of a batch'],
  [
    'flush-timeout-ms',
    'flushTimeoutMs',
    "wait this long for a batch's delivery reports; then the run fails, uncommitted",
  ],
  ['connect-timeout-ms', 'connectTimeoutMs', 'give up if the cluster cannot be reached at start within this long'],
] as const;

function topicOption<const N extends string>(name: N, arg: string, help: string) {
  return { name, type: 'string', arg, help } as const;
}

function printStats(stats: StreamRunStats): void {
  const out = {
    batches: stats.batches,
    messages: stats.messages,
    matched: stats.matched,
    emitted: stats.emitted,
    skipped: stats.skipped,
    eval_ms: stats.evalMs,
    dlq_routed: stats.dlqRouted,
    delivery_errors: stats.deliveryErrors,
    elapsed_ms: stats.elapsedMs,
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Runs the loop; SIGINT and SIGTERM drain it (the batch in hand is finished and committed). */
async function runUntilSignal(engine: RuleEngine, config: StreamRunConfig): Promise<StreamRunStats> {
  const controller = new AbortController();
  const stopOnSignal = (): void => controller.abort();
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  // From here on a signal drains and stops the loop; say so (supervisors and tests wait for it).
  process.stderr.write('stream kafka: running; SIGINT or SIGTERM drains, commits and exits\n');
  const options: StreamRunOptions = { signal: controller.signal };
  if (process.stderr.isTTY) {
    options.onStats = (s: StreamRunStats): void => {
      process.stderr.write(
        `\r${s.messages} messages, ${s.batches} batches, ${s.emitted} emitted, ${s.dlqRouted} to DLQ, ${(s.elapsedMs / 1000).toFixed(0)} s `,
      );
    };
  }
  try {
    const stats = await runStream(engine, config, options);
    if (options.onStats !== undefined) process.stderr.write('\n');
    return stats;
  } finally {
    process.off('SIGINT', stopOnSignal);
    process.off('SIGTERM', stopOnSignal);
  }
}

export const stream = command({
  name: 'stream',
  source: 'kafka',
  summary:
    'the native runStream loop until SIGINT/SIGTERM (then drains, flushes, commits) or a limit; prints the stats',
  notes: ["Options left out take runStream's defaults (docs/kafka.md)."],
  options: [
    RULES,
    { name: 'brokers', type: 'string', arg: 'B', required: true, help: 'bootstrap servers, host:port[,host:port…]' },
    topicOption('input-topic', 'T', 'the topic to consume'),
    topicOption('input-topics', 'T,T', 'several topics, comma-separated (instead of --input-topic)'),
    topicOption('output-topic', 'O', 'where decisions go (required unless --output-mode none)'),
    topicOption('dlq-topic', 'D', 'records that cannot be evaluated go here'),
    { name: 'group-id', type: 'string', arg: 'G', default: 'blazerules', help: 'the consumer group' },
    {
      name: 'output-mode',
      type: 'choice',
      values: ['rows', 'enriched', 'grouped', 'none'],
      help: 'what is produced per batch',
    },
    ...NUMBERS.map(([name, , help]) => ({ name, type: 'int', help }) as const),
    { name: 'commit-offsets', type: 'flag', arg: 'true|false', help: 'commit offsets after delivery' },
    { name: 'consumer-conf', type: 'kv', arg: 'k=v', repeatable: true, help: 'a librdkafka consumer property' },
    { name: 'producer-conf', type: 'kv', arg: 'k=v', repeatable: true, help: 'a librdkafka producer property' },
  ],
  async run(o): Promise<void> {
    if (o['input-topic'] !== undefined && o['input-topics'] !== undefined) {
      throw new UsageError('give --input-topic or --input-topics, not both');
    }
    const inputTopics = o['input-topic'] ?? o['input-topics'];
    if (inputTopics === undefined) throw new UsageError('--input-topic (or --input-topics) is required');
    const engine = new RuleEngine();
    engine.loadRules(o.rules);
    const config: StreamRunConfig = { brokers: o.brokers, groupId: o['group-id'], inputTopics };
    if (o['output-topic'] !== undefined) config.outputTopic = o['output-topic'];
    if (o['dlq-topic'] !== undefined) config.dlqTopic = o['dlq-topic'];
    if (o['output-mode'] !== undefined) config.outputMode = o['output-mode'];
    for (const [name, field] of NUMBERS) {
      const v = o[name];
      if (v !== undefined) config[field] = v;
    }
    if (o['commit-offsets'] !== undefined) config.commitOffsets = o['commit-offsets'];
    if (o['consumer-conf'] !== undefined) config.consumerConf = o['consumer-conf'];
    if (o['producer-conf'] !== undefined) config.producerConf = o['producer-conf'];
    printStats(await runUntilSignal(engine, config));
  },
});
