/**
 * What the two Kafka examples share that is not the tutorial itself: command-line options,
 * starting (and stopping) the repo's local broker, creating topics, producing the sample
 * file, printing the result.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { KafkaProducer } from '../src/io';

const ROOT = join(__dirname, '..');
export const KAFKA_LOCAL = join(ROOT, 'scripts', 'kafka-local.sh');

export interface ExampleArgs {
  brokers: string | undefined;
  inputTopic: string | undefined;
  outputTopic: string | undefined;
  groupId: string;
  rules: string;
  sample: string;
  batchSize: number;
  maxMessages: number;
  idleTimeoutMs: number;
  produceSample: boolean;
}

export function exampleArgs(argv = process.argv.slice(2)): ExampleArgs {
  const { values } = parseArgs({
    args: argv,
    options: {
      brokers: { type: 'string' },
      'input-topic': { type: 'string' },
      'output-topic': { type: 'string' },
      'group-id': { type: 'string' },
      rules: { type: 'string' },
      sample: { type: 'string' },
      'batch-size': { type: 'string' },
      'max-messages': { type: 'string' },
      'idle-timeout-ms': { type: 'string' },
      'produce-sample': { type: 'boolean' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(`options: [--brokers B] [--input-topic T] [--output-topic O] [--group-id G] [--rules R]
         [--sample F.ndjson] [--produce-sample] [--batch-size N] [--max-messages N] [--idle-timeout-ms N]
Without --brokers: starts the repo's local broker (scripts/kafka-local.sh), creates fresh topics,
produces the sample, runs the loop until every sample record has its decision, stops the broker
again if it started it.`);
    process.exit(0);
  }
  const int = (v: string | undefined, d: number): number => (v === undefined ? d : Number.parseInt(v, 10));
  return {
    brokers: values.brokers,
    inputTopic: values['input-topic'],
    outputTopic: values['output-topic'],
    groupId: values['group-id'] ?? 'blazerules-tutorial',
    rules: values.rules ?? join(ROOT, 'examples', 'rules.yaml'),
    sample: values.sample ?? join(ROOT, 'examples', 'sample.ndjson'),
    batchSize: int(values['batch-size'], 500),
    maxMessages: int(values['max-messages'], 0),
    idleTimeoutMs: int(values['idle-timeout-ms'], 0),
    produceSample: values['produce-sample'] ?? false,
  };
}

/** The repo's local broker: started if it is not running, stopped at the end only then. */
export class LocalBroker {
  private constructor(
    readonly brokers: string,
    private readonly startedHere: boolean,
  ) {}

  static start(): LocalBroker {
    const running = spawnSync(KAFKA_LOCAL, ['status'], { stdio: 'ignore' }).status === 0;
    const brokers = execFileSync(KAFKA_LOCAL, ['up'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    }).trim();
    return new LocalBroker(brokers, !running);
  }

  createTopic(name: string, partitions: number): void {
    execFileSync(KAFKA_LOCAL, ['topic', 'create', name, String(partitions)], {
      stdio: ['ignore', 'ignore', 'inherit'],
    });
  }

  stop(): void {
    if (this.startedHere) execFileSync(KAFKA_LOCAL, ['down'], { stdio: ['ignore', 'ignore', 'inherit'] });
  }
}

/** Produces each non-blank line of an NDJSON file as one message; returns how many. */
export async function produceFile(brokers: string, topic: string, path: string): Promise<number> {
  const lines = readFileSync(path, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '');
  const producer = new KafkaProducer({ brokers });
  try {
    for (const [i, line] of lines.entries()) producer.produce(topic, line, `record-${i}`);
    if (!(await producer.flush(30_000))) throw new Error(`could not produce ${path} to ${topic}`);
  } finally {
    await producer.close();
  }
  return lines.length;
}

/** Splits a Buffer of '\n'-terminated lines into one Buffer per line (each keeps its '\n'). */
export function splitLines(buf: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = buf.indexOf(10); i !== -1; i = buf.indexOf(10, start)) {
    out.push(buf.subarray(start, i + 1));
    start = i + 1;
  }
  if (start < buf.length) out.push(buf.subarray(start));
  return out;
}

/** Stops the loop on Ctrl-C / SIGTERM (it then flushes and commits what it has). */
export function stopOnSignals(): AbortSignal {
  const ac = new AbortController();
  for (const sig of ['SIGINT', 'SIGTERM'] as const) process.once(sig, () => ac.abort());
  return ac.signal;
}
