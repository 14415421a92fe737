/**
 * Rules documents. The native loader reads YAML and JSON text itself, in one pass, and places
 * every problem at its line:column. A YAML text its parser refuses is read again here by the
 * reference parser (the `yaml` package), whose error messages are the documented ones: the
 * text → JSON conversion and document paths (`ruleset.rules[3].conditions.and[1].op`) →
 * line:column below serve that path.
 */
import { LineCounter, parseDocument, isAlias, isMap, isPair, isScalar, isSeq } from 'yaml';
import type { Document, Node as YamlNode, Scalar } from 'yaml';

import { nativeCode } from './errors';
import type { RulesProblem } from './errors';
import type { NativeProblem, NativeRuleSet } from './native';

/** How the native loader is given a text: as written, or as JSON converted from YAML here. */
export type NativeFormat = 'yaml' | 'json' | 'converted';

/** The native loader: UTF-8 text (a BOM is dropped) → the rule set or its problems. */
export type NativeLoad = (text: Buffer, format: NativeFormat) => NativeRuleSet | NativeProblem[];

/** Texts up to this many bytes that the native YAML parser refuses are read again by the
 * reference parser, to word the error as it does (or to load what only it reads). Longer ones
 * report the native parser's error: the reference parser takes ~100 times the text in memory. */
const REFERENCE_MAX_BYTES = 1 << 20;

/**
 * Loads a rules text (UTF-8 bytes) with `load`: the rule set, or every problem with its
 * line:column.
 */
export function readRules(source: Buffer, format: 'yaml' | 'json', load: NativeLoad): NativeRuleSet | RulesProblem[] {
  const result = load(source, format);
  if (!Array.isArray(result)) return result;
  const refused = result.length === 1 && result[0]?.unreadable === true;
  if (format === 'yaml' && refused && source.length <= REFERENCE_MAX_BYTES) {
    const text = source.toString('utf8');
    const again = referenceRead(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text, load);
    if (again !== undefined) return again;
  }
  return result.map((p) => toProblem(p, undefined));
}

/** The reference parser's reading: its syntax errors, or the document loaded from it
 * (undefined if it has no error either, but cannot read the text). */
function referenceRead(source: string, load: NativeLoad): NativeRuleSet | RulesProblem[] | undefined {
  const converted = yamlToJson(source);
  if ('problems' in converted)
    return converted.problems.some((p) => p.line !== undefined) ? converted.problems : undefined;
  const result = load(Buffer.from(converted.json, 'utf8'), 'converted');
  if (!Array.isArray(result)) return result;
  return result.map((p) => toProblem(p, converted.index));
}

/** A native problem as a RulesProblem, located by `index` when the native loader could not. */
function toProblem(p: NativeProblem, index: SourceIndex | undefined): RulesProblem {
  const out: RulesProblem = { code: nativeCode(p.code), message: p.message, path: p.path };
  if (p.ruleId !== undefined && p.ruleId !== null) out.ruleId = p.ruleId;
  if (p.sqlOffset !== undefined && p.sqlOffset !== null) out.sqlOffset = p.sqlOffset;
  if (p.line !== undefined && p.line !== null) {
    out.line = p.line;
    out.column = p.column ?? 1;
  } else if (index !== undefined) {
    const pos = locate(index, p.path, out.sqlOffset);
    if (pos !== undefined) {
      out.line = pos.line;
      out.column = pos.column;
    }
  }
  return out;
}

/** A parsed source text that can locate document paths. */
export interface SourceIndex {
  doc: Document.Parsed;
  lines: LineCounter;
  text: string;
}

/** Nodes reached through aliases beyond this many mean an alias bomb. */
const MAX_EXPANDED_NODES = 200_000;
/** Deeper documents are rejected before they reach the native loader. */
const MAX_DEPTH = 1000;
/** Flow collections (`[`, `{`) nested deeper than this are rejected before parsing: the `yaml`
 * package exhausts memory on a few thousand levels. Brackets are counted naively (inside
 * strings too), which only matters for documents no rules file resembles. */
const MAX_FLOW_DEPTH = 512;
/** Compact block sequences on one line (`- - - x`) deeper than this are rejected too. */
const MAX_COMPACT_DEPTH = 512;

