/**
 * The stream loop's consumer lag (`--stream`): the native loop does not report it, so the
 * service asks the cluster, every LAG_INTERVAL_MS, for each input partition's high watermark
 * and the group's committed offset, through a consumer of its own that joins no group (it
 * only reads the group's offsets). Lag = high watermark − committed (− low watermark when
 * nothing is committed yet), per partition.
 */
import { brokerList, topicList } from '../kafka/config';
import { connectClient, disconnectClient } from '../kafka/connect';
import { type RdTopicPartition, rdkafka } from '../kafka/rdkafka';

/** How often the lag is measured. */
export const LAG_INTERVAL_MS = 2_000;
const QUERY_TIMEOUT_MS = 5_000;

export interface PartitionLag {
  topic: string;
  partition: number;
  lag: number;
}

interface LagClient {
  getMetadata(o: { topic: string; timeout: number }, cb: (err: unknown, md: Metadata) => void): void;
  queryWatermarkOffsets(
    topic: string,
    partition: number,
    timeout: number,
    cb: (err: unknown, o: { highOffset: number; lowOffset: number }) => void,
  ): void;
  committed(tps: RdTopicPartition[], timeout: number, cb: (err: unknown, tps: RdTopicPartition[]) => void): void;
}
interface Metadata {
  topics: Array<{ name: string; partitions: Array<{ id: number }> }>;
}

function call<T>(f: (cb: (err: unknown, v: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => f((err, v) => (err ? reject(err) : resolve(v))));
}

export class StreamLag {
  readonly #client: ReturnType<typeof newClient>;
  readonly #brokers: string;
  readonly #topics: string[];
  #timer: NodeJS.Timeout | undefined;
  #busy = false;
  #connected: Promise<void> | undefined;
  /** The last measurement (empty before the first). */
  partitions: PartitionLag[] = [];

  constructor(brokers: string | readonly string[], groupId: string, topics: string | readonly string[]) {
    this.#brokers = brokerList(brokers);
    this.#topics = topicList(topics);
    this.#client = newClient(this.#brokers, groupId);
  }

  get total(): number {
    return this.partitions.reduce((s, p) => s + p.lag, 0);
  }

  /** Measures now and every LAG_INTERVAL_MS; failures keep the last measurement. */
  start(onError: (err: Error) => void): void {
    const tick = (): void => {
      if (this.#busy) return;
      this.#busy = true;
      this.measure()
        .catch((err: Error) => onError(err))
        .finally(() => (this.#busy = false));
    };
    this.#timer = setInterval(tick, LAG_INTERVAL_MS);
    this.#timer.unref();
    tick();
  }

  async measure(): Promise<PartitionLag[]> {
    this.#connected ??= connectClient(this.#client, this.#brokers, QUERY_TIMEOUT_MS).ready;
    await this.#connected;
    const c = this.#client as unknown as LagClient;
    const tps: RdTopicPartition[] = [];
    for (const topic of this.#topics) {
      const md = await call<Metadata>((cb) => c.getMetadata({ topic, timeout: QUERY_TIMEOUT_MS }, cb));
      for (const p of md.topics.find((x) => x.name === topic)?.partitions ?? []) tps.push({ topic, partition: p.id });
    }
    const committed = await call<RdTopicPartition[]>((cb) => c.committed(tps, QUERY_TIMEOUT_MS, cb));
    const out: PartitionLag[] = [];
    for (const tp of tps) {
      const w = await call<{ highOffset: number; lowOffset: number }>((cb) =>
        c.queryWatermarkOffsets(tp.topic, tp.partition, QUERY_TIMEOUT_MS, cb),
      );
      const at = committed.find((x) => x.topic === tp.topic && x.partition === tp.partition)?.offset;
      const from = at !== undefined && at >= 0 ? at : w.lowOffset;
      out.push({ topic: tp.topic, partition: tp.partition, lag: Math.max(0, w.highOffset - from) });
    }
    this.partitions = out;
    return out;
  }

  async stop(): Promise<void> {
    if (this.#timer !== undefined) clearInterval(this.#timer);
    const connected = await this.#connected?.then(
      () => true,
      () => false,
    );
    if (connected) await disconnectClient(this.#client, 5_000);
  }
}

function newClient(brokers: string, groupId: string) {
  const rd = rdkafka();
  return new rd.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': groupId,
      'enable.auto.commit': false,
      'client.id': 'blazerules-serve-lag',
    },
    {},
  );
}

/** The lag as Prometheus text (appended to /metrics). */
export function lagText(partitions: readonly PartitionLag[]): string {
  if (partitions.length === 0) return '';
  const lines = [
    '# HELP blazerules_stream_consumer_lag Messages of an input partition not yet committed by the stream loop.',
    '# TYPE blazerules_stream_consumer_lag gauge',
  ];
  const esc = (s: string): string => s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  for (const p of partitions) {
    lines.push(`blazerules_stream_consumer_lag{topic="${esc(p.topic)}",partition="${p.partition}"} ${p.lag}`);
  }
  return `${lines.join('\n')}\n`;
}
