/**
 * KafkaConsumer: batches of messages from a consumer group, committed by hand.
 *
 * How it keeps the JS thread responsive and the libuv pool available (docs/kafka.md):
 * a "pump" keeps exactly one bounded read in flight per consumer, node-rdkafka's
 * consume(n): it runs on a libuv pool thread for at most PUMP_WAIT_MS when nothing arrives
 * (a caught-up partition ends it at once, thanks to partition EOF events), and hands at most
 * PUMP_MAX messages to JS in one callback. Messages wait in a bounded buffer until
 * pollBatch()/pollRecords() take them; when it is full the partitions are paused, and the
 * pump goes on (with nothing to fetch) so that librdkafka keeps serving rebalances, commit
 * confirmations and errors. Commits use librdkafka's asynchronous commit, confirmed by its
 * offset-commit callback: the JS thread never blocks on the broker.
 *
 * Broker outages (outage.ts) are waited out for `outageBudgetMs`: polls return what there is,
 * commits wait (and are sent again) until the brokers are back; past the budget the next poll
 * rejects with BROKER_DOWN and a waiting commit with BROKER_DOWN.
 */
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  brokerList,
  confFlag,
  nonNegativeInt,
  positiveInt,
  requireString,
  splitConf,
  topicList,
  userConf,
} from './config';
import { CommitQueue } from './commits';
import { connectClient, disconnectClient, type Connection } from './connect';
import { KafkaIOError, RdCode, closedError, messageOf, rdCode, wrap } from './errors';
import { DEFAULT_OUTAGE_BUDGET_MS, OutageClock, STATS_INTERVAL_MS, statsShowBrokerUp } from './outage';
import { rdkafka, type RdConsumer, type RdError, type RdMessage, type RdTopicPartition } from './rdkafka';
import { OffsetTracker, byPartition, toRecord } from './records';
import type { KafkaConsumerOptions, KafkaRecord, PartitionRecords, PollOptions } from './types';

/** How long one read waits for a message (on a pool thread) before it returns empty. */
const PUMP_WAIT_MS = 50;
/** At most this many messages per read: bounds the JS work of one callback. */
const PUMP_MAX = 500;

type State = 'new' | 'connecting' | 'running' | 'closing' | 'closed';

/** The consumer of brokers and topics given directly (KafkaConsumer's, clients.ts). */
export class BrokerConsumer {
  readonly brokers: string;
  readonly groupId: string;
  readonly topics: readonly string[];

  readonly #client: RdConsumer;
  readonly #connectTimeoutMs: number;
  readonly #commitTimeoutMs: number;
  readonly #closeTimeoutMs: number;
  readonly #maxBuffered: number;
  readonly #autoCommit: boolean;
  readonly #outage: OutageClock;
  readonly #assignment: readonly RdTopicPartition[] | undefined;
  #outageTimer: NodeJS.Timeout | undefined;

  #state: State = 'new';
  #connection: Connection | undefined;
  #started: Promise<void> | undefined;
  #closing: Promise<void> | undefined;
  /** Fatal: every later call rejects with it. */
  #fatal: KafkaIOError | undefined;
  /** Reported once, by the next poll that finds no message. */
  #error: KafkaIOError | undefined;

  #buffer: RdMessage[] = [];
  #head = 0;
  #paused = false;
  #pumping = false;
  #wake: (() => void) | undefined;
  #polling = false;

  #cooperative = false;
  readonly #owned = new Set<string>();
  readonly #ownedList: RdTopicPartition[] = [];
  readonly #offsets = new OffsetTracker();
  readonly #commits: CommitQueue;
  #commitChain: Promise<void> = Promise.resolve();
  #rebalances = 0;