/** The problem of text nested deeper than the YAML parser is safe with, at line:column. */
function tooDeep(line: number, column: number): RulesProblem {
  return { code: 'YAML_SYNTAX_ERROR', message: 'document nesting too deep', path: '', line, column };
}

/** A YAML_SYNTAX_ERROR if the text nests too deep for the YAML parser to be safe. */
function depthProblem(text: string): RulesProblem | undefined {
  let depth = 0;
  let line = 1;
  let lineStart = 0;
  let compact = 0;
  let atLineStart = true;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 10) {
      line++;
      lineStart = i + 1;
      compact = 0;
      atLineStart = true;
      continue;
    }
    if (atLineStart) {
      if (c === 45 /* - */ && (text.charCodeAt(i + 1) === 32 || text.charCodeAt(i + 1) === 9)) {
        if (++compact > MAX_COMPACT_DEPTH) {
          return tooDeep(line, i - lineStart + 1);
        }
        continue;
      }
      if (c !== 32 && c !== 9) atLineStart = false;
    }
    if (c === 91 /* [ */ || c === 123 /* { */) {
      if (++depth > MAX_FLOW_DEPTH) {
        return tooDeep(line, i - lineStart + 1);
      }
    } else if ((c === 93 /* ] */ || c === 125) /* } */ && depth > 0) {
      depth--;
    }
  }
  return undefined;
}

const JSON_NUMBER = /^-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?$/;

function parseYaml(text: string): { index: SourceIndex; problems: RulesProblem[] } {
  const tooDeep = depthProblem(text);
  if (tooDeep !== undefined) throw new DepthError(tooDeep);
  const lines = new LineCounter();
  const doc = parseDocument(text, {
    lineCounter: lines,
    prettyErrors: false,
    intAsBigInt: true,
    uniqueKeys: false,
    keepSourceTokens: false,
  });
  const problems: RulesProblem[] = doc.errors.map((e) => {
    const pos = lines.linePos(e.pos[0]);
    return {
      code: 'YAML_SYNTAX_ERROR',
      message: e.message.split('\n')[0] ?? e.message,
      path: '',
      line: pos.line,
      column: pos.col,
    };
  });
  return { index: { doc, lines, text }, problems };
}

interface ConvertState {
  expanded: number;
  lines?: LineCounter;
}

class ConvertError extends Error {
  /** Where in the source text, when known. */
  constructor(
    message: string,
    readonly offset?: number,
  ) {
    super(message);
  }
}

class DepthError extends Error {
  constructor(readonly problem: RulesProblem) {
    super(problem.message);
  }
}

/**
 * Serialises a YAML node as JSON text. Numbers keep their source spelling when it is valid
 * JSON (`1.0` stays `1.0`, as BlazeRules reads list items as their YAML text); integers are
 * exact (BigInt). A key repeated in one mapping is an error naming both places (BlazeRules'
 * yaml-cpp would silently take the first).
 */
function nodeToJson(
  node: unknown,
  doc: Document.Parsed,
  state: ConvertState,
  depth: number,
  viaAlias: boolean,
): string {
  if (depth > MAX_DEPTH) throw new ConvertError(`document nesting too deep (limit ${MAX_DEPTH})`);
  if (viaAlias && ++state.expanded > MAX_EXPANDED_NODES) {
    throw new ConvertError('too many alias expansions in the rules document');
  }
  if (node === null || node === undefined) return 'null';
  if (isAlias(node)) {
    const target = node.resolve(doc);
    if (target === undefined) throw new ConvertError(`unresolved alias *${node.source}`, offsetOf(node));
    return nodeToJson(target, doc, state, depth + 1, true);
  }
  if (isScalar(node)) return scalarToJson(node);
  if (isMap(node)) {
    const seen = new Map<string, unknown>();
    const parts: string[] = [];
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const key = keyText(pair.key, doc);
      if (seen.has(key)) throw repeatedKey(key, seen.get(key), pair.key, state);
      seen.set(key, pair.key);
      parts.push(`${JSON.stringify(key)}:${nodeToJson(pair.value, doc, state, depth + 1, viaAlias)}`);
    }
    return `{${parts.join(',')}}`;
  }
  if (isSeq(node)) {
    const parts = node.items.map((item) => nodeToJson(item, doc, state, depth + 1, viaAlias));
    return `[${parts.join(',')}]`;
  }
  if (isPair(node)) {
    // A single-pair item in a flow sequence (`[a: 1]`): a one-key map.
    const key = keyText(node.key, doc);
    return `{${JSON.stringify(key)}:${nodeToJson(node.value, doc, state, depth + 1, viaAlias)}}`;
  }
  throw new ConvertError('unsupported YAML node');
}

