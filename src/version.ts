/** Package metadata. */
import { readFileSync } from 'node:fs';
import * as path from 'node:path';

function readVersion(): string {
  try {
    const pkg: unknown = JSON.parse(readFileSync(path.join(__dirname, '..', 'package.json'), 'utf8'));
    if (pkg !== null && typeof pkg === 'object' && 'version' in pkg && typeof pkg.version === 'string')
      return pkg.version;
  } catch {
    // fall through
  }
  return '0.0.0';
}

/** The package version. */
export const version: string = readVersion();

/** The rules.yaml format this engine reads (BlazeRules 0.2 – 0.5.4 semantics). */
export const ruleYamlCompatibility = '2.x';
