/** The CLI's NDJSON chunker (src/cli/streams.ts) and `eval`'s decision lines written through
 * reused buffers: what they hand over, byte for byte. */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { LineChunker, forEachChunk } from '../src/cli/streams';
import { RuleEngine } from '../src/index';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const tmp = mkdtempSync(join(tmpdir(), 'blazerules-chunks-'));

/** Collects each chunk as handed over (copied: the chunker reuses its buffers), checking that
 * the chunk before it is still intact when the next one comes (the chunker's promise). */
function collector(): { chunks: string[]; fn: (c: Buffer) => Promise<void>; broken: string[] } {
  const chunks: string[] = [];
  const broken: string[] = [];
  let last: { view: Buffer; text: string } | undefined;
  const fn = async (c: Buffer): Promise<void> => {
    if (last !== undefined && last.view.toString('latin1') !== last.text) broken.push(last.text.slice(0, 40));
    const text = c.toString('latin1');
    chunks.push(text);
    last = { view: c, text };
  };
  return { chunks, fn, broken };
}

/** Lines of `n` bytes (newline included) numbered in order, and one long line in the middle. */
function input(long: number): string {
  const lines: string[] = [];
  for (let i = 0; i < 300; i++) lines.push(`{"n":${String(i).padStart(5, '0')}}`);
  lines.splice(150, 0, `{"long":"${'y'.repeat(long)}"}`);
  return `${lines.join('\n')}\n`;
}

test('LineChunker: a line spanning many chunks is kept whole and equal; every chunk ends at a newline', async (t) => {
  const text = input(5000);
  const c = collector();
  const chunker = new LineChunker(256, Number.POSITIVE_INFINITY, c.fn);
  const data = Buffer.from(text, 'latin1');
  for (let at = 0; at < data.length; at += 7) await chunker.push(data.subarray(at, at + 7));
  await chunker.end();
  t.is(c.chunks.join(''), text);
  t.true(c.chunks.length > 10);
  for (const chunk of c.chunks) t.true(chunk.endsWith('\n'));
  const long = `{"long":"${'y'.repeat(5000)}"}\n`;
  t.true(c.chunks.some((chunk) => chunk.includes(long)));
  t.deepEqual(c.broken, []);
});

test('LineChunker: a line over maxLineBytes is its first bytes and a "." (the rest dropped); the lines after it are kept', async (t) => {
  const text = input(5000);
  const c = collector();
  const chunker = new LineChunker(256, 1000, c.fn);
  const data = Buffer.from(text, 'latin1');
  for (let at = 0; at < data.length; at += 100) await chunker.push(data.subarray(at, at + 100));
  await chunker.end();
  const long = `{"long":"${'y'.repeat(5000)}"}`;
  t.is(c.chunks.join(''), text.replace(long, `${long.slice(0, 1000)}.`));
  t.deepEqual(c.broken, []);
});

test('forEachChunk: read straight into the chunk buffers, a long line in one buffer of its size, the file whole', async (t) => {
  for (const [name, text] of [
    ['long-middle.ndjson', input(70_000)],
    // Ends with the long line and no newline: the buffer is full at the file's end.
    ['long-last.ndjson', `{"a":1}\n${'z'.repeat(300_000)}`],
  ] as const) {
    const file = join(tmp, name);
    writeFileSync(file, text, 'latin1');
    const c = collector();
    const bytes = await forEachChunk(file, 1024, Number.POSITIVE_INFINITY, c.fn);
    t.is(bytes, text.length, name);
    t.is(c.chunks.join(''), text, name);
    t.deepEqual(c.broken, [], name);
  }
});

test("eval's decision lines, written through reused 1 MiB buffers, equal toJSONLines byte for byte", async (t) => {
  const rules = join(tmp, 'rules.yaml');
  writeFileSync(
    rules,
    'rules:\n  - {id: big, action: block, conditions: {field: amount, op: gt, value: 100}}\n  - {id: kp, action: review, conditions: {field: country, op: eq, value: KP}}\n',
  );
  const records: string[] = [];
  for (let i = 0; i < 40_000; i++)
    records.push(JSON.stringify({ amount: (i * 37) % 300, country: i % 3 ? 'KP' : 'US' }));
  records.splice(7, 0, 'not json', '');
  const file = join(tmp, 'records.ndjson');
  writeFileSync(file, `${records.join('\n')}\n`);
  const r = spawnSync(
    process.execPath,
    [CLI, 'eval', '--rules', rules, '--path', file, '--output', 'decisions-jsonl'],
    {
      cwd: ROOT,
      maxBuffer: 1 << 30,
    },
  );
  t.is(r.status, 0, r.stderr.toString());
  const engine = new RuleEngine();
  engine.loadRules(rules);
  const batch = await engine.evaluateNdjson(Buffer.from(`${records.join('\n')}\n`));
  const expected = batch.toJSONLines({ format: 'decisions-jsonl' });
  t.true(expected.length > 2 << 20); // three buffers' worth at least
  t.true(r.stdout.equals(expected));
});
