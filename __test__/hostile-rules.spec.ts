/** Rules files of a wrong shape are refused with a code and file:line:column: repeated keys,
 * a scalar where a list is required, bytes that are not UTF-8. */
import test from 'ava';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RuleEngine, RulesError } from '../src/index';

const DIR = mkdtempSync(join(tmpdir(), 'blazerules-hostile-'));

/** Loads `text` from a file: its first problem's code, file:line:column and message. */
function refusal(name: string, text: string | Buffer): { code: string; where: string; message: string } {
  const file = join(DIR, name);
  writeFileSync(file, text);
  try {
    new RuleEngine().loadRules(file);
  } catch (err) {
    if (!(err instanceof RulesError)) throw err;
    return { code: err.code, where: `${err.file}:${err.line}:${err.column}`, message: err.message };
  }
  throw new Error(`${name} loaded`);
}

const RULE = `ruleset:
  version: "1"
  rules:
    - id: r1
      action: block
`;

test('a repeated key is an error naming both places', (t) => {
  const text = `${RULE}      conditions: {field: amount, op: gt, value: 1}\n      action: approve\n`;
  const got = refusal('dup.yaml', text);
  t.is(got.code, 'YAML_SYNTAX_ERROR');
  t.is(got.where, `${join(DIR, 'dup.yaml')}:7:7`);
  t.is(got.message, 'duplicate key "action" (first at line 5, column 7)');
  // Nested, in a flow mapping.
  const flow = refusal('dup-flow.yaml', `${RULE}      conditions: {field: amount, op: gt, value: 1, field: x}\n`);
  t.is(flow.where, `${join(DIR, 'dup-flow.yaml')}:6:53`);
  t.regex(flow.message, /^duplicate key "field" \(first at line 6, column 20\)$/);
});

test('a scalar values: or precedence: is an error at its place', (t) => {
  const values = refusal('values.yaml', `${RULE}      conditions: {field: country, op: in, values: KP}\n`);
  t.is(values.code, 'YAML_SYNTAX_ERROR');
  t.is(values.message, "'values' must be a list");
  t.is(values.where, `${join(DIR, 'values.yaml')}:6:52`);
  const prec = refusal(
    'precedence.yaml',
    `decisions:\n  precedence: BLOCK\n${RULE}      conditions: {field: amount, op: gt, value: 1}\n`,
  );
  t.is(prec.code, 'YAML_SYNTAX_ERROR');
  t.is(prec.message, 'precedence must be a list of labels');
  t.is(prec.where, `${join(DIR, 'precedence.yaml')}:2:15`);
});

test('bytes that are not UTF-8 are an error at their line and column', (t) => {
  const head = Buffer.from(`${RULE}      conditions: {field: amount, op: gt, value: 1}\n      description: "é`);
  for (const [name, bad] of [
    ['latin1.yaml', [0xe9, 0x22, 0x0a]],
    ['truncated.yaml', [0xe2, 0x82]],
    ['surrogate.yaml', [0xed, 0xa0, 0x80, 0x22, 0x0a]],
  ] as const) {
    const got = refusal(name, Buffer.concat([head, Buffer.from(bad)]));
    t.is(got.code, 'YAML_SYNTAX_ERROR', name);
    t.is(got.where, `${join(DIR, name)}:7:22`, name);
    t.regex(got.message, /^invalid UTF-8 at byte \d+$/, name);
  }
});

/** Loads `text` as a string: its first problem's code, line:column and message. */
function refusalOf(text: string, format: 'yaml' | 'json' = 'yaml'): { code: string; where: string; message: string } {
  try {
    new RuleEngine().loadRulesFromString(text, format);
  } catch (err) {
    if (!(err instanceof RulesError)) throw err;
    return { code: err.code, where: `${err.line}:${err.column}`, message: err.message };
  }
  throw new Error('loaded');
}

test('a number beyond f64 is an error at its node', (t) => {
  const text = `${RULE}      conditions:\n        and:\n          - {field: a, op: gt, value: 1}\n          - {field: amount, op: gt, value: 1e400}\n`;
  const got = refusal('range.yaml', text);
  t.is(got.code, 'YAML_SYNTAX_ERROR');
  t.is(got.message, 'number out of range: 1e400');
  t.is(got.where, `${join(DIR, 'range.yaml')}:9:44`);
  // JSON rules: the parser's error, at the number's start.
  const json = '{"rules": [{"id": "a",\n  "conditions": {"field": "x", "op": "gt", "value": 1e400}}]}';
  t.like(refusalOf(json, 'json'), { where: '2:53', message: 'invalid JSON: number out of range' });
});

