/**
 * An engine's live rules: the file hot reloader and the rules-topic followers, their status,
 * and their share of the metrics. The engine (src/engine.ts) owns one and delegates to it;
 * loads go through the engine's own loader, which emits 'rules' and 'rulesError'.
 */
import type { RuleEngine } from '../engine';
import { RulesError } from '../errors';
import type { EngineMetrics } from '../metrics/counters';
import type { LoadReport, RulesFormat } from '../types';
import { followTopic } from './follower';
import { HotReloader, pollInterval } from './hot-reload';
import type {
  FollowRulesTopicOptions,
  HotReloadOptions,
  HotReloadStatus,
  LastRulesError,
  RulesFollower,
} from './types';

/** Where a load's rules come from: for the 'rules' event, RulesError's `file`, and (a rules
 * bundle) the lookup texts by the path the rules name. */
export interface LoadSource {
  source: string;
  file?: string;
  lookups?: Record<string, Buffer>;
}

/** What live rules need from the engine. */
export interface EngineLink {
  engine: RuleEngine;
  metrics: EngineMetrics;
  readFile(file: string): Buffer;
  loadFile(file: string, bytes: Buffer): LoadReport;
  loadText(text: Buffer, format: RulesFormat, from: LoadSource): LoadReport;
}

/** A failed load as the status shows it. */
export function lastError(err: Error): LastRulesError {
  const code = (err as { code?: unknown }).code;
  const message = err instanceof RulesError ? err.format() : err.message;
  return { code: typeof code === 'string' ? code : 'INTERNAL_ERROR', message, at: new Date() };
}

export class LiveRules {
  readonly #link: EngineLink;
  #reloader: HotReloader | undefined;
  #path = '';
  #lastLoadedAt: Date | null = null;
  #lastError: LastRulesError | null = null;
  #reloads = 0;
  #failed = 0;

  constructor(link: EngineLink) {
    this.#link = link;
  }

  enableHotReload(file: string, opts?: HotReloadOptions): void {
    if (typeof file !== 'string' || file === '') throw new TypeError('enableHotReload(path) needs a file path');
    const ms = pollInterval(opts);
    this.stopHotReload();
    const link = this.#link;
    this.#reloader = new HotReloader(file, ms, {
      readFile: link.readFile,
      loadFile: link.loadFile,
      reloaded: (err, initial) => this.#reloaded(err, initial),
    });
    this.#path = this.#reloader.file;
  }

  stopHotReload(): void {
    this.#reloader?.stop();
    this.#reloader = undefined;
  }

  reloadNow(): LoadReport {
    if (this.#reloader === undefined) throw new Error('reloadRulesNow(): hot reload is not enabled (enableHotReload)');
    return this.#reloader.reload();
  }

  hotReloadStatus(version: string): HotReloadStatus {
    return {
      path: this.#path,
      version,
      lastLoadedAt: this.#lastLoadedAt,
      lastError: this.#lastError,
      reloadCount: this.#reloads,
      failedReloadCount: this.#failed,
    };
  }

  #reloaded(err: Error | undefined, initial: boolean): void {
    if (initial) {
      this.#reloads = 0;
      this.#failed = 0;
    } else this.#link.metrics.reloaded(err === undefined);
    if (err === undefined) {
      this.#reloads += initial ? 0 : 1;
      this.#lastLoadedAt = new Date();
      this.#lastError = null;
    } else {
      this.#failed += initial ? 0 : 1;
      this.#lastError = lastError(err);
    }
  }

  followRulesTopic(opts: FollowRulesTopicOptions): Promise<RulesFollower> {
    const link = this.#link;
    return followTopic(opts, {
      load: (bundle, source) => link.loadText(Buffer.from(bundle.rules, 'utf8'), bundle.format, source),
      reloaded: (ok) => link.metrics.reloaded(ok),
      reportError: (err) => link.engine.emit('rulesError', err),
    });
  }
}
