/** The Kafka tutorial end to end against the real local broker: N records in, exactly N
 * decisions out, each the engine's own decision; commits only after delivery; malformed
 * records counted and skipped; both examples runnable by one command. */
import test from 'ava';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { RuleEngine } from '../src/index';
import { KafkaConsumer, KafkaProducer } from '../src/io';
import { runEnrichedLoop } from '../examples/kafka-enriched';
import { type LoopStats, runTutorialLoop } from '../examples/kafka-tutorial';
import {
  FAST_GROUP,
  brokers,
  committedOffsets,
  createTopics,
  produceAll,
  readTopic,
  uniqueName,
} from './helpers/kafka';

const ROOT = join(__dirname, '..');
const RULES = join(ROOT, 'examples', 'rules.yaml');
const execFileAsync = promisify(execFile);

let B = '';
test.before(() => {
  B = brokers();
});

function engine(): RuleEngine {
  const e = new RuleEngine();
  e.loadRules(RULES);
  return e;
}

const COUNTRIES = ['US', 'CA', 'DE', 'FR', 'KP', 'IR', 'BR', 'GB'];
/** `n` varied payment records, and `bad` malformed lines spread among them. */
function records(n: number, bad = 0): { good: string[]; all: string[] } {
  const good: string[] = [];
  for (let i = 0; i < n; i++) {
    const r: Record<string, unknown> = {
      id: i,
      amount: [25.5, 80, 999.99, 2500, 4200, 12000.01, 60, 15000][i % 8],
      country: COUNTRIES[(i * 7) % COUNTRIES.length],
      ip: i % 5 === 0 ? `10.0.${i % 256}.1` : `203.0.113.${i % 256}`,
      account_age_days: (i * 13) % 400,
    };
    if (i % 6 !== 0) r.email = i % 4 === 0 ? `u${i}@mailinator.com` : `u${i}@example.com`;
    good.push(JSON.stringify(r));
  }
  const all = [...good];
  for (let j = 0; j < bad; j++)
    all.splice(Math.floor(((j + 1) * all.length) / (bad + 1)), 0, j % 2 ? '{"amount": 12,' : 'not json at all');
  return { good, all };
}

