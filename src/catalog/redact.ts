/**
 * The one place secrets are taken out of text: every catalog error and log line goes through
 * `Redactor.text`. Secrets are the catalog password or token and every value of an answer's
 * `credentials` (plus any property whose name says it is secret), as the resolver learns them.
 */

/** What replaces a secret. */
export const REDACTED = '[redacted]';

/** Property names whose values are secret wherever they appear (connection, configuration). */
const SECRET_NAME = /password|secret|token|sasl\.username|sasl\.oauthbearer|ssl\.key\.pem|private/i;

/** Shorter values are not replaced in free text (they would blank out ordinary words); they
 * still never reach a message, since messages never print credential values on purpose. */
const MIN_SECRET_LENGTH = 3;

export function isSecretName(name: string): boolean {
  return SECRET_NAME.test(name);
}

export class Redactor {
  readonly #secrets = new Set<string>();

  /** Remembers values to take out of every later text. */
  add(...values: readonly unknown[]): void {
    for (const v of values) {
      if (v === undefined || v === null) continue;
      const s = String(v);
      if (s.length >= MIN_SECRET_LENGTH) this.#secrets.add(s);
      // URL-encoded forms may appear in an URL or a server's echo of the request.
      const enc = encodeURIComponent(s);
      if (enc !== s && enc.length >= MIN_SECRET_LENGTH) this.#secrets.add(enc);
    }
  }

  /** Remembers the secret values of a property object (all of them when `all`). */
  addConf(conf: Record<string, unknown>, all: boolean): void {
    for (const [k, v] of Object.entries(conf)) if (all || isSecretName(k)) this.add(v);
  }

  /** `text` with every known secret replaced; longest first so that no part of one is left. */
  text(text: string): string {
    let out = text;
    for (const s of [...this.#secrets].sort((a, b) => b.length - a.length)) out = out.split(s).join(REDACTED);
    return out;
  }
}
