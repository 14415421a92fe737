/**
 * `blazerules rules publish`: one rules bundle produced to a rules topic with `acks=all`,
 * and the partition and offset the broker gave it. A producer of its own (KafkaProducer's
 * flush() says whether messages were delivered, not where they went).
 */
import { connectClient, disconnectClient } from '../kafka/connect';
import { KafkaIOError, messageOf } from '../kafka/errors';
import { rdkafka } from '../kafka/rdkafka';
import type { KafkaConf } from '../kafka/types';

/** The key of every bundle: compaction then keeps the latest one only. */
export const BUNDLE_KEY = 'rules';

interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
}

interface BundleProducer {
  connect(o: { timeout?: number }, cb: (err: never) => void): unknown;
  disconnect(cb: (err: unknown) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  produce(topic: string, partition: number | null, value: Buffer, key: string): unknown;
  setPollInterval(ms: number): unknown;
}

/** Produces `value` to `topic` and resolves once the broker acknowledged it on all in-sync
 * replicas; rejects (DELIVERY_FAILED) after `timeoutMs`. */
export async function publishBundle(
  brokers: string,
  topic: string,
  value: Buffer,
  conf: KafkaConf,
  timeoutMs: number,
): Promise<DeliveryReport> {
  const rd = rdkafka() as unknown as { Producer: new (conf: object, topicConf: object) => BundleProducer };
  const p = new rd.Producer(
    {
      'client.id': 'blazerules-publish',
      ...conf,
      'metadata.broker.list': brokers,
      'enable.idempotence': true,
      acks: 'all',
      'message.timeout.ms': timeoutMs,
      dr_cb: true,
    },
    {},
  );
  const connection = connectClient(p, brokers, timeoutMs);
  try {
    await connection.ready;
    const delivered = new Promise<DeliveryReport>((resolve, reject) => {
      p.on('delivery-report', ((err: Error | null, report: DeliveryReport) => {
        if (err) reject(new KafkaIOError('DELIVERY_FAILED', `rules bundle to ${topic}: ${messageOf(err)}`));
        else resolve(report);
      }) as (...args: never[]) => void);
    });
    p.setPollInterval(20);
    p.produce(topic, null, value, BUNDLE_KEY);
    return await delivered;
  } finally {
    await connection.settled;
    await disconnectClient(p, 5000);
  }
}
