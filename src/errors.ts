/** Errors thrown by the package. */
import { ERROR_CODES } from './generated/error-codes';
import type { ErrorCode, RulesErrorCode } from './generated/error-codes';

/** The code of a rules problem: the Rules family, or a rules file that could not be read
 * (IO_ERROR: missing, unreadable, not a regular file; FILE_TOO_LARGE: over maxRulesFileBytes). */
export type RulesProblemCode = RulesErrorCode | 'IO_ERROR' | 'FILE_TOO_LARGE';

/** One problem in a rules document, located in its source file when it has one. */
export interface RulesProblem {
  /** BlazeRules code (the Rust `ErrorCode`'s Rules family, or a file's reading error). */
  code: RulesProblemCode;
  message: string;
  /** The id of the rule the problem is in, if known. */
  ruleId?: string;
  /** Document path, e.g. `ruleset.rules[3].conditions.and[1].op` ("" = the whole document). */
  path: string;
  /** 1-based line and column in `file` (or in the string that was loaded). */
  line?: number;
  column?: number;
  /** The rules file, for `loadRules(path)`. */
  file?: string;
  /** For problems inside a `sql:` string: the 0-based byte offset within that string. */
  sqlOffset?: number;
}

/** Formats a problem as `file:line:column: CODE message`. */
export function formatProblem(p: RulesProblem, fallbackFile = '<rules>'): string {
  const file = p.file ?? fallbackFile;
  const where = `${file}:${p.line ?? 0}:${p.column ?? 0}`;
  return `${where}: ${p.code} ${p.message}`;
}

/** A rules document that could not be loaded. `problems` holds every problem found; the
 * other fields describe the first one. The previously loaded rules stay active. */
export class RulesError extends Error {
  readonly code: RulesProblemCode;
  readonly ruleId: string | undefined;
  readonly path: string;
  readonly line: number | undefined;
  readonly column: number | undefined;
  readonly file: string | undefined;
  readonly sqlOffset: number | undefined;
  readonly problems: readonly RulesProblem[];

  constructor(problems: RulesProblem[]) {
    const first: RulesProblem = problems[0] ?? { code: 'YAML_SYNTAX_ERROR', message: 'invalid rules', path: '' };
    super(first.message);
    this.name = 'RulesError';
    this.code = first.code;
    this.ruleId = first.ruleId;
    this.path = first.path;
    this.line = first.line;
    this.column = first.column;
    this.file = first.file;
    this.sqlOffset = first.sqlOffset;
    this.problems = problems.length > 0 ? problems : [first];
  }

  /** Every problem as `file:line:column: CODE message`, one per line. */
  format(fallbackFile = '<rules>'): string {
    return this.problems.map((p) => formatProblem(p, fallbackFile)).join('\n');
  }
}

/** A batch that could not be evaluated at all (e.g. MALFORMED_JSON in 'fail' ingest mode,
 * an unreadable file, no rules loaded). Bad records alone never cause it. */
export class BlazeRulesError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.name = 'BlazeRulesError';
    this.code = code;
  }
}

/** A code text from the native addon. It writes only the texts of the Rust `ErrorCode`
 * (crates/blazerules-core/src/error.rs, from which `ErrorCode` here is generated); which
 * family a call's codes belong to is the caller's knowledge of that call. */
export function nativeCode<C extends ErrorCode>(text: string): C {
  return text as C;
}

const CODED = /^\[([A-Z0-9_]+)\] ([\s\S]*)$/;

/** Turns an error thrown by the native addon (`[CODE] message`) into a BlazeRulesError. */
export function fromNative(err: unknown): Error {
  if (err instanceof Error) {
    const m = CODED.exec(err.message);
    if (m && m[1] !== undefined && m[2] !== undefined) {
      if ((ERROR_CODES as readonly string[]).includes(m[1])) return new BlazeRulesError(nativeCode(m[1]), m[2]);
    }
    return err;
  }
  return new BlazeRulesError('INTERNAL_ERROR', String(err));
}
