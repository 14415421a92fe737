#!/usr/bin/env node
// Peak memory and time of the worst hostile inputs (issue 13): each case runs in a fresh
// process (the CLI, or this script with --child CASE, both with benchmarks/lib/hwm.cjs
// preloaded to report the peak RSS, VmHWM, at exit), next to the bound it must stay under,
// derived from README "Limits". Writes the "Hostile input: peak memory" section of
// benchmarks/RESULTS.md (or --out FILE) and the raw numbers to
// benchmarks/data/hostile-last-run.json.
//
//   node benchmarks/hostile-memory.mjs [--quick] [--only SUBSTRING] [--out FILE] [--check]
//   (--only re-runs the cases whose name contains SUBSTRING, the others kept from the last run)
//   node benchmarks/run.mjs --hostile          (the same, from the suite's runner)
//
// --quick: data a sixteenth of the size (bounds scale with it). --check: exit 1 if a case
// goes over its bound or ends otherwise than expected. Nothing else is asserted.

import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { fmtMB, table } from './lib/format.mjs';
import { upsertSection } from './lib/sections.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..');
const DATA = path.join(HERE, 'data', 'hostile');
const CLI = path.join(ROOT, 'dist', 'cli.js');
const HWM = path.join(HERE, 'lib', 'hwm.cjs');
const HEADING = '## Hostile input: peak memory';

const MiB = 1 << 20;
const GiB = 1 << 30;
/** README "Limits" defaults. */
const LIMITS = { maxFileBytes: GiB, maxRulesFileBytes: 16 * MiB, maxLookupFileBytes: 256 * MiB };
/** `eval` reads NDJSON in chunks of this many bytes (src/cli/eval.ts CHUNK_BYTES). */
const CHUNK = 10_240_000;
/** What a Node process with the addon loaded and a small rule set may take before any input. */
const BASE = 128 * MiB;
/** Rules load: at most ~20 times the files' size (issue 13; the 10 MB file under 300 MB). */
const RULES_FACTOR = 20;
const rulesBound = (bytes) => BASE + RULES_FACTOR * bytes;
/** Rules load of many tiny rules: ~30 times the file. Every mapping of the parsed document is
 * a B-tree node of ~632 bytes however few keys it holds (heaptrack: 632 bytes a node), and a
 * ~140-byte rule `{id, action, weight, conditions: {and: [leaf, leaf]}}` has four: ~2.5 KB
 * parsed, ~18 times its text, before its strings (measured: 544 MiB for the 16 MiB file,
 * 26 times it on top of BASE). */
const SMALL_RULES_FACTOR = 30;

const argv = process.argv.slice(2);
const arg = (name) => {
  const i = argv.indexOf(`--${name}`);
  return i >= 0 ? argv[i + 1] : undefined;
};
const QUICK = argv.includes('--quick');
/** Data sizes: the worst case at the default limits, or a sixteenth of it. */
const SCALE = QUICK ? 1 / 16 : 1;
const size = (bytes) => Math.round(bytes * SCALE);

const SMALL_RULES = `rules:
  - {id: big, action: block, conditions: {field: amount, op: gt, value: 10000}}
  - {id: kp, action: review, conditions: {field: country, op: in, values: [KP, IR]}}
`;

// ------------------------------------------------------------------ data, made once and cached

/** A file of `bytes` made by `write(fd)` unless it exists with that size. */
function cached(name, bytes, write) {
  const file = path.join(DATA, name);
  if (fs.existsSync(file) && fs.statSync(file).size === bytes) return file;
  fs.mkdirSync(DATA, { recursive: true });
  const fd = fs.openSync(file, 'w');
  try {
    write(fd);
  } finally {
    fs.closeSync(fd);
  }
  if (fs.statSync(file).size !== bytes) throw new Error(`${file}: wrote ${fs.statSync(file).size}, meant ${bytes}`);
  return file;
}

