/** `blazerules validate`: checks a rules file (and evaluates a sample with it). */
import { RuleEngine } from '../engine';
import { RulesError, formatProblem } from '../errors';
import type { LoadReport } from '../types';
import { command } from './args';
import { RULES, THREADS, engineConfig } from './common';

/** Exit code 2 with every problem as `file:line:column: CODE message`, in file order. */
export class ValidationFailed extends Error {
  constructor(readonly err: RulesError) {
    super(err.message);
  }

  lines(): string[] {
    const problems = [...this.err.problems];
    const key = (n: number | undefined): number => (n === undefined || n === 0 ? Number.MAX_SAFE_INTEGER : n);
    problems.sort((a, b) => key(a.line) - key(b.line) || key(a.column) - key(b.column));
    return problems.map((p) => formatProblem(p));
  }
}

/** Loads `rules`; their problems as ValidationFailed (exit 2, one problem a line). */
export function loadChecked(engine: RuleEngine, rules: string): LoadReport {
  try {
    return engine.loadRules(rules);
  } catch (err) {
    if (err instanceof RulesError) throw new ValidationFailed(err);
    throw err;
  }
}

export const validate = command({
  name: 'validate',
  summary: 'check a rules file (and evaluate a sample); problems exit 2 as file:line:column: CODE message',
  options: [
    RULES,
    { name: 'sample', type: 'string', arg: 'F', help: 'an ndjson file to evaluate with the rules' },
    THREADS,
  ],
  async run(o): Promise<void> {
    const engine = new RuleEngine(engineConfig(o));
    const report = loadChecked(engine, o.rules);
    const out: Record<string, unknown> = {
      ok: true,
      ruleset_name: report.rulesetName,
      ruleset_version: report.rulesetVersion,
      rules: report.ruleCount,
      decision_labels: report.decisionLabels,
    };
    if (o.sample !== undefined) {
      const result = await engine.evaluateNdjsonFile(o.sample);
      out.sample_records = result.nRecords;
      out.sample_skipped = result.messagesSkipped;
      out.sample_matched = result.nMatched;
      out.rule_match_counts = result.matchCounts;
      out.error_counts = result.errorCounts;
    }
    process.stdout.write(`${JSON.stringify(out)}\n`);
  },
});
