/** RulesError: codes, document paths and file:line:column for YAML and JSON rules. */
import test from 'ava';
import { join } from 'node:path';

import { RuleEngine, RulesError } from '../src/index';
import type { RulesProblem } from '../src/index';

const RULES = join(__dirname, 'fixtures', 'rules');

function loadError(load: (e: RuleEngine) => unknown): RulesError {
  const e = new RuleEngine();
  try {
    load(e);
  } catch (err) {
    if (err instanceof RulesError) return err;
    throw err;
  }
  throw new Error('expected a RulesError');
}

function byPath(problems: readonly RulesProblem[], path: string): RulesProblem {
  const p = problems.find((x) => x.path === path);
  if (p === undefined) throw new Error(`no problem at ${path}: ${JSON.stringify(problems)}`);
  return p;
}

test('RulesError shape', (t) => {
  const file = join(RULES, 'problems.yaml');
  const err = loadError((e) => e.loadRules(file));
  t.true(err instanceof Error);
  t.is(err.name, 'RulesError');
  const first = err.problems[0];
  t.truthy(first);
  t.is(err.code, first?.code);
  t.is(err.message, first?.message);
  t.is(err.path, first?.path);
  t.is(err.ruleId, first?.ruleId);
  t.is(err.line, first?.line);
  t.is(err.column, first?.column);
  t.is(err.file, file);
  for (const p of err.problems) {
    t.is(p.file, file);
    t.is(typeof p.line, 'number');
    t.is(typeof p.column, 'number');
  }
  t.regex(err.format(), /problems\.yaml:\d+:\d+: [A-Z_]+ /);
});

test('YAML: every problem is reported, each at its line:column', (t) => {
  const err = loadError((e) => e.loadRules(join(RULES, 'problems.yaml')));
  t.is(err.problems.length, 4);

  const action = byPath(err.problems, 'ruleset.rules[1].action');
  t.like(action, {
    code: 'UNKNOWN_ACTION',
    message: "unknown action: 'explode'",
    ruleId: 'bad_action',
    line: 7,
    column: 15,
  });

  const op = byPath(err.problems, 'ruleset.rules[2].conditions.and[1].op');
  t.like(op, { code: 'UNKNOWN_OP', message: "unknown operator: 'bogus'", ruleId: 'bad_op', line: 14, column: 17 });

  // A missing key points at the mapping that lacks it.
  const missing = err.problems.find((p) => p.code === 'YAML_SYNTAX_ERROR');
  t.truthy(missing);
  t.is(missing?.line, 16);
  t.is(missing?.column, 7);
  t.regex(missing?.message ?? '', /id/);

  // A problem inside a sql: string points at the offending token inside the scalar.
  const sql = err.problems.find((p) => p.sqlOffset !== undefined);
  t.truthy(sql);
  t.is(sql?.code, 'UNKNOWN_OP');
  t.is(sql?.ruleId, 'bad_sql');
  t.is(sql?.line, 20);
  t.is(sql?.column, 15 + (sql?.sqlOffset ?? 0));
});

test('JSON: problems located at line:column', (t) => {
  const err = loadError((e) => e.loadRules(join(RULES, 'problems.json')));
  const op = byPath(err.problems, 'ruleset.rules[1].conditions.op');
  t.like(op, { code: 'UNKNOWN_OP', ruleId: 'b', line: 6, column: 48 });
  const dup = err.problems.find((p) => p.code === 'DUPLICATE_RULE_ID');
  t.truthy(dup);
  t.is(dup?.message, 'duplicate rule id: a');
  t.is(dup?.line, 7);
});

