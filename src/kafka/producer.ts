/**
 * KafkaProducer: produce() queues a message in librdkafka (never blocking); flush() waits for
 * the broker's acknowledgements and says whether every message since the last flush was
 * delivered; send() queues one and resolves with where the broker put it (its own delivery
 * report, matched by an opaque id).
 *
 * Delivery reports are collected by polling librdkafka from a JS timer (a non-blocking call),
 * not by librdkafka's flush on a libuv pool thread, so waiting for deliveries holds neither
 * the JS thread nor a pool thread. See docs/kafka.md.
 *
 * Idempotent by default, so librdkafka's retries through a broker outage neither duplicate
 * nor reorder messages; its delivery timeout outlasts the outage budget, and flush() waits an
 * outage out for up to `outageBudgetMs` (outage.ts).
 */
import { brokerList, nonNegativeInt, positiveInt, splitConf, userConf } from './config';
import { connectClient, disconnectClient, type Connection } from './connect';
import { KafkaIOError, RdCode, closedError, messageOf, rdCode, wrap } from './errors';
import {
  DEFAULT_OUTAGE_BUDGET_MS,
  OutageClock,
  STATS_INTERVAL_MS,
  messageTimeoutMs,
  statsShowBrokerUp,
} from './outage';
import { rdkafka, type RdError, type RdProducer } from './rdkafka';
import { toRdHeaders } from './records';
import type { KafkaProducerOptions, ProduceHeaders } from './types';

/** How often librdkafka is polled for delivery reports while messages are in flight. */
const POLL_MS = 5;
/** Messages produce() may queue before the client is connected. */
const MAX_EARLY = 100_000;
/** The longest single wait of flush(), so that an outage beginning or ending is seen. */
const FLUSH_STEP_MS = 100;

type Value = Buffer | Uint8Array | string;

/** node-rdkafka's delivery report (dr_cb). */
interface DeliveryReport {
  topic: string;
  partition: number;
  offset: number;
  opaque?: unknown;
}
interface Message {
  topic: string;
  value: Buffer;
  key: Buffer | string | null;
  headers: Array<Record<string, string>> | undefined;
  /** send()'s id, the delivery report's opaque. */
  id?: number;
}

/** Where the broker put a message: send()'s answer. */
export interface Delivery {
  topic: string;
  partition: number;
  offset: number;
}

interface Waiter {
  resolve(d: Delivery): void;
  reject(e: KafkaIOError): void;
}

/** The producer of brokers given directly (KafkaProducer's, clients.ts). */
export class BrokerProducer {
  readonly brokers: string;
  readonly #client: RdProducer;
  readonly #connectTimeoutMs: number;
  readonly #outage: OutageClock;

  #state: 'new' | 'connecting' | 'ready' | 'closing' | 'closed' = 'new';
  #connection: Connection | undefined;
  #fatal: KafkaIOError | undefined;
  #closing: Promise<void> | undefined;
  /** produce() calls made before the client was connected. */
  #early: Message[] = [];
  /** Messages handed to librdkafka (or queued early) without a delivery report yet. */
  #outstanding = 0;
  /** Failed deliveries since the last flush(). */
  #failed = 0;
  #delivered = 0;
  #deliveryErrors = 0;
  #lastDeliveryError: KafkaIOError | undefined;
  #timer: NodeJS.Timeout | undefined;
  readonly #drained = new Set<() => void>();
  /** send()'s messages without a delivery report yet, by id. */
  readonly #waiters = new Map<number, Waiter>();
  #nextId = 0;