test('a document nested 3000 levels deep is a nesting error at its place', (t) => {
  const limit = 'document nesting too deep (limit 1024)';
  let map = '';
  for (let i = 0; i < 3000; i++) map += `${' '.repeat(i)}k${i}:\n`;
  t.deepEqual(refusal('deep-map.yaml', map), {
    code: 'YAML_SYNTAX_ERROR',
    where: `${join(DIR, 'deep-map.yaml')}:1025:1025`,
    message: limit,
  });
  let seq = 'rules:\n';
  for (let i = 0; i < 3000; i++) seq += `${' '.repeat(2 + 2 * i)}-\n`;
  t.like(refusalOf(seq), { code: 'YAML_SYNTAX_ERROR', where: '1025:2049', message: limit });
  const json = `${'{"a":'.repeat(3000)}1${'}'.repeat(3000)}`;
  t.like(refusalOf(json, 'json'), { code: 'YAML_SYNTAX_ERROR', where: '1:5121', message: limit });
});

test('JSON rules with a repeated key are refused naming both places', (t) => {
  const text =
    '{"ruleset": {"version": "1", "rules": [\n  {"id": "a", "conditions": {"field": "x", "op": "gt", "value": 1}, "id": "b"}]}}\n';
  const got = refusal('dup.json', text);
  t.is(got.code, 'YAML_SYNTAX_ERROR');
  t.is(got.message, 'duplicate key "id" (first at line 2, column 4)');
  t.is(got.where, `${join(DIR, 'dup.json')}:2:69`);
  // Escaped spellings of one key are the same key.
  t.like(refusalOf('{"rules": [], "r\\u0075les": []}', 'json'), { where: '1:15' });
});

test('problems are placed wherever the text has a place for them', (t) => {
  // Conditions nested beyond the limit in JSON (600 brackets deep): placed at the node.
  let cond = '{"field":"x","op":"gt","value":1}';
  for (let i = 0; i < 300; i++) cond = `{"and":[${cond}]}`;
  const deep = refusalOf(`{"rules":[\n{"id":"deep","conditions":${cond}}]}`, 'json');
  t.is(deep.code, 'UNKNOWN_OP');
  t.not(deep.where, 'undefined:undefined');
  t.regex(deep.where, /^2:\d+$/);
  // An alias bomb: at the alias that goes over.
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  for (const [name, prev] of [
    ['b', 'a'],
    ['c', 'b'],
    ['d', 'c'],
    ['e', 'd'],
    ['f', 'e'],
    ['g', 'f'],
  ]) {
    lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
  }
  const bomb = refusalOf(lines.join('\n'));
  t.is(bomb.message, 'too many alias expansions in the rules document');
  t.regex(bomb.where, /^6:\d+$/);
  // An empty document: at its start.
  t.like(refusalOf('# nothing here\n'), { code: 'YAML_SYNTAX_ERROR', where: '1:1' });
});

test('a large rules file loads and decides as a small one', (t) => {
  const n = 20_000;
  const values = Array.from({ length: 200_000 }, (_, i) => `m${i}`);
  const rules = [
    `rules:\n  - id: listed\n    action: block\n    conditions: {field: merchant, op: in, values: [${values.join(', ')}]}\n`,
  ];
  for (let i = 0; i < n; i++) {
    rules.push(
      `  - id: r${i}\n    action: review\n    conditions:\n      and:\n        - {field: amount, op: gt, value: ${i}}\n        - {field: country, op: eq, value: C${i}}\n`,
    );
  }
  const file = join(DIR, 'large.yaml');
  writeFileSync(file, rules.join(''));
  const e = new RuleEngine();
  const report = e.loadRules(file);
  t.is(report.ruleCount, n + 1);
  const r = e.evaluateNdjsonSync(
    [
      '{"merchant":"m199999","amount":1}',
      '{"merchant":"m200000","amount":19000,"country":"C18999"}',
      '{"merchant":"x","amount":5,"country":"C5"}',
      '{"merchant":"x","amount":5,"country":"C6"}',
    ].join('\n'),
  );
  t.deepEqual(r.winningRuleIds, ['listed', 'r18999', '', '']);
  t.deepEqual(r.decisions, ['BLOCK', 'REVIEW', 'APPROVE', 'APPROVE']);
});