/** One line of `bytes` bytes, no newline: a record whose string never closes. */
function endlessLine(bytes) {
  return cached(`endless-${bytes}.ndjson`, bytes, (fd) => {
    const head = Buffer.from('{"amount":20000,"pad":"');
    fs.writeSync(fd, head);
    const block = Buffer.alloc(8 * MiB, 'x');
    for (let left = bytes - head.length; left > 0; left -= block.length)
      fs.writeSync(fd, block, 0, Math.min(left, block.length));
  });
}

/** A sparse file of `bytes` zero bytes (nothing needs reading to refuse it). */
function sparse(bytes) {
  const file = path.join(DATA, `sparse-${bytes}`);
  fs.mkdirSync(DATA, { recursive: true });
  fs.closeSync(fs.openSync(file, 'w'));
  fs.truncateSync(file, bytes);
  return file;
}

function rulesFile(name, text) {
  const file = path.join(DATA, name);
  fs.mkdirSync(DATA, { recursive: true });
  fs.writeFileSync(file, text);
  return file;
}

const CHILD = arg('child') !== undefined;

/** A rules file whose text `make` builds: written by the parent (a case's `prepare`); the
 * child being measured only names it, since building the text (a million small strings,
 * joined) would count in its peak: ~130 MiB for the 10 MB `in` list. */
function generated(name, make) {
  const file = path.join(DATA, name);
  if (CHILD && fs.existsSync(file)) return file;
  return rulesFile(name, make());
}

/** A rules file of about `bytes`: one `in` list of short distinct values (the issue's 1 M-value
 * list is 10 MB). */
function bigInList(bytes) {
  return generated(`in-list-${bytes}.yaml`, () => {
    const head =
      'rules:\n  - id: big_list\n    action: block\n    conditions:\n      field: user\n      op: in\n      values:\n';
    const parts = [head];
    let n = head.length;
    for (let i = 0; n < bytes - 32; i++) {
      const line = `        - u${i.toString(36).padStart(6, '0')}\n`;
      parts.push(line);
      n += line.length;
    }
    return parts.join('');
  });
}

/** A rules file of about `bytes`: many small rules. */
function manyRules(bytes) {
  return generated(`many-rules-${bytes}.yaml`, () => {
    const parts = ['rules:\n'];
    let n = parts[0].length;
    for (let i = 0; n < bytes - 200; i++) {
      const rule = `  - {id: r${i}, action: review, weight: ${i % 50}, conditions: {and: [{field: amount, op: gt, value: ${i}}, {field: country, op: eq, value: C${i % 97}}]}}\n`;
      parts.push(rule);
      n += rule.length;
    }
    return parts.join('');
  });
}

/** About `bytes` of a mapping of distinct keys, then the first key again: refused at the end. */
function lateDuplicate(bytes) {
  return generated(`late-duplicate-${bytes}.yaml`, () => {
    const parts = [`${SMALL_RULES}extra:\n`];
    let n = parts[0].length;
    for (let i = 0; n < bytes - 32; i++) {
      const line = `  k${i}: ${i}\n`;
      parts.push(line);
      n += line.length;
    }
    parts.push('  k0: again\n');
    return parts.join('');
  });
}

function aliasBomb(levels) {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
  let prev = 'a';
  for (let i = 0; i < levels; i++) {
    lines.push(`b${i}: &b${i} [${Array(10).fill(`*${prev}`).join(',')}]`);
    prev = `b${i}`;
  }
  return rulesFile(`alias-bomb-${levels}.yaml`, `${lines.join('\n')}\n${SMALL_RULES}`);
}

function deepBlock(levels) {
  return generated(`deep-block-${levels}.yaml`, () => {
    let s = 'x:\n';
    for (let i = 1; i <= levels; i++) s += `${' '.repeat(i)}k:\n`;
    return `${s}${' '.repeat(levels + 1)}1\n${SMALL_RULES}`;
  });
}

