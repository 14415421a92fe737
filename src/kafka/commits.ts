/**
 * KafkaConsumer's commits: librdkafka's asynchronous commits, confirmed in order by its
 * offset-commit callback, each waited for with a deadline (commitTimeoutMs, or the outage
 * budget while the brokers are down) and sent again when it failed for want of a broker.
 */
import { KafkaIOError, RdCode, UNAVAILABLE, rdCode, wrap } from './errors';
import type { OutageClock } from './outage';
import type { RdError, RdTopicPartition } from './rdkafka';

/** Wait before a commit that failed during an outage is sent again. */
const COMMIT_RETRY_MS = 500;

interface PendingCommit {
  resolve: () => void;
  reject: (err: KafkaIOError) => void;
  timer: NodeJS.Timeout | undefined;
  done: boolean;
  offsets: RdTopicPartition[];
  /** When it was (last) handed to librdkafka. */
  sentAt: number;
  /** Whether librdkafka holds it (false while it waits to be sent again). */
  inFlight: boolean;
}

/** What the queue needs of its consumer. */
export interface CommitHooks {
  /** Hands offsets to librdkafka (node-rdkafka's commit). */
  send(offsets: RdTopicPartition[]): void;
  outage: OutageClock;
  timeoutMs: number;
  brokers: string;
  /** A commit failed because the brokers are unreachable. */
  down(err: RdError): void;
  /** A commit was confirmed: a broker answers. */
  up(): void;
}

/** The commits sent and not yet answered, oldest first. */
export class CommitQueue {
  readonly #entries: PendingCommit[] = [];
  readonly #send: (offsets: RdTopicPartition[]) => void;
  readonly #outage: OutageClock;
  readonly #timeoutMs: number;
  readonly #brokers: string;
  readonly #down: (err: RdError) => void;
  readonly #up: () => void;

  constructor(hooks: CommitHooks) {
    this.#send = hooks.send;
    this.#outage = hooks.outage;
    this.#timeoutMs = hooks.timeoutMs;
    this.#brokers = hooks.brokers;
    this.#down = hooks.down;
    this.#up = hooks.up;
  }

  /** The outage outlasted its budget: every waiting commit gives up now. */
  giveUp(): void {
    for (const c of this.#entries) if (!c.done) this.#arm(c, 0);
  }

  /** Rejects every commit still waiting with `err` (the consumer closes). */
  rejectAll(err: KafkaIOError): void {
    for (const c of this.#entries.splice(0)) {
      if (!c.done) {
        c.done = true;
        clearTimeout(c.timer);
        c.reject(err);
      }
    }
  }

  commit(offsets: RdTopicPartition[]): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const entry: PendingCommit = {
        resolve,
        reject,
        timer: undefined,
        done: false,
        offsets,
        sentAt: Date.now(),
        inFlight: true,
      };
      try {
        this.#send(offsets);
      } catch (err) {
        reject(wrap('COMMIT_FAILED', `commit of ${describe(offsets)} failed`, err));
        return;
      }
      this.#entries.push(entry);
      this.#arm(entry, this.#timeoutMs);
    });
  }

  /** Gives up on `entry` after `ms`; during an outage, once it outlasts the budget (until
   * then it waits, and for commitTimeoutMs after the outage ended). */
  #arm(entry: PendingCommit, ms: number): void {
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => {
      if (entry.done) return;
      const now = Date.now();
      if (this.#outage.riding(now)) {
        this.#arm(entry, Math.min(this.#timeoutMs, this.#outage.budgetLeft(now) + 1));
        return;
      }
      const from = Math.max(entry.sentAt, this.#outage.endedAt ?? 0);
      if (this.#outage.age(now) === undefined && now - from < this.#timeoutMs) {
        this.#arm(entry, from + this.#timeoutMs - now);
        return;
      }
      entry.done = true;
      // Not in librdkafka: no callback will take it off the queue.
      if (!entry.inFlight) this.#entries.splice(this.#entries.indexOf(entry), 1);
      const what = `the commit of ${describe(entry.offsets)}`;
      entry.reject(
        this.#outage.age(now) === undefined
          ? new KafkaIOError('COMMIT_FAILED', `the broker did not confirm ${what} within ${this.#timeoutMs} ms`)
          : new KafkaIOError(
              'BROKER_DOWN',
              `${this.#outage.describe(this.#brokers, now)}: ${what} was not confirmed (its offsets stay pending)`,
            ),
      );
    }, ms);
  }

  confirmed(err: RdError | undefined, offsets: RdTopicPartition[]): void {
    // Commits are confirmed in the order they were sent (one is in flight at a time).
    const entry = this.#entries[0];
    if (entry === undefined) return;
    entry.inFlight = false;
    const code = rdCode(err);
    const failed = err !== undefined && err !== null && code !== RdCode.ERR__NO_OFFSET;
    // During an outage any failure is the outage's: the commit is sent again, or reported
    // as the outage once it outlasts the budget.
    const unavailable = failed && ((code !== undefined && UNAVAILABLE.has(code)) || this.#outage.age() !== undefined);
    if (unavailable && err && !entry.done) {
      this.#down(err);
      if (this.#outage.riding()) {
        setTimeout(() => this.#resend(entry), COMMIT_RETRY_MS).unref();
        return; // stays at the head of the queue
      }
    }
    this.#entries.shift();
    if (entry.done) return;
    entry.done = true;
    clearTimeout(entry.timer);
    const what = `the commit of ${describe(offsets ?? entry.offsets)}`;
    if (unavailable) {
      entry.reject(
        new KafkaIOError(
          'BROKER_DOWN',
          `${this.#outage.describe(this.#brokers)}: ${what} failed (its offsets stay pending)`,
          {
            kafkaCode: code,
            cause: err,
          },
        ),
      );
    } else if (failed) {
      entry.reject(wrap('COMMIT_FAILED', `${what} failed`, err));
    } else {
      this.#up();
      entry.resolve();
    }
  }

  /** Sends a commit again that failed while the brokers were unreachable. */
  #resend(entry: PendingCommit): void {
    if (entry.done) return;
    try {
      this.#send(entry.offsets);
      entry.inFlight = true;
      entry.sentAt = Date.now();
    } catch (err) {
      this.#entries.splice(this.#entries.indexOf(entry), 1);
      entry.done = true;
      clearTimeout(entry.timer);
      entry.reject(wrap('COMMIT_FAILED', `commit of ${describe(entry.offsets)} failed`, err));
    }
  }
}

function describe(offsets: readonly RdTopicPartition[]): string {
  return offsets.map((o) => `${o.topic}[${o.partition}]@${o.offset ?? '?'}`).join(', ') || 'no offsets';
}