/** The decision line evaluateNdjson gives for one record, without its batch-relative row. */
async function expectedRow(e: RuleEngine, line: string): Promise<string> {
  return stripRow((await e.evaluateNdjson(`${line}\n`)).toJSONLines().toString());
}
function stripRow(line: string): string {
  return line.trim().replace(/^\{"batch_row":\d+,/, '{');
}
function multiset(lines: readonly string[]): [string, number][] {
  const m = new Map<string, number>();
  for (const l of lines) m.set(l, (m.get(l) ?? 0) + 1);
  return [...m].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

test('tutorial loop: N records on 3 partitions -> exactly N decisions, each as evaluateNdjson decides it; malformed ones skipped', async (t) => {
  const [input, output, groupId] = [uniqueName('tut-in'), uniqueName('tut-out'), uniqueName('tut-group')];
  await createTopics(B, [
    [input, 3],
    [output, 3],
  ]);
  const N = 300;
  const BAD = 7;
  const { good, all } = records(N, BAD);
  await produceAll(B, input, all, (i) => `key-${i}`);

  const e = engine();
  const consumer = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const producer = new KafkaProducer({ brokers: B });
  let stats: LoopStats;
  try {
    stats = await runTutorialLoop({
      engine: e,
      consumer,
      producer,
      outputTopic: output,
      batchSize: 64,
      maxMessages: N + BAD,
      idleTimeoutMs: 60_000,
    });
  } finally {
    await consumer.close();
    await producer.close();
  }
  t.is(stats.messages, N + BAD);
  t.is(stats.evaluated, N);
  t.is(stats.skipped, BAD);
  t.is(stats.produced, N);
  t.true(stats.batches >= Math.ceil((N + BAD) / 64));
  t.is(
    Object.values(stats.decisions).reduce((a, b) => a + b, 0),
    N,
  );

  const out = await readTopic(B, output, N);
  t.is(out.length, N);
  t.true(out.every((r) => r.value.toString().endsWith('\n') && r.key === null));
  const expected = await Promise.all(good.map((l) => expectedRow(e, l)));
  t.deepEqual(multiset(out.map((r) => stripRow(r.value.toString()))), multiset(expected));

  const committed = await committedOffsets(B, groupId, input, 3);
  t.is(
    committed.reduce((a, b) => a + b, 0),
    N + BAD,
  );
});

test('tutorial loop: offsets stay uncommitted when the decisions cannot be delivered', async (t) => {
  const [input, groupId] = [uniqueName('tut-fail-in'), uniqueName('tut-fail-group')];
  await createTopics(B, [[input, 3]]);
  const { all } = records(30);
  await produceAll(B, input, all);

  const e = engine();
  const consumer = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  // The output topic does not exist and may not be created: every delivery fails.
  const producer = new KafkaProducer({
    brokers: B,
    conf: { 'allow.auto.create.topics': false, 'message.timeout.ms': 1500 },
  });
  let commits = 0;
  try {
    const err = await t.throwsAsync(
      runTutorialLoop({
        engine: e,
        consumer,
        producer,
        outputTopic: uniqueName('tut-missing-out'),
        maxMessages: 30,
        beforeCommit: () => {
          commits++;
        },
      }),
    );
    t.regex(err?.message ?? '', /not delivered; its offsets stay uncommitted/);
  } finally {
    await consumer.close();
    await producer.close().catch(() => undefined);
  }
  t.is(commits, 0);
  t.deepEqual(await committedOffsets(B, groupId, input, 3), [-1001, -1001, -1001]);

  // The same group gets every record again.
  const again = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const seen: Buffer[] = [];
  try {
    while (seen.length < 30) {
      const got = await again.pollBatch({ timeoutMs: 20_000 });
      if (got.length === 0) break;
      seen.push(...got);
    }
  } finally {
    await again.close();
  }
  t.is(seen.length, 30);
});

test('enriched loop: one keyed decision per record, naming its topic, partition and offset', async (t) => {
  const [input, output, groupId] = [uniqueName('enr-in'), uniqueName('enr-out'), uniqueName('enr-group')];
  await createTopics(B, [
    [input, 3],
    [output, 3],
  ]);
  const N = 120;
  const { all } = records(N, 3);
  await produceAll(B, input, all, (i) => `key-${i}`);
  const source = await readTopic(B, input, all.length);
  t.is(source.length, all.length);

  const e = engine();
  const consumer = new KafkaConsumer({ brokers: B, groupId, topics: [input], conf: FAST_GROUP });
  const producer = new KafkaProducer({ brokers: B });
  try {
    const stats = await runEnrichedLoop({
      engine: e,
      consumer,
      producer,
      outputTopic: output,
      batchSize: 50,
      maxMessages: all.length,
    });
    t.is(stats.evaluated, N);
    t.is(stats.skipped, 3);
  } finally {
    await consumer.close();
    await producer.close();
  }

  const out = await readTopic(B, output, N);
  t.is(out.length, N);
  const bySource = new Map(source.map((r) => [`${r.partition}/${r.offset}`, r]));
  const seen = new Set<string>();
  for (const rec of out) {
    const d = JSON.parse(rec.value.toString()) as Record<string, unknown>;
    t.deepEqual(Object.keys(d), [
      'source_topic',
      'partition',
      'offset',
      'decision',
      'score',
      'risk_band',
      'winning_rule_id',
      'ruleset_version',
    ]);
    t.is(d.source_topic, input);
    const id = `${String(d.partition)}/${String(d.offset)}`;
    const src = bySource.get(id);
    if (!src) {
      t.fail(`decision for unknown source ${id}`);
      continue;
    }
    t.false(seen.has(id));
    seen.add(id);
    t.deepEqual(rec.key, src.key);
    const want = JSON.parse(await expectedRow(e, src.value.toString())) as Record<string, unknown>;
    t.deepEqual(
      {
        decision: d.decision,
        score: d.score,
        risk_band: d.risk_band,
        winning_rule_id: d.winning_rule_id || undefined,
        ruleset_version: d.ruleset_version,
      },
      {
        decision: want.decision,
        score: want.score,
        risk_band: want.risk_band,
        winning_rule_id: want.winning_rule_id,
        ruleset_version: want.ruleset_version,
      },
    );
  }
  t.is(seen.size, N);
});

for (const example of ['kafka-tutorial.ts', 'kafka-enriched.ts']) {
  test(`examples/${example} runs end to end with one command`, async (t) => {
    const { stdout } = await execFileAsync(process.execPath, ['--import', 'tsx', join(ROOT, 'examples', example)], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 180_000,
    });
    const stats = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
      evaluated: number;
      skipped: number;
      decisions: Record<string, number>;
    };
    t.is(stats.evaluated, 10); // examples/sample.ndjson: 10 records and one malformed line
    t.is(stats.skipped, 1);
    t.deepEqual(stats.decisions, { APPROVE: 3, BLOCK: 2, SCORE: 2, REVIEW: 2, FLAG: 1 });
  });
}

test('examples/catalog-tutorial.ts: the tutorial routed through `catalog serve` runs end to end', async (t) => {
  const { stdout } = await execFileAsync(
    process.execPath,
    ['--import', 'tsx', join(ROOT, 'examples', 'catalog-tutorial.ts')],
    { cwd: ROOT, encoding: 'utf8', timeout: 180_000 },
  );
  const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
    messages: number;
    decisions: Record<string, number>;
    catalog: { requests: number; failures: number };
  };
  t.is(out.messages, 11); // 10 records and one malformed line
  t.deepEqual(out.decisions, { APPROVE: 3, BLOCK: 2, SCORE: 2, REVIEW: 2, FLAG: 1 });
  t.is(out.catalog.failures, 0);
  t.false(stdout.includes('tutorial-pw'), 'the catalog password is never printed');
});
