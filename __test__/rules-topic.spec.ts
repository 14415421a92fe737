/**
 * Rules that follow a Kafka topic (service.md §3) on the real local broker: the latest bundle
 * at start, updates on every follower, bad bundles, a broker restart, and `rules publish`.
 */
import test from 'ava';
import { execFile } from 'node:child_process';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { BlazeRulesError, RuleEngine, type RulesError } from '../src/index';
import { KafkaProducer } from '../src/io';
import { PrivateBroker, brokers, createTopics, uniqueName } from './helpers/kafka';
import { badRulesText, rulesDir, rulesText, writeAtomically } from './helpers/live-kit';
import { endOffsets } from './helpers/stream-kit';

const CLI = join(__dirname, '..', 'dist', 'cli.js');
const run = promisify(execFile);

/** `blazerules rules publish` of a rules directory's rules.yaml; its printed JSON. */
async function publish(address: string, topic: string, file: string) {
  const { stdout } = await run(process.execPath, [
    CLI,
    'rules',
    'publish',
    '--rules',
    file,
    '--brokers',
    address,
    '--topic',
    topic,
  ]);
  return JSON.parse(stdout) as { topic: string; partition: number; offset: number; version: string };
}

/** Publishes version `version` of the test rules (blocked users `blocked`). */
async function publishVersion(address: string, topic: string, version: string, blocked = ['mallory']) {
  const { file } = rulesDir(version, blocked);
  return publish(address, topic, file);
}

async function produceRaw(address: string, topic: string, value: string): Promise<void> {
  const p = new KafkaProducer({ brokers: address });
  try {
    p.produce(topic, value, 'rules');
    if (!(await p.flush(30_000))) throw new Error('not delivered');
  } finally {
    await p.close();
  }
}

/** Resolves when `engine` loads version `version` (from any source). */
function loaded(engine: RuleEngine, version: string): Promise<number> {
  return new Promise((resolve) => {
    const on = (e: { version: string }): void => {
      if (e.version !== version) return;
      engine.off('rules', on);
      resolve(Date.now());
    };
    engine.on('rules', on);
  });
}

test('a follower started after three publishes loads the third; a fourth is active on two followers at once', async (t) => {
  const address = brokers();
  const topic = uniqueName('rules-topic');
  const printed = [];
  for (const v of ['t1', 't2', 't3']) printed.push(await publishVersion(address, topic, v));
  t.deepEqual(
    printed.map((p) => [p.topic, p.partition, p.offset, p.version]),
    [
      [topic, 0, 0, 't1'],
      [topic, 0, 1, 't2'],
      [topic, 0, 2, 't3'],
    ],
  );

  const a = new RuleEngine();
  const b = new RuleEngine();
  const fa = await a.followRulesTopic({ brokers: address, topic });
  const fb = await b.followRulesTopic({ brokers: address, topic });
  t.teardown(() => Promise.all([fa.stop(), fb.stop()]).then(() => undefined));
  for (const [e, f] of [
    [a, fa],
    [b, fb],
  ] as const) {
    t.is(e.activeRuleSetVersion, 't3');
    t.deepEqual(f.status(), { topic, version: 't3', offset: 2, lastError: null, updates: 1, reachable: true });
  }
  // the lookups came with the bundle
  t.is(a.evaluate({ amount: 1, user: 'mallory' }).decision, 'REVIEW');

  const both = Promise.all([loaded(a, 't4'), loaded(b, 't4')]);
  const sent = Date.now();
  await publishVersion(address, topic, 't4', ['mallory', 'bob']);
  const at = await both;
  const latency = Math.max(...at) - sent;
  t.log(`the fourth publish was active on both followers ${latency} ms after the publish command returned`);
  t.true(latency < 20_000, `${latency} ms`);
  t.is(b.evaluate({ amount: 1, user: 'bob' }).decision, 'REVIEW');
  t.is(fa.status().updates, 2);
  t.is(fb.status().offset, 3);
});

test('a bad bundle keeps the active version and shows in status().lastError, the event and the metrics', async (t) => {
  const address = brokers();
  const topic = uniqueName('rules-bad');
  await publishVersion(address, topic, 'b1');
  const engine = new RuleEngine();
  const follower = await engine.followRulesTopic({ brokers: address, topic });
  t.teardown(() => follower.stop());

  let failed = once(engine, 'rulesError');
  await produceRaw(address, topic, '{"format": "yaml", "rules": 42}');
  let [err] = (await failed) as [RulesError];
  t.is(err.path, 'bundle.rules');
  t.is(engine.activeRuleSetVersion, 'b1');
  t.is(follower.status().lastError?.code, 'YAML_SYNTAX_ERROR');
  t.regex(follower.status().lastError?.message ?? '', new RegExp(`kafka:${topic}/0@1`));

  failed = once(engine, 'rulesError');
  await produceRaw(address, topic, JSON.stringify({ format: 'yaml', rules: badRulesText('b2'), lookups: {} }));
  [err] = (await failed) as [RulesError];
  t.is(engine.activeRuleSetVersion, 'b1');
  const status = follower.status();
  t.is(status.version, 'b1');
  t.is(status.offset, 0);
  t.is(status.updates, 1);
  t.true(['UNKNOWN_OP', 'MISSING_REQUIRED_FIELD'].includes(status.lastError?.code ?? ''), status.lastError?.message);
  t.is(engine.metricsSnapshot().counters['blazerules.hot_reload_failed_total'], 2);
  t.regex(engine.metricsText(), /^blazerules_hot_reload_failed_total 2$/m);

  // a lookup the rules name but the bundle lacks is refused too (never read from disk)
  failed = once(engine, 'rulesError');
  await produceRaw(address, topic, JSON.stringify({ format: 'yaml', rules: rulesText('b3'), lookups: {} }));
  [err] = (await failed) as [RulesError];
  t.regex(err.message, /lists\/blocked\.csv is not in the rules bundle/);
  t.is(engine.activeRuleSetVersion, 'b1');

  const good = loaded(engine, 'b4');
  await publishVersion(address, topic, 'b4');
  await good;
  t.is(follower.status().lastError, null);
});

