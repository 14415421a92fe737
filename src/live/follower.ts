/**
 * Rules that follow a Kafka topic (service.md §3), as the seed's model service follows its
 * topic: at start each partition is read from its last message (end offset − 1), so a
 * restarted instance loads the latest bundle at once and is never behind; then every new
 * bundle is loaded as it arrives. The consumer is assigned the partitions directly (no group
 * membership, nothing committed), so every instance sees every update.
 *
 * Reads go through BrokerConsumer (src/kafka/consumer.ts), which rides out broker outages: a
 * broker restart only delays the next bundle. A bundle that does not load (not a bundle, or
 * rules with problems) keeps the active rules; it is reported in status().lastError, the
 * 'rulesError' event and the hot reload failure counter.
 */
import { randomUUID } from 'node:crypto';

import { BlazeRulesError, RulesError } from '../errors';
import { brokerList, requireString, userConf } from '../kafka/config';
import { BrokerConsumer } from '../kafka/consumer';
import { KafkaIOError } from '../kafka/errors';
import type { KafkaRecord } from '../kafka/types';
import type { LoadReport } from '../types';
import { lookupBuffers, parseBundle } from './bundle';
import type { LoadSource } from './live-rules';
import { lastError } from './live-rules';
import { topicEnds } from './topic-admin';
import type { FollowRulesTopicOptions, LastRulesError, RulesBundle, RulesFollower, RulesFollowerStatus } from './types';

/** How long one poll of the follower waits: bounds how late stop() is heard. */
const POLL_MS = 250;
/** Pause after a failed read before the next one. */
const RETRY_MS = 1000;

/** What a follower needs from the engine. */
export interface BundleLoader {
  load(bundle: RulesBundle, from: LoadSource): LoadReport;
  /** A bundle was loaded or refused (the hot reload counters). */
  reloaded(ok: boolean): void;
  /** A message that is not a bundle (the engine's 'rulesError' event). */
  reportError(err: RulesError): void;
}

function checkOptions(opts: FollowRulesTopicOptions): { brokers: string; topic: string; timeoutMs: number } {
  if (opts === null || typeof opts !== 'object') throw new TypeError('followRulesTopic needs { brokers, topic }');
  const brokers = brokerList(opts.brokers);
  const topic = requireString(opts.topic, 'topic');
  const timeoutMs = opts.timeoutMs ?? 30_000;
  if (typeof timeoutMs !== 'number' || !Number.isInteger(timeoutMs) || timeoutMs < 1) {
    throw new TypeError(`timeoutMs must be a positive integer, got ${String(timeoutMs)}`);
  }
  return { brokers, topic, timeoutMs };
}

/** Starts following; resolves (with waitForInitial) once a bundle from the topic loaded. */
export async function followTopic(opts: FollowRulesTopicOptions, loader: BundleLoader): Promise<RulesFollower> {
  const { brokers, topic, timeoutMs } = checkOptions(opts);
  const conf = userConf(opts.conf);
  const ends = await topicEnds(brokers, topic, conf, timeoutMs);
  // No partitions known (the topic does not exist yet): read partition 0 from its beginning
  // once it does.
  const starts = ends.length === 0 ? [{ partition: 0, low: 0, high: 0 }] : ends;
  const assignment = starts.map((p) => ({ topic, partition: p.partition, offset: p.high > p.low ? p.high - 1 : -2 }));
  const consumer = new BrokerConsumer({
    brokers,
    groupId: `blazerules-rules-follower-${randomUUID()}`,
    topics: [topic],
    conf: { ...conf, 'enable.auto.commit': false, 'auto.offset.reset': 'earliest' },
    assignment,
  });
  const follower = new Follower(topic, consumer, loader);
  if (opts.waitForInitial === false) return follower;
  try {
    await follower.firstLoad(timeoutMs, ends.length === 0);
  } catch (err) {
    await follower.stop();
    throw err;
  }
  return follower;
}

class Follower implements RulesFollower {
  readonly #topic: string;
  readonly #consumer: BrokerConsumer;
  readonly #loader: BundleLoader;
  #version = '';
  #offset = -1;
  #updates = 0;
  #lastError: LastRulesError | null = null;
  #stopping = false;
  readonly #loop: Promise<void>;
  #loaded: (() => void) | undefined;
  #wake: (() => void) | undefined;

  constructor(topic: string, consumer: BrokerConsumer, loader: BundleLoader) {
    this.#topic = topic;
    this.#consumer = consumer;
    this.#loader = loader;
    this.#loop = this.#run();
  }

  status(): RulesFollowerStatus {
    return {
      topic: this.#topic,
      version: this.#version,
      offset: this.#offset,
      lastError: this.#lastError,
      updates: this.#updates,
      reachable: this.#consumer.reachable,
    };
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    this.#wake?.();
    await this.#loop;
    await this.#consumer.close();
  }

  /** Resolves once a bundle loaded; rejects after `timeoutMs`, naming the topic. */
  firstLoad(timeoutMs: number, missing: boolean): Promise<void> {
    if (this.#updates > 0) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#loaded = undefined;
        reject(this.#timeout(timeoutMs, missing));
      }, timeoutMs);
      this.#loaded = () => {
        clearTimeout(timer);
        resolve();
      };
    });
  }

  #timeout(timeoutMs: number, missing: boolean): Error {
    const why =
      this.#lastError !== null
        ? `the last bundle did not load: ${this.#lastError.message}`
        : missing
          ? 'the topic does not exist'
          : 'the topic has no bundle (publish one with `blazerules rules publish`)';
    const message = `no rules loaded from topic '${this.#topic}' within ${timeoutMs} ms: ${why}`;
    return missing && this.#lastError === null
      ? new KafkaIOError('UNKNOWN_TOPIC', message)
      : new BlazeRulesError('NO_RULES', message);
  }

  async #run(): Promise<void> {
    while (!this.#stopping) {
      let records: KafkaRecord[];
      try {
        records = await this.#consumer.pollRecords({ maxMessages: 100, timeoutMs: POLL_MS });
      } catch (err) {
        if (this.#stopping) return;
        this.#lastError = lastError(err instanceof Error ? err : new Error(String(err)));
        await this.#pause(RETRY_MS);
        continue;
      }
      for (const r of records) this.#apply(r);
    }
  }

  /** Loads one bundle (a bad one changes nothing but the status, events and counters). */
  #apply(r: KafkaRecord): void {
    const source = `kafka:${r.topic}/${r.partition}@${r.offset}`;
    try {
      let bundle: RulesBundle;
      try {
        bundle = parseBundle(r.value, source);
      } catch (err) {
        if (err instanceof RulesError) this.#loader.reportError(err);
        throw err;
      }
      const report = this.#loader.load(bundle, { source, file: source, lookups: lookupBuffers(bundle) });
      this.#version = report.rulesetVersion;
      this.#offset = r.offset;
      this.#updates++;
      this.#lastError = null;
      this.#loader.reloaded(true);
      this.#loaded?.();
      this.#loaded = undefined;
    } catch (err) {
      this.#lastError = lastError(err instanceof Error ? err : new Error(String(err)));
      this.#loader.reloaded(false);
    }
  }

  #pause(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.#wake = done;
    });
  }
}