  constructor(options: KafkaProducerOptions) {
    const rd = rdkafka();
    if (options === null || typeof options !== 'object') {
      throw new KafkaIOError('INVALID_CONFIG', 'KafkaProducer needs { brokers }');
    }
    this.brokers = brokerList(options.brokers);
    this.#connectTimeoutMs = positiveInt(options.connectTimeoutMs, 'connectTimeoutMs', 10_000);
    this.#outage = new OutageClock(nonNegativeInt(options.outageBudgetMs, 'outageBudgetMs', DEFAULT_OUTAGE_BUDGET_MS));
    const user = userConf(options.conf);
    const timeoutGiven = 'message.timeout.ms' in user || 'delivery.timeout.ms' in user;
    const conf = {
      'client.id': 'blazerules',
      'enable.idempotence': true,
      // Broker states, to see an outage end (outage.ts).
      'statistics.interval.ms': STATS_INTERVAL_MS,
      ...(timeoutGiven ? {} : { 'message.timeout.ms': messageTimeoutMs(this.#outage.budgetMs) }),
      ...user,
      'metadata.broker.list': this.brokers,
      dr_cb: true,
    };
    try {
      const { global, topic } = splitConf(conf);
      this.#client = new rd.Producer(global, topic);
    } catch (err) {
      throw wrap('INVALID_CONFIG', 'invalid Kafka producer configuration', err);
    }
    this.#client.on('delivery-report', (err: RdError | null, report?: DeliveryReport) => this.#onDelivery(err, report));
    // Other errors are reported through deliveries and flush().
    this.#client.on('event.error', (err: RdError) => {
      if (rdCode(err) === RdCode.ERR__ALL_BROKERS_DOWN) this.#outage.down();
    });
    // A connection up ends an outage only when no message waits: otherwise its delivery does
    // (a broker that just restarted may take seconds before it takes messages again).
    this.#client.on('event.stats', (stats: { message?: unknown }) => {
      const up = typeof stats?.message === 'string' && statsShowBrokerUp(stats.message);
      if (up && this.#outstanding === 0) this.#outage.up();
    });
  }