  constructor(options: KafkaConsumerOptions) {
    const rd = rdkafka();
    if (options === null || typeof options !== 'object') {
      throw new KafkaIOError('INVALID_CONFIG', 'KafkaConsumer needs { brokers, groupId, topics }');
    }
    this.brokers = brokerList(options.brokers);
    this.groupId = requireString(options.groupId, 'groupId');
    this.topics = Object.freeze(topicList(options.topics));
    this.#connectTimeoutMs = positiveInt(options.connectTimeoutMs, 'connectTimeoutMs', 10_000);
    this.#commitTimeoutMs = positiveInt(options.commitTimeoutMs, 'commitTimeoutMs', 30_000);
    this.#closeTimeoutMs = positiveInt(options.closeTimeoutMs, 'closeTimeoutMs', 30_000);
    this.#maxBuffered = positiveInt(options.maxBufferedMessages, 'maxBufferedMessages', 10_000);
    this.#outage = new OutageClock(nonNegativeInt(options.outageBudgetMs, 'outageBudgetMs', DEFAULT_OUTAGE_BUDGET_MS));
    this.#assignment = options.assignment?.map((tp) => ({
      topic: tp.topic,
      partition: tp.partition,
      offset: tp.offset,
    }));
    const user = userConf(options.conf);
    if (options.groupInstanceId !== undefined)
      user['group.instance.id'] = requireString(options.groupInstanceId, 'groupInstanceId');
    this.#autoCommit = confFlag(user, 'enable.auto.commit', false);
    const conf = {
      'client.id': 'blazerules',
      'auto.offset.reset': 'earliest',
      'enable.auto.commit': false,
      // Broker states, to see an outage end (outage.ts).
      'statistics.interval.ms': STATS_INTERVAL_MS,
      ...user,
      'metadata.broker.list': this.brokers,
      'group.id': this.groupId,
      // Lets a read return as soon as it caught up with a partition (see PUMP_WAIT_MS).
      'enable.partition.eof': true,
      offset_commit_cb: (err: RdError | undefined, offsets: RdTopicPartition[]) =>
        this.#commits.confirmed(err, offsets),
      rebalance_cb: (err: RdError | undefined, assignment: RdTopicPartition[]) => this.#onRebalance(err, assignment),
    };
    try {
      const { global, topic } = splitConf(conf);
      this.#client = new rd.KafkaConsumer(global, topic);
    } catch (err) {
      throw wrap('INVALID_CONFIG', 'invalid Kafka consumer configuration', err);
    }
    this.#commits = new CommitQueue({
      send: (offsets) => this.#client.commit(offsets),
      outage: this.#outage,
      timeoutMs: this.#commitTimeoutMs,
      brokers: this.brokers,
      down: (err) => this.#brokersDown(err),
      up: () => this.#brokersUp(),
    });
    this.#client.on('event.error', (err: RdError) => this.#onClientError(err));
    this.#client.on('event.stats', (stats: { message?: unknown }) => {
      if (typeof stats?.message === 'string' && statsShowBrokerUp(stats.message)) this.#brokersUp();
    });
  }

  /** Connects and subscribes. Optional: the first poll does it. */
  connect(): Promise<void> {
    if (this.#closing) return Promise.reject(closedError('consumer'));
    if (this.#started === undefined) {
      this.#state = 'connecting';
      this.#connection = connectClient(this.#client, this.brokers, this.#connectTimeoutMs);
      this.#started = this.#connection.ready.then(
        () => this.#start(),
        (err: KafkaIOError) => {
          this.#fatal ??= err;
          throw err;
        },
      );
      this.#started.catch(() => undefined);
    }
    return this.#started;
  }

  /** Up to `maxMessages` message values (empty and null values left out). */
  async pollBatch(options: PollOptions = {}): Promise<Buffer[]> {
    const out: Buffer[] = [];
    for (const m of await this.#poll(options)) if (m.value !== null && m.value.length > 0) out.push(m.value);
    return out;
  }

  /** Up to `maxMessages` messages with their topic, partition, offset, key, timestamp and
   * headers (messages with an empty or null value left out). */
  async pollRecords(options: PollOptions = {}): Promise<KafkaRecord[]> {
    const out: KafkaRecord[] = [];
    for (const m of await this.#poll(options)) if (m.value !== null && m.value.length > 0) out.push(toRecord(m));
    return out;
  }

  /** As pollRecords, grouped by partition (`PartitionRecords`: one evaluateMessages call each,
   * with `{ partition: shard }`). The groups do not replay anything: see docs/kafka.md,
   * "Window rules in your own loop". */
  async pollPartitions(options: PollOptions = {}): Promise<PartitionRecords[]> {
    return byPartition(await this.pollRecords(options), this.topics);
  }

  /**
   * Commits, for each partition this consumer still owns, the offset after the last message
   * that pollBatch/pollRecords returned, and resolves once the broker confirmed it. Rejects
   * with COMMIT_FAILED (the offsets stay pending; the next commit sends them again).
   */
  commit(): Promise<void> {
    const run = async (): Promise<void> => {
      this.#usable();
      if (this.#autoCommit) {
        throw new KafkaIOError('INVALID_STATE', 'commit() needs enable.auto.commit=false (the default)');
      }
      if (this.#state !== 'running') return;
      const offsets = this.#offsets.pending(this.#owned);
      if (offsets.length === 0) return;
      await this.#commits.commit(offsets);
      this.#offsets.committed(offsets);
    };
    const p = this.#commitChain.then(run, run);
    this.#commitChain = p.catch(() => undefined);
    return p;
  }

  /**
   * Leaves the group and closes the client. Uncommitted offsets are not committed (call
   * commit() first): their messages go to whoever gets the partitions next.
   */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  /** The partitions currently assigned to this consumer. */
  assignment(): { topic: string; partition: number }[] {
    return this.#ownedList.map((tp) => ({ topic: tp.topic, partition: tp.partition }));
  }

  /** How many rebalances (assignments and revocations) this consumer went through. */
  get rebalanceCount(): number {
    return this.#rebalances;
  }

  get closed(): boolean {
    return this.#state === 'closing' || this.#state === 'closed';
  }

  /** Connected, and no broker outage under way as far as librdkafka's events tell. */
  get reachable(): boolean {
    return this.#state === 'running' && this.#outage.age() === undefined;
  }

  /** Messages fetched but not yet returned by a poll. */
  get bufferedMessages(): number {
    return this.#buffer.length - this.#head;
  }

  // ------------------------------------------------------------------ internals

  #usable(): void {
    if (this.closed) throw closedError('consumer');
    if (this.#fatal) throw this.#fatal;
  }

  #start(): void {
    if (this.closed) return;
    const c = this.#client;
    try {
      c.setDefaultConsumeTimeout(PUMP_WAIT_MS);
      if (this.#assignment !== undefined) c.assign([...this.#assignment]);
      else c.subscribe([...this.topics]);
    } catch (err) {
      this.#fatal ??= wrap('CONSUME_FAILED', `cannot subscribe to ${this.topics.join(', ')}`, err);
      throw this.#fatal;
    }
    this.#state = 'running';
    this.#pump();
  }

  /** Keeps one bounded read in flight while the consumer runs. */
  #pump(): void {
    if (this.#pumping || this.#state !== 'running' || this.#fatal) return;
    const room = this.#maxBuffered - this.bufferedMessages;
    if (room <= 0 && !this.#paused) this.#setPaused(true);
    this.#pumping = true;
    try {
      this.#client.consume(Math.max(1, Math.min(PUMP_MAX, room)), (err, messages) => {
        this.#pumping = false;
        if (this.#state !== 'running') return;
        if (err) {
          this.#onConsumeError(err);
          // Do not spin on a persistent error; librdkafka recovers by itself meanwhile.
          setTimeout(() => this.#pump(), PUMP_WAIT_MS);
          return;
        }
        if (messages.length > 0) this.#onMessages(messages);
        this.#pump();
      });
    } catch (err) {
      this.#pumping = false;
      this.#fatal ??= wrap('CONSUME_FAILED', 'the consumer cannot read any more', err);
      this.#wake?.();
    }
  }

  async #poll(options: PollOptions): Promise<RdMessage[]> {
    const max = positiveInt(options.maxMessages, 'maxMessages', 1000);
    const timeoutMs = options.timeoutMs ?? 1000;
    if (typeof timeoutMs !== 'number' || !(timeoutMs >= 0)) {
      throw new KafkaIOError('INVALID_CONFIG', `timeoutMs must be a number >= 0, got ${String(timeoutMs)}`);
    }
    this.#usable();
    if (this.#polling) {
      throw new KafkaIOError('INVALID_STATE', 'a pollBatch/pollRecords call is already running on this consumer');
    }
    this.#polling = true;
    const deadline = Date.now() + timeoutMs;
    try {
      if (this.#state !== 'running' && !(await this.#untilDeadline(this.connect(), deadline))) return [];
      for (;;) {
        this.#usable();
        if (this.bufferedMessages > 0) {
          // A read that is completing right now may add to this batch.
          if (this.bufferedMessages < max) await nextTurn();
          this.#usable();
          return this.#take(max);
        }
        const err = this.#error;
        if (err) {
          this.#error = undefined;
          throw err;
        }
        const left = deadline - Date.now();
        if (left <= 0) return [];
        await this.#sleep(left);
      }
    } finally {
      this.#polling = false;
    }
  }

  /** Waits for `p` until `deadline`: true if it resolved in time. */
  async #untilDeadline(p: Promise<void>, deadline: number): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    });
    try {
      return await Promise.race([p.then(() => true), late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Sleeps until a message, an error, close() or `ms`. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = (): void => {
        clearTimeout(timer);
        this.#wake = undefined;
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.#wake = done;
    });
  }

  #take(max: number): RdMessage[] {
    const end = Math.min(this.#buffer.length, this.#head + max);
    const out = this.#buffer.slice(this.#head, end);
    this.#head = end;
    if (this.#head === this.#buffer.length) {
      this.#buffer = [];
      this.#head = 0;
    } else if (this.#head > 4096 && this.#head * 2 > this.#buffer.length) {
      this.#buffer = this.#buffer.slice(this.#head);
      this.#head = 0;
    }
    for (const m of out) this.#offsets.returned(m.topic, m.partition, m.offset);
    if (this.#paused && this.bufferedMessages <= this.#maxBuffered / 2) this.#setPaused(false);
    return out;
  }

  #setPaused(paused: boolean): void {
    if (this.#state !== 'running') return;
    try {
      const parts = this.#client.assignments();
      if (parts.length > 0) {
        if (paused) this.#client.pause(parts);
        else this.#client.resume(parts);
      }
      this.#paused = paused;
    } catch {
      // Not connected any more: nothing to pause or resume.
    }
  }

  #onMessages(messages: RdMessage[]): void {
    for (const m of messages) this.#buffer.push(m);
    // Messages may have been fetched before an outage: no evidence that it ended, but a
    // BROKER_DOWN not yet reported is stale.
    if (this.#error?.code === 'BROKER_DOWN') this.#error = undefined;
    if (!this.#paused && this.bufferedMessages >= this.#maxBuffered) this.#setPaused(true);
    this.#wake?.();
  }

  /** Evidence that a broker answers again: the outage is over, a pending BROKER_DOWN is stale. */
  #brokersUp(): void {
    this.#outage.up();
    clearTimeout(this.#outageTimer);
    this.#outageTimer = undefined;
    if (this.#error?.code === 'BROKER_DOWN') this.#error = undefined;
  }

  /** The brokers are unreachable: waited out, and reported (BROKER_DOWN, to the next poll)
   * once the outage outlasts the budget. */
  #brokersDown(cause: RdError): void {
    this.#outage.down();
    if (this.#outageTimer !== undefined) return;
    this.#outageTimer = setTimeout(() => {
      this.#outageTimer = undefined;
      if (this.#state !== 'running' || this.#outage.age() === undefined) return;
      if (this.#outage.riding()) {
        this.#brokersDown(cause); // came early: wait for the rest
        return;
      }
      this.#error ??= new KafkaIOError(
        'BROKER_DOWN',
        `${this.#outage.describe(this.brokers)}: ${messageOf(cause)}; the consumer keeps reconnecting`,
        { kafkaCode: RdCode.ERR__ALL_BROKERS_DOWN, cause },
      );
      this.#wake?.();
      this.#commits.giveUp();
    }, this.#outage.budgetLeft());
    this.#outageTimer.unref();
  }

  #onClientError(err: RdError): void {
    if (this.#state !== 'running') return; // connect() reports its own errors
    const code = rdCode(err);
    if (err.isFatal === true || code === RdCode.ERR__FATAL) {
      this.#fatal ??= wrap('CONSUME_FAILED', 'fatal Kafka consumer error', err);
    } else if (code === RdCode.ERR__ALL_BROKERS_DOWN) {
      this.#brokersDown(err);
      return;
    } else {
      return; // transport hiccups: librdkafka reconnects by itself
    }
    this.#wake?.();
  }

  /** An error a read returned: reported by the next poll; fatal ones end the consumer. */
  #onConsumeError(err: RdError): void {
    const code = rdCode(err);
    if (code === RdCode.ERR__ALL_BROKERS_DOWN || code === RdCode.ERR__TRANSPORT) {
      this.#brokersDown(err);
      return;
    }
    if (code === RdCode.ERR_UNKNOWN_TOPIC_OR_PART || code === RdCode.ERR__UNKNOWN_TOPIC) {
      this.#error = new KafkaIOError(
        'UNKNOWN_TOPIC',
        `a subscribed topic does not exist on ${this.brokers} (subscribed: ${this.topics.join(', ')}): ${messageOf(err)}`,
        { kafkaCode: code, cause: err },
      );
    } else if (err.isFatal === true || code === RdCode.ERR__FATAL || code === RdCode.ERR__STATE) {
      this.#fatal ??= wrap('CONSUME_FAILED', 'the consumer cannot read any more; close it and create a new one', err);
    } else {
      this.#error = wrap('CONSUME_FAILED', 'Kafka consumer error', err);
    }
    this.#wake?.();
  }

  #onRebalance(err: RdError | undefined, assignment: RdTopicPartition[]): void {
    const c = this.#client;
    const code = rdCode(err);
    this.#rebalances++;
    try {
      if (code === RdCode.ERR__ASSIGN_PARTITIONS) {
        if (this.#ownedList.length === 0) this.#cooperative = c.rebalanceProtocol() === 'COOPERATIVE';
        if (this.#cooperative) c.incrementalAssign(assignment);
        else {
          c.assign(assignment);
          this.#owned.clear();
          this.#ownedList.length = 0;
        }
        for (const tp of assignment) {
          this.#owned.add(OffsetTracker.key(tp.topic, tp.partition));
          this.#ownedList.push({ topic: tp.topic, partition: tp.partition });
        }
        // Offsets of partitions that went to another member are theirs to commit now.
        this.#offsets.retain(this.#owned);
        this.#brokersUp();
        if (this.#paused && assignment.length > 0) c.pause(assignment);
      } else if (code === RdCode.ERR__REVOKE_PARTITIONS) {
        if (this.#cooperative) c.incrementalUnassign(assignment);
        else c.unassign();
        const gone = new Set(assignment.map((tp) => OffsetTracker.key(tp.topic, tp.partition)));
        if (!this.#cooperative) for (const k of this.#owned) gone.add(k);
        for (const k of gone) this.#owned.delete(k);
        for (let i = this.#ownedList.length - 1; i >= 0; i--) {
          const tp = this.#ownedList[i] as RdTopicPartition;
          if (gone.has(OffsetTracker.key(tp.topic, tp.partition))) this.#ownedList.splice(i, 1);
        }
        if (this.#cooperative) this.#offsets.retain(this.#owned);
      } else if (this.#state === 'running') {
        this.#error = wrap('CONSUME_FAILED', 'consumer group rebalance failed', err);
        c.unassign();
      }
    } catch (e) {
      if (this.#state === 'running') this.#error = wrap('CONSUME_FAILED', 'consumer group rebalance failed', e);
    }
  }

  async #close(): Promise<void> {
    this.#state = this.#state === 'new' ? 'closed' : 'closing';
    this.#wake?.();
    clearTimeout(this.#outageTimer);
    // A commit already sent gets its answer, for at most commitTimeoutMs (even in an outage).
    await Promise.race([this.#commitChain, delay(this.#commitTimeoutMs)]);
    this.#commits.rejectAll(closedError('consumer'));
    if (this.#connection) await this.#disconnect(this.#connection);
    this.#buffer = [];
    this.#head = 0;
    this.#state = 'closed';
  }

  async #disconnect(connection: Connection): Promise<void> {
    if (this.#fatal?.code === 'BROKER_UNREACHABLE') {
      // Connecting failed: node-rdkafka gives up by itself at its timeout; should it
      // connect after all, disconnect it then, without holding close() up.
      void connection.settled.then(async () => {
        if (this.#client.isConnected()) await disconnectClient(this.#client, this.#closeTimeoutMs);
      });
      return;
    }
    await Promise.race([connection.settled, delay(this.#closeTimeoutMs)]);
    if (this.#client.isConnected()) await disconnectClient(this.#client, this.#closeTimeoutMs);
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}
