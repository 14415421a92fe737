/** Public types of live rules: hot reload, rules that follow a Kafka topic, their events. */
import type { RulesError } from '../errors';
import type { KafkaConf } from '../kafka/types';

/** `enableHotReload(path, opts)`. */
export interface HotReloadOptions {
  /** How often the rules file and its lookup files are checked besides the file system's
   * change events (default 5000 ms; at least 10). */
  pollIntervalMs?: number;
}

/** Why the last load failed: the RulesError's code and its problems, one a line. */
export interface LastRulesError {
  code: string;
  /** Every problem as `file:line:column: CODE message`, one a line. */
  message: string;
  at: Date;
}

/** `engine.hotReloadStatus()`. */
export interface HotReloadStatus {
  /** The watched rules file ("" when hot reload was never enabled). */
  path: string;
  /** The engine's active rule set version. */
  version: string;
  /** When the hot reloader last loaded the file successfully (null: never). */
  lastLoadedAt: Date | null;
  /** Why its last attempt failed (null when the last attempt loaded). */
  lastError: LastRulesError | null;
  /** Successful reloads after the load of `enableHotReload`. */
  reloadCount: number;
  /** Reloads that failed (the active rules stayed). */
  failedReloadCount: number;
}

/** `engine.followRulesTopic(opts)` (service.md §3). */
export interface FollowRulesTopicOptions {
  /** Bootstrap brokers: "host:port,host:port" or an array of "host:port". */
  brokers: string | readonly string[];
  /** The topic of rules bundles (`blazerules rules publish` writes them). */
  topic: string;
  /** Extra librdkafka properties of the follower's consumer. */
  conf?: KafkaConf;
  /** Resolve only once a bundle from the topic has loaded (default true); else at once. */
  waitForInitial?: boolean;
  /** How long `waitForInitial` waits before rejecting, naming the topic (default 30000). */
  timeoutMs?: number;
}

/** `follower.status()`. */
export interface RulesFollowerStatus {
  topic: string;
  /** The version of the last bundle this follower loaded ("" before one loaded). */
  version: string;
  /** That bundle's offset (-1 before one loaded). */
  offset: number;
  /** Why the last bundle (or the last read) failed; null once a later bundle loaded. */
  lastError: LastRulesError | null;
  /** Bundles loaded. */
  updates: number;
  /** Its consumer is connected and sees a broker up (false during a broker outage). */
  reachable: boolean;
}

/** What `followRulesTopic` resolves with. */
export interface RulesFollower {
  status(): RulesFollowerStatus;
  /** Stops following (the active rules stay); resolves once the consumer closed. */
  stop(): Promise<void>;
}

/** The `'rules'` event. */
export interface RulesLoadedEvent {
  version: string;
  /** Where the rules came from: the rules file's absolute path, `<string>`, or
   * `kafka:<topic>/<partition>@<offset>` for a bundle. */
  source: string;
}

/** The engine's events (`engine.on('rules', …)`). */
export interface RulesEvents {
  rules: [RulesLoadedEvent];
  rulesError: [RulesError];
}

/** A rules bundle: one message of a rules topic. */
export interface RulesBundle {
  format: 'yaml' | 'json';
  /** The rules text. */
  rules: string;
  /** Lookup texts (CSV) by the path the rules name them with. */
  lookups: Record<string, string>;
}
