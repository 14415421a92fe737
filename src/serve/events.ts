/**
 * POST /v1/events (the seed's "service as producer"): decide, produce `{event, decision}` to
 * `--events-topic` with acks=all (idempotent), and answer 201 `{topic, partition, offset,
 * decision}` only from the message's own delivery report. A message librdkafka could not
 * deliver within `--events-timeout-ms` (its `message.timeout.ms`) is a 503; so is a queue
 * that is full or a producer that never connected. Nothing is answered 201 that the broker did
 * not acknowledge (docs/serve.md, "Events").
 *
 * Its own small producer rather than KafkaProducer: KafkaProducer reports deliveries per
 * flush, and a request needs its own message's partition and offset.
 */
import type { FastifyInstance } from 'fastify';

import type { RuleEngine } from '../engine';
import { brokerList, splitConf, userConf } from '../kafka/config';
import { type Connection, connectClient, disconnectClient } from '../kafka/connect';
import { RdCode, messageOf, rdCode } from '../kafka/errors';
import { STATS_INTERVAL_MS, statsShowBrokerUp } from '../kafka/outage';
import { type RdError, type RdProducer, rdkafka } from '../kafka/rdkafka';
import type { KafkaConf } from '../kafka/types';
import { decideOne } from './answer';
import { HttpError } from './errors';
import { EVENT } from './schemas';

/** The default `--events-timeout-ms`: the longest a request waits for its delivery report. */
export const DEFAULT_EVENTS_TIMEOUT_MS = 10_000;
/** Slack past message.timeout.ms before a request stops waiting for a report librdkafka owes. */
const REPORT_GRACE_MS = 5_000;
const POLL_MS = 5;

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

interface Pending {
  resolve(d: Delivered): void;
  reject(e: HttpError): void;
  timer: NodeJS.Timeout;
}

interface DeliveryReport {
  partition: number;
  offset: number;
  opaque?: unknown;
}

export interface EventProducerOptions {
  brokers: string;
  topic: string;
  timeoutMs?: number;
  conf?: KafkaConf;
}

export class EventProducer implements EventSink {
  readonly topic: string;
  readonly #client: RdProducer;
  readonly #brokers: string;
  readonly #timeoutMs: number;
  readonly #pending = new Map<number, Pending>();
  readonly #inflight = new Set<Promise<Delivered>>();
  #next = 0;
  #connection: Connection | undefined;
  #connected = false;
  #brokerUp = true;
  #poll: NodeJS.Timeout | undefined;

  constructor(opts: EventProducerOptions) {
    this.topic = opts.topic;
    this.#brokers = brokerList(opts.brokers);
    this.#timeoutMs = opts.timeoutMs ?? DEFAULT_EVENTS_TIMEOUT_MS;
    const conf = {
      'client.id': 'blazerules-serve',
      'statistics.interval.ms': STATS_INTERVAL_MS,
      ...userConf(opts.conf),
      'enable.idempotence': true,
      acks: 'all',
      'message.timeout.ms': this.#timeoutMs,
      'metadata.broker.list': this.#brokers,
      dr_cb: true,
    };
    const { global, topic } = splitConf(conf);
    this.#client = new (rdkafka().Producer)(global, topic);
    this.#client.on('delivery-report', (err: RdError | null, report: DeliveryReport) => this.#onReport(err, report));
    this.#client.on('event.error', (err: RdError) => {
      if (rdCode(err) === RdCode.ERR__ALL_BROKERS_DOWN) this.#brokerUp = false;
    });
    this.#client.on('event.stats', (stats: { message?: unknown }) => {
      this.#brokerUp = typeof stats?.message === 'string' && statsShowBrokerUp(stats.message);
    });
  }

  /** Connects (rejects with BROKER_UNREACHABLE after `timeoutMs`). */
  async connect(timeoutMs: number): Promise<void> {
    this.#connection = connectClient(this.#client, this.#brokers, timeoutMs);
    await this.#connection.ready;
    this.#connected = true;
  }

  reachable(): boolean {
    return this.#connected && this.#brokerUp;
  }

  produce(value: Buffer, key: string | null): Promise<Delivered> {
    if (!this.#connected)
      return Promise.reject(new HttpError('EVENT_NOT_DELIVERED', 'the events producer is not connected'));
    const id = this.#next++;
    const delivery = new Promise<Delivered>((resolve, reject) => {
      try {
        this.#client.produce(this.topic, null, value, key, null, id);
      } catch (err) {
        const full = rdCode(err) === RdCode.ERR__QUEUE_FULL;
        reject(
          new HttpError(
            'EVENT_NOT_DELIVERED',
            `${full ? 'the producer queue is full' : 'produce failed'}: ${messageOf(err)}`,
          ),
        );
        return;
      }
      // librdkafka reports every message within message.timeout.ms; past it (+ grace) the
      // request stops waiting. The message is then not acknowledged as far as anyone knows.
      const timer = setTimeout(
        () => this.#settle(id)?.reject(lost('no delivery report')),
        this.#timeoutMs + REPORT_GRACE_MS,
      );
      this.#pending.set(id, { resolve, reject, timer });
      this.#startPolling();
    });
    this.#inflight.add(delivery);
    const forget = (): void => void this.#inflight.delete(delivery);
    delivery.then(forget, forget);
    return delivery;
  }

  #settle(id: number): Pending | undefined {
    const p = this.#pending.get(id);
    if (p === undefined) return undefined;
    this.#pending.delete(id);
    clearTimeout(p.timer);
    if (this.#pending.size === 0) this.#stopPolling();
    return p;
  }

  #onReport(err: RdError | null, report: DeliveryReport): void {
    const p = typeof report?.opaque === 'number' ? this.#settle(report.opaque) : undefined;
    if (p === undefined) return;
    if (err) p.reject(lost(messageOf(err)));
    else {
      this.#brokerUp = true;
      p.resolve({ partition: report.partition, offset: report.offset });
    }
  }

  #startPolling(): void {
    if (this.#poll !== undefined) return;
    this.#poll = setInterval(() => {
      try {
        this.#client.poll();
      } catch {
        // a closed client: the pending requests time out
      }
    }, POLL_MS);
  }

  #stopPolling(): void {
    if (this.#poll !== undefined) clearInterval(this.#poll);
    this.#poll = undefined;
  }

  /** Waits for the reports of the messages in flight (each is bounded), then disconnects. */
  async close(): Promise<void> {
    await Promise.allSettled(this.#inflight);
    this.#stopPolling();
    if (this.#connection !== undefined) {
      await this.#connection.settled;
      if (this.#client.isConnected()) await disconnectClient(this.#client, 10_000);
    }
  }
}

function lost(why: string): HttpError {
  return new HttpError('EVENT_NOT_DELIVERED', `the event was not acknowledged by the broker: ${why}`);
}

export function registerEvents(app: FastifyInstance, engine: RuleEngine, sink: EventSink): void {
  app.post('/v1/events', { schema: EVENT }, async (request, reply) => {
    const event = request.body as Record<string, unknown>;
    const decision = decideOne(engine, event);
    const key = typeof event.id === 'string' || typeof event.id === 'number' ? String(event.id) : null;
    const at = await sink.produce(Buffer.from(JSON.stringify({ event, decision })), key);
    return reply.code(201).send({ topic: sink.topic, partition: at.partition, offset: at.offset, decision });
  });
}
