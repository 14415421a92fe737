/**
 * Rules bundles (service.md §3): one JSON message `{ "format": "yaml"|"json", "rules": "<text>",
 * "lookups": { "<path as named in the rules>": "<csv text>" } }` carries a rules text and
 * every lookup file it names, so that a follower never reads lookups from its own disk.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { RulesError } from '../errors';
import { native } from '../native';
import type { RulesBundle } from './types';

/** A bundle that is not one: YAML_SYNTAX_ERROR at `bundle.<key>`, in `source`. */
function bad(source: string, key: string, message: string): RulesError {
  const at = key === '' ? 'bundle' : `bundle.${key}`;
  return new RulesError([{ code: 'YAML_SYNTAX_ERROR', message: `rules bundle: ${message}`, path: at, file: source }]);
}

/** Reads a bundle message; throws a RulesError saying what is wrong with it. */
export function parseBundle(value: Buffer, source: string): RulesBundle {
  let doc: unknown;
  try {
    doc = JSON.parse(value.toString('utf8'));
  } catch (err) {
    throw bad(source, '', `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) throw bad(source, '', 'not a JSON object');
  const { format, rules, lookups } = doc as Record<string, unknown>;
  if (format !== 'yaml' && format !== 'json') throw bad(source, 'format', "format must be 'yaml' or 'json'");
  if (typeof rules !== 'string') throw bad(source, 'rules', 'rules must be the rules text (a string)');
  const texts: Record<string, string> = {};
  if (lookups !== undefined && lookups !== null) {
    if (typeof lookups !== 'object' || Array.isArray(lookups))
      throw bad(source, 'lookups', 'lookups must be an object');
    for (const [name, text] of Object.entries(lookups)) {
      if (typeof text !== 'string') throw bad(source, `lookups.${name}`, `lookup '${name}' must be its CSV text`);
      texts[name] = text;
    }
  }
  return { format, rules, lookups: texts };
}

/** The lookup texts of a bundle as the native loader takes them. */
export function lookupBuffers(bundle: RulesBundle): Record<string, Buffer> {
  const out: Record<string, Buffer> = {};
  for (const [name, text] of Object.entries(bundle.lookups)) out[name] = Buffer.from(text, 'utf8');
  return out;
}

/** The format of a rules file, by its extension (as `loadRules`). */
export function formatOf(file: string): 'yaml' | 'json' {
  return path.extname(file).toLowerCase() === '.json' ? 'json' : 'yaml';
}

/** The lookup files a rules text names: each path as written and as resolved against `dir`. */
export function namedLookups(text: Buffer, format: 'yaml' | 'json', dir: string): { named: string; file: string }[] {
  return native.rulesLookupPaths(text, format).map((l) => ({ named: l.path, file: path.resolve(dir, l.path) }));
}

/** A rules file and every lookup file it names, as a bundle (lookups read from disk). The
 * rules are not checked here: load them first. */
export function bundleFile(file: string, text: Buffer): RulesBundle {
  const format = formatOf(file);
  const lookups: Record<string, string> = {};
  for (const l of namedLookups(text, format, path.dirname(path.resolve(file)))) {
    lookups[l.named] = fs.readFileSync(l.file, 'utf8');
  }
  return { format, rules: text.toString('utf8'), lookups };
}
