/** `blazerules stream kafka`: the native runStream loop until SIGINT/SIGTERM or a limit; prints
 * the stats (snake_case keys, as BlazeRules' CLI, plus `skipped`, `elapsed_ms`, `outages`,
 * `outage_ms` and the `window_replay_*` counters). */
import type { CatalogStreamConfig, CatalogStreamStats } from '../catalog/stream';
import { RuleEngine } from '../engine';
import { type StreamRunConfig, type StreamRunOptions, type StreamRunStats, runStream } from '../kafka/stream';
import { UsageError, command } from './args';
import { CATALOG_OPTIONS, catalogFromFlags, streamPlaces } from './catalog-options';
import { RULES } from './common';

/** Integer options, each the runStream setting of the same name. */
const NUMBERS = [
  ['batch-size', 'batchSize', 'most messages per batch'],
  ['workers', 'workers', 'evaluator threads; a partition always goes to one of them, in offset order'],
  ['max-messages', 'maxMessages', 'stop after this many messages (0: no limit)'],
  ['max-batches', 'maxBatches', 'stop after this many batches (0: no limit)'],
  [
    'idle-timeout-ms',
    'idleTimeoutMs',
    'stop after this long without a message, counted from the first partition assignment (0: run until stopped)',
  ],
  ['poll-timeout-ms', 'pollTimeoutMs', 'wait this long for the first message of a batch'],
  [
    'flush-timeout-ms',
    'flushTimeoutMs',
    'delivery reports later than this count as a broker outage; after SIGINT/SIGTERM, the longest wait for the batches in flight',
  ],
  ['connect-timeout-ms', 'connectTimeoutMs', 'give up if the cluster cannot be reached at start within this long'],
  [
    'outage-budget-ms',
    'outageBudgetMs',
    'ride out a broker outage this long (0: not at all); then exit 2, offsets after the last delivered batch uncommitted',
  ],
] as const;

function topicOption<const N extends string>(name: N, arg: string, help: string) {
  return { name, type: 'string', arg, help } as const;
}

function printStats(stats: StreamRunStats | CatalogStreamStats): void {
  const out: Record<string, unknown> = {
    batches: stats.batches,
    messages: stats.messages,
    matched: stats.matched,
    emitted: stats.emitted,
    skipped: stats.skipped,
    eval_ms: stats.evalMs,
    dlq_routed: stats.dlqRouted,
    delivery_errors: stats.deliveryErrors,
    elapsed_ms: stats.elapsedMs,
    outages: stats.outages,
    outage_ms: stats.outageMs,
    outage_open_ms: stats.outageOpenMs,
    window_replay_records: stats.windowReplayRecords,
    window_replay_ms: stats.windowReplayMs,
    window_replay_short: stats.windowReplayShort,
    consumer_lag: stats.consumerLag,
    consumer_lag_total: stats.consumerLagTotal,
  };
  if ('catalog' in stats) {
    const c = stats.catalog;
    out.legs = stats.legs;
    out.catalog = {
      requests: c.requests,
      failures: c.failures,
      changes: c.changes,
      stale: c.stale,
      answer_age_ms: c.answerAgeMs,
      last_error: c.lastError,
    };
  }
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

/** Runs the loop; SIGINT and SIGTERM drain it (the batch in hand is finished and committed,
 * within about flushTimeoutMs whatever the brokers do). A line on stderr says when the loop
 * saw a broker outage begin. */
async function runUntilSignal(
  engine: RuleEngine,
  config: StreamRunConfig | CatalogStreamConfig,
): Promise<StreamRunStats> {
  const controller = new AbortController();
  const stopOnSignal = (): void => {
    if (!controller.signal.aborted) {
      process.stderr.write('stream kafka: stopping: finishing the batches in flight (within --flush-timeout-ms)\n');
    }
    controller.abort();
  };
  process.on('SIGINT', stopOnSignal);
  process.on('SIGTERM', stopOnSignal);
  // From here on a signal drains and stops the loop; say so (supervisors and tests wait for it).
  process.stderr.write('stream kafka: running; SIGINT or SIGTERM drains, commits and exits\n');
  const tty = process.stderr.isTTY;
  let outages = 0;
  const options: StreamRunOptions = {
    signal: controller.signal,
    onStats: (s: StreamRunStats): void => {
      if (s.outages > outages) {
        outages = s.outages;
        const budget = config.outageBudgetMs === undefined ? '' : ` (${config.outageBudgetMs} ms)`;
        process.stderr.write(
          `${tty ? '\n' : ''}stream kafka: broker outage ${outages}: the cluster stopped answering; riding it out for up to --outage-budget-ms${budget}\n`,
        );
      }
      if (tty) {
        process.stderr.write(
          `\r${s.messages} messages, ${s.batches} batches, ${s.emitted} emitted, ${s.dlqRouted} to DLQ, ${(s.elapsedMs / 1000).toFixed(0)} s `,
        );
      }
    },
  };
  try {
    const stats =
      'catalog' in config ? await runStream(engine, config, options) : await runStream(engine, config, options);
    if (tty) process.stderr.write('\n');
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
  notes: [
    "Options left out take runStream's defaults (docs/kafka.md).",
    'Catalog-routed: --catalog-url URL --catalog-profile P [--catalog-user U --catalog-password-file F] with kafka://domain/name as --input-topic/--output-topic/--dlq-topic (docs/kafka.md, "Catalog-routed Kafka").',
  ],
  options: [
    RULES,
    {
      name: 'brokers',
      type: 'string',
      arg: 'B',
      help: 'bootstrap servers, host:port[,host:port…] (required unless --catalog-url)',
    },
    topicOption('input-topic', 'T', 'the topic to consume'),
    topicOption('input-topics', 'T,T', 'several topics, comma-separated (instead of --input-topic)'),
    topicOption('output-topic', 'O', 'where decisions go (required unless --output-mode none)'),
    topicOption('dlq-topic', 'D', 'records that cannot be evaluated go here'),
    { name: 'group-id', type: 'string', arg: 'G', default: 'blazerules', help: 'the consumer group' },
    {
      name: 'instance-id',
      type: 'string',
      arg: 'I',
      help: 'static group membership (group.instance.id): unique per process, the same across its restarts',
    },
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
    ...CATALOG_OPTIONS,
  ],
  async run(o): Promise<void> {
    if (o['input-topic'] !== undefined && o['input-topics'] !== undefined) {
      throw new UsageError('give --input-topic or --input-topics, not both');
    }
    const inputTopics = o['input-topic'] ?? o['input-topics'];
    if (inputTopics === undefined) throw new UsageError('--input-topic (or --input-topics) is required');
    const catalog = catalogFromFlags(o);
    if ((catalog === undefined) === (o.brokers === undefined)) {
      throw new UsageError('give --brokers, or --catalog-url with kafka://… topic names (one of them)');
    }
    const engine = new RuleEngine();
    engine.loadRules(o.rules);
    const places = streamPlaces(catalog, o['group-id'], inputTopics, o['output-topic'], o['dlq-topic']);
    const config: StreamRunConfig | CatalogStreamConfig =
      'catalog' in places ? places : { ...places, brokers: o.brokers ?? '' };
    if (o['instance-id'] !== undefined) config.groupInstanceId = o['instance-id'];
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