  /** Connects. Optional: produce() and flush() do it. */
  connect(): Promise<void> {
    if (this.#closing) return Promise.reject(closedError('producer'));
    if (this.#fatal) return Promise.reject(this.#fatal);
    if (this.#connection === undefined) {
      this.#state = 'connecting';
      this.#connection = connectClient(this.#client, this.brokers, this.#connectTimeoutMs);
      this.#connection.ready.then(
        () => this.#onConnected(),
        (err: KafkaIOError) => this.#onConnectFailed(err),
      );
    }
    return this.#connection.ready;
  }

  /**
   * Queues one message (no key when `key` is undefined, null or ""). Never blocks: throws
   * QUEUE_FULL when librdkafka's queue is full (flush, then produce again), CLOSED after
   * close(), the connection error once connecting failed.
   */
  produce(topic: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): void {
    this.#enqueue(this.#message(topic, value, key, headers));
  }

  /**
   * Queues one message as produce() does and resolves once the broker acknowledged it, with
   * the partition and offset it got. Rejects with produce()'s errors, or DELIVERY_FAILED when
   * librdkafka gives up on it (`message.timeout.ms`) or the producer closes first.
   */
  send(topic: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): Promise<Delivery> {
    try {
      const msg = this.#message(topic, value, key, headers);
      const id = this.#nextId++;
      msg.id = id;
      const delivered = new Promise<Delivery>((resolve, reject) => this.#waiters.set(id, { resolve, reject }));
      try {
        this.#enqueue(msg);
      } catch (err) {
        this.#waiters.delete(id);
        throw err;
      }
      return delivered;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Connected, and no broker outage under way as far as librdkafka's events tell. */
  get reachable(): boolean {
    return this.#state === 'ready' && this.#outage.age() === undefined;
  }

  #message(topic: string, value: Value, key?: Buffer | string | null, headers?: ProduceHeaders): Message {
    if (this.#closing) throw closedError('producer');
    if (this.#fatal) throw this.#fatal;
    if (typeof topic !== 'string' || topic === '')
      throw new KafkaIOError('INVALID_CONFIG', 'topic must be a non-empty string');
    return {
      topic,
      value: toBuffer(value, 'value'),
      key:
        key === undefined || key === null || key.length === 0
          ? null
          : typeof key === 'string'
            ? key
            : toBuffer(key, 'key'),
      headers: toRdHeaders(headers),
    };
  }

  #enqueue(msg: Message): void {
    if (this.#state !== 'ready') {
      if (this.#early.length >= MAX_EARLY) {
        throw new KafkaIOError(
          'QUEUE_FULL',
          `the producer is still connecting and already holds ${MAX_EARLY} messages; await flush() and produce again`,
        );
      }
      void this.connect().catch(() => undefined);
      this.#early.push(msg);
      this.#outstanding++;
      return;
    }
    this.#send(msg);
    this.#outstanding++;
    this.#startPolling();
  }

  /**
   * Waits until every message produced so far is acknowledged, at most `timeoutMs` (longer
   * while the brokers are unreachable: up to `outageBudgetMs` into the outage, then
   * `timeoutMs` from its end). Resolves true if all were delivered and none failed since the
   * previous flush; false otherwise (a failure, or messages still in flight at the timeout).
   * Rejects when the producer could not connect at all, or is closed.
   */
  async flush(timeoutMs = 5000): Promise<boolean> {
    if (this.#closing && this.#state === 'closed') throw closedError('producer');
    return this.#flush(timeoutMs, true);
  }

  /** Flushes (up to `timeoutMs`, default 30000) and disconnects. Rejects with
   * DELIVERY_FAILED, after closing, if some messages were not delivered. */
  close(timeoutMs = 30_000): Promise<void> {
    this.#closing ??= this.#close(timeoutMs);
    return this.#closing;
  }

  /** Messages produced and not yet acknowledged or failed. */
  get outstanding(): number {
    return this.#outstanding;
  }

  /** Delivery counts since the producer was created. */
  get stats(): { delivered: number; deliveryErrors: number; outstanding: number } {
    return { delivered: this.#delivered, deliveryErrors: this.#deliveryErrors, outstanding: this.#outstanding };
  }

  /** The last failed delivery, if any. */
  get lastDeliveryError(): KafkaIOError | undefined {
    return this.#lastDeliveryError;
  }

  get closed(): boolean {
    return this.#closing !== undefined;
  }

  // ------------------------------------------------------------------ internals

  #send(msg: Message): void {
    const attempt = (): void => {
      this.#client.produce(msg.topic, null, msg.value, msg.key, null, msg.id, msg.headers);
    };
    try {
      attempt();
    } catch (err) {
      if (rdCode(err) !== RdCode.ERR__QUEUE_FULL) throw wrap('PRODUCE_FAILED', `produce to '${msg.topic}' failed`, err);
      try {
        this.#client.poll(); // serve delivery reports, then try once more
        attempt();
      } catch (again) {
        if (rdCode(again) === RdCode.ERR__QUEUE_FULL) {
          throw new KafkaIOError(
            'QUEUE_FULL',
            `the producer queue is full (${this.#outstanding} messages waiting for delivery); await flush() and produce again`,
            { kafkaCode: RdCode.ERR__QUEUE_FULL, cause: again },
          );
        }
        throw wrap('PRODUCE_FAILED', `produce to '${msg.topic}' failed`, again);
      }
    }
  }

  #onConnected(): void {
    if (this.#state === 'closed') return;
    this.#state = 'ready';
    const early = this.#early;
    this.#early = [];
    for (const msg of early) {
      try {
        this.#send(msg);
      } catch (err) {
        this.#recordFailure(err instanceof KafkaIOError ? err : wrap('PRODUCE_FAILED', 'produce failed', err), msg.id);
      }
    }
    this.#startPolling();
  }

  #onConnectFailed(err: KafkaIOError): void {
    this.#fatal ??= err;
    for (const msg of this.#early) this.#recordFailure(err, msg.id);
    this.#early = [];
  }

  #recordFailure(err: KafkaIOError, id?: number): void {
    if (id !== undefined) this.#settle(id)?.reject(err);
    this.#outstanding = Math.max(0, this.#outstanding - 1);
    this.#failed++;
    this.#deliveryErrors++;
    this.#lastDeliveryError = err;
    if (this.#outstanding === 0) this.#notifyDrained();
  }

  #onDelivery(err: RdError | null, report: DeliveryReport | undefined): void {
    const id = typeof report?.opaque === 'number' ? report.opaque : undefined;
    if (err) {
      this.#recordFailure(
        new KafkaIOError('DELIVERY_FAILED', `delivery failed: ${messageOf(err)}`, {
          kafkaCode: rdCode(err),
          cause: err,
        }),
        id,
      );
      return;
    }
    if (id !== undefined && report !== undefined) {
      this.#settle(id)?.resolve({ topic: report.topic, partition: report.partition, offset: report.offset });
    }
    this.#outstanding = Math.max(0, this.#outstanding - 1);
    this.#delivered++;
    this.#outage.up();
    if (this.#outstanding === 0) this.#notifyDrained();
  }

  #settle(id: number): Waiter | undefined {
    const w = this.#waiters.get(id);
    this.#waiters.delete(id);
    return w;
  }

  #notifyDrained(): void {
    for (const f of [...this.#drained]) f();
    this.#stopPolling();
  }

  #startPolling(): void {
    if (this.#timer || this.#state !== 'ready' || this.#outstanding === 0) return;
    this.#timer = setInterval(() => {
      try {
        this.#client.poll();
      } catch {
        this.#stopPolling();
      }
    }, POLL_MS);
    this.#timer.unref();
  }

  #stopPolling(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  async #flush(timeoutMs: number, rideOutages: boolean): Promise<boolean> {
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new KafkaIOError('INVALID_CONFIG', `timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
    }
    if (this.#fatal && this.#outstanding === 0 && this.#failed === 0) throw this.#fatal;
    if (this.#outstanding > 0) {
      this.#startPolling();
      await this.#untilDrained(timeoutMs, rideOutages);
    }
    const ok = this.#outstanding === 0 && this.#failed === 0;
    this.#failed = 0;
    if (!ok && this.#fatal) throw this.#fatal;
    return ok;
  }

  /** Waits until nothing is outstanding, or `timeoutMs` passed (counted from the start, or
   * from the end of an outage) with no outage within the budget under way. */
  async #untilDrained(timeoutMs: number, rideOutages: boolean): Promise<void> {
    const start = Date.now();
    while (this.#outstanding > 0) {
      const now = Date.now();
      const riding = rideOutages && this.#outage.riding(now);
      const deadline = (rideOutages ? Math.max(start, this.#outage.endedAt ?? 0) : start) + timeoutMs;
      if (!riding && now >= deadline) return;
      await this.#drainedWithin(riding ? FLUSH_STEP_MS : Math.min(FLUSH_STEP_MS, deadline - now));
    }
  }

  /** Resolves when nothing is outstanding any more, or after `ms`. */
  #drainedWithin(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#drained.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#drained.add(done);
    });
  }

  async #close(timeoutMs: number): Promise<void> {
    let ok = true;
    if (this.#state !== 'new') ok = await this.#flush(timeoutMs, false).catch(() => false);
    const left = this.#outstanding;
    this.#stopPolling();
    const connection = this.#connection;
    if (connection && this.#fatal?.code === 'BROKER_UNREACHABLE') {
      // See KafkaConsumer.close(): do not wait for node-rdkafka's own connect timeout.
      void connection.settled.then(async () => {
        if (this.#client.isConnected()) await disconnectClient(this.#client, 10_000);
      });
    } else if (connection) {
      await connection.settled;
      if (this.#client.isConnected()) await disconnectClient(this.#client, 10_000);
    }
    this.#state = 'closed';
    // Reports librdkafka will no longer give: nothing waits for ever.
    for (const id of [...this.#waiters.keys()]) {
      this.#settle(id)?.reject(
        new KafkaIOError('DELIVERY_FAILED', 'the producer closed before the message was acknowledged'),
      );
    }
    if (!ok && !this.#fatal) {
      throw new KafkaIOError(
        'DELIVERY_FAILED',
        left > 0
          ? `${left} message(s) were still undelivered when the producer closed`
          : `some messages failed to be delivered before close: ${this.#lastDeliveryError?.message ?? 'unknown error'}`,
        { cause: this.#lastDeliveryError },
      );
    }
  }
}

function toBuffer(v: unknown, name: string): Buffer {
  if (Buffer.isBuffer(v)) return v;
  if (typeof v === 'string') return Buffer.from(v, 'utf8');
  if (v instanceof Uint8Array) return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
  throw new KafkaIOError('INVALID_CONFIG', `${name} must be a Buffer, Uint8Array or string`);
}