/** A lookup CSV of about `bytes` and rules that use it. */
function bigLookup(bytes) {
  const csv = cached(`lookup-${bytes}.csv`, bytes, (fd) => {
    let n = fs.writeSync(fd, 'value\n');
    let i = 0;
    const lines = [];
    while (n < bytes) {
      let line = `user-${(i++).toString(36).padStart(10, '0')}\n`;
      if (n + line.length > bytes) line = `${'z'.repeat(bytes - n - 1)}\n`;
      lines.push(line);
      n += line.length;
      if (lines.length === 65536 || n >= bytes) {
        fs.writeSync(fd, lines.join(''));
        lines.length = 0;
      }
    }
  });
  return rulesFile(
    `lookup-${bytes}.yaml`,
    `rules:\n  - {id: u, action: block, conditions: {field: user, op: in_lookup, lookup: users}}\nlookups:\n  users: {type: string_set, path: ${JSON.stringify(path.basename(csv))}}\n`,
  );
}

/** One record repeating `key` `n` times: `{"key":0,"key":1,…}`. Its size is counted, not
 * built: the child that measures the engine must not hold the million strings that make it
 * (they took ~115 MiB of its peak). */
function repeatedKey(key, n) {
  let bytes = 2 + (n - 1);
  for (let digits = 1, lo = 0; lo < n; lo = 10 ** digits++)
    bytes += (key.length + 3 + digits) * (Math.min(n, 10 ** digits) - lo);
  return cached(`repeated-${key}-${n}.ndjson`, bytes, (fd) => {
    const body = Array.from({ length: n }, (_, i) => `"${key}":${i}`).join(',');
    fs.writeSync(fd, `{${body}}`);
  });
}

// ------------------------------------------------------------------ the cases

/**
 * Each case: what it is, how it is run (`cli` arguments, or `api` run in a child of this
 * script, with an optional shell `stdin` pipeline), what must come of it (`expect`, a regular
 * expression over the child's stdout + stderr) and its bound (bytes, and why).
 */