test('rules publish refuses rules with problems (exit 2, each problem) and publishes nothing', async (t) => {
  const address = brokers();
  const topic = uniqueName('rules-refused');
  await createTopics(address, [[topic, 1]]);
  const { file } = rulesDir('r1');
  writeAtomically(file, badRulesText('r1'));
  const e = await t.throwsAsync(publish(address, topic, file));
  const failure = e as Error & { code?: number; stderr?: string };
  t.is(failure.code, 2);
  t.regex(failure.stderr ?? '', /rules\.yaml:\d+:\d+: UNKNOWN_OP/);
  t.deepEqual(await endOffsets(address, topic, 1), [0]);
  // a missing lookup file is a problem of the rules too
  const other = rulesDir('r2');
  rmSync(join(other.dir, 'lists', 'blocked.csv'));
  const e2 = (await t.throwsAsync(publish(address, topic, other.file))) as Error & { stderr?: string };
  t.regex(e2.stderr ?? '', /lookup file not found/);
});

test('an empty topic: waitForInitial rejects after timeoutMs naming the topic; without it the first bundle loads later', async (t) => {
  const address = brokers();
  const topic = uniqueName('rules-empty');
  await createTopics(address, [[topic, 1]]);
  const engine = new RuleEngine();
  const err = await t.throwsAsync(engine.followRulesTopic({ brokers: address, topic, timeoutMs: 2000 }));
  t.true(err instanceof BlazeRulesError);
  t.regex(err?.message ?? '', new RegExp(`topic '${topic}' within 2000 ms: the topic has no bundle`));

  const follower = await engine.followRulesTopic({ brokers: address, topic, waitForInitial: false });
  t.teardown(() => follower.stop());
  t.is(follower.status().updates, 0);
  const first = loaded(engine, 'e1');
  await publishVersion(address, topic, 'e1');
  await first;
  t.is(follower.status().version, 'e1');
});

test('a follower survives a broker restart and loads the bundle published after it', async (t) => {
  const broker = await PrivateBroker.up();
  t.teardown(() => broker.down());
  const topic = uniqueName('rules-restart');
  await publishVersion(broker.address, topic, 'k1');
  const engine = new RuleEngine();
  const follower = await engine.followRulesTopic({ brokers: broker.address, topic });
  t.teardown(() => follower.stop());
  t.is(engine.activeRuleSetVersion, 'k1');

  await broker.stop();
  await broker.start();
  const next = loaded(engine, 'k2');
  await publishVersion(broker.address, topic, 'k2');
  await next;
  t.is(follower.status().version, 'k2');
  t.is(follower.status().updates, 2);
});

test('the example service: GET /rules shows the state, POST /decide decides, a publish updates both', async (t) => {
  const { startRulesService } = await import('../examples/rules-service/server');
  const address = brokers();
  const topic = uniqueName('rules-service');
  await publishVersion(address, topic, 'svc1');
  const service = await startRulesService({ brokers: address, topic, port: 0 });
  t.teardown(() => service.close());
  const get = async () => (await fetch(`${service.url}/rules`)).json() as Promise<Record<string, unknown>>;
  const decide = async (record: object) =>
    (await fetch(`${service.url}/decide`, { method: 'POST', body: JSON.stringify(record) })).json() as Promise<{
      decision: string;
      ruleSetVersion: string;
    }>;
  const state = await get();
  t.is(state.version, 'svc1');
  t.is(state.source, `kafka:${topic}/0@0`);
  t.like((await decide({ amount: 1, user: 'mallory' })) as object, { decision: 'REVIEW', ruleSetVersion: 'svc1' });

  const next = loaded(service.engine, 'svc2');
  await publishVersion(address, topic, 'svc2', ['bob']);
  await next;
  t.is((await get()).version, 'svc2');
  t.like((await decide({ amount: 1, user: 'bob' })) as object, { decision: 'REVIEW', ruleSetVersion: 'svc2' });
  t.regex(
    await (await fetch(`${service.url}/metrics`)).text(),
    /blazerules_rules_info\{name="live-test",version="svc2"\} 1/,
  );
});
