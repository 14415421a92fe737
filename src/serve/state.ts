/** What the service knows about itself beyond the engine: readiness, where the rules came
 * from, recent errors, the stream loop's last stats. Read by /readyz, /v1/rules, /v1/stats. */
import type { RulesError } from '../errors';
import type { RuleEngine } from '../engine';
import type { StreamRunStats } from '../kafka/stream';

/** How many recent errors /v1/stats keeps (oldest dropped first). */
export const RECENT_ERRORS = 50;

export interface RecentError {
  at: string;
  /** 'http' (a 5xx or a refused event), 'rules' (a refused reload), 'stream', 'events'. */
  kind: string;
  code: string;
  message: string;
}

export class ServiceState {
  /** False until the rules loaded (and Kafka answered, when configured); false again while draining. */
  ready = false;
  draining = false;
  source = '';
  loadedAt = '';
  reloads = 0;
  failedReloads = 0;
  stream: StreamRunStats | null = null;
  readonly errors: RecentError[] = [];
  /** Further conditions of readiness (Kafka reachable): each says why not, or undefined. */
  readonly probes: Array<() => string | undefined> = [];

  /** Follows the engine's loads: source and time of the active rules, reload counts. */
  constructor(engine: RuleEngine) {
    engine.on('rules', ({ source }) => {
      if (this.loadedAt !== '') this.reloads++;
      this.source = source;
      this.loadedAt = new Date().toISOString();
    });
    engine.on('rulesError', (err: RulesError) => {
      this.failedReloads++;
      this.error('rules', err.code, err.message);
    });
  }

  /** Why the service is not ready, or undefined when it is. */
  notReady(): string | undefined {
    if (this.draining) return 'shutting down';
    if (!this.ready) return 'not ready yet';
    // Every reason at once: an operator sees all that is down, not one at a time.
    const why = this.probes.map((probe) => probe()).filter((w) => w !== undefined);
    return why.length === 0 ? undefined : why.join('; ');
  }

  error(kind: string, code: string, message: string): void {
    this.errors.push({ at: new Date().toISOString(), kind, code, message });
    if (this.errors.length > RECENT_ERRORS) this.errors.shift();
  }
}
