/**
 * CatalogResolver: one client's catalog answer with its TTL (service.md §6).
 *
 * The first resolve() asks the catalog (and is the only call that can fail for the catalog's
 * sake). While an answer is fresh nothing is asked; a timer (unref'd) asks again shortly before
 * it expires, and every `retryMs` after a failure. A failure keeps the last good answer in use
 * (status() and the metrics show it). A changed answer (compared deeply) is announced to the
 * `onChange` listeners; an unchanged one only renews the TTL.
 */
import { KafkaIOError, type KafkaIOErrorCode } from '../kafka/errors';
import { type CatalogResolution, checkAnswer, resolve, sameAnswer } from './answer';
import { type CatalogOptions, type CatalogSettings, catalogSettings } from './options';
import { CatalogRequestError, fetchAnswer } from './query';
import { Redactor } from './redact';
import { catalogClients } from '../metrics/catalog';

/** What a resolver reports (never a secret). */
export interface CatalogStatus {
  url: string;
  configProfile: string;
  channels: readonly string[];
  /** Requests sent, and how many of them failed. */
  requests: number;
  failures: number;
  /** Failures in a row since the last good answer. */
  consecutiveFailures: number;
  /** Why the last request failed (redacted), if it did. */
  lastError: string | undefined;
  /** When the last good answer arrived (epoch ms). */
  lastSuccessAt: number | undefined;
  /** How old the answer in use is (ms); undefined before the first. */
  answerAgeMs: number | undefined;
  /** The answer in use is older than ttlMs (the catalog failed since). */
  stale: boolean;
  /** Answers that differed from the one before. */
  changes: number;
}

export type ChangeListener = (next: CatalogResolution, previous: CatalogResolution) => void;

/** A refused request (4xx: auth, an unknown channel or profile) is CATALOG_REFUSED; no answer
 * at all (network, timeout, 5xx) is CATALOG_UNREACHABLE; a malformed answer keeps its own. */
function failureCode(err: unknown): KafkaIOErrorCode {
  if (err instanceof KafkaIOError) return err.code;
  const status = err instanceof CatalogRequestError ? err.status : undefined;
  return status !== undefined && status >= 400 && status < 500 ? 'CATALOG_REFUSED' : 'CATALOG_UNREACHABLE';
}

/** How long before expiry the background refresh asks: 5% of the TTL, at most a second. */
function refreshLead(ttlMs: number): number {
  return Math.min(1000, Math.floor(ttlMs / 20));
}

export class CatalogResolver {
  readonly settings: CatalogSettings;
  readonly channels: readonly string[];
  readonly redactor = new Redactor();
  readonly #listeners = new Set<ChangeListener>();
  #answer: unknown;
  #current: CatalogResolution | undefined;
  #fetchedAt = 0;
  #inflight: Promise<CatalogResolution> | undefined;
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #requests = 0;
  #failures = 0;
  #consecutive = 0;
  #changes = 0;
  #lastError: string | undefined;

  constructor(catalog: CatalogOptions, channels: readonly string[]) {
    this.settings = catalogSettings(catalog);
    this.channels = Object.freeze([...channels]);
    const a = this.settings.auth;
    if (a !== undefined) this.redactor.add('token' in a ? a.token : a.password);
    catalogClients.add(this);
  }

  /** The resolution in use, asking the catalog first when there is none yet. */
  resolve(): Promise<CatalogResolution> {
    if (this.#closed) return Promise.reject(new KafkaIOError('CLOSED', 'catalog resolver closed'));
    if (this.#current !== undefined) return Promise.resolve(this.#current);
    return this.#refresh();
  }

  /** The resolution in use (undefined before the first). */
  get current(): CatalogResolution | undefined {
    return this.#current;
  }

  /** Called with the new and the previous resolution whenever the answer changes. */
  onChange(listener: ChangeListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  status(): CatalogStatus {
    const age = this.#current === undefined ? undefined : Date.now() - this.#fetchedAt;
    return {
      url: this.redactor.text(this.settings.url),
      configProfile: this.settings.configProfile,
      channels: this.channels,
      requests: this.#requests,
      failures: this.#failures,
      consecutiveFailures: this.#consecutive,
      lastError: this.#lastError,
      lastSuccessAt: this.#current === undefined ? undefined : this.#fetchedAt,
      answerAgeMs: age,
      stale: age !== undefined && age >= this.settings.ttlMs,
      changes: this.#changes,
    };
  }

  /** Stops the background refresh. */
  close(): void {
    this.#closed = true;
    clearTimeout(this.#timer);
    this.#listeners.clear();
    catalogClients.delete(this);
  }

  #refresh(): Promise<CatalogResolution> {
    this.#inflight ??= this.#ask().finally(() => {
      this.#inflight = undefined;
    });
    return this.#inflight;
  }

  async #ask(): Promise<CatalogResolution> {
    this.#requests++;
    try {
      const raw = await fetchAnswer(this.settings, this.channels);
      const answer = checkAnswer(raw);
      this.redactor.addConf(answer.credentials, true);
      this.redactor.addConf({ ...answer.connection, ...answer.configuration }, false);
      const next = resolve(answer, this.channels, this.settings.clientId);
      this.#accept(raw, next);
      return next;
    } catch (err) {
      const e = this.#failed(err);
      if (this.#current === undefined) throw e;
      return this.#current;
    }
  }

  #accept(raw: unknown, next: CatalogResolution): void {
    const previous = this.#current;
    const changed = previous !== undefined && !sameAnswer(raw, this.#answer);
    this.#answer = raw;
    this.#current = next;
    this.#fetchedAt = Date.now();
    this.#consecutive = 0;
    this.#schedule(this.settings.ttlMs - refreshLead(this.settings.ttlMs));
    if (!changed || previous === undefined) return;
    this.#changes++;
    for (const l of this.#listeners) {
      try {
        l(next, previous);
      } catch {
        // a listener's failure is its own (it reports it where its client does)
      }
    }
  }

  /** Counts a failure, keeps the answer in use, and asks again in half a TTL. */
  #failed(err: unknown): KafkaIOError {
    this.#failures++;
    this.#consecutive++;
    const message = this.redactor.text(err instanceof Error ? err.message : String(err));
    this.#lastError = message;
    // Nothing resolved yet: the caller has the error and asks again when it wants to.
    if (this.#current !== undefined) this.#schedule(Math.max(1, Math.floor(this.settings.ttlMs / 2)));
    const code = failureCode(err);
    const first = this.#current === undefined ? 'cannot resolve ' : '';
    return new KafkaIOError(code, `${first}${this.channels.join(', ')} through the catalog: ${message}`);
  }

  #schedule(ms: number): void {
    if (this.#closed) return;
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => void this.#refresh().catch(() => undefined), ms);
    this.#timer.unref();
  }
}
