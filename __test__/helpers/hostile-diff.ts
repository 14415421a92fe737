/**
 * Records with huge numbers and repeated keys for the differential test against BlazeRules
 * 0.5.4 (issue 13), generated from a seed, and what docs/compatibility.md says about each.
 *
 * Each record is tagged with the documented differences it touches (a repeated key the rules
 * read, an escaped key, a number beyond f64 in a field the rules read). Where a record has
 * none, the wheel must decide it as we do. Where it has some, we must decide it as the wheel
 * decides its *twin*: the record rewritten into what it means to us (the last repeated key
 * kept, keys unescaped, ±Infinity as ±1e300, which every rule here compares the same way).
 * Its *first* twin keeps the first repeated key instead: what the compatibility notes say the
 * wheel reads.
 */
import { NUMBER_SPELLINGS, pick, seeded } from './hostile-cases';

export const DIFF_RULES = `schema_version: "2.1"
ruleset:
  name: hostile-diff
  version: "1.0.0"
  rules:
    - {id: big, action: block, weight: 50, conditions: {field: amount, op: gt, value: 10000}}
    - {id: negative, action: review, weight: 30, conditions: {field: amount, op: lt, value: -10000}}
    - {id: limit, action: review, weight: 20, conditions: {field: card.limit, op: gte, value: 5000}}
    - {id: kp, action: flag, weight: 5, conditions: {field: country, op: eq, value: KP}}
`;

/** The dotted fields DIFF_RULES reads. */
const READ = ['amount', 'card.limit', 'country'];

/** A documented difference a record touches (docs/compatibility.md, "Decided here"). */
export type Difference = 'repeated key' | 'escaped key' | 'number beyond f64';

export interface DiffRecord {
  name: string;
  line: string;
  differences: Difference[];
  /** The record as it reads to us, in terms the wheel reads the same way. */
  twin: string;
  /** The record with the first of each repeated key kept. */
  first: string;
}

// ------------------------------------------------------------------ a JSON reader that keeps
// what JSON.parse throws away: number spellings, escaped key texts and repeated keys.

type Node =
  | { t: 'num'; text: string }
  | { t: 'str'; value: string }
  | { t: 'lit'; text: string }
  | { t: 'arr'; items: Node[] }
  | { t: 'obj'; pairs: { key: string; raw: string; value: Node }[] };