/** Where a node starts in the source text. */
function offsetOf(node: unknown): number | undefined {
  const range = (node as YamlNode | null)?.range;
  return range === undefined || range === null ? undefined : range[0];
}

function repeatedKey(key: string, first: unknown, again: unknown, state: ConvertState): ConvertError {
  const at = offsetOf(first);
  const pos = at !== undefined ? state.lines?.linePos(at) : undefined;
  const where = pos !== undefined ? ` (first at line ${pos.line}, column ${pos.col})` : '';
  return new ConvertError(`duplicate key ${JSON.stringify(key)}${where}`, offsetOf(again));
}

function scalarToJson(node: Scalar): string {
  const v: unknown = node.value;
  switch (typeof v) {
    case 'string':
      return JSON.stringify(v);
    case 'bigint':
      // Beyond 64 bits: the digits as a string, as the native reader keeps them (an id
      // keeps every digit; numeric reads still take it as a number).
      return BigInt.asIntN(64, v) === v || BigInt.asUintN(64, v) === v ? v.toString() : JSON.stringify(v.toString());
    case 'number': {
      const src = typeof node.source === 'string' ? node.source : '';
      if (node.type === 'PLAIN' && JSON_NUMBER.test(src)) return src;
      if (Number.isFinite(v)) return JSON.stringify(v);
      return JSON.stringify(src !== '' ? src : String(v));
    }
    case 'boolean':
      return v ? 'true' : 'false';
    case 'undefined':
      return 'null';
    case 'object':
      if (v === null) return 'null';
      return JSON.stringify(typeof node.source === 'string' ? node.source : String(v));
    default:
      return JSON.stringify(String(v));
  }
}

function keyText(key: unknown, doc: Document.Parsed): string {
  if (key === null || key === undefined) return '';
  if (isScalar(key)) {
    const v: unknown = key.value;
    if (typeof v === 'string') return v;
    if (v === null || v === undefined) return typeof key.source === 'string' ? key.source : '';
    if (typeof key.source === 'string' && key.type === 'PLAIN') return key.source;
    return String(v);
  }
  if (isAlias(key)) return keyText(key.resolve(doc), doc);
  return nodeToJson(key, doc, { expanded: 0 }, 0, false);
}

/** YAML text → JSON text, or YAML_SYNTAX_ERROR problems with line/column. */
export function yamlToJson(text: string): { json: string; index: SourceIndex } | { problems: RulesProblem[] } {
  let parsed: { index: SourceIndex; problems: RulesProblem[] };
  try {
    parsed = parseYaml(text);
  } catch (err) {
    if (err instanceof DepthError) return { problems: [err.problem] };
    return { problems: [{ code: 'YAML_SYNTAX_ERROR', message: syntaxMessage(err), path: '' }] };
  }
  if (parsed.problems.length > 0) return { problems: parsed.problems };
  try {
    const { doc, lines } = parsed.index;
    const json = nodeToJson(doc.contents, doc, { expanded: 0, lines }, 0, false);
    return { json, index: parsed.index };
  } catch (err) {
    const problem: RulesProblem = { code: 'YAML_SYNTAX_ERROR', message: syntaxMessage(err), path: '' };
    if (err instanceof ConvertError && err.offset !== undefined) {
      const pos = parsed.index.lines.linePos(err.offset);
      problem.line = pos.line;
      problem.column = pos.col;
    }
    return { problems: [problem] };
  }
}

function syntaxMessage(err: unknown): string {
  if (err instanceof RangeError) return 'document nesting too deep';
  return err instanceof Error ? err.message : String(err);
}

type Segment = { key: string } | { index: number };

interface Located {
  /** The deepest node found along the path. */
  node: YamlNode | null;
  /** True if the whole path was found. */
  complete: boolean;
}

