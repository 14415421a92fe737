/**
 * POST /v1/events (the seed's "service as producer"): decide, produce `{event, decision}` to
 * `--events-topic` with acks=all (idempotent), and answer 201 `{topic, partition, offset,
 * decision}` only from the message's own delivery report. A message librdkafka could not
 * deliver within `--events-timeout-ms` (its `message.timeout.ms`) is a 503; so is a queue
 * that is full or a producer that never connected. Nothing is answered 201 that the broker did
 * not acknowledge (docs/serve.md, "Events").
 */
import type { FastifyInstance } from 'fastify';

import type { RuleEngine } from '../engine';
import { KafkaIOError } from '../kafka/errors';
import { BrokerProducer } from '../kafka/producer';
import type { KafkaConf } from '../kafka/types';
import { JSON_TYPE, decideText } from './answer';
import { HttpError } from './errors';
import { EVENT } from './schemas';

/** The default `--events-timeout-ms`: the longest a request waits for its delivery report. */
export const DEFAULT_EVENTS_TIMEOUT_MS = 10_000;
/** Slack past message.timeout.ms before a request stops waiting for a report librdkafka owes. */
const REPORT_GRACE_MS = 5_000;

export interface Delivered {
  partition: number;
  offset: number;
}

/** Where POST /v1/events puts events. */
export interface EventSink {
  readonly topic: string;
  produce(value: Buffer, key: string | null): Promise<Delivered>;
  /** Connected, and a broker was up at the last statistics. */
  reachable(): boolean;
  close(): Promise<void>;
}

export interface EventProducerOptions {
  brokers: string;
  topic: string;
  timeoutMs?: number;
  /** How long connect() waits for a broker (default 30 s). */
  connectTimeoutMs?: number;
  conf?: KafkaConf;
}

/** BrokerProducer with acks=all and `message.timeout.ms` = the events timeout: each event's
 * own delivery report (send()) says 201 or 503. */
export class EventProducer implements EventSink {
  readonly topic: string;
  readonly #producer: BrokerProducer;
  readonly #timeoutMs: number;

  constructor(opts: EventProducerOptions) {
    this.topic = opts.topic;
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_EVENTS_TIMEOUT_MS;
    this.#producer = new BrokerProducer({
      brokers: opts.brokers,
      connectTimeoutMs: opts.connectTimeoutMs ?? 30_000,
      conf: {
        'client.id': 'blazerules-serve',
        ...opts.conf,
        'enable.idempotence': true,
        acks: 'all',
        'message.timeout.ms': this.#timeoutMs,
      },
    });
  }

  /** Connects (rejects with BROKER_UNREACHABLE after `connectTimeoutMs`). */
  connect(): Promise<void> {
    return this.#producer.connect();
  }

  reachable(): boolean {
    return this.#producer.reachable;
  }

  async produce(value: Buffer, key: string | null): Promise<Delivered> {
    let timer: NodeJS.Timeout | undefined;
    // librdkafka reports every message within message.timeout.ms; past it (+ grace) the
    // request stops waiting: the message is then not acknowledged as far as anyone knows.
    const overdue = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(lost('no delivery report')), this.#timeoutMs + REPORT_GRACE_MS);
    });
    try {
      const { partition, offset } = await Promise.race([this.#producer.send(this.topic, value, key), overdue]);
      return { partition, offset };
    } catch (err) {
      if (err instanceof HttpError) throw err;
      const full = err instanceof KafkaIOError && err.code === 'QUEUE_FULL';
      throw lost(full ? 'the producer queue is full' : (err as Error).message);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Waits for the reports of the messages in flight (each bounded by the events timeout),
   * then disconnects; the events not acknowledged by then already had their 503. */
  async close(): Promise<void> {
    await this.#producer.close(this.#timeoutMs).catch(() => undefined);
  }
}

function lost(why: string): HttpError {
  return new HttpError('EVENT_NOT_DELIVERED', `the event was not acknowledged by the broker: ${why}`);
}

export function registerEvents(app: FastifyInstance, engine: RuleEngine, sink: EventSink): void {
  app.post('/v1/events', { schema: EVENT }, async (request, reply) => {
    const event = request.body as Record<string, unknown>;
    const eventText = JSON.stringify(event);
    // The decision as the core's answer writer wrote it (answer.ts), wrapped as it is: neither
    // parsed nor written again for the message and the reply.
    const decision = decideText(engine, Buffer.from(eventText, 'utf8')).toString('utf8');
    const key = typeof event.id === 'string' || typeof event.id === 'number' ? String(event.id) : null;
    const at = await sink.produce(Buffer.from(`{"event":${eventText},"decision":${decision}}`, 'utf8'), key);
    const where = `"topic":${JSON.stringify(sink.topic)},"partition":${at.partition},"offset":${at.offset}`;
    return reply.code(201).type(JSON_TYPE).send(`{${where},"decision":${decision}}`);
  });
}