function parse(text: string): Node {
  let i = 0;
  const ws = () => {
    while (i < text.length && ' \t\r\n'.includes(text[i] as string)) i++;
  };
  const string = (): { value: string; raw: string } => {
    const start = i;
    i++;
    while (text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
    i++;
    const raw = text.slice(start, i);
    return { value: JSON.parse(raw) as string, raw };
  };
  const value = (): Node => {
    ws();
    const c = text[i];
    if (c === '"') return { t: 'str', value: string().value };
    if (c === '{') {
      i++;
      const pairs: { key: string; raw: string; value: Node }[] = [];
      ws();
      if (text[i] === '}') {
        i++;
        return { t: 'obj', pairs };
      }
      for (;;) {
        ws();
        const k = string();
        ws();
        i++; // :
        pairs.push({ key: k.value, raw: k.raw, value: value() });
        ws();
        if (text[i++] === '}') return { t: 'obj', pairs };
      }
    }
    if (c === '[') {
      i++;
      const items: Node[] = [];
      ws();
      if (text[i] === ']') {
        i++;
        return { t: 'arr', items };
      }
      for (;;) {
        items.push(value());
        ws();
        if (text[i++] === ']') return { t: 'arr', items };
      }
    }
    const m = /^-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|^(?:true|false|null)/.exec(text.slice(i));
    if (m === null) throw new Error(`not JSON at ${i}: ${text}`);
    i += m[0].length;
    return /^[tfn]/.test(m[0]) ? { t: 'lit', text: m[0] } : { t: 'num', text: m[0] };
  };
  return value();
}

/** The node with repeated keys resolved: the last (JSON.parse) or the first (BlazeRules)
 * value, at the key's first place. */
function resolve(n: Node, keep: 'last' | 'first'): Node {
  if (n.t === 'arr') return { t: 'arr', items: n.items.map((x) => resolve(x, keep)) };
  if (n.t !== 'obj') return n;
  const out = new Map<string, Node>();
  for (const p of n.pairs) if (keep === 'last' || !out.has(p.key)) out.set(p.key, resolve(p.value, keep));
  return { t: 'obj', pairs: [...out].map(([key, value]) => ({ key, raw: JSON.stringify(key), value })) };
}

/** JSON text; numbers keep their spelling, except beyond f64 with `tame` (±1e300). */
function write(n: Node, tame: boolean): string {
  switch (n.t) {
    case 'num':
      if (tame && !Number.isFinite(Number(n.text))) return n.text.startsWith('-') ? '-1e300' : '1e300';
      return n.text;
    case 'str':
      return JSON.stringify(n.value);
    case 'lit':
      return n.text;
    case 'arr':
      return `[${n.items.map((x) => write(x, tame)).join(',')}]`;
    case 'obj':
      return `{${n.pairs.map((p) => `${p.raw}:${write(p.value, tame)}`).join(',')}}`;
  }
}

/** True if a value at dotted `path` can change what a rule reads (it is read, or holds one). */
const readsAt = (path: string) => READ.some((f) => f === path || f.startsWith(`${path}.`));

/** The documented differences in a record: looked for along the paths the rules read. */
function differences(n: Node, path = ''): Set<Difference> {
  const out = new Set<Difference>();
  if (n.t === 'num' && readsAt(path) && !Number.isFinite(Number(n.text))) out.add('number beyond f64');
  if (n.t === 'arr' && readsAt(path)) for (const x of n.items) for (const d of differences(x, path)) out.add(d);
  if (n.t !== 'obj') return out;
  const seen = new Set<string>();
  for (const p of n.pairs) {
    const at = path === '' ? p.key : `${path}.${p.key}`;
    if (!readsAt(at)) continue;
    if (seen.has(p.key)) out.add('repeated key');
    seen.add(p.key);
    if (p.raw !== JSON.stringify(p.key)) out.add('escaped key');
    for (const d of differences(p.value, at)) out.add(d);
  }
  return out;
}

function record(name: string, line: string): DiffRecord {
  const node = parse(line);
  return {
    name,
    line,
    differences: [...differences(node)].sort(),
    twin: write(resolve(node, 'last'), true),
    first: write(resolve(node, 'first'), false),
  };
}

// ------------------------------------------------------------------ the records

/** The hostile suite's number spellings, and three around `card.limit gte 5000`. */
const SPELLINGS: readonly string[] = [...NUMBER_SPELLINGS, '9223372036854775807', '5000', '4999.999999999999999999'];

/** Where a number goes (its field read or not, nested or not), the rest of the record seeded. */
const PLACES: readonly [string, (n: string, rnd: () => number) => string][] = [
  ['amount', (n, rnd) => `{"amount":${n},"country":"${pick(rnd, ['KP', 'US'])}"}`],
  ['card.limit', (n, rnd) => `{"card":{"limit":${n},"bin":"4111"},"amount":${pick(rnd, [5, 20000, -20000])}}`],
  ['txn_id (not read)', (n, rnd) => `{"txn_id":${n},"amount":${pick(rnd, [5, 20000, -20000])}}`],
  ['meta (not read, nested)', (n, rnd) => `{"amount":${pick(rnd, [5, 20000])},"meta":{"a":[${n}],"b":{"c":${n}}}}`],
];

/** Repeated keys, with numbers of every size in them. */
const REPEATS: readonly [string, string][] = [
  ['amount low, high', '{"amount":5,"amount":20000}'],
  ['amount high, low', '{"amount":20000,"amount":5}'],
  ['amount three times', '{"amount":5,"amount":20000,"amount":-20000}'],
  ['amount apart', '{"amount":20000,"country":"US","x":1,"amount":5}'],
  ['amount escaped', '{"amount":5,"am\\u006funt":20000}'],
  ['amount escaped first', '{"am\\u006funt":5,"amount":20000}'],
  ['amount huge, small', '{"amount":1e400,"amount":5}'],
  ['amount small, huge', '{"amount":5,"amount":1e400}'],
  ['amount small, 30 digits', '{"amount":5,"amount":123456789012345678901234567890}'],
  ['amount 30 digits, small', '{"amount":123456789012345678901234567890,"amount":5}'],
  ['amount -huge, small', '{"amount":-1e400,"amount":5}'],
  ['country KP, US', '{"country":"KP","country":"US","amount":5}'],
  ['country US, KP', '{"country":"US","country":"KP","amount":5}'],
  ['card replaced', '{"card":{"limit":9000},"card":{"bin":"1"},"amount":5}'],
  ['card gains limit', '{"card":{"bin":"1"},"card":{"limit":9000},"amount":5}'],
  ['card.limit inside card', '{"card":{"limit":1,"limit":9000},"amount":5}'],
  ['card.limit huge inside card', '{"card":{"limit":1e400,"limit":1},"amount":5}'],
  ['unread key', '{"x":1,"x":2,"amount":20000}'],
  ['unread key with huge numbers', '{"x":1e400,"x":-1e400,"amount":5}'],
  ['unread key inside card', '{"card":{"bin":"1","bin":"2","limit":9000},"amount":5}'],
  ['read name under an unread object', '{"meta":{"amount":5,"amount":20000},"amount":5}'],
];

/** The differential records, the same on every run. */
export function diffRecords(): DiffRecord[] {
  const rnd = seeded(4013);
  const out: DiffRecord[] = [];
  for (const n of SPELLINGS)
    for (const [place, make] of PLACES)
      out.push(record(`${n.length > 24 ? `${n.slice(0, 12)}…(${n.length} chars)` : n} in ${place}`, make(n, rnd)));
  for (const [name, line] of REPEATS) out.push(record(`repeated key: ${name}`, line));
  return out;
}