function cases() {
  const rules = rulesFile('small.yaml', SMALL_RULES);
  const line = size(LIMITS.maxFileBytes);
  const stdinBytes = size(500e6);
  const rulesCap = size(LIMITS.maxRulesFileBytes);
  const lookupCap = size(LIMITS.maxLookupFileBytes);
  const mb = (b) => `${fmtMB(b / MiB)} MiB`;
  const recordLine = '{"amount":20000,"country":"KP","user":"someone","note":"an ordinary record of about 100 bytes"}';
  return [
    {
      name: 'baseline: node, the addon, a small rule set, one record',
      api: { op: 'ndjson', rules, data: null },
      expect: /"records":1/,
      bound: BASE,
      why: 'the allowance every other bound starts from',
    },
    {
      name: `evaluateNdjsonFile: one endless line of ${mb(line)} (the maxFileBytes cap)`,
      prepare: () => endlessLine(line),
      api: { op: 'file', rules, data: endlessLine },
      arg: line,
      expect: /"skipped":1/,
      bound: BASE + line,
      why: 'read whole (≤ maxFileBytes)',
    },
    {
      name: `evaluateNdjsonFile: one endless line of ${mb(line)}, maxRecordBytes 1 MiB`,
      prepare: () => endlessLine(line),
      api: { op: 'file', rules, data: endlessLine, config: { maxRecordBytes: MiB } },
      arg: line,
      expect: /RECORD_TOO_LARGE/,
      bound: BASE + line + MiB,
      why: 'read whole (≤ maxFileBytes); the record over maxRecordBytes is skipped',
    },
    {
      name: 'evaluateNdjsonFile: 1 GiB + 1 byte (sparse)',
      api: { op: 'file', rules, data: () => sparse(LIMITS.maxFileBytes + 1) },
      expect: /FILE_TOO_LARGE/,
      bound: BASE,
      why: 'refused before reading',
    },
    {
      name: 'evaluateNdjsonFile: /dev/zero',
      api: { op: 'file', rules, data: () => '/dev/zero' },
      expect: /IO_ERROR.*character device/,
      bound: BASE,
      why: 'not a regular file: refused before reading',
    },
    {
      name: `eval --path: one endless line of ${mb(line)}, no --max-record-bytes`,
      prepare: () => endlessLine(line),
      cli: () => ['eval', '--rules', rules, '--path', endlessLine(line)],
      expect: /"messages_skipped":1/,
      bound: BASE + 2 * CHUNK + line,
      why: 'two chunks plus the longest line kept, once (maxFileBytes without --max-record-bytes)',
    },
    {
      name: `eval --path: one endless line of ${mb(line)}, --max-record-bytes 1 MiB`,
      prepare: () => endlessLine(line),
      cli: () => ['eval', '--rules', rules, '--path', endlessLine(line), '--max-record-bytes', String(MiB)],
      expect: /"RECORD_TOO_LARGE":1/,
      bound: BASE + 2 * CHUNK + MiB,
      why: 'two chunks plus maxRecordBytes',
    },
    {
      name: 'eval --path /dev/zero',
      cli: () => ['eval', '--rules', rules, '--path', '/dev/zero'],
      expect: /not a regular file/,
      bound: BASE,
      why: 'not a regular file: refused before reading',
    },
    ...[stdinBytes / 10, stdinBytes].map((bytes) => ({
      name: `eval --stdin: ${mb(bytes)} of ~100-byte records, --max-record-bytes 1 MiB, decisions-jsonl out`,
      stdin: `yes '${recordLine}' | head -c ${Math.round(bytes)}`,
      cli: () => [
        'eval',
        '--rules',
        rules,
        '--stdin',
        '--max-record-bytes',
        String(MiB),
        '--output',
        'decisions-jsonl',
        '--output-path',
        '/dev/null',
      ],
      expect: /^$/,
      bound: BASE + 2 * CHUNK + MiB,
      why: 'two chunks plus maxRecordBytes, whatever the input size',
    })),
    {
      name: `eval --stdin: ${mb(stdinBytes)} of zero bytes without a newline, --max-record-bytes 1 MiB`,
      stdin: `head -c ${stdinBytes} /dev/zero`,
      cli: () => ['eval', '--rules', rules, '--stdin', '--max-record-bytes', String(MiB)],
      expect: /"RECORD_TOO_LARGE":1/,
      bound: BASE + 2 * CHUNK + MiB,
      why: 'two chunks plus maxRecordBytes',
    },
    {
      name: 'evaluateNdjson: one record repeating "amount" 1 M times (read by a rule)',
      prepare: () => repeatedKey('amount', 1e6),
      api: { op: 'ndjson', rules, data: () => repeatedKey('amount', 1e6) },
      expect: /"warnings":999999/,
      bound: BASE + 4 * 14 * MiB,
      why: 'no record limit by default: a few times the record (~14 MB); warnings counted, samples capped',
    },
    {
      name: 'evaluateNdjson: one record repeating an unread key 1 M times',
      prepare: () => repeatedKey('zz', 1e6),
      api: { op: 'ndjson', rules, data: () => repeatedKey('zz', 1e6) },
      expect: /"records":1/,
      bound: BASE + 4 * 12 * MiB,
      why: 'no record limit by default: a few times the record (~12 MB)',
    },
    {
      name: 'evaluateNdjson: a record nested 10 M arrays deep',
      api: {
        op: 'ndjson',
        rules,
        data: () => cached('deep-10M.ndjson', 1e7, (fd) => fs.writeSync(fd, '['.repeat(1e7))),
      },
      expect: /nesting deeper than 1024/,
      bound: BASE + 4 * 10e6,
      why: 'a few times the record; reading stops at level 1025',
    },
    {
      name: `loadRules: a ${mb(size(10e6))} rules file, one \`in\` list (the issue's 1 M values)`,
      prepare: () => bigInList(size(10e6)),
      api: { op: 'rules', rules: () => bigInList(size(10e6)) },
      expect: /"rules":1/,
      bound: Math.min(300e6, rulesBound(size(10e6))),
      why: '~20 × the file; issue 13: the 10 MB file under 300 MB',
    },
    {
      name: `loadRules: a rules file at the cap (${mb(rulesCap)}), one \`in\` list`,
      prepare: () => bigInList(rulesCap),
      api: { op: 'rules', rules: () => bigInList(rulesCap) },
      expect: /"rules":1/,
      bound: rulesBound(rulesCap),
      why: '~20 × the file, the file ≤ maxRulesFileBytes',
    },
    {
      name: `loadRules: a rules file at the cap (${mb(rulesCap)}) of small rules`,
      prepare: () => manyRules(rulesCap),
      api: { op: 'rules', rules: () => manyRules(rulesCap) },
      expect: /"rules":\d{4,}/,
      bound: BASE + SMALL_RULES_FACTOR * rulesCap,
      why: '~30 × the file for tiny rules (a parsed mapping: ~632 bytes however small), the file ≤ maxRulesFileBytes',
    },
    {
      name: 'loadRules: 16 MiB + 1 byte (sparse)',
      api: { op: 'rules', rules: () => sparse(LIMITS.maxRulesFileBytes + 1) },
      expect: /FILE_TOO_LARGE/,
      bound: BASE,
      why: 'refused before reading',
    },
    {
      name: 'loadRules: /dev/zero',
      api: { op: 'rules', rules: () => '/dev/zero' },
      expect: /IO_ERROR/,
      bound: BASE,
      why: 'not a regular file: refused before reading',
    },
    {
      name: 'loadRules: an alias bomb (10^7 nodes in 8 lines)',
      api: { op: 'rules', rules: () => aliasBomb(6) },
      expect: /too many alias expansions/,
      bound: BASE + 64 * MiB,
      why: 'expansion stops after 200 000 nodes',
    },
    {
      name: 'loadRules: a block mapping 3000 levels deep',
      prepare: () => deepBlock(3000),
      api: { op: 'rules', rules: () => deepBlock(3000) },
      expect: /nesting too deep/,
      bound: BASE + 64 * MiB,
      why: 'refused by depth',
    },
    {
      name: `loadRules: a rules file at the cap (${mb(rulesCap)}) of distinct keys, then the first again`,
      prepare: () => lateDuplicate(rulesCap),
      api: { op: 'rules', rules: () => lateDuplicate(rulesCap) },
      expect: /duplicate key \W*k0/,
      bound: rulesBound(rulesCap),
      why: '~20 × the file, the file ≤ maxRulesFileBytes',
    },
    {
      name: 'loadRules: a lookup path /dev/zero (lookupRoots: /)',
      api: {
        op: 'rules',
        rules: () =>
          rulesFile(
            'lookup-zero.yaml',
            'rules:\n  - {id: u, action: block, conditions: {field: user, op: in_lookup, lookup: z}}\nlookups:\n  z: {type: string_set, path: /dev/zero}\n',
          ),
        config: { lookupRoots: ['/'] },
      },
      expect: /IO_ERROR.*not a regular file/,
      bound: BASE,
      why: 'not a regular file: refused before reading',
    },
    {
      name: `loadRules: a lookup at the cap (${mb(lookupCap)} CSV)`,
      prepare: () => bigLookup(lookupCap),
      api: { op: 'rules', rules: () => bigLookup(lookupCap) },
      expect: /"rules":1/,
      bound: rulesBound(lookupCap),
      why: '~20 × the files read (≤ maxLookupFileBytes)',
    },
  ];
}

