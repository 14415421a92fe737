/**
 * POST /v1/decide's records, decided in batches: the records of the requests that arrive in
 * one turn of the event loop (up to MAX_BATCH) are decided by one `evaluateMessagesSync` call
 * in the loop's next check phase, in arrival order (so window state sees them in the order a
 * call per request would). A native call has a fixed cost of tens of µs; shared by the
 * requests of a turn, it stops dominating the route (benchmarks/RESULTS.md, "serve"). A
 * request waits at most one turn of the loop for it.
 */
import type { BatchResult } from '../batch-result';
import type { RuleEngine } from '../engine';
import { type DecisionBody, HTTP_SHARD, decideOne, decisionBody, httpErrorOf } from './answer';
import { HttpError } from './errors';

/** The most records one native call decides (the rest wait for the next turn). */
export const MAX_BATCH = 256;

interface Waiting {
  record: object;
  resolve(d: DecisionBody): void;
  reject(e: Error): void;
}

export class DecisionBatcher {
  readonly #engine: RuleEngine;
  #waiting: Waiting[] = [];
  #scheduled = false;

  constructor(engine: RuleEngine) {
    this.#engine = engine;
  }

  decide(record: object): Promise<DecisionBody> {
    return new Promise<DecisionBody>((resolve, reject) => {
      this.#waiting.push({ record, resolve, reject });
      if (!this.#scheduled) {
        this.#scheduled = true;
        setImmediate(() => this.#flush());
      }
    });
  }

  #flush(): void {
    const batch = this.#waiting.splice(0, MAX_BATCH);
    this.#scheduled = this.#waiting.length > 0;
    if (this.#scheduled) setImmediate(() => this.#flush());
    const only = batch.length === 1 ? batch[0] : undefined;
    // Alone in its turn: evaluate() costs less than a batch of one.
    if (only !== undefined) this.#decideAlone(only);
    else this.#decideBatch(batch);
  }

  #decideAlone(w: Waiting): void {
    try {
      w.resolve(decisionBody(decideOne(this.#engine, w.record)));
    } catch (err) {
      w.reject(err as Error);
    }
  }

  #decideBatch(batch: Waiting[]): void {
    let result: BatchResult;
    try {
      const texts = batch.map((w) => Buffer.from(JSON.stringify(w.record), 'utf8'));
      result = this.#engine.evaluateMessagesSync(texts, HTTP_SHARD);
    } catch (err) {
      for (const w of batch) w.reject(httpErrorOf(err) as Error);
      return;
    }
    const settled = new Array<boolean>(batch.length).fill(false);
    const settle = (row: number, f: (w: Waiting) => void): void => {
      const w = batch[row];
      if (w === undefined || settled[row]) return;
      settled[row] = true;
      f(w);
    };
    const answered = answers(result);
    for (const [k, row] of result.inputRows.entries()) settle(row, (w) => w.resolve(answered[k] as DecisionBody));
    // Records the engine could not read (RECORD_TOO_LARGE, …) get their own error.
    for (const e of result.errorSamples) {
      settle(e.rowIndex, (w) => w.reject(new HttpError('INVALID_REQUEST', `${e.code}: ${e.message}`)));
    }
    for (const row of batch.keys()) {
      settle(row, (w) => w.reject(new HttpError('INVALID_REQUEST', 'the record could not be read')));
    }
  }
}

/** One answer per decided record of `r`, in its order. */
function answers(r: BatchResult): DecisionBody[] {
  const decisions = r.decisions;
  const bands = r.riskBands;
  const winners = r.winningRuleIds;
  const matched: string[][] = Array.from({ length: r.nRecords }, () => []);
  for (const id of r.ruleIds) for (const k of r.indicesForRule(id)) matched[k]?.push(id);
  return decisions.map((decision, k) => ({
    decision,
    score: r.scores[k] ?? 0,
    risk_band: bands[k] ?? 'LOW',
    winning_rule_id: winners[k] ?? '',
    matched_rule_ids: matched[k] ?? [],
    ruleset_version: r.ruleSetVersion,
  }));
}
