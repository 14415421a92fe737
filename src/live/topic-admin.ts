/**
 * What a rules topic needs beyond reading and producing: its partitions and their end offsets
 * (where a follower starts), and creating it compacted (`rules publish`). node-rdkafka's
 * metadata, watermark and admin calls, typed here for the small part used.
 */
import { connectClient, disconnectClient } from '../kafka/connect';
import { KafkaIOError, RdCode, messageOf, rdCode } from '../kafka/errors';
import { type RdError, rdkafka } from '../kafka/rdkafka';
import type { KafkaConf } from '../kafka/types';

interface MetaClient {
  connect(o: { timeout?: number; allTopics?: boolean }, cb: (err: RdError | null) => void): unknown;
  disconnect(cb: (err: unknown) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  getMetadata(
    o: { topic: string; timeout: number },
    cb: (err: Error | null, md: { topics: { name: string; partitions: { id: number }[] }[] }) => void,
  ): void;
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeout: number,
    cb: (err: Error | null, o: { lowOffset: number; highOffset: number }) => void,
  ): void;
}

interface AdminClient {
  createTopic(
    t: { topic: string; num_partitions: number; replication_factor: number; config?: Record<string, string> },
    timeout: number,
    cb: (err: Error | null) => void,
  ): void;
  disconnect(): void;
}

/** One partition's first and next offsets. */
export interface PartitionEnds {
  partition: number;
  low: number;
  high: number;
}

/** Connects a metadata client (a producer that produces nothing). */
async function withMeta<T>(brokers: string, conf: KafkaConf, timeoutMs: number, use: (c: MetaClient) => Promise<T>) {
  const rd = rdkafka() as unknown as { Producer: new (conf: object, topicConf: object) => MetaClient };
  const c = new rd.Producer({ ...conf, 'metadata.broker.list': brokers, 'allow.auto.create.topics': false }, {});
  const connection = connectClient(c, brokers, timeoutMs);
  try {
    await connection.ready;
    return await use(c);
  } finally {
    await connection.settled;
    await disconnectClient(c, 5000);
  }
}

function call<T>(what: string, run: (cb: (err: Error | null, v: T) => void) => void): Promise<T> {
  return new Promise<T>((resolve, reject) =>
    run((err, v) => (err ? reject(new KafkaIOError('CONSUME_FAILED', `${what}: ${messageOf(err)}`)) : resolve(v))),
  );
}

/** The partitions of `topic` with their offsets; empty when the topic does not exist. */
export function topicEnds(
  brokers: string,
  topic: string,
  conf: KafkaConf,
  timeoutMs: number,
): Promise<PartitionEnds[]> {
  return withMeta(brokers, conf, timeoutMs, async (c) => {
    let md: { topics: { name: string; partitions: { id: number }[] }[] };
    try {
      md = await new Promise((resolve, reject) =>
        c.getMetadata({ topic, timeout: timeoutMs }, (err, m) => (err ? reject(err) : resolve(m))),
      );
    } catch (err) {
      const code = rdCode(err);
      if (code === RdCode.ERR_UNKNOWN_TOPIC_OR_PART || code === RdCode.ERR__UNKNOWN_TOPIC) return [];
      throw new KafkaIOError('CONSUME_FAILED', `metadata of topic '${topic}': ${messageOf(err)}`);
    }
    const parts = md.topics.find((t) => t.name === topic)?.partitions ?? [];
    const out: PartitionEnds[] = [];
    for (const p of [...parts].sort((a, b) => a.id - b.id)) {
      const o = await call<{ lowOffset: number; highOffset: number }>(`end offsets of ${topic}[${p.id}]`, (cb) =>
        c.queryWatermarkOffsets(topic, p.id, timeoutMs, cb),
      );
      out.push({ partition: p.id, low: o.lowOffset, high: o.highOffset });
    }
    return out;
  });
}

/** Creates `topic` compacted with one partition, unless it exists. */
export async function ensureCompactedTopic(brokers: string, topic: string, conf: KafkaConf, timeoutMs: number) {
  if ((await topicEnds(brokers, topic, conf, timeoutMs)).length > 0) return;
  const rd = rdkafka() as unknown as { AdminClient: { create(conf: object): AdminClient } };
  const admin = rd.AdminClient.create({ ...conf, 'metadata.broker.list': brokers, 'client.id': 'blazerules' });
  try {
    await new Promise<void>((resolve, reject) =>
      admin.createTopic(
        { topic, num_partitions: 1, replication_factor: -1, config: { 'cleanup.policy': 'compact' } },
        timeoutMs,
        (err) => (err && rdCode(err) !== RdCode.ERR_TOPIC_ALREADY_EXISTS ? reject(err) : resolve()),
      ),
    );
  } catch (err) {
    throw new KafkaIOError('PRODUCE_FAILED', `cannot create topic '${topic}' on ${brokers}: ${messageOf(err)}`);
  } finally {
    admin.disconnect();
  }
}