// ------------------------------------------------------------------ the child: one API case

async function child(name) {
  const c = cases().find((x) => x.name === name);
  if (c === undefined) throw new Error(`no case ${name}`);
  const require = createRequire(import.meta.url);
  const { RuleEngine } = require(path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || ROOT));
  const { op, config } = c.api;
  const engine = new RuleEngine({ ...(config ?? {}) });
  const rules = typeof c.api.rules === 'function' ? c.api.rules() : c.api.rules;
  let out;
  try {
    const report = engine.loadRules(rules);
    out = { rules: report.ruleCount };
    if (op === 'ndjson') {
      const data = c.api.data ? fs.readFileSync(c.api.data()) : Buffer.from('{"amount":5}\n');
      const r = await engine.evaluateNdjson(data);
      out = { ...out, ...summary(r) };
    } else if (op === 'file') {
      out = { ...out, ...summary(await engine.evaluateNdjsonFile(c.api.data(c.arg))) };
    }
  } catch (err) {
    out = { error: `${err.code ?? err.name}: ${String(err.message).slice(0, 200)}` };
  }
  console.log(JSON.stringify(out));
}

const summary = (r) => ({
  records: r.nRecords,
  skipped: r.messagesSkipped,
  errors: r.errorCounts,
  warnings: Object.values(r.warningCounts).reduce((a, b) => a + b, 0),
  sample: r.errorSamples[0]?.message.slice(0, 120),
});