test('YAML syntax errors: YAML_SYNTAX_ERROR with line and column', (t) => {
  const err = loadError((e) => e.loadRules(join(RULES, 'syntax.yaml')));
  t.is(err.code, 'YAML_SYNTAX_ERROR');
  t.is(err.line, 5);
  t.is(err.column, 5);
  const inline = loadError((e) => e.loadRulesFromString('ruleset:\n  rules: [\n    - id: x\n  bad: : :\n'));
  t.is(inline.code, 'YAML_SYNTAX_ERROR');
  t.is(typeof inline.line, 'number');
  t.is(inline.file, undefined);
});

test('JSON syntax errors: YAML_SYNTAX_ERROR with line and column', (t) => {
  const err = loadError((e) => e.loadRules(join(RULES, 'syntax.json')));
  t.is(err.code, 'YAML_SYNTAX_ERROR');
  t.is(err.line, 4);
  t.is(err.column, 18);
  t.regex(err.message, /^invalid JSON: trailing comma$/);
  const text = loadError((e) => e.loadRulesFromString('{"ruleset": }', 'json'));
  t.is(text.line, 1);
  t.is(text.column, 13);
});

test('rules from a string are located too', (t) => {
  const yaml =
    'ruleset:\n  rules:\n    - id: a\n      severity: apocalyptic\n      conditions: {field: x, op: gt, value: 1}\n';
  const err = loadError((e) => e.loadRulesFromString(yaml));
  t.like(err, { code: 'UNKNOWN_SEVERITY', ruleId: 'a', path: 'ruleset.rules[0].severity', line: 4, column: 17 });
});

test('a missing rules file is a RulesError naming the file', (t) => {
  const file = join(RULES, 'nope.yaml');
  const err = loadError((e) => e.loadRules(file));
  t.is(err.file, file);
  t.regex(err.message, /cannot read rules file/);
});

test('deeply nested conditions: UNKNOWN_OP nesting limit, not a crash', (t) => {
  let cond = '{field: x, op: gt, value: 1}';
  for (let i = 0; i < 200; i++) cond = `{and: [${cond}]}`;
  const err = loadError((e) => e.loadRulesFromString(`rules:\n  - id: deep\n    conditions: ${cond}\n`));
  t.is(err.code, 'UNKNOWN_OP');
  t.regex(err.message, /nesting too deep/);
  let json = '{"field":"x","op":"gt","value":1}';
  for (let i = 0; i < 200; i++) json = `{"and":[${json}]}`;
  const jerr = loadError((e) => e.loadRulesFromString(`{"rules":[{"id":"deep","conditions":${json}}]}`, 'json'));
  t.is(jerr.code, 'UNKNOWN_OP');
  const absurd = '['.repeat(100_000) + ']'.repeat(100_000);
  t.is(loadError((e) => e.loadRulesFromString(absurd, 'json')).code, 'YAML_SYNTAX_ERROR');
  t.is(loadError((e) => e.loadRulesFromString(absurd, 'yaml')).code, 'YAML_SYNTAX_ERROR');
});

test('an alias bomb is rejected', (t) => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  let prev = 'a';
  for (const name of ['b', 'c', 'd', 'e', 'f', 'g', 'h']) {
    lines.push(
      `${name}: &${name} [*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev},*${prev}]`,
    );
    prev = name;
  }
  const err = loadError((e) => e.loadRulesFromString(lines.join('\n')));
  t.is(err.code, 'YAML_SYNTAX_ERROR');
});

test('YAML numbers keep their spelling for set values; big integers stay exact', (t) => {
  const e = new RuleEngine();
  e.loadRulesFromString(`
fields:
  code: {type: categorical}
  flags: {type: int64}
rules:
  - id: code_one_point_o
    conditions: {field: code, op: in, values: [1.0]}
  - id: high_bit
    conditions: {field: flags, op: flags_any, mask: 4611686018427387904}
`);
  const r = e.evaluateNdjsonSync('{"code":"1.0"}\n{"code":"1"}\n{"flags":4611686018427387904}\n{"flags":1}\n');
  t.deepEqual(r.winningRuleIds, ['code_one_point_o', '', 'high_bit', '']);
});
