/** NDJSON ingestion (rules-reference §5): bad records are skipped, counted and sampled;
 * evaluation runs off the JS thread. */
import test from 'ava';

import { RuleEngine } from '../src/index';

const RULES = `
ruleset:
  version: "7"
  rules:
    - id: positive
      action: block
      conditions: {field: amount, op: gt, value: 0}
`;

function engine(config = {}): RuleEngine {
  const e = new RuleEngine(config);
  e.loadRulesFromString(RULES);
  return e;
}

const GOOD_BEFORE = Buffer.from('{"amount":1}\n');
const GOOD_AFTER = Buffer.from('\n{"amount":2}\n');

/** Each bad line sits between two good records, so it is row 1 of 3. */
const BAD: [string, Buffer, string | RegExp][] = [
  ['malformed JSON', Buffer.from('{"amount": 5'), /^malformed json/],
  ['unterminated string', Buffer.from('{"amount": "5}'), /^malformed json/],
  ['trailing garbage', Buffer.from('{"amount":5} x'), /^malformed json/],
  ['an array', Buffer.from('[1,2,3]'), 'record is not a JSON object'],
  ['a number', Buffer.from('42'), 'record is not a JSON object'],
  ['a string', Buffer.from('"text"'), 'record is not a JSON object'],
  ['null', Buffer.from('null'), 'record is not a JSON object'],
  [
    'invalid UTF-8',
    Buffer.concat([Buffer.from('{"amount":5,"s":"'), Buffer.from([0xff, 0xfe, 0xc3]), Buffer.from('"}')]),
    /^malformed json/,
  ],
  ['nesting 100000 deep (arrays)', Buffer.from('['.repeat(100_000) + ']'.repeat(100_000)), /./],
  ['nesting 100000 deep (objects)', Buffer.from(`${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`), /./],
  ['a NUL byte after the object', Buffer.from('{"amount":5}\u0000'), /^malformed json/],
  ['a NUL byte inside', Buffer.from('{"amount":\u00005}'), /^malformed json/],
  ['a UTF-8 BOM', Buffer.from('\ufeff{"amount":5}'), /^malformed json/],
];

for (const [name, line, message] of BAD) {
  test(`bad record: ${name} is skipped, counted and sampled`, async (t) => {
    const payload = Buffer.concat([GOOD_BEFORE, line, GOOD_AFTER]);
    const r = await engine().evaluateNdjson(payload);
    t.is(r.nRecords, 2);
    t.is(r.messagesProcessed, 3);
    t.is(r.messagesSkipped, 1);
    t.deepEqual(Array.from(r.inputRows), [0, 2]);
    t.deepEqual(r.decisions, ['BLOCK', 'BLOCK']);
    t.is(r.errorCounts.MALFORMED_JSON, 1);
    t.is(r.errorSamples.length, 1);
    const sample = r.errorSamples[0];
    t.is(sample?.rowIndex, 1);
    t.is(sample?.code, 'MALFORMED_JSON');
    if (typeof message === 'string') t.is(sample?.message, message);
    else t.regex(sample?.message ?? '', message);
    // The sync path agrees.
    const s = engine().evaluateNdjsonSync(payload);
    t.deepEqual(Array.from(s.inputRows), [0, 2]);
    t.deepEqual(s.errorSamples, r.errorSamples);
  });
}

test('a 10 MB line is an ordinary record', async (t) => {
  const big = JSON.stringify({ amount: 3, pad: 'x'.repeat(10 * 1024 * 1024) });
  const r = await engine().evaluateNdjson(Buffer.concat([GOOD_BEFORE, Buffer.from(big), GOOD_AFTER]));
  t.is(r.nRecords, 3);
  t.is(r.messagesSkipped, 0);
  t.deepEqual(r.decisions, ['BLOCK', 'BLOCK', 'BLOCK']);
});

test('a 10 MB line over maxRecordBytes is skipped and sampled', async (t) => {
  const big = JSON.stringify({ amount: 3, pad: 'x'.repeat(10 * 1024 * 1024) });
  const r = await engine({ maxRecordBytes: 1024 * 1024 }).evaluateNdjson(
    Buffer.concat([GOOD_BEFORE, Buffer.from(big), GOOD_AFTER]),
  );
  t.is(r.nRecords, 2);
  t.is(r.messagesSkipped, 1);
  t.is(r.errorSamples[0]?.rowIndex, 1);
  t.is(r.errorSamples[0]?.code, 'RECORD_TOO_LARGE');
  t.is(r.errorCounts.RECORD_TOO_LARGE, 1);
});

