/**
 * Broker outages as one node-rdkafka client sees them (docs/kafka.md, "Broker outages").
 *
 * An outage begins when librdkafka reports every broker connection down (or a commit fails
 * because the coordinator cannot be reached), and ends at the first evidence that a broker
 * serves the client again: a broker connection up in librdkafka's statistics
 * (`statistics.interval.ms`), a delivery acknowledgement, a confirmed commit or a partition
 * assignment. Consumed messages are no evidence: librdkafka may hand out messages it fetched
 * before the outage. Within `outageBudgetMs` the clients wait an outage out; past it they
 * report it.
 */

/** How long outages may last before a client reports them (unless set): 2 minutes, as Kafka's
 * own `delivery.timeout.ms`. */
export const DEFAULT_OUTAGE_BUDGET_MS = 120_000;

/** librdkafka's statistics period the clients use to see an outage end (unless the user sets one). */
export const STATS_INTERVAL_MS = 1000;

/** librdkafka's own default `message.timeout.ms` (5 minutes). */
const DEFAULT_MESSAGE_TIMEOUT_MS = 300_000;
/** What a message may have waited before the outage began, on top of the budget. */
const BEFORE_OUTAGE_MS = 30_000;

/** The producer's `message.timeout.ms`: librdkafka's default, or longer if the budget needs it,
 * so that librdkafka does not fail a message the client still waits for. */
export function messageTimeoutMs(budgetMs: number): number {
  return Math.min(2_147_483_647, Math.max(DEFAULT_MESSAGE_TIMEOUT_MS, budgetMs + BEFORE_OUTAGE_MS));
}

export class OutageClock {
  #since: number | undefined;
  #endedAt: number | undefined;

  constructor(readonly budgetMs: number) {}

  /** An outage begins now, unless one is under way. */
  down(now = Date.now()): void {
    this.#since ??= now;
  }

  /** Evidence that a broker serves the client: the outage, if any, is over. */
  up(now = Date.now()): void {
    if (this.#since === undefined) return;
    this.#since = undefined;
    this.#endedAt = now;
  }

  /** How long the current outage has lasted (undefined: none). */
  age(now = Date.now()): number | undefined {
    return this.#since === undefined ? undefined : now - this.#since;
  }

  /** When the last outage ended (undefined: none did). */
  get endedAt(): number | undefined {
    return this.#endedAt;
  }

  /** An outage is under way and still within the budget: the caller waits it out. */
  riding(now = Date.now()): boolean {
    const age = this.age(now);
    return age !== undefined && age < this.budgetMs;
  }

  /** How long the budget still lets the current outage last (0 when it is spent or none is under way). */
  budgetLeft(now = Date.now()): number {
    const age = this.age(now);
    return age === undefined ? 0 : Math.max(0, this.budgetMs - age);
  }

  /** "all Kafka brokers (B) have been down for 61.2 s, longer than outageBudgetMs (60000 ms)". */
  describe(brokers: string, now = Date.now()): string {
    const s = ((this.age(now) ?? 0) / 1000).toFixed(1);
    return `all Kafka brokers (${brokers}) have been down for ${s} s, longer than outageBudgetMs (${this.budgetMs} ms)`;
  }
}

/** Whether librdkafka's statistics JSON shows a broker connection up (a broker given or
 * learned, not the internal or the logical coordinator handle). */
export function statsShowBrokerUp(json: string): boolean {
  let stats: unknown;
  try {
    stats = JSON.parse(json);
  } catch {
    return false;
  }
  const brokers = (stats as { brokers?: unknown } | null)?.brokers;
  if (brokers === null || typeof brokers !== 'object') return false;
  return Object.values(brokers as Record<string, { source?: unknown; state?: unknown }>).some(
    (b) => (b.source === 'configured' || b.source === 'learned') && (b.state === 'UP' || b.state === 'UPDATE'),
  );
}