// ------------------------------------------------------------------ the parent

/** Runs a case in a fresh process: its peak RSS (kB), wall time, exit status and output. */
function run(c) {
  const hwmFile = path.join(os.tmpdir(), `blazerules-hwm-${process.pid}-${Date.now()}.json`);
  const node = [process.execPath, '-r', HWM];
  const self = [fileURLToPath(import.meta.url), '--child', c.name, ...(QUICK ? ['--quick'] : [])];
  const cmd = c.cli ? [...node, CLI, ...c.cli()] : [...node, ...self];
  const quoted = cmd.map((a) => `'${a.replaceAll("'", "'\\''")}'`).join(' ');
  const shell = c.stdin ? `${c.stdin} | ${quoted}` : `exec ${quoted}`;
  const started = performance.now();
  return new Promise((resolve) => {
    const p = spawn('sh', ['-c', shell], {
      cwd: ROOT,
      env: { ...process.env, BLAZERULES_HWM_FILE: hwmFile },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    const keep = (d) => {
      if (output.length < 4096) output += d.toString();
    };
    p.stdout.on('data', keep);
    p.stderr.on('data', keep);
    const timer = setTimeout(() => p.kill('SIGKILL'), 600_000);
    p.on('close', (status, signal) => {
      clearTimeout(timer);
      const wallMs = performance.now() - started;
      let hwmKb;
      try {
        hwmKb = JSON.parse(fs.readFileSync(hwmFile, 'utf8')).hwmKb;
        fs.rmSync(hwmFile);
      } catch {}
      resolve({ status, signal, wallMs, hwmKb, output: output.trim() });
    });
  });
}

function markdown(rows, M) {
  const mib = (kb) => (kb === undefined ? '—' : fmtMB(kb / 1024));
  const lines = rows.map((r) => [
    r.name,
    `${mib(r.hwmKb)} MiB`,
    `${fmtMB(r.bound / MiB)} MiB: ${r.why}`,
    r.within ? 'yes' : '**no**',
    `${(r.wallMs / 1000).toFixed(1)} s`,
    r.expected ? r.outcome : `**unexpected:** ${r.outcome}`,
  ]);
  return [
    HEADING,
    '',
    `\`node benchmarks/hostile-memory.mjs${QUICK ? ' --quick' : ''}\` (or \`node benchmarks/run.mjs --hostile\`), ${M.date}: ${M.nproc} CPUs, ${M.memGB} GB, node ${M.node}${QUICK ? '; --quick: data a sixteenth of the default limits' : ''}.`,
    '',
    'Each worst case runs in a fresh process; peak RSS is its VmHWM at exit (node, the addon and all);',
    'time is wall time on a machine shared with other work (the rules loads vary by 3× from run to run).',
    `Bounds follow README "Limits": ${fmtMB(BASE / MiB)} MiB for node with the addon and a small rule set, plus what`,
    'the limit lets in (a file read whole: its size; `eval`: two chunks of ~10 MB; a rules load: ~20 × the files',
    'read, issue 13; ~30 × for a file of tiny rules). Rules files at 16 MiB and lookups at 256 MiB are the default caps.',
    '',
    table(['case', 'peak RSS', 'bound: base + what the limits let in', 'within', 'time', 'outcome'], lines),
    '',
    ...over(rows),
  ].join('\n');
}

/** The cases over their bound, each with how far over and why the bound is what it is. */
function over(rows) {
  const bad = rows.filter((r) => !r.within);
  if (bad.length === 0) return ['Every case stays within its bound.', ''];
  return [
    'Over the bound (for the engine to fix; the bound says what the limits promise):',
    '',
    ...bad.map(
      (r) =>
        `- ${r.name}: ${fmtMB((r.hwmKb ?? 0) / 1024)} MiB, ${(((r.hwmKb ?? 0) * 1024) / r.bound).toFixed(2)} × its bound, in ${(r.wallMs / 1000).toFixed(1)} s.`,
    ),
    '',
  ];
}

/** A short outcome line from a child's output. */
function outcome(r) {
  if (r.signal) return `killed (${r.signal})`;
  const text = r.output.replace(/\s+/g, ' ');
  return `exit ${r.status}${text ? `: ${text.slice(0, 110)}` : ''}`;
}

const LAST_RUN = path.join(HERE, 'data', 'hostile-last-run.json');

/** Rows of the last run in the same mode, by case name (for `--only`, which re-runs some). */
function lastRows() {
  try {
    const last = JSON.parse(fs.readFileSync(LAST_RUN, 'utf8'));
    return last.quick === QUICK ? new Map(last.rows.map((r) => [r.name, r])) : new Map();
  } catch {
    return new Map();
  }
}

/** Runs the cases (those whose name contains `only`, the others kept from the last run). */
export async function runHostileBenchmark({ log = console.error, only } = {}) {
  if (!fs.existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
  const previous = only ? lastRows() : new Map();
  const rows = [];
  for (const c of cases()) {
    if (only && !c.name.includes(only)) {
      if (previous.has(c.name)) rows.push(previous.get(c.name));
      continue;
    }
    c.prepare?.();
    const r = await run(c);
    const row = {
      name: c.name,
      bound: c.bound,
      why: c.why,
      ...r,
      within: r.hwmKb !== undefined && r.hwmKb * 1024 <= c.bound,
      outcome: outcome(r),
      expected: c.expect.test(r.output),
    };
    rows.push(row);
    log(
      `  ${c.name}: ${fmtMB((r.hwmKb ?? 0) / 1024)} MiB (bound ${fmtMB(c.bound / MiB)}), ${(r.wallMs / 1000).toFixed(1)} s, ${row.outcome}`,
    );
  }
  const machine = {
    date: new Date().toISOString().slice(0, 10),
    nproc: os.cpus().length,
    memGB: (os.totalmem() / 2 ** 30).toFixed(0),
    node: process.version,
  };
  fs.mkdirSync(path.dirname(LAST_RUN), { recursive: true });
  fs.writeFileSync(LAST_RUN, JSON.stringify({ quick: QUICK, machine, rows }, null, 2));
  return { rows, markdown: markdown(rows, machine) };
}

/** Replaces this benchmark's section of a results file (or appends it). */

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  if (arg('child') !== undefined) {
    child(arg('child')).catch((e) => {
      console.error(e);
      process.exit(1);
    });
  } else {
    const out = path.resolve(arg('out') ?? path.join(HERE, 'RESULTS.md'));
    runHostileBenchmark({ only: arg('only') })
      .then(({ rows, markdown: md }) => {
        upsertSection(out, md);
        console.log(md);
        const bad = rows.filter((r) => !r.within || !r.expected);
        if (argv.includes('--check') && bad.length > 0) process.exit(1);
      })
      .catch((e) => {
        console.error(e);
        process.exit(1);
      });
  }
}
