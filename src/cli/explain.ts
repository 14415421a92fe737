/** `blazerules explain`: why one record gets its decision, as a readable tree or (`--json`) the
 * Explanation of `engine.explain` (src/explain.ts). */
import { BlazeRulesError } from '../errors';
import { RuleEngine } from '../engine';
import type { ConditionTrace, Explanation, RuleExplanation } from '../explain';
import { UsageError, command } from './args';
import { ENGINE_OPTIONS, RULES, engineConfig } from './common';
import { DEFAULT_MAX_FILE_BYTES, forEachChunk } from './streams';

const CHUNK_BYTES = 1 << 20;

/** The engine options that bear on reading the rules and one record. */
const READ_OPTIONS = ENGINE_OPTIONS.filter(
  (x) => (x.name.startsWith('max-') && x.name !== 'max-error-samples') || x.name === 'lookup-root',
);

/** Row `row` of an NDJSON file, numbered as `eval` numbers rows (0-based; blank lines are not
 * rows), with its 1-based line; lines longer than `maxLineBytes` are cut (the engine then
 * refuses the record as RECORD_TOO_LARGE). */
async function readRow(file: string, row: number, maxLineBytes: number): Promise<{ text: Buffer; line: number }> {
  const found = new Error('found');
  let seen = 0;
  let line = 0;
  let hit: { text: Buffer; line: number } | undefined;
  try {
    await forEachChunk(file, CHUNK_BYTES, maxLineBytes, async (chunk) => {
      for (let at = 0; at < chunk.length; ) {
        const nl = chunk.indexOf(10, at);
        const end = nl < 0 ? chunk.length : nl;
        const text = chunk.subarray(at, end);
        line++;
        at = end + 1;
        if (/^[\r \t]*$/.test(text.toString('latin1'))) continue;
        if (seen++ === row) {
          hit = { text: Buffer.from(text), line };
          throw found;
        }
      }
    });
  } catch (err) {
    if (err !== found) throw err;
  }
  if (hit === undefined) throw new UsageError(`${file} has ${seen} rows (0 to ${seen - 1}): no row ${row}`);
  return hit;
}

const mark = (ok: boolean): string => (ok ? '✓' : '✗');
const show = (v: unknown): string => (v === undefined ? '' : JSON.stringify(v));

/** One node: the leaf's comparison (what it reads, its operator, its operand) and the value
 * it read; and/or/not by name. `base`: the rule's conditions path, left out of each path. */
function nodeLine(c: ConditionTrace, base: string): string {
  const where = c.path.startsWith(base) ? c.path.slice(base.length) : c.path;
  const at = where === '' ? '' : `   @${where}`;
  const element = c.element === undefined ? '' : `[element ${c.element}] `;
  if (c.kind !== 'leaf') return `${mark(c.result)} ${element}${c.kind}${at}`;
  const subject = c.field ?? c.computed ?? '';
  const expected = c.expected === undefined ? '' : ` ${show(c.expected)}`;
  const actual = c.op === 'array_any' ? '' : `   (actual: ${show(c.actual)})`;
  return `${mark(c.result)} ${element}${subject} ${c.op ?? ''}${expected}${actual}${at}`;
}

function treeLines(c: ConditionTrace, base: string, indent: string, out: string[]): void {
  out.push(`${indent}${nodeLine(c, base)}`);
  for (const k of c.children ?? []) treeLines(k, base, `${indent}  `, out);
}

function ruleLines(r: RuleExplanation, out: string[]): void {
  const added = r.scoreContribution !== 0 ? `  score +${r.scoreContribution}` : '';
  const shadow = r.shadow ? '  (shadow)' : '';
  out.push(`${r.matched ? 'MATCH' : 'no   '} ${r.id}  ${r.label}${shadow}${added}   @${r.condition.path}`);
  treeLines(r.condition, r.condition.path, '      ', out);
}

/** The explanation as indented text: the outcome first, then every rule and its tree. */
export function formatExplanation(e: Explanation, what: string): string {
  const out = [
    `${what}: ${e.decision}  score ${e.score}  risk ${e.riskBand}  (rules version ${e.ruleSetVersion})`,
    e.winner === null ? 'winner: none' : `winner: ${e.winner.ruleId} (${e.winner.why})`,
    '',
  ];
  for (const r of e.rules) ruleLines(r, out);
  return `${out.join('\n')}\n`;
}

export const explainCommand = command({
  name: 'explain',
  summary: 'why one record gets its decision: every rule, its conditions with the values read',
  notes: [
    'The record: --record (JSON text), or row --row of the NDJSON file --path, numbered as',
    "eval's decisions-jsonl rows (0-based; blank lines are not rows). Windows see no earlier records.",
  ],
  options: [
    RULES,
    { name: 'record', type: 'string', arg: 'JSON', help: 'the record, as JSON text' },
    { name: 'path', type: 'string', arg: 'F', help: 'an NDJSON file of records' },
    { name: 'row', type: 'int', help: 'the row of --path to explain (0-based)' },
    { name: 'json', type: 'flag', help: "print the Explanation as JSON (engine.explain's shape)" },
    { name: 'now-ms', type: 'int', help: 'the clock in epoch ms (within_last, windows; default: now)' },
    ...READ_OPTIONS,
  ],
  async run(o): Promise<void> {
    if ((o.record === undefined) === (o.path === undefined))
      throw new UsageError('explain needs --record JSON or --path F --row N');
    if (o.path !== undefined && o.row === undefined) throw new UsageError('--path needs --row N');
    if (o.record !== undefined && o.row !== undefined) throw new UsageError('--row goes with --path, not --record');
    const config = engineConfig(o);
    const maxLineBytes = config.maxRecordBytes || (config.maxFileBytes ?? DEFAULT_MAX_FILE_BYTES);
    if (!config.maxRecordBytes && maxLineBytes > 0) config.maxRecordBytes = maxLineBytes;
    const engine = new RuleEngine(config);
    engine.loadRules(o.rules);
    const at =
      o.path === undefined
        ? { text: Buffer.from(o.record ?? '', 'utf8'), what: 'record' }
        : await readRow(o.path, o.row ?? 0, maxLineBytes || Number.POSITIVE_INFINITY).then((r) => ({
            text: r.text,
            what: `${o.path} row ${o.row} (line ${r.line})`,
          }));
    let e: Explanation;
    try {
      e = engine.explain(at.text, o['now-ms'] === undefined ? undefined : { nowMs: o['now-ms'] });
    } catch (err) {
      if (err instanceof BlazeRulesError) throw new BlazeRulesError(err.code, `${at.what}: ${err.message}`);
      throw err;
    }
    process.stdout.write(o.json ? `${JSON.stringify(e)}\n` : formatExplanation(e, at.what));
  },
});
