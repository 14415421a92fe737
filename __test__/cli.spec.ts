/** The `blazerules` command, spawned from the built dist/cli.js (run `npm run build` first). */
import test from 'ava';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..');
const CLI = join(ROOT, 'dist', 'cli.js');
const RULES = join(__dirname, 'fixtures', 'rules');
const BASIC = join(RULES, 'basic.yaml');

interface Run {
  status: number | null;
  stdout: string;
  stderr: string;
}

function run(args: string[], input?: string | Buffer): Run {
  const r = spawnSync(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    input,
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function json(s: string): Record<string, unknown> {
  return JSON.parse(s) as Record<string, unknown>;
}

const tmp = mkdtempSync(join(tmpdir(), 'blazerules-cli-'));
const SAMPLE = join(tmp, 'sample.ndjson');
writeFileSync(
  SAMPLE,
  [
    '{"amount":5000,"country":"US","user":"alice"}',
    '{"amount":500,"country":"NG","user":"bob"}',
    'not json',
    '',
    '{"amount":10,"country":"US","user":"mallory"}',
    '{"country":"US"}',
  ].join('\n'),
);

test.before(() => {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build\` first`);
});

test('info', (t) => {
  const r = run(['info']);
  t.is(r.status, 0);
  const info = json(r.stdout);
  t.deepEqual(Object.keys(info), ['version', 'rule_yaml_compatibility', 'features', 'threads']);
  const features = info.features as Record<string, unknown>;
  t.deepEqual(Object.keys(features), ['kafka']);
  t.is(typeof features.kafka, 'boolean');
  t.is(typeof info.threads, 'number');
  const pkg = json(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  t.is(info.version, pkg.version);
  t.is(run(['--version']).stdout.trim(), String(pkg.version));
});

test('validate: ok', (t) => {
  const r = run(['validate', '--rules', BASIC]);
  t.is(r.status, 0, r.stderr);
  const out = json(r.stdout);
  t.is(out.ok, true);
  t.is(out.ruleset_version, '3.1.4');
  t.is(out.rules, 4);
});

test('validate --sample', (t) => {
  const r = run(['validate', `--rules=${BASIC}`, `--sample=${SAMPLE}`]);
  t.is(r.status, 0, r.stderr);
  const out = json(r.stdout);
  t.is(out.sample_records, 4);
  t.is(out.sample_skipped, 1);
  t.deepEqual(out.rule_match_counts, { big_amount: 1, risky_country: 1, blocked_user: 1, audit_everything: 3 });
});

test('validate: every problem as file:line:column: CODE message, exit 2', (t) => {
  const file = join(RULES, 'problems.yaml');
  const r = run(['validate', '--rules', file]);
  t.is(r.status, 2);
  t.is(r.stdout, '');
  const lines = r.stderr.trim().split('\n');
  t.is(lines.length, 4);
  for (const l of lines) t.regex(l, /^.*problems\.yaml:\d+:\d+: [A-Z_]+ .+$/);
  t.true(lines.includes(`${file}:7:15: UNKNOWN_ACTION unknown action: 'explode'`));
  t.true(lines.includes(`${file}:14:17: UNKNOWN_OP unknown operator: 'bogus'`));
  const syntax = run(['validate', '--rules', join(RULES, 'syntax.json')]);
  t.is(syntax.status, 2);
  t.is(syntax.stderr.trim(), `${join(RULES, 'syntax.json')}:4:18: YAML_SYNTAX_ERROR invalid JSON: trailing comma`);
});

test('eval: summary (default)', (t) => {
  const r = run(['eval', '--rules', BASIC, '--path', SAMPLE]);
  t.is(r.status, 0, r.stderr);
  const s = json(r.stdout);
  t.deepEqual(Object.keys(s).slice(0, 8), [
    'batches',
    'records',
    'matched_records',
    'messages_processed',
    'messages_skipped',
    'rule_match_count_entries',
    'timing_ms',
    'error_counts',
  ]);
  t.like(s, {
    batches: 1,
    records: 4,
    matched_records: 3,
    messages_processed: 5,
    messages_skipped: 1,
    error_counts: { MALFORMED_JSON: 1 },
  });
});

test('eval: decisions-jsonl', (t) => {
  const r = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--output', 'decisions-jsonl']);
  t.is(r.status, 0, r.stderr);
  t.deepEqual(r.stdout.trim().split('\n'), [
    '{"row":0,"line":1,"matched":true,"decision":"BLOCK","score":10,"risk_band":"HIGH","winning_rule_id":"big_amount"}',
    '{"row":1,"line":2,"matched":true,"decision":"REVIEW","score":30,"risk_band":"MEDIUM","winning_rule_id":"risky_country"}',
    '{"row":2,"line":5,"matched":true,"decision":"FLAG","score":10,"risk_band":"LOW","winning_rule_id":"blocked_user"}',
    '{"row":3,"line":6,"matched":false,"decision":"APPROVE","score":0,"risk_band":"LOW","winning_rule_id":""}',
  ]);
});

test('eval: grouped-decisions, rule-counts, none', (t) => {
  const g = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--output', 'grouped-decisions']);
  t.is(g.status, 0, g.stderr);
  t.deepEqual(json(g.stdout), { APPROVE: [3], BLOCK: [0], FLAG: [2], REVIEW: [1] });
  const c = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--output=rule-counts']);
  t.deepEqual(json(c.stdout), { big_amount: 1, risky_country: 1, blocked_user: 1, audit_everything: 3 });
  const n = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--output', 'none']);
  t.is(n.status, 0);
  t.is(n.stdout, '');
});

test('eval --stdin and --input json-array', (t) => {
  const ndjson = readFileSync(SAMPLE);
  const r = run(['eval', '--rules', BASIC, '--stdin', '--output', 'rule-counts'], ndjson);
  t.is(r.status, 0, r.stderr);
  t.is(json(r.stdout).audit_everything, 3);
  const arr = JSON.stringify([{ amount: 5000 }, { amount: 1, user: 'trudy' }]);
  const a = run(['eval', '--rules', BASIC, '--stdin', '--input', 'json-array', '--output', 'decisions-jsonl'], arr);
  t.is(a.status, 0, a.stderr);
  t.deepEqual(
    a.stdout
      .trim()
      .split('\n')
      .map((l) => json(l).winning_rule_id),
    ['big_amount', 'blocked_user'],
  );
  const file = join(tmp, 'records.json');
  writeFileSync(file, arr);
  const f = run(['eval', '--rules', BASIC, '--path', file, '--output', 'rule-counts']);
  t.is(json(f.stdout).big_amount, 1);
});

test('eval --output-path defaults to decisions-jsonl', (t) => {
  const out = join(tmp, 'decisions.jsonl');
  const r = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--output-path', out]);
  t.is(r.status, 0, r.stderr);
  t.is(r.stdout, '');
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  t.is(lines.length, 4);
  t.is(json(lines[0] ?? '').decision, 'BLOCK');
});

test('eval streams large files in chunks; decisions-jsonl rows are global', (t) => {
  const file = join(tmp, 'big.ndjson');
  const line = (i: number): string => JSON.stringify({ amount: i % 3 === 0 ? 5000 : 1, n: i, pad: 'y'.repeat(100) });
  const n = 30_000; // ~4 MB: four 1 MiB chunks with --batch-size 1
  const parts: string[] = [];
  for (let i = 0; i < n; i++) parts.push(line(i));
  parts.splice(100, 0, 'garbage');
  writeFileSync(file, parts.join('\n')); // no final newline
  const s = run(['eval', '--rules', BASIC, '--path', file, '--batch-size', '1']);
  t.is(s.status, 0, s.stderr);
  const summary = json(s.stdout);
  t.true((summary.batches as number) >= 4, `batches: ${String(summary.batches)}`);
  t.is(summary.records, n);
  t.is(summary.messages_skipped, 1);
  const d = run(['eval', '--rules', BASIC, '--path', file, '--batch-size', '1', '--output', 'decisions-jsonl']);
  t.is(d.status, 0, d.stderr);
  const rows = d.stdout
    .trim()
    .split('\n')
    .map((l) => json(l));
  t.is(rows.length, n);
  rows.forEach((row, i) => {
    if (row.row !== i || row.decision !== (i % 3 === 0 ? 'BLOCK' : 'APPROVE'))
      t.fail(`row ${i}: ${JSON.stringify(row)}`);
  });
  const g = run(['eval', '--rules', BASIC, '--path', file, '--batch-size', '1', '--output', 'grouped-decisions']);
  const grouped = json(g.stdout) as Record<string, number[]>;
  t.is(grouped.BLOCK?.length, n / 3);
  t.is(grouped.BLOCK?.[n / 3 - 1], n - 3);
});

test('bench --json', (t) => {
  const r = run(['bench', '--rules', BASIC, '--path', SAMPLE, '--seconds', '0.3', '--json']);
  t.is(r.status, 0, r.stderr);
  const b = json(r.stdout);
  t.true((b.records as number) >= 4);
  t.true((b.records_per_sec as number) > 0);
  t.true((b.mb_per_sec as number) >= 0);
  t.deepEqual(b.rule_fire_counts, { big_amount: 1, risky_country: 1, blocked_user: 1, audit_everything: 3 });
  const cost = b.rule_cost_ns_per_record as Record<string, number>;
  t.deepEqual(Object.keys(cost), ['big_amount', 'risky_country', 'blocked_user', 'audit_everything']);
  for (const ns of Object.values(cost)) t.true(ns >= 0);
  const lat = b.batch_latency_ms as { p50: number; p99: number };
  t.true(lat.p50 >= 0 && lat.p99 >= lat.p50);
  t.is(r.stderr, ''); // no progress line when stderr is not a terminal
  const text = run(['bench', '--rules', BASIC, '--path', SAMPLE, '--seconds', '0']);
  t.is(text.status, 0, text.stderr);
  t.regex(text.stdout, /records\/s/);
  t.regex(text.stdout, /p50/);
});

test('errors: exit 2 and "blazerules: <message>"', (t) => {
  const cases: [string[], RegExp][] = [
    [[], /^blazerules: no command given/],
    [['frobnicate'], /^blazerules: unknown command 'frobnicate'/],
    [['eval', '--path', SAMPLE], /^blazerules: --rules is required$/m],
    [['eval', '--rules', BASIC], /^blazerules: eval needs --path F or --stdin$/m],
    [['eval', '--rules', BASIC, '--path', SAMPLE, '--output', 'xml'], /^blazerules: --output must be one of/],
    [['eval', '--rules', BASIC, '--path', join(tmp, 'missing.ndjson')], /^blazerules: .*missing\.ndjson/],
    [['eval', '--rules', BASIC, '--path', SAMPLE, '--bogus', '1'], /^blazerules: unknown option --bogus/],
    [['bench', '--rules', BASIC], /^blazerules: --path is required$/m],
    [
      ['eval', '--rules', BASIC, '--path', SAMPLE, '--output-path', join(tmp, 'no-such-dir', 'out.jsonl')],
      /^blazerules: cannot write /,
    ],
    [['stream', 'kafka'], /^blazerules: --rules is required$/m],
    [['stream', 'files', '--rules', BASIC], /^blazerules: 'stream' needs a source: 'stream kafka' \(not 'files'\)/],
  ];
  for (const [args, re] of cases) {
    const r = run(args);
    t.is(r.status, 2, args.join(' '));
    t.regex(r.stderr, re, args.join(' '));
  }
  const bad = run(['eval', '--rules', join(RULES, 'problems.yaml'), '--path', SAMPLE]);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /problems\.yaml:7:15: UNKNOWN_ACTION/);
});

test('eval --ingest-error-mode fail: exit 2 with MALFORMED_JSON', (t) => {
  const r = run(['eval', '--rules', BASIC, '--path', SAMPLE, '--ingest-error-mode', 'fail']);
  t.is(r.status, 2);
  t.regex(r.stderr, /^blazerules: /);
});

test('eval --duplicate-keys: last wins by default (decided), reject skips the record as DUPLICATE_KEY', (t) => {
  const input = '{"amount":5,"amount":20000}\n{"amount":7}\n';
  const last = run(['eval', '--rules', BASIC, '--stdin', '--output', 'decisions-jsonl'], input);
  t.is(last.status, 0, last.stderr);
  const rows = last.stdout.trim().split('\n');
  t.is(rows.length, 2);
  t.is(json(rows[0] ?? '').winning_rule_id, 'big_amount', 'the last amount (20000) is the one read');
  const rejected = run(['eval', '--rules', BASIC, '--stdin', '--duplicate-keys', 'reject'], input);
  t.is(rejected.status, 0, rejected.stderr);
  const summary = json(rejected.stdout);
  t.is(summary.messages_skipped, 1, rejected.stdout);
  t.deepEqual(summary.error_counts, { DUPLICATE_KEY: 1 });
  const bad = run(['eval', '--rules', BASIC, '--stdin', '--duplicate-keys', 'first'], input);
  t.is(bad.status, 2);
  t.regex(bad.stderr, /--duplicate-keys/);
});

test('a rule id beyond 64 bits keeps every digit, in a JSON rules file as in YAML', (t) => {
  const id = '123456789012345678901234567890';
  const rule = { action: 'BLOCK', conditions: { field: 'amount', op: 'gt', value: 1000 } };
  const jsonFile = join(tmp, 'big-id.json');
  writeFileSync(jsonFile, `{"version":"2.0","rules":[{"id":${id},${JSON.stringify(rule).slice(1)}]}`);
  const yamlFile = join(tmp, 'big-id.yaml');
  writeFileSync(
    yamlFile,
    `version: "2.0"\nrules:\n  - id: ${id}\n    action: BLOCK\n    conditions: {field: amount, op: gt, value: 1000}\n`,
  );
  for (const file of [jsonFile, yamlFile]) {
    const r = run(['eval', '--rules', file, '--stdin', '--output', 'decisions-jsonl'], '{"amount":5000}\n');
    t.is(r.status, 0, r.stderr);
    t.is(json(r.stdout).winning_rule_id, id, file);
  }
});
