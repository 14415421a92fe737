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