test('blank lines are ignored and not counted; CRLF, spaces and tabs are trimmed', async (t) => {
  const text = '\n\n{"amount":1}\r\n   \r\n\t\n{"amount":0}  \t\r\n\r\n{"amount":2}\n\n';
  const r = await engine().evaluateNdjson(text);
  t.is(r.nRecords, 3);
  t.is(r.messagesProcessed, 3);
  t.is(r.messagesSkipped, 0);
  t.deepEqual(Array.from(r.inputRows), [0, 1, 2]);
  t.deepEqual(r.decisions, ['BLOCK', 'APPROVE', 'BLOCK']);
});

test('rowIndex counts non-empty lines only', async (t) => {
  const r = await engine().evaluateNdjson('\n{"amount":1}\n\n\nbad\n\n{"amount":1}\n');
  t.is(r.errorSamples[0]?.rowIndex, 1);
  t.deepEqual(Array.from(r.inputRows), [0, 2]);
});

test('a final line without a newline counts', async (t) => {
  const r = await engine().evaluateNdjson('{"amount":1}\n{"amount":2}');
  t.is(r.nRecords, 2);
  const bad = await engine().evaluateNdjson('{"amount":1}\n{"amount":');
  t.is(bad.nRecords, 1);
  t.is(bad.messagesSkipped, 1);
  t.is(bad.errorSamples[0]?.rowIndex, 1);
});

test('an empty payload is an empty batch', async (t) => {
  for (const p of ['', '\n\n', Buffer.alloc(0)]) {
    const r = await engine().evaluateNdjson(p);
    t.is(r.nRecords, 0);
    t.is(r.messagesProcessed, 0);
    t.deepEqual(r.decisions, []);
    t.is(r.toJSONLines().length, 0);
  }
});

test('JSON-array input errors', async (t) => {
  const e = engine();
  const notArray = await e.evaluateJsonArray('{"amount":1}');
  t.is(notArray.nRecords, 0);
  t.is(notArray.messagesSkipped, 1);
  t.is(notArray.errorSamples[0]?.message, 'json-array input must be a top-level array');
  const malformed = await e.evaluateJsonArray('[{"amount":1},');
  t.is(malformed.nRecords, 0);
  t.regex(malformed.errorSamples[0]?.message ?? '', /^malformed json array/);
  const mixed = await e.evaluateJsonArray('[{"amount":1}, 5, {"amount":2}]');
  t.is(mixed.nRecords, 2);
  t.is(mixed.messagesSkipped, 1);
  t.is(mixed.errorSamples[0]?.rowIndex, 1);
});

test('async evaluation does not block the event loop', async (t) => {
  // One evaluation thread, so the JS thread keeps a core of its own on a small machine.
  const e = engine({ threads: 1 });
  const line = '{"amount":5,"country":"US","user":"someone","note":"padding padding padding"}\n';
  const payload = Buffer.from(line.repeat(600_000)); // ~48 MB

  let ticks = 0;
  let last = performance.now();
  let maxGap = 0;
  const timer = setInterval(() => {
    const now = performance.now();
    maxGap = Math.max(maxGap, now - last);
    last = now;
    ticks++;
  }, 5);
  // Five turns of the event loop in a row (each setImmediate schedules the next): they all run
  // before the batch is done only if it is evaluated off this thread. Turns, not timings: a
  // loaded machine stretches both sides alike.
  let turns = 0;
  const turn = (): void => {
    if (++turns < 5) setImmediate(turn);
  };
  const started = performance.now();
  const pending = e.evaluateNdjson(payload);
  setImmediate(turn);
  let turnsBeforeDone = -1;
  const r = await pending.then((res) => {
    turnsBeforeDone = turns;
    return res;
  });
  const asyncMs = performance.now() - started;
  clearInterval(timer);
  t.is(r.nRecords, 600_000);
  t.log(`async ${asyncMs.toFixed(0)} ms, ${ticks} interval ticks, longest gap ${maxGap.toFixed(0)} ms`);
  t.is(turnsBeforeDone, 5, 'the event loop turned while the batch was evaluated');
});

test('several async batches can be in flight at once', async (t) => {
  const e = engine();
  const batches = Array.from({ length: 8 }, (_, i) => `{"amount":${i}}\n`.repeat(1000 + i));
  const results = await Promise.all(batches.map((b) => e.evaluateNdjson(b)));
  results.forEach((r, i) => {
    t.is(r.nRecords, 1000 + i);
    t.is(r.matchCounts.positive, i === 0 ? 0 : 1000 + i);
  });
});
