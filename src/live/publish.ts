/**
 * `blazerules rules publish`: one rules bundle produced to a rules topic with `acks=all`,
 * and the partition and offset the broker gave it (BrokerProducer.send()).
 */
import { KafkaIOError } from '../kafka/errors';
import { type Delivery, BrokerProducer } from '../kafka/producer';
import type { KafkaConf } from '../kafka/types';

/** The key of every bundle: compaction then keeps the latest one only. */
export const BUNDLE_KEY = 'rules';

/** Produces `value` to `topic` and resolves once the broker acknowledged it on all in-sync
 * replicas; rejects (BROKER_UNREACHABLE, DELIVERY_FAILED) after `timeoutMs`. */
export async function publishBundle(
  brokers: string,
  topic: string,
  value: Buffer,
  conf: KafkaConf,
  timeoutMs: number,
): Promise<Delivery> {
  const producer = new BrokerProducer({
    brokers,
    connectTimeoutMs: timeoutMs,
    conf: {
      'client.id': 'blazerules-publish',
      ...conf,
      'enable.idempotence': true,
      acks: 'all',
      'message.timeout.ms': timeoutMs,
    },
  });
  try {
    return await producer.send(topic, value, BUNDLE_KEY);
  } catch (err) {
    if (err instanceof KafkaIOError && err.code === 'DELIVERY_FAILED') {
      throw new KafkaIOError('DELIVERY_FAILED', `rules bundle to ${topic}: ${err.message}`, { cause: err });
    }
    throw err;
  } finally {
    await producer.close(timeoutMs).catch(() => undefined);
  }
}
