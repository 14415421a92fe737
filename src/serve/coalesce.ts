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
import { BlazeRulesError } from '../errors';
import type { DecisionBody } from './decide';
import { HttpError } from './errors';

/** The window state shard of every record decided over HTTP: apart from the shards of the
 * stream loop's partitions (`--stream`), which count up from 0. */
export const HTTP_SHARD = { partition: 2 ** 31 - 1 } as const;

/** The most records one native call decides (the rest wait for the next turn). */
export const MAX_BATCH = 256;

interface Waiting {
  text: Buffer;
  resolve(d: DecisionBody): void;
  reject(e: Error): void;
}

/** The engine's errors as the route answers them. */
export function httpErrorOf(err: unknown): unknown {
  if (!(err instanceof BlazeRulesError)) return err;
  if (err.code === 'NO_RULES') return new HttpError('NOT_READY', err.message);
  return new HttpError('INVALID_REQUEST', `${err.code}: ${err.message}`);
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
      this.#waiting.push({ text: Buffer.from(JSON.stringify(record), 'utf8'), resolve, reject });
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
    let result: BatchResult;
    try {
      result = this.#engine.evaluateMessagesSync(
        batch.map((w) => w.text),
        HTTP_SHARD,
      );
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
    for (const s of result.errorSamples) {
      settle(s.rowIndex, (w) => w.reject(new HttpError('INVALID_REQUEST', `${s.code}: ${s.message}`)));
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
