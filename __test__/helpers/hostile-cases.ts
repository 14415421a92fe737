/**
 * Generated hostile inputs (issue 13's acceptance): records and rules files, each with the
 * outcome the engine must give. Deterministic: every choice comes from a seeded generator, so
 * the same cases come out on every run.
 *
 * Records are checked against `RECORD_RULES`; a decided record's expected label comes either
 * from the case itself or from `oracle`, which reads the record with `JSON.parse` (the reading
 * README and docs/compatibility.md promise: numbers as JSON.parse reads them, the last
 * repeated key wins).
 */
import type { RecordErrorCode, RulesProblemCode } from '../../src/index';

/** mulberry32: a small seeded generator, the same sequence on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One element of `items`, chosen by `rnd`. */
export function pick<T>(rnd: () => number, items: readonly T[]): T {
  const item = items[Math.floor(rnd() * items.length)];
  if (item === undefined) throw new Error('pick from an empty list');
  return item;
}

// ---------------------------------------------------------------------------------- records

/** The rules every record case is evaluated with (what `oracle` computes). */
export const RECORD_RULES = `ruleset:
  name: hostile
  version: "h1"
  rules:
    - {id: big, action: block, weight: 50, conditions: {field: amount, op: gt, value: 10000}}
    - {id: limit, action: block, weight: 40, conditions: {field: card.limit, op: lt, value: -5000}}
    - {id: bin, action: review, weight: 20, conditions: {field: card.bin, op: eq, value: "b999"}}
    - {id: kp, action: review, weight: 10, conditions: {field: country, op: in, values: [KP, IR]}}
`;

/** Records longer than this are skipped as RECORD_TOO_LARGE in the suite's engines. */
export const MAX_RECORD_BYTES = 1 << 20;

/** What a record gets: a decision (with the DUPLICATE_KEY warnings' keys), a skip with its
 * code, or nothing at all (a blank line or an empty message, which is not a row). */
export type RecordOutcome =
  | { kind: 'decided'; decision: string; warnings?: readonly string[] }
  | { kind: 'skipped'; code: RecordErrorCode; message?: RegExp }
  | { kind: 'blank' };

