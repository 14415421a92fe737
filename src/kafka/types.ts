/** Option and record types of `blazerules/io`. */

/** librdkafka properties (https://github.com/confluentinc/librdkafka/blob/master/CONFIGURATION.md). */
export type KafkaConf = Record<string, string | number | boolean>;

export interface KafkaConsumerOptions {
  /** Bootstrap brokers: "host:port,host:port" or an array of "host:port". */
  brokers: string | readonly string[];
  groupId: string;
  topics: string | readonly string[];
  /** Static group membership (`group.instance.id`, KIP-345): unique per process and the same
   * across its restarts, so a restarted consumer gets its partitions back without a rebalance. */
  groupInstanceId?: string;
  /** Extra librdkafka properties. They override the defaults (`auto.offset.reset=earliest`,
   * `enable.auto.commit=false`, ...), except the callbacks this class installs itself. */
  conf?: KafkaConf;
  /** How long connecting may take before BROKER_UNREACHABLE (default 10000). */
  connectTimeoutMs?: number;
  /** How long commit() waits for the broker's answer (default 30000). */
  commitTimeoutMs?: number;
  /** How long close() waits for librdkafka to leave the group (default 30000). */
  closeTimeoutMs?: number;
  /** Fetched-but-not-yet-polled messages kept in memory before the consumer pauses its
   * partitions (default 10000; fetching resumes when half of them were polled). */
  maxBufferedMessages?: number;
  /** How long a broker outage is waited out before polls and commits reject with
   * BROKER_DOWN (default 120000; 0: at once). See docs/kafka.md, "Broker outages". */
  outageBudgetMs?: number;
  /** Read exactly these partitions from these offsets instead of joining the group (no
   * rebalances; `topics` and the group's committed offsets are then not used; -2 = the
   * beginning, -1 = the end). A follower of a rules topic uses it: every instance reads every
   * partition. */
  assignment?: readonly { topic: string; partition: number; offset: number }[];
}

export interface KafkaProducerOptions {
  brokers: string | readonly string[];
  /** Extra librdkafka properties (they override `client.id`, `linger.ms`...). */
  conf?: KafkaConf;
  /** How long connecting may take before BROKER_UNREACHABLE (default 10000). */
  connectTimeoutMs?: number;
  /** How long flush() waits past its timeout while the brokers are unreachable (default
   * 120000; 0: not at all). See docs/kafka.md, "Broker outages". */
  outageBudgetMs?: number;
}

export interface PollOptions {
  /** At most this many messages (default 1000). */
  maxMessages?: number;
  /** The whole call returns within this many milliseconds (default 1000): it waits for the
   * first message up to then, and returns as soon as it has some. */
  timeoutMs?: number;
}

/** Headers as KafkaJS shows them: a key that occurs more than once maps to an array. */
export type KafkaHeaders = Record<string, Buffer | Buffer[]>;

/** What produce() accepts as headers. */
export type ProduceHeaders =
  | Record<string, Buffer | string | readonly (Buffer | string)[] | undefined>
  | readonly { key: string; value: Buffer | string }[];

/** One consumed message with its metadata. */
export interface KafkaRecord {
  topic: string;
  partition: number;
  offset: number;
  /** null when the message has no key. */
  key: Buffer | null;
  /** The message timestamp (CreateTime or LogAppendTime), -1 when it has none. */
  timestampMs: number;
  headers: KafkaHeaders;
  value: Buffer;
}

/** The records of one partition in a polled batch (`KafkaConsumer.pollPartitions`), in offset
 * order: evaluate them with `engine.evaluateMessages(values, { partition: shard })` so each
 * partition's window state lives in a shard of its own. */
export interface PartitionRecords {
  topic: string;
  partition: number;
  /** The state shard, as runStream numbers them: the partition with one topic; with several,
   * `i * 2^20 + partition` for the consumer's `i`-th topic. */
  shard: number;
  records: KafkaRecord[];
  /** The records' values (what evaluateMessages takes). */
  values: Buffer[];
}
