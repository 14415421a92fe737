/**
 * Rules for the live-rules tests (hot reload, rules topic, metrics): a small rule set whose
 * decisions change with its version, a lookup file, bad variants, and records.
 */
import { mkdirSync, mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { RuleEngine } from '../../src/index';

/** A rules text of version `version`: `big` blocks amounts over a threshold that depends on
 * the version (so two versions decide differently), `listed` reviews users in blocked.csv. */
export function rulesText(version: string, threshold = 100 + (hash(version) % 800)): string {
  return [
    'lookups:',
    '  blocked: {type: string_set, path: lists/blocked.csv}',
    'ruleset:',
    '  name: live-test',
    `  version: "${version}"`,
    '  rules:',
    '    - id: big',
    '      action: block',
    `      conditions: {field: amount, op: gt, value: ${threshold}}`,
    '    - id: listed',
    '      action: review',
    '      conditions: {field: user, op: in_lookup, lookup: blocked}',
    '',
  ].join('\n');
}

/** A rules text that does not load (an unknown operator), of version `version`. */
export function badRulesText(version: string): string {
  return rulesText(version).replace('op: gt', 'op: no_such_op');
}

function hash(s: string): number {
  let h = 7;
  for (const c of s) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  return h;
}

/** A directory with rules.yaml (version `version`) and lists/blocked.csv. */
export function rulesDir(version: string, blocked: readonly string[] = ['mallory']): { dir: string; file: string } {
  const dir = mkdtempSync(join(tmpdir(), 'blazerules-live-'));
  writeAtomically(join(dir, 'lists', 'blocked.csv'), lookupText(blocked));
  const file = join(dir, 'rules.yaml');
  writeAtomically(file, rulesText(version));
  return { dir, file };
}

export function lookupText(blocked: readonly string[]): string {
  return `value\n${blocked.join('\n')}\n`;
}

/** Writes `text` as editors save: a new file renamed over the old one. */
export function writeAtomically(file: string, text: string): void {
  mkdirSync(join(file, '..'), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** `n` records: amounts 0..999 spread over the range, users a few of whom are blocked. */
export function records(n: number): string {
  const users = ['alice', 'bob', 'mallory', 'carol', 'eve'];
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(JSON.stringify({ amount: (i * 37) % 1000, user: users[i % users.length] }));
  return `${lines.join('\n')}\n`;
}

/** The decisions rules of `version` give `payload` (a reference engine of their own). */
export function expectedDecisions(text: string, dir: string, payload: string): string[] {
  const e = new RuleEngine();
  e.loadRulesFromString(text, 'yaml', dir);
  return e.evaluateNdjsonSync(payload).decisions;
}
