/**
 * Helpers for the broker-outage tests (__test__/stream-outage.spec.ts): waiting for a line on
 * a child's stderr, the decisions read from an output topic, and the check that a group
 * committed nothing it did not decide.
 */
import type { KafkaRecord } from '../../src/io';
import { committedOffsets, eventually } from './kafka';
import { type CliRun, parseOut } from './stream-kit';

/** Waits until the child printed a stderr line matching `re`; throws (with its stderr) after
 * `timeoutMs` or if it exits first. */
export async function stderrLine(run: CliRun, re: RegExp, timeoutMs: number, what: string): Promise<void> {
  let exited = false;
  void run.exited.then(() => (exited = true));
  const seen = await eventually(() => re.test(run.stderr()) || exited, timeoutMs, 50);
  if (!seen || !re.test(run.stderr())) {
    throw new Error(`${what}: no stderr line matching ${re} (exited: ${exited}); stderr: ${run.stderr().slice(-2000)}`);
  }
}

/**
 * The decisions read so far from an enriched output topic, kept up to date from a reader's
 * records without parsing any record twice: which input records (`p/o`) were decided, how
 * often, and how many distinct output records were read (a reader may read some twice).
 */
export class Decisions {
  /** Decisions per input record `partition/offset`. */
  readonly perSource = new Map<string, number>();
  /** Output records read, by their own `partition/offset`. */
  readonly read = new Set<string>();
  #seen = 0;

  update(records: readonly KafkaRecord[]): this {
    for (; this.#seen < records.length; this.#seen++) {
      const r = records[this.#seen] as KafkaRecord;
      const at = `${r.partition}/${r.offset}`;
      if (this.read.has(at)) continue;
      this.read.add(at);
      const d = parseOut(r);
      const id = `${d.partition}/${d.offset}`;
      this.perSource.set(id, (this.perSource.get(id) ?? 0) + 1);
    }
    return this;
  }
}

/** The offsets below each partition's committed offset that have no decision. */
export async function committedWithoutDecision(
  brokers: string,
  groupId: string,
  topic: string,
  partitions: number,
  decisions: Decisions,
): Promise<{ committed: number[]; undecided: string[] }> {
  const committed = await committedOffsets(brokers, groupId, topic, partitions);
  const undecided: string[] = [];
  committed.forEach((end, p) => {
    for (let o = 0; o < end; o++) if (!decisions.perSource.has(`${p}/${o}`)) undecided.push(`${p}/${o}`);
  });
  return { committed, undecided };
}

type RawConsumer = {
  connect(o: object, cb: (err: unknown) => void): void;
  subscribe(topics: string[]): void;
  consume(n: number, cb: (err: unknown, messages: unknown[]) => void): void;
  assignments(): unknown[];
  disconnect(cb: () => void): void;
};

/**
 * A member of `group` that joined (and got `topic`'s partitions) and then stopped polling: a
 * consumer joining the group after it waits for the rebalance until this member is dropped,
 * after its `max.poll.interval.ms` (`stallMs`). `close()` disconnects it.
 */
export async function stalledMember(
  brokers: string,
  group: string,
  topic: string,
  stallMs: number,
): Promise<{ close(): Promise<void> }> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const rd = require('node-rdkafka') as { KafkaConsumer: new (conf: object, topicConf: object) => RawConsumer };
  const c = new rd.KafkaConsumer(
    {
      'metadata.broker.list': brokers,
      'group.id': group,
      'session.timeout.ms': 6000,
      'heartbeat.interval.ms': 500,
      'max.poll.interval.ms': stallMs,
      rebalance_cb: true,
    },
    { 'auto.offset.reset': 'earliest' },
  );
  await new Promise<void>((resolve, reject) =>
    c.connect({ timeout: 30_000 }, (err) => (err ? reject(err) : resolve())),
  );
  c.subscribe([topic]);
  const joined = await eventually(
    () => new Promise<boolean>((resolve) => c.consume(1, () => resolve(c.assignments().length > 0))),
    60_000,
    0,
  );
  if (!joined) throw new Error(`stalledMember: no assignment in group ${group}`);
  return { close: () => new Promise<void>((resolve) => c.disconnect(() => resolve())) };
}