/** Walks a document path (`a.b[2].c`, keys may themselves contain dots) through the YAML tree. */
function walk(index: SourceIndex, path: string): Located {
  let node: unknown = index.doc.contents;
  let pos = 0;
  if (path.startsWith('$')) pos = 1;
  let last: YamlNode | null = (node as YamlNode | null) ?? null;
  while (pos < path.length) {
    if (isAlias(node)) node = node.resolve(index.doc);
    if (path[pos] === '.') pos += 1;
    if (path[pos] === '[') {
      const close = path.indexOf(']', pos);
      if (close < 0) return { node: last, complete: false };
      const inner = path.slice(pos + 1, close);
      let seg: Segment;
      if (/^\d+$/.test(inner)) seg = { index: Number(inner) };
      else seg = { key: inner.replace(/^["']|["']$/g, '') };
      pos = close + 1;
      const next = step(node, seg, index);
      if (next === undefined) return { node: last, complete: false };
      node = next;
      if (next !== null && typeof next === 'object') last = next as YamlNode;
      continue;
    }
    // A key: the longest key of this mapping that the path continues with.
    if (!isMap(node)) return { node: last, complete: false };
    let best: { len: number; value: unknown } | undefined;
    for (const pair of node.items) {
      if (!isPair(pair)) continue;
      const k = keyText(pair.key, index.doc);
      if (k.length === 0 || !path.startsWith(k, pos)) continue;
      const after = path[pos + k.length];
      if (after !== undefined && after !== '.' && after !== '[') continue;
      if (best === undefined || k.length > best.len) best = { len: k.length, value: pair.value };
    }
    if (best === undefined) return { node: last, complete: false };
    pos += best.len;
    node = best.value;
    if (node !== null && typeof node === 'object') last = node as YamlNode;
    else return { node: last, complete: pos >= path.length };
  }
  return { node: last, complete: true };
}

function step(node: unknown, seg: Segment, index: SourceIndex): unknown {
  if ('index' in seg) {
    if (!isSeq(node)) return undefined;
    return seg.index < node.items.length ? node.items[seg.index] : undefined;
  }
  if (!isMap(node)) return undefined;
  for (const pair of node.items) {
    if (isPair(pair) && keyText(pair.key, index.doc) === seg.key) return pair.value;
  }
  return undefined;
}

/** The 1-based line/column of a document path (the parent mapping for a missing key), with a
 * byte offset inside the scalar for `sql:` problems. */
function locate(index: SourceIndex, path: string, sqlOffset?: number): { line: number; column: number } | undefined {
  const found = walk(index, path);
  const node = found.node;
  if (node === null || node.range === undefined || node.range === null) return undefined;
  let offset = node.range[0];
  if (found.complete && sqlOffset !== undefined && isScalar(node)) {
    return locateInScalar(index, node, sqlOffset);
  }
  if (!found.complete && isMap(node) && node.items.length > 0) {
    // Point at the mapping's first key rather than at the indentation before it.
    const first = node.items[0];
    if (isPair(first) && isScalar(first.key) && first.key.range) offset = first.key.range[0];
  }
  const pos = index.lines.linePos(offset);
  return { line: pos.line, column: pos.col };
}

function locateInScalar(
  index: SourceIndex,
  node: Scalar,
  sqlOffset: number,
): { line: number; column: number } | undefined {
  const range = node.range;
  if (!range) return undefined;
  const start = range[0];
  const value = typeof node.value === 'string' ? node.value : String(node.value);
  // The byte offset within the UTF-8 value → a UTF-16 index into `value`.
  const charIndex = Buffer.from(value, 'utf8').subarray(0, sqlOffset).toString('utf8').length;
  if (node.type === 'BLOCK_LITERAL' || node.type === 'BLOCK_FOLDED') {
    const headerLine = index.lines.linePos(start).line;
    const before = value.slice(0, charIndex);
    const lineDelta = before.split('\n').length - 1;
    const colInLine = charIndex - (before.lastIndexOf('\n') + 1);
    const firstContent = index.lines.lineStarts[headerLine];
    let indent = 0;
    if (firstContent !== undefined) {
      while (index.text[firstContent + indent] === ' ') indent += 1;
    }
    return { line: headerLine + 1 + lineDelta, column: indent + colInLine + 1 };
  }
  const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE' ? 1 : 0;
  const pos = index.lines.linePos(start + quoted + charIndex);
  return { line: pos.line, column: pos.col };
}