export interface RecordCase {
  name: string;
  /** The record's bytes: one NDJSON line (no newline), one message, one array element. */
  bytes: Buffer;
  expect: RecordOutcome;
  /** The outcome with `duplicateKeys: 'reject'` (default: a record with warnings is skipped
   * as DUPLICATE_KEY, any other outcome is unchanged). */
  reject?: RecordOutcome;
  /** False if the bytes would break a JSON array's structure (truncated records, blanks). */
  inArray: boolean;
  /** The outcome as a JSON-array element, where it differs (whitespace around an element is
   * not part of it). */
  arrayExpect?: RecordOutcome;
  /** Set where the engine gives another outcome today: the bug, for test.failing. */
  bug?: string;
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

function isObject(v: unknown): v is { [k: string]: Json } {
  return v !== null && typeof v === 'object' && !Array.isArray(v);
}

/** A field as the engine resolves a dotted name: a literal top-level key first, else the path. */
function field(o: { [k: string]: Json }, name: string): Json | undefined {
  if (Object.hasOwn(o, name)) return o[name];
  let v: Json | undefined = o;
  for (const part of name.split('.')) v = isObject(v) ? v[part] : undefined;
  return v;
}

/** A numeric operator's operand: a number, or an array's first numeric element
 * (rules-reference §3.2); anything else satisfies no numeric comparison. */
function numeric(v: Json | undefined): number | undefined {
  if (typeof v === 'number') return v;
  if (Array.isArray(v)) return v.find((x): x is number => typeof x === 'number');
  return undefined;
}

/** A set operator's strings: a string, or an array's strings. */
function strings(v: Json | undefined): string[] {
  if (typeof v === 'string') return [v];
  if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  return [];
}

/** RECORD_RULES' decision for a record as JSON.parse reads it. */
export function oracle(text: string): string {
  const o: unknown = JSON.parse(text);
  if (!isObject(o)) throw new Error(`not an object: ${text}`);
  const amount = numeric(field(o, 'amount'));
  const limit = numeric(field(o, 'card.limit'));
  if ((amount !== undefined && amount > 10000) || (limit !== undefined && limit < -5000)) return 'BLOCK';
  const bin = field(o, 'card.bin');
  const countries = strings(field(o, 'country'));
  if (strings(bin).includes('b999') || countries.some((c) => c === 'KP' || c === 'IR')) return 'REVIEW';
  return 'APPROVE';
}

const MALFORMED = (message?: RegExp): RecordOutcome => ({ kind: 'skipped', code: 'MALFORMED_JSON', message });
const NOT_OBJECT = MALFORMED(/^record is not a JSON object$/);

/** A decided record, its label from the oracle. */
function decided(text: string, warnings?: readonly string[]): RecordOutcome {
  return { kind: 'decided', decision: oracle(text), ...(warnings ? { warnings } : {}) };
}

function textCase(name: string, text: string, expect: RecordOutcome, extra: Partial<RecordCase> = {}): RecordCase {
  return { name, bytes: Buffer.from(text, 'utf8'), expect, inArray: true, ...extra };
}

/** Number spellings: beyond 64 bits, beyond f64, at f64's edges, and just around 10000. */
export const NUMBER_SPELLINGS: readonly string[] = [
  '1e400',
  '-1e400',
  '1E+400',
  '-1E400',
  '1e-400',
  '-1e-400',
  '123456789012345678901234567890',
  '-123456789012345678901234567890',
  '18446744073709551616',
  '18446744073709551615',
  '9223372036854775808',
  '-9223372036854775809',
  '9007199254740993',
  '1.7976931348623157e308',
  '1.7976931348623159e308',
  '-1.7976931348623159e308',
  '4.9e-324',
  '2e-324',
  '0e400',
  `1${'0'.repeat(400)}`,
  `-1${'0'.repeat(400)}`,
  `0.${'0'.repeat(400)}1`,
  '100000000000000000000000000000e-25',
  '10000.000000000001',
  '10000.0000000000001',
  '-0',
  '1e4',
  '-5000.000000000001',
];

/** Where a number goes: fields the rules read (numeric, nested, string) and fields they don't. */
const NUMBER_PLACES: readonly [string, (n: string, rnd: () => number) => string][] = [
  ['amount', (n, rnd) => pick(rnd, [`{"amount":${n},"country":"US"}`, `{"country":"US","amount":${n}}`])],
  ['card.limit', (n) => `{"card":{"bin":"b1","limit":${n}},"amount":5}`],
  ['unread txn_id', (n, rnd) => `{"txn_id":${n},"amount":${pick(rnd, [5, 20000])}}`],
  ['unread nested', (n, rnd) => `{"amount":${pick(rnd, [5, 20000])},"meta":{"n":[1,${n},{"x":${n}}]}}`],
  ['string field', (n, rnd) => `{"country":${n},"amount":${pick(rnd, [5, 20000])}}`],
];

function numberCases(rnd: () => number): RecordCase[] {
  const out: RecordCase[] = [];
  for (const n of NUMBER_SPELLINGS)
    for (const [place, make] of NUMBER_PLACES) {
      const text = make(n, rnd);
      out.push(
        textCase(`number ${n.length > 24 ? `${n.slice(0, 12)}…(${n.length})` : n} in ${place}`, text, decided(text)),
      );
    }
  return out;
}

/** Number spellings JSON does not allow: a skip wherever they are, read or not. */
const BAD_NUMBERS: readonly string[] = [
  '01',
  '-01',
  '1.',
  '.5',
  '+1',
  '1e',
  '1e+',
  '-',
  '--1',
  'NaN',
  'Infinity',
  '-Infinity',
  '0x10',
  '1_000',
  '1.5.5',
  '1e5.5',
];

function badNumberCases(): RecordCase[] {
  return BAD_NUMBERS.flatMap((n) => [
    textCase(`bad number ${n} in amount`, `{"amount":${n}}`, MALFORMED()),
    textCase(`bad number ${n} in an unread field`, `{"amount":20000,"x":${n}}`, MALFORMED()),
  ]);
}

/** Repeated keys: the last wins (as JSON.parse), a warning for each repeat of a key the rules
 * read (or of an object holding one), none for keys they don't read. */
const DUPLICATES: readonly [string, string, readonly string[]][] = [
  ['amount low then high', '{"amount":5,"amount":20000}', ['amount']],
  ['amount high then low', '{"amount":20000,"amount":5}', ['amount']],
  ['amount three times', '{"amount":20000,"amount":1,"amount":30000}', ['amount', 'amount']],
  ['amount apart', '{"amount":5,"x":1,"country":"US","amount":20000}', ['amount']],
  ['amount through an escaped key', '{"amount":1,"am\\u006funt":20000}', ['amount']],
  ['country', '{"country":"KP","country":"US"}', ['country']],
  ['country to KP', '{"country":"US","country":"KP"}', ['country']],
  ['amount huge then small', '{"amount":1e400,"amount":5}', ['amount']],
  [
    'amount small then huge',
    '{"amount":5,"amount":-1e400,"amount":123456789012345678901234567890}',
    ['amount', 'amount'],
  ],
  ['card object replaced', '{"card":{"bin":"b999"},"card":{"x":1}}', ['card']],
  ['card object gains bin', '{"card":{"x":1},"card":{"bin":"b999"}}', ['card']],
  ['card.bin inside card', '{"card":{"bin":"1","bin":"b999"}}', ['card.bin']],
  ['card.limit inside card', '{"card":{"limit":-9000,"limit":1}}', ['card.limit']],
  ['card replaced by a string', '{"card":{"bin":"b999"},"card":"b999"}', ['card']],
  ['unread key', '{"x":1,"x":2,"amount":3}', []],
  ['unread key inside card', '{"card":{"z":1,"z":2,"bin":"b999"}}', []],
  ['read name under an unread object', '{"meta":{"amount":1,"amount":20000}}', []],
  ['unread key holding a huge number', '{"t":1e400,"t":-1e400,"amount":20000}', []],
  ['literal dotted key and nested path', '{"card.bin":"b999","card":{"bin":"x"}}', []],
  ['literal dotted key repeated', '{"card.bin":"x","card.bin":"b999"}', ['card.bin']],
];

function duplicateCases(): RecordCase[] {
  return DUPLICATES.map(([name, text, warnings]) =>
    textCase(`duplicate key: ${name}`, text, decided(text, warnings.length > 0 ? warnings : undefined)),
  );
}

/** The record truncation cuts: every proper prefix is malformed JSON. */
const FULL_RECORD =
  '{"amount":20000,"card":{"bin":"b999","limit":-1},"country":"KP","tags":["a","b\\"c"],"n":null,"t":true}';

function truncatedCases(rnd: () => number): RecordCase[] {
  const cuts = new Set<number>([1, 2, FULL_RECORD.length - 1]);
  while (cuts.size < 40) cuts.add(1 + Math.floor(rnd() * (FULL_RECORD.length - 1)));
  return [...cuts]
    .sort((a, b) => a - b)
    .map((k) =>
      textCase(
        `truncated at byte ${k}: ${JSON.stringify(FULL_RECORD.slice(Math.max(0, k - 8), k))}`,
        FULL_RECORD.slice(0, k),
        MALFORMED(),
        {
          inArray: false,
        },
      ),
    );
}

/** Byte sequences that are not UTF-8. */
const BAD_UTF8: readonly [string, number[]][] = [
  ['0xff', [0xff]],
  ['lone continuation 0x80', [0x80]],
  ['overlong "/" (c0 af)', [0xc0, 0xaf]],
  ['overlong NUL (e0 80 80)', [0xe0, 0x80, 0x80]],
  ['UTF-8 surrogate (ed a0 80)', [0xed, 0xa0, 0x80]],
  ['beyond U+10FFFF (f4 90 80 80)', [0xf4, 0x90, 0x80, 0x80]],
  ['truncated 3-byte (e2 82)', [0xe2, 0x82]],
  ['5-byte form (f8 88 80 80 80)', [0xf8, 0x88, 0x80, 0x80, 0x80]],
];

/** Where the bad bytes go (before, after). */
const UTF8_PLACES: readonly [string, string, string][] = [
  ['an unread value', '{"amount":20000,"note":"a', 'b"}'],
  ['a read value', '{"amount":5,"country":"K', 'P"}'],
  ['a key', '{"amount":20000,"k', '":1}'],
  ['between tokens', '{"amount":20000,', '"x":1}'],
];

function utf8Cases(): RecordCase[] {
  const out: RecordCase[] = [];
  for (const [what, bytes] of BAD_UTF8)
    for (const [where, before, after] of UTF8_PLACES) {
      const buf = Buffer.concat([Buffer.from(before), Buffer.from(bytes), Buffer.from(after)]);
      out.push({
        name: `invalid UTF-8 ${what} in ${where}`,
        bytes: buf,
        expect: MALFORMED(/^malformed json/),
        inArray: true,
      });
    }
  // Valid UTF-8 at the edges of the encoding is read.
  for (const [what, ch] of [
    ['an emoji', '\u{1f600}'],
    ['U+FEFF inside a string', '\ufeff'],
    ['U+2028', '\u2028'],
    ['U+FFFF', '\uffff'],
    ['U+10FFFF', '\u{10ffff}'],
    ['DEL 0x7f', '\u007f'],
  ] as const) {
    const text = `{"amount":20000,"note":"${ch}","country":"K${ch}P"}`;
    out.push(textCase(`valid UTF-8: ${what}`, text, decided(text)));
  }
  return out;
}

/** BOMs, NULs, control characters and whitespace JSON does not allow. */
function byteCases(): RecordCase[] {
  const m = MALFORMED(/^malformed json/);
  const cases: [string, string, RecordOutcome][] = [
    ['BOM before the record', '\ufeff{"amount":20000}', m],
    ['BOM between tokens', '{"amount":\ufeff20000}', m],
    ['BOM after the record', '{"amount":20000}\ufeff', m],
    ['BOM inside a string', '{"amount":20000,"s":"\ufeff"}', decided('{"amount":20000}')],
    ['NUL before the record', '\u0000{"amount":20000}', m],
    ['NUL after the record', '{"amount":20000}\u0000', m],
    ['raw NUL inside a string', '{"amount":20000,"s":"a\u0000b"}', m],
    ['raw NUL inside a key', '{"amount":20000,"a\u0000b":1}', m],
    ['escaped NUL in an unread string', '{"amount":20000,"s":"a\\u0000b"}', decided('{"amount":20000}')],
    ['escaped NUL inside the read value', '{"country":"K\\u0000P"}', decided('{"country":"K\\u0000P"}')],
    ['raw tab inside a string', '{"amount":20000,"s":"a\tb"}', m],
    ['raw 0x1f inside a string', '{"amount":20000,"s":"a\u001fb"}', m],
    ['raw newline-free CR inside a string', '{"amount":20000,"s":"a\rb"}', m],
    ['tab between tokens', '{"amount":\t20000}', decided('{"amount":20000}')],
    ['CR between tokens', '{"amount":\r20000}', decided('{"amount":20000}')],
    ['form feed between tokens', '{"amount":\f20000}', m],
    ['vertical tab between tokens', '{"amount":\u000b20000}', m],
    ['NBSP between tokens', '{"amount":\u00a020000}', m],
    ['trailing CR', '{"amount":20000}\r', decided('{"amount":20000}')],
    ['trailing spaces, tabs and CR', '{"amount":20000} \t \r', decided('{"amount":20000}')],
    ['leading spaces', '   {"amount":20000}', decided('{"amount":20000}')],
    ['invalid escape \\q', '{"amount":20000,"s":"\\q"}', m],
    ['short \\u escape', '{"amount":20000,"s":"\\u12"}', m],
    ['non-hex \\u escape', '{"amount":20000,"s":"\\uzzzz"}', m],
    ['surrogate pair', '{"amount":20000,"s":"\\ud83d\\ude00"}', decided('{"amount":20000}')],
  ];
  return cases.map(([name, text, expect]) => textCase(name, text, expect));
}

/** `\uXXXX` escapes of unpaired surrogates: valid JSON text (RFC 8259 §7's grammar allows
 * them; §8.2 only says their meaning is unpredictable), read by JSON.parse and decided by
 * BlazeRules 0.5.4. We read them as U+FFFD (docs/compatibility.md); a record is never dropped
 * (fail-open, as issue 13 item 3 for numbers) over such a string. */
function surrogateCases(): RecordCase[] {
  const escapes = [
    '\\ud800',
    '\\udbff',
    '\\udc00',
    '\\udfff',
    '\\ud800\\u0041',
    '\\ud800\\ud800',
    '\\udc00\\ud800',
    'abc\\ud83d',
  ];
  const out = escapes.map((s) => {
    const text = `{"amount":20000,"s":"${s}"}`;
    return textCase(`lone surrogate ${s} in an unread string`, text, decided(text));
  });
  const inKey = '{"\\ud800":1,"amount":20000}';
  out.push(textCase('lone surrogate in an unread key', inKey, decided(inKey)));
  const inRead = '{"amount":5,"country":"\\ud800"}';
  out.push(textCase('lone surrogate in the read string', inRead, decided(inRead)));
  return out;
}

/** Values of the wrong type in the fields the rules read: never a skip. */
const WRONG_TYPES: readonly string[] = [
  '{"amount":"20000"}',
  '{"amount":true}',
  '{"amount":null}',
  '{"amount":{"v":20000}}',
  '{"amount":[20000]}',
  '{"amount":[[20000]]}',
  '{"amount":["20000"]}',
  '{"amount":[1,20000]}',
  '{"amount":["x",20000]}',
  '{"amount":[]}',
  '{"amount":"1e400"}',
  '{"country":1}',
  '{"country":["x","KP"]}',
  '{"country":[["KP"]]}',
  '{"country":{"c":"KP"}}',
  '{"country":true}',
  '{"country":"kp"}',
  '{"card":"b999"}',
  '{"card":[{"bin":"b999"}]}',
  '{"card":null}',
  '{"card":{"bin":9999}}',
  '{"card":{"bin":["x","b999"]}}',
  '{"card":{"limit":"-9000"}}',
  '{"card":{"limit":[-1e400]}}',
  '{"card":{"limit":{"v":-9000}}}',
];

function wrongTypeCases(): RecordCase[] {
  return WRONG_TYPES.map((text) => textCase(`wrong type: ${text}`, text, decided(text)));
}

/** Nesting around simd-json's limit of 1024 levels (the record's own object is level 1). */
function nestingCases(): RecordCase[] {
  const arrays = (d: number) => `{"amount":20000,"x":${'['.repeat(d)}${']'.repeat(d)}}`;
  const objects = (d: number) => `{"amount":20000,"x":${'{"a":'.repeat(d)}1${'}'.repeat(d)}}`;
  const deep = MALFORMED(/^malformed json: at byte \d+: nesting deeper than 1024$/);
  const cases: [string, string, RecordOutcome][] = [
    ['1024 levels of arrays', arrays(1023), decided('{"amount":20000}')],
    ['1025 levels of arrays', arrays(1024), deep],
    ['1024 levels of objects', objects(1023), decided('{"amount":20000}')],
    ['1025 levels of objects', objects(1024), deep],
    ['100000 levels of arrays', arrays(100_000), deep],
    ['100000 levels of objects', objects(100_000), deep],
    ['1025 levels inside the read field', `{"amount":${'['.repeat(1024)}20000${']'.repeat(1024)}}`, deep],
    ['unbalanced: 2000 opening brackets', `{"amount":20000,"x":${'['.repeat(2000)}}`, deep],
    ['unbalanced: closing brackets', `{"amount":20000,"x":1]]]]}`, MALFORMED()],
  ];
  return cases.map(([name, text, expect]) =>
    textCase(`nesting: ${name}`, text, expect, { inArray: !name.startsWith('unbalanced') }),
  );
}

/** A record of exactly `n` bytes that BLOCKs. */
function recordOfBytes(n: number, lead = ''): string {
  const base = `${lead}{"amount":20000,"pad":""}`;
  return base.replace('""', `"${'x'.repeat(n - base.length)}"`);
}

function sizeCases(): RecordCase[] {
  const tooLarge: RecordOutcome = { kind: 'skipped', code: 'RECORD_TOO_LARGE', message: /exceeds maxRecordBytes/ };
  const BLOCK: RecordOutcome = { kind: 'decided', decision: 'BLOCK' };
  const cases: [string, string, RecordOutcome, RecordOutcome?][] = [
    ['exactly maxRecordBytes', recordOfBytes(MAX_RECORD_BYTES), BLOCK],
    ['maxRecordBytes + 1', recordOfBytes(MAX_RECORD_BYTES + 1), tooLarge],
    ['maxRecordBytes, trailing CR and spaces not counted', `${recordOfBytes(MAX_RECORD_BYTES)} \r`, BLOCK],
    ['maxRecordBytes with leading spaces counted', recordOfBytes(MAX_RECORD_BYTES + 2, '  '), tooLarge, BLOCK],
    ['5 MiB record', recordOfBytes(5 << 20), tooLarge],
    ['1 MiB + 1 of garbage (size first)', 'x'.repeat(MAX_RECORD_BYTES + 1), tooLarge],
  ];
  return cases.map(([name, text, expect, arrayExpect]) =>
    textCase(`size: ${name}`, text, expect, arrayExpect ? { arrayExpect } : {}),
  );
}

function shapeCases(): RecordCase[] {
  const cases: [string, string, RecordOutcome, boolean?][] = [
    ['empty object', '{}', decided('{}')],
    ['empty array', '[]', NOT_OBJECT],
    ['array of a record', '[{"amount":20000}]', NOT_OBJECT],
    ['number', '1', NOT_OBJECT],
    ['huge number', '-1e400', NOT_OBJECT],
    ['string', '"{\\"amount\\":20000}"', NOT_OBJECT],
    ['true', 'true', NOT_OBJECT],
    ['false', 'false', NOT_OBJECT],
    ['null', 'null', NOT_OBJECT],
    ['two objects on one line', '{"amount":20000}{}', MALFORMED(), false],
    ['two objects with a space', '{"amount":20000} {"amount":1}', MALFORMED(), false],
    ['object and a comma', '{"amount":20000},', MALFORMED(), false],
    ['trailing comma in the object', '{"amount":20000,}', MALFORMED()],
    ['single quotes', "{'amount':20000}", MALFORMED()],
    ['unquoted key', '{amount:20000}', MALFORMED()],
    ['comment', '{"amount":20000} // note', MALFORMED(), false],
    ['missing value', '{"amount":}', MALFORMED()],
    ['missing colon', '{"amount" 20000}', MALFORMED()],
  ];
  return cases.map(([name, text, expect, inArray]) =>
    textCase(`top level: ${name}`, text, expect, { inArray: inArray ?? true }),
  );
}

function blankCases(): RecordCase[] {
  return ['', '   ', '\t', '\r', ' \t\r'].map((text) =>
    textCase(`blank line ${JSON.stringify(text)}`, text, { kind: 'blank' }, { inArray: false }),
  );
}

/** Every record case, in a seeded order (so neighbours differ from run to run of the
 * generator's code, never from run to run of the suite). */
export function recordCases(): RecordCase[] {
  const rnd = seeded(13);
  const all = [
    ...numberCases(rnd),
    ...badNumberCases(),
    ...duplicateCases(),
    ...truncatedCases(rnd),
    ...utf8Cases(),
    ...byteCases(),
    ...surrogateCases(),
    ...wrongTypeCases(),
    ...nestingCases(),
    ...sizeCases(),
    ...shapeCases(),
    ...blankCases(),
  ];
  for (let i = all.length - 1; i > 0; i--) {
    const j = Math.floor(rnd() * (i + 1));
    [all[i], all[j]] = [all[j] as RecordCase, all[i] as RecordCase];
  }
  return all;
}

/** A case's outcome in an engine with `duplicateKeys: 'reject'`. */
export function rejectOutcome(c: RecordCase): RecordOutcome {
  if (c.reject) return c.reject;
  if (c.expect.kind === 'decided' && (c.expect.warnings?.length ?? 0) > 0)
    return { kind: 'skipped', code: 'DUPLICATE_KEY', message: /^duplicate key "[^"]+" at byte \d+$/ };
  return c.expect;
}

// ---------------------------------------------------------------------------------- rules

/** A rules problem's code (the Rules family, or a file's reading error). */
export type RulesCode = RulesProblemCode;

/** What loading a rules document gives: its rules, or a refusal at file:line:column (a line
 * range where the exact line is the engine's choice within a construct). */
export type RulesOutcome =
  | { kind: 'loaded'; ruleIds?: readonly string[] }
  | {
      kind: 'refused';
      code: RulesCode;
      line: number | readonly [number, number];
      /** Exact column; absent: any column from 1. */
      column?: number;
      message?: RegExp | string;
    };

export interface RulesCase {
  name: string;
  text: string | Buffer;
  format: 'yaml' | 'json';
  expect: RulesOutcome;
  /** Set where the engine gives another outcome today: the bug, for test.failing. */
  bug?: string;
  /** Slow to refuse (seconds): loaded from a string only. */
  slow?: boolean;
}

/** `⟪` marks where the problem must be reported, `⟦` (optional) where a repeated key first
 * was. Returns the text without the marks and both positions (1-based line and column). */
export function marked(text: string): { text: string; at: Pos; first?: Pos } {
  const posOf = (s: string, i: number): Pos => {
    const before = s.slice(0, i);
    const line = before.split('\n').length;
    return { line, column: i - before.lastIndexOf('\n') };
  };
  const firstAt = text.indexOf('⟦');
  const noFirst = text.replace('⟦', '');
  const at = noFirst.indexOf('⟪');
  if (at < 0) throw new Error(`no ⟪ mark in ${text}`);
  const clean = noFirst.replace('⟪', '');
  const first = firstAt < 0 ? undefined : posOf(clean, firstAt < at ? firstAt : firstAt - 1);
  return { text: clean, at: posOf(noFirst, at), ...(first ? { first } : {}) };
}

interface Pos {
  line: number;
  column: number;
}

/** A refusal at the ⟪ mark. */
function refusedAt(
  name: string,
  text: string,
  code: RulesCode,
  message?: RegExp | string,
  extra: Partial<RulesCase> = {},
): RulesCase {
  const m = marked(text);
  return {
    name,
    text: m.text,
    format: 'yaml',
    expect: { kind: 'refused', code, line: m.at.line, column: m.at.column, ...(message ? { message } : {}) },
    ...extra,
  };
}

const SYNTAX = 'YAML_SYNTAX_ERROR' as const;

/** The rule keys the engine reads, each on its own line of a block-style rule. */
const RULE_KEYS: readonly [string, string][] = [
  ['id', 'r1'],
  ['action', 'block'],
  ['severity', 'HIGH'],
  ['weight', '10'],
  ['priority', '1'],
  ['enabled', 'true'],
  ['shadow', 'false'],
  ['score_cap', '100'],
  ['label', 'BIG'],
  ['name', 'big one'],
];

/** A two-rule document, block style, with `over` replacing the first rule's values (the
 * condition keys `field`, `op`, `value` included) and `head` prepended. */
export function ruleDoc(over: Record<string, string> = {}, head = ''): string {
  const keys = RULE_KEYS.map(([k, v]) => `      ${k}: ${over[k] ?? v}\n`).join('');
  // `over['value:']` replaces the whole line (another key in its place).
  const cond = (k: string, v: string) => `        ${over[`${k}:`] ?? `${k}: ${over[k] ?? v}`}\n`;
  return (
    `${head}ruleset:\n  name: ${over['ruleset.name'] ?? 'hostile'}\n  version: ${over['ruleset.version'] ?? '"1"'}\n  rules:\n` +
    `    -\n${keys}      conditions:\n${cond('field', 'amount')}${cond('op', 'gt')}${cond('value', '10000')}` +
    '    - id: r2\n      action: review\n      conditions: {field: country, op: in, values: [KP, IR]}\n'
  );
}

/** The rule keys read as text: a list or a mapping there is refused at the value as
 * `<key> must be a string` (other keys: as not a number, integer or boolean). */
const TEXT_KEYS: readonly string[] = ['id', 'action', 'severity', 'label', 'name'];

function wrongTypeRules(): RulesCase[] {
  const out: RulesCase[] = [];
  for (const [key] of RULE_KEYS) {
    for (const bad of ['[a, b]', '{k: v}']) {
      const message = TEXT_KEYS.includes(key) ? new RegExp(`^${key} must be a string$`) : undefined;
      out.push(refusedAt(`rule ${key}: ${bad}`, ruleDoc({ [key]: `⟪${bad}` }), SYNTAX, message));
    }
  }
  const text: [string, string, RulesCode, RegExp][] = [
    ['weight', '"abc"', SYNTAX, /^weight must be a number$/],
    ['weight', 'true', SYNTAX, /^weight must be a number$/],
    ['priority', '1.5', SYNTAX, /^priority must be an integer$/],
    ['priority', '123456789012345678901234567890', SYNTAX, /^priority must be an integer$/],
    ['enabled', '"maybe"', SYNTAX, /^enabled must be a boolean$/],
    ['enabled', '2', SYNTAX, /^enabled must be a boolean$/],
    ['shadow', '"sometimes"', SYNTAX, /^shadow must be a boolean$/],
    ['score_cap', '"lots"', SYNTAX, /^score_cap must be a number$/],
    ['action', 'explode', 'UNKNOWN_ACTION', /^unknown action: 'explode'$/],
    ['action', '12', 'UNKNOWN_ACTION', /^unknown action: '12'$/],
    ['severity', 'apocalyptic', 'UNKNOWN_SEVERITY', /^unknown severity: 'apocalyptic'$/],
    ['severity', 'true', 'UNKNOWN_SEVERITY', /^unknown severity: 'true'$/],
  ];
  for (const [key, bad, code, message] of text)
    out.push(refusedAt(`rule ${key}: ${bad}`, ruleDoc({ [key]: `⟪${bad}` }), code, message));
  return out;
}

/** Condition keys of the wrong shape. */
function wrongConditionRules(): RulesCase[] {
  const notText = (key: string) => new RegExp(`^${key} must be a string$`);
  const cases: [string, Record<string, string>, RulesCode, RegExp | undefined, string?][] = [
    ['field: [amount]', { field: '⟪[amount]' }, SYNTAX, notText('field')],
    ['field: {k: v}', { field: '⟪{k: v}' }, SYNTAX, notText('field')],
    ['op: [gt]', { op: '⟪[gt]' }, SYNTAX, notText('op')],
    ['op: {gt: 1}', { op: '⟪{gt: 1}' }, SYNTAX, notText('op')],
    ['field: ""', { field: '⟪""' }, 'UNKNOWN_FIELD_NAME', /^a field name is empty$/],
    ['gt value: [1]', { value: '⟪[1]' }, SYNTAX, /^'value' must be a number$/],
    ['gt value: abc', { value: '⟪abc' }, SYNTAX, /^'value' must be a number$/],
    ['gt value: .inf', { value: '⟪.inf' }, SYNTAX, /^'value' must be a number$/],
    ['gt value: .nan', { value: '⟪.nan' }, SYNTAX, /^'value' must be a number$/],
    ['eq value: {k: v}', { op: 'eq', value: '⟪{k: v}' }, SYNTAX, /^'value' must be a number, a string or a list$/],
    ['in values: KP', { op: 'in', 'value:': 'values: ⟪KP' }, SYNTAX, /^'values' must be a list$/],
    ['not_in values: {k: v}', { op: 'not_in', 'value:': 'values: ⟪{k: v}' }, SYNTAX, /^'values' must be a list$/],
    ['contains_any values: KP', { op: 'contains_any', 'value:': 'values: ⟪KP' }, SYNTAX, /^'values' must be a list$/],
  ];
  return cases.map(([name, over, code, message, bug]) =>
    refusedAt(`condition ${name}`, ruleDoc(over), code, message, bug ? { bug } : {}),
  );
}

/** Conditions with a scalar or mapping where a list of conditions is required, or a list
 * where one condition is. */
function wrongCombinatorRules(): RulesCase[] {
  const doc = (cond: string) => `rules:\n  - id: a\n    action: block\n    conditions:\n${cond}`;
  const cases: [string, string, RulesCode, RegExp][] = [
    ['and: x', '      and: ⟪x\n', SYNTAX, /^'and' must be a list$/],
    ['and: {mapping}', '      and: ⟪{field: a, op: gt, value: 1}\n', SYNTAX, /^'and' must be a list$/],
    ['or: 5', '      or: ⟪5\n', SYNTAX, /^'or' must be a list$/],
    ['not: x', '      not: ⟪x\n', SYNTAX, /^a condition must be a mapping$/],
    ['conditions: 12', '      ⟪12\n', SYNTAX, /^a condition must be a mapping$/],
    [
      'a condition inside and: a string',
      '      and:\n        - {field: a, op: gt, value: 1}\n        - ⟪x\n',
      SYNTAX,
      /^a condition must be a mapping$/,
    ],
    ['sql: [a]', '      sql: ⟪[a > 1]\n', 'UNKNOWN_OP', /^invalid sql expression: not a string$/],
  ];
  return cases.map(([name, cond, code, message]) => refusedAt(`conditions ${name}`, doc(cond), code, message));
}

/** Document-level keys of the wrong shape. */
function wrongDocumentRules(): RulesCase[] {
  const rule = '  - {id: a, action: block, conditions: {field: amount, op: gt, value: 1}}\n';
  const cases: [string, string, RulesCode, RegExp | undefined, string?][] = [
    ['rules: a mapping', 'ruleset:\n  rules: ⟪{a: 1}\n', SYNTAX, /^rules must be a list$/],
    ['rules: a scalar', 'rules: ⟪abc\n', SYNTAX, /^rules must be a list$/],
    ['a list document', '⟪- a\n- b\n', SYNTAX, /^the rules document must be a mapping$/],
    ['a scalar document', '⟪hello\n', SYNTAX, /^the rules document must be a mapping$/],
    ['a null document', '⟪~\n', SYNTAX, /^the rules document must be a mapping$/],
    ['an empty document', '⟪', SYNTAX, /^the rules document must be a mapping$/],
    ['a comment-only document', '⟪# nothing here\n', SYNTAX, /^the rules document must be a mapping$/],
    ['ruleset: a list', `ruleset: ⟪[a]\nrules:\n${rule}`, SYNTAX, /^ruleset must be a mapping$/],
    ['ruleset: a scalar', 'ruleset: ⟪a\n', SYNTAX, /^ruleset must be a mapping$/],
    ['ruleset name: a list', `ruleset:\n  name: ⟪[a]\n  rules:\n  ${rule}`, SYNTAX, /^name must be a string$/],
    [
      'ruleset version: a mapping',
      `ruleset:\n  version: ⟪{a: 1}\n  rules:\n  ${rule}`,
      SYNTAX,
      /^version must be a string$/,
    ],
    ['decisions: a list', `decisions: ⟪[BLOCK]\nrules:\n${rule}`, SYNTAX, /^decisions must be a mapping$/],
    [
      'decisions default: a list',
      `decisions:\n  default: ⟪[BLOCK]\nrules:\n${rule}`,
      SYNTAX,
      /^default must be a string$/,
    ],
    [
      'precedence: a scalar',
      `decisions:\n  precedence: ⟪BLOCK\nrules:\n${rule}`,
      SYNTAX,
      /^precedence must be a list of labels$/,
    ],
    [
      'precedence: a mapping',
      `decisions:\n  precedence: ⟪{a: 1}\nrules:\n${rule}`,
      SYNTAX,
      /^precedence must be a list of labels$/,
    ],
    ['fields: a scalar', `fields: ⟪x\nrules:\n${rule}`, SYNTAX, /^fields must be a mapping or a list$/],
    [
      'a field hint: a scalar',
      `fields:\n  amount: ⟪float64\nrules:\n${rule}`,
      SYNTAX,
      /^field 'amount' must be a mapping$/,
    ],
    [
      'a field hint values: a scalar',
      `fields:\n  c: {type: categorical, values: ⟪KP}\nrules:\n${rule}`,
      SYNTAX,
      /^values must be a list$/,
    ],
    [
      'a field hint nullable: a string',
      `fields:\n  c: {type: string, nullable: ⟪maybe}\nrules:\n${rule}`,
      SYNTAX,
      /^nullable must be a boolean$/,
    ],
    ['lookups: a list', `lookups: ⟪[a]\nrules:\n${rule}`, SYNTAX, /^lookups must be a mapping$/],
    [
      'a lookup type: a list',
      `lookups:\n  u: {type: ⟪[string_set], path: u.csv}\nrules:\n${rule}`,
      SYNTAX,
      /^type must be a string$/,
    ],
  ];
  return cases.map(([name, text, code, message, bug]) =>
    refusedAt(`document ${name}`, text, code, message, bug ? { bug } : {}),
  );
}

function unknownOpRules(): RulesCase[] {
  const doc = (cond: string) => `rules:\n  - id: a\n    action: block\n    conditions:\n${cond}`;
  const cases: [string, string, RegExp][] = [
    ['op: bogus', '      field: x\n      op: ⟪bogus\n      value: 1\n', /^unknown operator: 'bogus'$/],
    ['op: "gt " (a trailing space)', '      field: x\n      op: ⟪"gt "\n      value: 1\n', /^unknown operator: 'gt '$/],
    ['op: ""', '      field: x\n      op: ⟪""\n      value: 1\n', /^unknown operator: ''$/],
    ['op: between', '      field: x\n      op: ⟪between\n      value: 1\n', /^unknown operator: 'between'$/],
    [
      'inside and[1]',
      '      and:\n        - {field: x, op: gt, value: 1}\n        - field: y\n          op: ⟪lte_maybe\n          value: 2\n',
      /^unknown operator: 'lte_maybe'$/,
    ],
    ['inside not', '      not:\n        field: x\n        op: ⟪nope\n        value: 1\n', /^unknown operator: 'nope'$/],
    ['in a sql: string', '      sql: "amount >⟪> 5"\n', /^invalid sql expression/],
  ];
  return cases.map(([name, cond, message]) => refusedAt(`unknown operator ${name}`, doc(cond), 'UNKNOWN_OP', message));
}

/** A repeated key: refused at the repeat, naming the first occurrence (⟦) in the message. */
function duplicateAt(name: string, text: string, key: string, extra: Partial<RulesCase> = {}): RulesCase {
  const m = marked(text);
  if (m.first === undefined) throw new Error(`${name}: no ⟦ mark`);
  const message = `duplicate key ${JSON.stringify(key)} (first at line ${m.first.line}, column ${m.first.column})`;
  return {
    name: `duplicate key: ${name}`,
    text: m.text,
    format: extra.format ?? 'yaml',
    expect: { kind: 'refused', code: SYNTAX, line: m.at.line, column: m.at.column, message },
    ...extra,
  };
}

function duplicateRules(): RulesCase[] {
  const rule = '  - {id: a, action: block, conditions: {field: amount, op: gt, value: 1}}\n';
  return [
    duplicateAt('top-level rules', `⟦rules: []\n⟪rules:\n${rule}`, 'rules'),
    duplicateAt('ruleset name', 'ruleset:\n  ⟦name: a\n  ⟪name: b\n  rules: []\n', 'name'),
    duplicateAt('an unknown rule key', ruleDoc({ weight: '10\n      ⟦x: 1\n      ⟪x: 2' }), 'x'),
    duplicateAt(
      'rule action',
      ruleDoc({ severity: 'HIGH\n      ⟪action: approve' }).replace('action: block', '⟦action: block'),
      'action',
    ),
    duplicateAt(
      'condition op (block)',
      ruleDoc({ value: '10000\n        ⟪op: lt' }).replace('op: gt', '⟦op: gt'),
      'op',
    ),
    duplicateAt(
      'condition value (flow)',
      'rules:\n  - {id: a, conditions: {field: x, op: gt, ⟦value: 1, ⟪value: 9}}\n',
      'value',
    ),
    duplicateAt('second rule id', ruleDoc().replace('    - id: r2\n', '    - ⟦id: r2\n      ⟪id: r3\n'), 'id'),
    duplicateAt(
      'inside and[1]',
      'rules:\n  - id: a\n    conditions:\n      and:\n        - {field: x, op: gt, value: 1}\n        - {⟦field: y, op: lt, value: 2, ⟪field: z}\n',
      'field',
    ),
    duplicateAt(
      'lookups',
      `lookups:\n  ⟦u: {type: string_set, path: a.csv}\n  ⟪u: {type: string_set, path: b.csv}\nrules:\n${rule}`,
      'u',
    ),
    duplicateAt('fields', `fields:\n  ⟦amount: {type: float64}\n  ⟪amount: {type: int32}\nrules:\n${rule}`, 'amount'),
    duplicateAt('decisions default', `decisions:\n  ⟦default: APPROVE\n  ⟪default: BLOCK\nrules:\n${rule}`, 'default'),
    duplicateAt(
      'plain and quoted',
      `rules:\n  - ⟦id: a\n    ⟪"id": b\n    conditions: {field: x, op: gt, value: 1}\n`,
      'id',
    ),
    duplicateAt(
      'plain and escaped',
      `rules:\n  - ⟦id: a\n    ⟪"i\\x64": b\n    conditions: {field: x, op: gt, value: 1}\n`,
      'id',
    ),
    duplicateAt('number and string key', `x:\n  ⟦1: a\n  ⟪"1": b\nrules:\n${rule}`, '1'),
    duplicateAt('in an unused key', `extra:\n  ⟦k: 1\n  ⟪k: 2\nrules:\n${rule}`, 'k'),
    duplicateAt('JSON: top-level', '{⟦"rules": [],\n ⟪"rules": []}', 'rules', {
      format: 'json',
    }),
    duplicateAt(
      'JSON: rule action',
      '{"rules": [\n  {"id": "a", ⟦"action": "block",\n   ⟪"action": "approve", "conditions": {"field": "x", "op": "gt", "value": 1}}]}',
      'action',
      { format: 'json' },
    ),
    duplicateAt(
      'JSON: condition value',
      '{"rules": [{"id": "a", "conditions":\n  {"field": "x", "op": "gt", ⟦"value": 1, ⟪"value": 5}}]}',
      'value',
      { format: 'json' },
    ),
  ];
}

/** Broken YAML and JSON: refused where the parser stops. */
function syntaxRules(): RulesCase[] {
  const yaml: [string, string, RegExp][] = [
    ['a tab as indentation', 'rules:\n⟪\t- id: a\n', /^Tabs are not allowed as indentation/],
    [
      'an unclosed flow mapping',
      'rules:\n  - {id: a, conditions: {field: x, op: gt, value: 1}\n  ⟪- {id: b}\n',
      /end with a \}/,
    ],
    ['an unclosed flow sequence', 'rules: [\n  {id: a}\n⟪', /end with a \]/],
    ['an unclosed double quote', 'rules:\n  - id: "a\n    action: block\n⟪', /^Missing closing "quote/],
    ['an unclosed single quote', "rules:\n  - id: 'a\n⟪", /^Missing closing 'quote/],
    ['a bad indentation', 'rules:\n  - id: a\n⟪   action: block\n', /^Sequence item without - indicator/],
    [
      'a mapping in a compact mapping',
      'rules:\n  - id: a\n    action: ⟪block: now\n',
      /^Nested mappings are not allowed/,
    ],
    ['a reserved @', 'rules:\n  - id: ⟪@a\n', /^Plain value cannot start with reserved character @/],
    ['a reserved backtick', 'rules:\n  - id: ⟪`a\n', /^Plain value cannot start with reserved character `/],
    ['an invalid escape', 'rules:\n  - id: "a⟪\\qb"\n', /^Invalid escape sequence \\q/],
    ['an empty anchor', 'rules:\n  - id: ⟪&\n', /^Anchor cannot be an empty string/],
    ['two documents', 'rules: []\n⟪---\nrules: []\n', /multiple documents/],
    [
      'mapping items out of line',
      'rules:\n  - id: a\n  - id: b\n⟪  x: 1\n',
      /^All mapping items must start at the same column/,
    ],
    ['a NUL byte', 'rules: []\n⟪\u0000\n', /^Implicit map keys need to be followed by map values/],
    [
      'a key over 1024 characters',
      `rules: []\n⟪${'k'.repeat(1100)}: 1\n`,
      /^The : indicator must be at most 1024 chars/,
    ],
  ];
  const out = yaml.map(([name, text, message]) => refusedAt(`YAML syntax: ${name}`, text, SYNTAX, message));
  const json: [string, string, RegExp][] = [
    ['a trailing comma', '{"rules": [\n  {"id": "a"},\n⟪]}', /^invalid JSON: trailing comma$/],
    ['bytes after the document', '{"rules": []} ⟪x', /^invalid JSON: trailing characters$/],
    ['a comment', '{"rules": [] ⟪// x\n}', /^invalid JSON/],
    ['a NUL byte after the document', '{"rules": []}⟪\u0000', /^invalid JSON: trailing characters$/],
    ['single quotes', "{⟪'rules': []}", /^invalid JSON/],
  ];
  for (const [name, text, message] of json) {
    const m = marked(text);
    out.push({
      name: `JSON syntax: ${name}`,
      text: m.text,
      format: 'json',
      expect: { kind: 'refused', code: SYNTAX, line: m.at.line, column: m.at.column, message },
    });
  }
  out.push({
    name: 'JSON syntax: an empty document',
    text: '',
    format: 'json',
    expect: { kind: 'refused', code: SYNTAX, line: 1, column: 1, message: /^invalid JSON: EOF/ },
  });
  return out;
}

/** Bytes that are not UTF-8: refused at their line and column (in characters), never read as
 * U+FFFD. Only from a file (a JavaScript string cannot hold them). */
function utf8Rules(): RulesCase[] {
  const out: RulesCase[] = [];
  const places: [string, string, string][] = [
    ['a comment', 'rules: []\n# note: ', '\n'],
    ['a key', 'rules: []\nk', 'y: 1\n'],
    ['a quoted value', 'rules:\n  - id: a\n    description: "é€', '"\n    conditions: {field: x, op: gt, value: 1}\n'],
    ['the first byte', '', 'rules: []\n'],
    ['a JSON string', '{"rules": [{"id": "a€', '", "conditions": {"field": "x", "op": "gt", "value": 1}}]}'],
  ];
  for (const [what, bytes] of BAD_UTF8)
    for (const [where, before, after] of places) {
      const head = Buffer.from(before, 'utf8');
      const lines = before.split('\n');
      const column = (lines.at(-1) ?? '').length + 1;
      out.push({
        name: `invalid UTF-8 ${what} in ${where}`,
        text: Buffer.concat([head, Buffer.from(bytes), Buffer.from(after, 'utf8')]),
        format: where === 'a JSON string' ? 'json' : 'yaml',
        expect: {
          kind: 'refused',
          code: SYNTAX,
          line: lines.length,
          column,
          message: `invalid UTF-8 at byte ${head.length}`,
        },
      });
    }
  return out;
}

function numberRules(): RulesCase[] {
  const out: RulesCase[] = [];
  const bigs: [string, string][] = [
    ['value: 1e400', '⟪1e400'],
    ['value: -1e400', '⟪-1e400'],
    ['value: 1E+400', '⟪1E+400'],
    ['value: a 400-digit integer', `⟪1${'0'.repeat(400)}`],
  ];
  for (const [name, v] of bigs)
    out.push(refusedAt(`huge number ${name}`, ruleDoc({ value: v }), SYNTAX, /number out of range/));
  out.push(refusedAt('huge number weight: 1e400', ruleDoc({ weight: '⟪1e400' }), SYNTAX, /number out of range/));
  out.push(refusedAt('huge number in an unused key', ruleDoc({}, 'note: ⟪1e400\n'), SYNTAX, /number out of range/));
  const json = marked('{"rules": [{"id": "a",\n  "conditions": {"field": "x", "op": "gt", "value": ⟪1e400}}]}');
  out.push({
    name: 'huge number in JSON rules: value 1e400',
    text: json.text,
    format: 'json',
    expect: {
      kind: 'refused',
      code: SYNTAX,
      line: json.at.line,
      column: json.at.column,
      message: /^invalid JSON: number out of range$/,
    },
  });
  // Within range: loads, with the rule ids as written.
  out.push({
    name: 'huge number value: a 30-digit integer loads',
    text: ruleDoc({ value: '123456789012345678901234567890' }),
    format: 'yaml',
    expect: { kind: 'loaded', ruleIds: ['r1', 'r2'] },
  });
  out.push({
    name: 'huge number id: a 30-digit integer keeps its digits',
    text: ruleDoc({ id: '123456789012345678901234567890' }),
    format: 'yaml',
    expect: { kind: 'loaded', ruleIds: ['123456789012345678901234567890', 'r2'] },
  });
  return out;
}

/** Nodes reached through aliases beyond the budget; an alias to nothing; a cycle. */
function aliasRules(): RulesCase[] {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  let prev = 'a';
  for (const name of ['b', 'c', 'd', 'e', 'f']) {
    lines.push(`${name}: &${name} [${Array(10).fill(`*${prev}`).join(',')}]`);
    prev = name;
  }
  const bomb = `${lines.join('\n')}\nrules: []\n`;
  return [
    {
      name: 'alias bomb: 10^6 nodes from 6 lines',
      // The budget runs out inside the last anchor's expansions: line 6.
      text: bomb,
      format: 'yaml',
      expect: { kind: 'refused', code: SYNTAX, line: [1, 6], message: /^too many alias expansions/ },
      slow: true,
    },
    refusedAt(
      'alias to an undefined anchor',
      'rules:\n  - id: a\n    conditions: ⟪*nope\n',
      SYNTAX,
      /^unresolved alias \*nope$/,
    ),
    refusedAt('an alias inside its own anchor', 'x: &a [1, ⟪*a]\nrules: []\n', SYNTAX, /./),
    {
      name: 'an alias used as a key loads',
      text: 'x: &k id\nrules:\n  - *k : a\n    conditions: {field: x, op: gt, value: 1}\n',
      format: 'yaml',
      expect: { kind: 'loaded', ruleIds: ['a'] },
    },
  ];
}

function nestingRules(): RulesCase[] {
  const rule = 'rules:\n  - {id: a, conditions: {field: x, op: gt, value: 1}}\n';
  const block = (d: number) => {
    let s = 'x:\n';
    for (let i = 1; i <= d; i++) s += `${' '.repeat(i)}k:\n`;
    return `${s}${' '.repeat(d + 1)}1\n${rule}`;
  };
  const leaf = '{field: x, op: gt, value: 1}';
  const ands = (d: number, mark = '') => `${'{and: ['.repeat(d)}${mark}${leaf}${']}'.repeat(d)}`;
  const tooDeep = /nesting too deep/;
  return [
    refusedAt(
      'flow collections 513 deep',
      `${rule}x: ${'['.repeat(512)}⟪[${']'.repeat(513)}\n`,
      SYNTAX,
      /^document nesting too deep$/,
    ),
    refusedAt(
      'flow mappings 513 deep',
      `${rule}x: ${'{a: '.repeat(512)}⟪{a: 1${'}'.repeat(513)}\n`,
      SYNTAX,
      /^document nesting too deep$/,
    ),
    {
      name: 'flow collections 512 deep load',
      text: `${rule}x: ${'['.repeat(512)}${']'.repeat(512)}\n`,
      format: 'yaml',
      expect: { kind: 'loaded' },
    },
    {
      name: 'compact sequences 513 deep load',
      text: `${rule}x:\n${'- '.repeat(512)}- a\n`,
      format: 'yaml',
      expect: { kind: 'loaded' },
    },
    refusedAt('compact sequences 1025 deep', `${rule}x:\n${'- '.repeat(1023)}⟪- - a\n`, SYNTAX, tooDeep),
    {
      name: 'block mappings 1000 deep load',
      text: block(1000),
      format: 'yaml',
      expect: { kind: 'loaded' },
    },
    {
      name: 'block mappings 1025 deep',
      text: block(1025),
      format: 'yaml',
      expect: { kind: 'refused', code: SYNTAX, line: [2, 1027], message: tooDeep },
    },
    {
      name: 'block mappings 3000 deep',
      text: block(3000),
      format: 'yaml',
      expect: { kind: 'refused', code: SYNTAX, line: [2, 3002], message: tooDeep },
    },
    refusedAt(
      'conditions 129 deep',
      `rules:\n  - id: deep\n    conditions: ${ands(129, '⟪')}\n`,
      'UNKNOWN_OP',
      /^condition nesting too deep \(limit 128\)$/,
    ),
    {
      name: 'conditions 128 deep load',
      text: `rules:\n  - id: deep\n    conditions: ${ands(128)}\n`,
      format: 'yaml',
      expect: { kind: 'loaded', ruleIds: ['deep'] },
    },
    refusedAt(
      'sql: 200 parentheses',
      `rules:\n  - id: a\n    conditions: {sql: "${'('.repeat(64)}⟪${'('.repeat(136)}a > 1${')'.repeat(200)}"}\n`,
      'UNKNOWN_OP',
      /^invalid sql expression: expression nesting too deep$/,
    ),
    (() => {
      const m = marked(`{"x": ${'['.repeat(1023)}⟪[${']'.repeat(1024)}, "rules": []}`);
      return {
        name: 'JSON rules 1025 deep',
        text: m.text,
        format: 'json' as const,
        expect: {
          kind: 'refused' as const,
          code: SYNTAX,
          line: m.at.line,
          column: m.at.column,
          message: /^document nesting too deep \(limit 1024\)$/,
        },
      };
    })(),
  ];
}

/** Every rules case that needs no files around it. */
export function rulesCases(): RulesCase[] {
  return [
    ...wrongTypeRules(),
    ...wrongConditionRules(),
    ...wrongCombinatorRules(),
    ...wrongDocumentRules(),
    ...unknownOpRules(),
    ...duplicateRules(),
    ...syntaxRules(),
    ...utf8Rules(),
    ...numberRules(),
    ...aliasRules(),
    ...nestingRules(),
  ];
}

/** Paths the lookup cases name, made by the suite: `dir` holds the rules files. */
export interface LookupPlaces {
  dir: string;
  /** A CSV beside the rules files, and one in the parent directory. */
  inside: string;
  outside: string;
  /** A symlink in `dir` to `outside`, and one to /dev/zero. */
  linkOut: string;
  linkZero: string;
  fifo: string;
  /** A CSV of 64 bytes (over the 32-byte limit these cases set). */
  big: string;
}

/** Lookups the rules file may not read: outside its directory, not regular files, too large. */
export function lookupCases(
  p: LookupPlaces,
): (RulesCase & { config?: { lookupRoots?: string[]; maxLookupFileBytes?: number } })[] {
  const doc = (path: string) =>
    `rules:\n  - {id: u, action: block, conditions: {field: user, op: in_lookup, lookup: u}}\nlookups:\n  u: {type: string_set, path: ⟪${JSON.stringify(path)}}\n`;
  const outside = /is outside the rules file's directory and every lookupRoots entry$/;
  const notRegular = (path: string, kind: string) =>
    `cannot read lookup file ${path}: it is ${kind}, not a regular file`;
  const cases: [
    string,
    string,
    RulesCode,
    RegExp | string,
    { lookupRoots?: string[]; maxLookupFileBytes?: number }?,
  ][] = [
    ['../ out of the directory', '../outside.csv', 'LOOKUP_OUTSIDE_ROOTS', outside],
    ['an absolute path elsewhere', p.outside, 'LOOKUP_OUTSIDE_ROOTS', outside],
    ['/etc/passwd', '/etc/passwd', 'LOOKUP_OUTSIDE_ROOTS', outside],
    ['a symlink out of the directory', 'link-out.csv', 'LOOKUP_OUTSIDE_ROOTS', outside],
    [
      '../ back into the directory and out',
      `../${p.dir.split('/').at(-1)}/../outside.csv`,
      'LOOKUP_OUTSIDE_ROOTS',
      outside,
    ],
    [
      '/dev/zero, allowed by a root',
      '/dev/zero',
      'IO_ERROR',
      notRegular('/dev/zero', 'a character device'),
      { lookupRoots: ['/'] },
    ],
    [
      'a symlink to /dev/zero, allowed by a root',
      'link-zero.csv',
      'IO_ERROR',
      /it is a character device, not a regular file$/,
      { lookupRoots: ['/'] },
    ],
    ['a FIFO', 'fifo', 'IO_ERROR', notRegular(p.fifo, 'a FIFO')],
    ['a directory', '.', 'IO_ERROR', /it is a directory, not a regular file$/],
    ['a missing file', 'nope.csv', 'MISSING_REQUIRED_FIELD', /^lookup file not found: /],
    [
      'over maxLookupFileBytes',
      'big.csv',
      'FILE_TOO_LARGE',
      /big\.csv is 64 bytes, over the limit of 32 bytes \(maxLookupFileBytes\)$/,
      { maxLookupFileBytes: 32 },
    ],
  ];
  const out = cases.map(([name, path, code, message, config]) => ({
    ...refusedAt(`lookup: ${name}`, doc(path), code, message),
    ...(config ? { config } : {}),
  }));
  const ok = doc('inside.csv').replace('⟪', '');
  out.push({
    name: 'lookup: a CSV beside the rules file loads',
    text: ok,
    format: 'yaml',
    expect: { kind: 'loaded', ruleIds: ['u'] },
  });
  return out;
}
