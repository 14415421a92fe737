/** File hot reload (service.md §3): reloads under load, changes seen by the watcher, status. */
import test from 'ava';
import { once } from 'node:events';
import { join } from 'node:path';

import { RuleEngine, RulesError } from '../src/index';
import {
  badRulesText,
  expectedDecisions,
  lookupText,
  records,
  rulesDir,
  rulesText,
  writeAtomically,
} from './helpers/live-kit';

test('100 reloads, good and bad alternately, under 50 concurrent evaluateNdjson calls: every result wholly one version', async (t) => {
  const { dir, file } = rulesDir('v0');
  const payload = records(400);
  const expected = new Map<string, string[]>();
  const good = (i: number): string => {
    const text = rulesText(`v${i}`);
    expected.set(`v${i}`, expectedDecisions(text, dir, payload));
    return text;
  };
  good(0);
  const engine = new RuleEngine();
  engine.enableHotReload(file, { pollIntervalMs: 60_000 });
  t.teardown(() => engine.stopHotReload());
  let errorsSeen = 0;
  engine.on('rulesError', () => errorsSeen++);

  let reloading = true;
  const results: { version: string; decisions: string[] }[] = [];
  const caller = async (): Promise<void> => {
    while (reloading) {
      const r = await engine.evaluateNdjson(payload);
      results.push({ version: r.ruleSetVersion, decisions: r.decisions });
    }
  };
  const callers = Array.from({ length: 50 }, caller);

  let active = 'v0';
  for (let i = 1; i <= 100; i++) {
    if (i % 2 === 0) {
      writeAtomically(file, good(i));
      t.is(engine.reloadRulesNow().rulesetVersion, `v${i}`);
      active = `v${i}`;
    } else {
      writeAtomically(file, badRulesText(`bad${i}`));
      const err = t.throws(() => engine.reloadRulesNow(), { instanceOf: RulesError });
      t.is(err?.code, 'UNKNOWN_OP');
    }
    t.is(engine.activeRuleSetVersion, active);
    // let the callers run a few batches on this version
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
  reloading = false;
  await Promise.all(callers); // no call failed

  t.true(results.length >= 100, `${results.length} results`);
  const versions = new Set<string>();
  for (const r of results) {
    versions.add(r.version);
    t.false(r.version.startsWith('bad'), 'a bad file was never active');
    const want = expected.get(r.version);
    if (want === undefined) t.fail(`unknown version ${r.version}`);
    else if (r.decisions.join() !== want.join()) t.fail(`a result of ${r.version} is not wholly ${r.version}`);
  }
  t.true(versions.size > 2, `results of ${versions.size} versions`);
  const status = engine.hotReloadStatus();
  t.is(status.reloadCount, 50);
  t.is(status.failedReloadCount, 50);
  t.is(status.version, 'v100');
  t.is(status.path, file);
  t.is(status.lastError, null);
  t.is(errorsSeen, 50);
  const m = engine.metricsSnapshot().counters;
  t.is(m['blazerules.hot_reload_success_total'], 50);
  t.is(m['blazerules.hot_reload_failed_total'], 50);
});

test('a rules file saved by rename, then a lookup file it names, each reload the engine by themselves', async (t) => {
  const { dir, file } = rulesDir('w1', ['mallory']);
  const engine = new RuleEngine();
  engine.enableHotReload(file, { pollIntervalMs: 600_000 }); // the watcher, not the poll
  t.teardown(() => engine.stopHotReload());
  t.is(engine.activeRuleSetVersion, 'w1');
  t.is(engine.evaluate({ amount: 1, user: 'bob' }).decision, 'APPROVE');

  let loaded = once(engine, 'rules');
  writeAtomically(file, rulesText('w2'));
  const [event] = (await loaded) as [{ version: string; source: string }];
  t.deepEqual(event, { version: 'w2', source: file });
  t.is(engine.activeRuleSetVersion, 'w2');

  loaded = once(engine, 'rules');
  writeAtomically(join(dir, 'lists', 'blocked.csv'), lookupText(['mallory', 'bob']));
  await loaded;
  t.is(engine.evaluate({ amount: 1, user: 'bob' }).decision, 'REVIEW');
  const status = engine.hotReloadStatus();
  t.is(status.reloadCount, 2);
  t.true(status.lastLoadedAt instanceof Date);
});

test('a bad save keeps the active rules and says why in the status and the event', async (t) => {
  const { file } = rulesDir('x1');
  const engine = new RuleEngine();
  engine.enableHotReload(file, { pollIntervalMs: 600_000 });
  t.teardown(() => engine.stopHotReload());
  const failed = once(engine, 'rulesError');
  writeAtomically(file, badRulesText('x2'));
  const [err] = (await failed) as [RulesError];
  t.true(err instanceof RulesError);
  t.is(engine.activeRuleSetVersion, 'x1');
  const status = engine.hotReloadStatus();
  t.is(status.failedReloadCount, 1);
  t.is(status.lastError?.code, 'UNKNOWN_OP');
  t.regex(status.lastError?.message ?? '', /rules\.yaml:\d+:\d+: UNKNOWN_OP/);
  // the file fixed: loaded again
  const loaded = once(engine, 'rules');
  writeAtomically(file, rulesText('x3'));
  await loaded;
  t.is(engine.hotReloadStatus().lastError, null);
  t.is(engine.activeRuleSetVersion, 'x3');
});

test('enableHotReload throws for a bad file and watches nothing; reloadRulesNow needs it enabled', (t) => {
  const { file } = rulesDir('y1');
  writeAtomically(file, badRulesText('y1'));
  const engine = new RuleEngine();
  t.throws(() => engine.enableHotReload(file), { instanceOf: RulesError });
  t.throws(() => engine.reloadRulesNow(), { message: /hot reload is not enabled/ });
  t.is(engine.hotReloadStatus().path, '');
  t.throws(() => engine.enableHotReload(file, { pollIntervalMs: 0 }), { instanceOf: TypeError });
});
