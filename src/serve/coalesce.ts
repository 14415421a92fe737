/**
 * POST /v1/decide's records, decided in batches: the bodies of the requests that arrive in
 * one turn of the event loop (up to MAX_BATCH) are decided by one `evaluateMessagesSync` call
 * in the loop's next check phase, in arrival order (so window state sees them in the order a
 * call per request would), and their answers written by one native call. A native call has a
 * fixed cost; shared by the requests of a turn, it stops dominating the route
 * (benchmarks/RESULTS.md, "serve"). A request waits at most one turn of the loop for it.
 */
import type { RuleEngine } from '../engine';
import { decideTexts } from './answer';
import type { HttpError } from './errors';

/** The most records one native call decides (the rest wait for the next turn). */
export const MAX_BATCH = 256;

/** Gets a request's answer text, or the error it gets. */
export type Answered = (answer: Buffer | HttpError | Error) => void;

export class DecisionBatcher {
  readonly #engine: RuleEngine;
  #texts: Buffer[] = [];
  #done: Answered[] = [];
  #scheduled = false;

  constructor(engine: RuleEngine) {
    this.#engine = engine;
  }

  /** Decides `text` (the request's body) with the other records of this turn. */
  decide(text: Buffer, done: Answered): void {
    this.#texts.push(text);
    this.#done.push(done);
    if (!this.#scheduled) {
      this.#scheduled = true;
      setImmediate(() => this.#flush());
    }
  }

  #flush(): void {
    const texts = this.#texts.splice(0, MAX_BATCH);
    const done = this.#done.splice(0, MAX_BATCH);
    this.#scheduled = this.#texts.length > 0;
    if (this.#scheduled) setImmediate(() => this.#flush());
    let answers: Array<Buffer | HttpError>;
    try {
      answers = decideTexts(this.#engine, texts);
    } catch (err) {
      for (const d of done) d(err as Error);
      return;
    }
    for (const [row, d] of done.entries()) d(answers[row] as Buffer | HttpError);
  }
}
