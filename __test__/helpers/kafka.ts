/**
 * Kafka test helpers: the repo's local broker (scripts/kafka-local.sh, reused across test
 * files and never torn down here: .ci/run does that), unique names, topics, and small
 * produce/consume/inspect utilities on node-rdkafka.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { KafkaConsumer, KafkaProducer, type KafkaRecord } from '../../src/io';

const ROOT = join(__dirname, '..', '..');
const execFileAsync = promisify(execFile);
export const KAFKA_LOCAL = join(ROOT, 'scripts', 'kafka-local.sh');

/** Settings that make group membership changes quick in tests. */
export const FAST_GROUP = {
  'session.timeout.ms': 6000,
  'heartbeat.interval.ms': 500,
  'topic.metadata.refresh.interval.ms': 2000,
} as const;

let shared: string | undefined;

/** The shared local broker's address, starting it if needed (idempotent, locked). */
export function brokers(): string {
  shared ??= execFileSync(KAFKA_LOCAL, ['up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 600_000,
  }).trim();
  return shared;
}

let counter = 0;
/** A topic or group name no other test (or earlier run against a reused broker) uses. */
export function uniqueName(prefix: string): string {
  counter++;
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${counter}`;
}

type Admin = {
  createTopic(
    t: { topic: string; num_partitions: number; replication_factor: number; config: Record<string, string> },
    timeout: number,
    cb: (err: unknown) => void,
  ): void;
  disconnect(): void;
};

type MetadataClient = {
  connect(o: object, cb: (err: unknown) => void): void;
  getMetadata(
    o: { topic: string; timeout: number },
    cb: (err: unknown, md: { topics: Array<{ name: string; partitions: Array<{ leader: number }> }> }) => void,
  ): void;
  disconnect(cb: () => void): void;
};

/**
 * Creates topics through the Kafka admin API (no JVM start per topic), and returns once the
 * broker serves them (a freshly started broker may briefly still call them unknown).
 *
 * Without time-based retention: test records carry 2024 event times as their Kafka timestamps,
 * so a segment rolls at its second append (its first record is older than segment.ms) and the
 * broker's retention check (every 5 min, 168 h by record timestamp) deletes it, mid-test, under
 * a window replay (found as "the records before the committed offset were deleted").
 */
export async function createTopics(address: string, topics: Array<[name: string, partitions: number]>): Promise<void> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rd = require('node-rdkafka') as {
    AdminClient: { create(conf: object): Admin };
    Producer: new (conf: object, topicConf: object) => MetadataClient;
  };
  const admin = rd.AdminClient.create({ 'metadata.broker.list': address, 'client.id': 'blazerules-tests' });
  try {
    for (const [topic, partitions] of topics) {
      await new Promise<void>((resolve, reject) =>
        admin.createTopic(
          { topic, num_partitions: partitions, replication_factor: 1, config: { 'retention.ms': '-1' } },
          30_000,
          (err) => (err ? reject(err) : resolve()),
        ),
      );
    }
  } finally {
    admin.disconnect();
  }
  const meta = new rd.Producer({ 'metadata.broker.list': address, 'allow.auto.create.topics': false }, {});
  await new Promise<void>((resolve, reject) =>
    meta.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())),
  );
  try {
    for (const [topic, partitions] of topics) {
      const ready = await eventually(
        () =>
          new Promise<boolean>((resolve) =>
            meta.getMetadata({ topic, timeout: 5000 }, (err, md) => {
              const t = err ? undefined : md.topics.find((x) => x.name === topic);
              resolve(
                t !== undefined && t.partitions.length === partitions && t.partitions.every((p) => p.leader >= 0),
              );
            }),
          ),
        30_000,
      );
      if (!ready) throw new Error(`topic ${topic} did not become available`);
    }
  } finally {
    await new Promise<void>((resolve) => meta.disconnect(() => resolve()));
  }
}

/** Produces each value (with key `key(i)` if given) and waits until all are delivered. */
export async function produceAll(
  address: string,
  topic: string,
  values: readonly string[],
  key?: (i: number) => string,
): Promise<void> {
  const producer = new KafkaProducer({ brokers: address });
  try {
    for (const [i, v] of values.entries()) producer.produce(topic, v, key?.(i));
    if (!(await producer.flush(30_000))) throw new Error(`could not produce ${values.length} messages to ${topic}`);
  } finally {
    await producer.close();
  }
}

/** Reads a topic from the beginning with a fresh group until `n` records arrived (or
 * `idleMs` passed without one after that), then returns them. */
export async function readTopic(
  address: string,
  topic: string,
  n: number,
  idleMs = 3000,
  timeoutMs = 60_000,
): Promise<KafkaRecord[]> {
  const consumer = new KafkaConsumer({
    brokers: address,
    groupId: uniqueName('reader'),
    topics: [topic],
    conf: FAST_GROUP,
  });
  const out: KafkaRecord[] = [];
  const deadline = Date.now() + timeoutMs;
  try {
    while (Date.now() < deadline) {
      const recs = await consumer.pollRecords({ maxMessages: 1000, timeoutMs: out.length >= n ? idleMs : 1000 });
      if (recs.length === 0 && out.length >= n) break;
      out.push(...recs);
    }
  } finally {
    await consumer.close();
  }
  return out;
}

/** The offsets a group has committed for a topic's partitions (-1001 = none). */
export async function committedOffsets(
  address: string,
  groupId: string,
  topic: string,
  partitions: number,
): Promise<number[]> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rd = require('node-rdkafka') as {
    KafkaConsumer: new (
      conf: object,
      topicConf: object,
    ) => {
      connect(o: object, cb: (err: unknown) => void): void;
      committed(
        tps: object[],
        timeout: number,
        cb: (err: unknown, tps: Array<{ partition: number; offset?: number }>) => void,
      ): void;
      disconnect(cb: () => void): void;
    };
  };
  const c = new rd.KafkaConsumer(
    { 'metadata.broker.list': address, 'group.id': groupId, 'enable.auto.commit': false },
    {},
  );
  await new Promise<void>((resolve, reject) =>
    c.connect({ timeout: 10_000 }, (err) => (err ? reject(err) : resolve())),
  );
  try {
    const tps = Array.from({ length: partitions }, (_, partition) => ({ topic, partition }));
    const got = await new Promise<Array<{ partition: number; offset?: number }>>((resolve, reject) =>
      c.committed(tps, 10_000, (err, res) => (err ? reject(err) : resolve(res))),
    );
    return got.sort((a, b) => a.partition - b.partition).map((tp) => tp.offset ?? -1001);
  } finally {
    await new Promise<void>((resolve) => c.disconnect(() => resolve()));
  }
}

/** Polls until `pred` holds or `timeoutMs` passed; returns whether it held. */
export async function eventually(
  pred: () => boolean | Promise<boolean>,
  timeoutMs: number,
  stepMs = 100,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if (await pred()) return true;
    if (Date.now() >= deadline) return false;
    await new Promise((r) => setTimeout(r, stepMs));
  }
}

/**
 * A broker of the test's own (for tests that stop it): kafka-local.sh with a state dir of
 * its own under .kafka/private/ (so CI's teardown finds it even if this process dies),
 * sharing the cached Kafka jars. `down()` removes it. Asynchronous: starting a JVM must not
 * hold up the other tests of the file.
 */
export class PrivateBroker {
  private constructor(
    readonly address: string,
    private readonly env: NodeJS.ProcessEnv,
  ) {}

  static async up(): Promise<PrivateBroker> {
    brokers(); // the shared broker's first `up` fetched the jars
    mkdirSync(join(ROOT, '.kafka', 'private'), { recursive: true });
    const dir = mkdtempSync(join(ROOT, '.kafka', 'private', 'broker-'));
    symlinkSync(join(ROOT, '.kafka', 'dist'), join(dir, 'dist'));
    const env = { ...process.env, KAFKA_LOCAL_DIR: dir };
    const { stdout } = await run(['up'], env);
    return new PrivateBroker(stdout.trim(), env);
  }

  async stop(): Promise<void> {
    await run(['stop'], this.env);
  }

  async start(): Promise<void> {
    await run(['start'], this.env);
  }

  async down(): Promise<void> {
    await run(['down'], this.env);
    rmSync(this.env.KAFKA_LOCAL_DIR as string, { recursive: true, force: true });
  }
}

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ stdout: string }> {
  return execFileAsync(KAFKA_LOCAL, args, { env, encoding: 'utf8', timeout: 180_000 });
}
