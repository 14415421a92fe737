/**
 * runStream's behaviour against the contract (shared/spec/node-api.md, IO): DLQ and skipped
 * records, hot reload, AbortSignal and onStats, limits and idleness, grouped / none output,
 * config validation (API and CLI), and coexistence with node-rdkafka clients in the same
 * process.
 */
import test from 'ava';
import { spawnSync } from 'node:child_process';

import type { KafkaRecord } from '../src/io';
import { brokers, committedOffsets, createTopics, uniqueName } from './helpers/kafka';
import {
  CLI,
  FAST_CONSUMER,
  RULES,
  TopicReader,
  boundedRunStream,
  endOffsets,
  expectedFor,
  missingSources,
  newEngine,
  outcomeKey,
  outputsPerSource,
  parseOut,
  payload,
  produceMany,
  readAll,
  rulesVariant,
  sleep,
  statsProblems,
  type StreamRunConfig,
  type StreamRunStats,
} from './helpers/stream-kit';

let B = '';
test.before(() => {
  B = brokers();
});

const header = (r: KafkaRecord, name: string): string | undefined => {
  const v = r.headers[name];
  return v === undefined ? undefined : (Array.isArray(v) ? v[0] : v)?.toString();
};

// ------------------------------------------------------------------ DLQ / skipped

const BAD_KINDS: Array<[string, Buffer]> = [
  ['truncated JSON', Buffer.from('{"amount": 12, "country": "US"')],
  ['not JSON', Buffer.from('not json at all')],
  ['a JSON array', Buffer.from('[1,2,3]')],
  ['a JSON number', Buffer.from('42')],
  ['undecodable bytes', Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x7b, 0x80])],
  ['a JSON string', Buffer.from('"just a string"')],
];
const DLQ_N = 300;
const isBad = (i: number): boolean => i % 25 === 7;
const badValue = (i: number): Buffer => (BAD_KINDS[Math.floor(i / 25) % BAD_KINDS.length] as [string, Buffer])[1];
const keyOf = (i: number): string => (isBad(i) ? `bad${i}` : `g${i}`);
const recordValue = (i: number): Buffer | string => (isBad(i) ? badValue(i) : payload(i));
const N_BAD = Array.from({ length: DLQ_N }, (_, i) => i).filter(isBad).length;

async function dlqInput(): Promise<string> {
  const input = uniqueName('st-dlq-in');
  await createTopics(B, [[input, 2]]);
  await produceMany(B, input, DLQ_N, recordValue, keyOf, (i) => ({ trace: `t${i}` }));
  return input;
}

test.serial(
  'malformed and undecodable records go to the DLQ with their bytes, key, headers and blazerules.* headers; the loop carries on',
  async (t) => {
    t.timeout(180_000);
    const input = await dlqInput();
    const [output, dlq, groupId] = [uniqueName('st-dlq-out'), uniqueName('st-dlq-dlq'), uniqueName('st-dlq-g')];
    await createTopics(B, [
      [output, 2],
      [dlq, 1],
    ]);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        dlqTopic: dlq,
        outputMode: 'enriched',
        batchSize: 64,
        maxMessages: DLQ_N,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 90_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut(), `did not finish ${DLQ_N} messages: ${JSON.stringify(stats)}`);
    t.log('stats', JSON.stringify(stats));
    t.is(stats.messages, DLQ_N);
    t.is(stats.dlqRouted, N_BAD);
    t.is(stats.emitted, DLQ_N - N_BAD);
    t.is(stats.deliveryErrors, 0);

    const inputs = new Map((await readAll(B, input, DLQ_N)).map((r) => [r.key?.toString() ?? '', r]));
    const dead = await readAll(B, dlq, N_BAD);
    t.is(dead.length, N_BAD);
    const problems: string[] = [];
    for (const d of dead) {
      const key = d.key?.toString() ?? '(null)';
      const src = inputs.get(key);
      if (!src || !key.startsWith('bad')) {
        problems.push(`DLQ record with key ${key} is not one of the bad inputs`);
        continue;
      }
      const kind = BAD_KINDS.find(([, b]) => b.equals(src.value))?.[0];
      const p = (m: string): number => problems.push(`${key} (${kind}): ${m}`);
      if (!d.value.equals(src.value)) p(`value ${d.value.toString('hex')} != original ${src.value.toString('hex')}`);
      if (header(d, 'trace') !== `t${key.slice(3)}`) p(`original header trace=${header(d, 'trace')}`);
      if (!header(d, 'blazerules.error.code')) p('no blazerules.error.code header');
      if (!header(d, 'blazerules.error.message')) p('no blazerules.error.message header');
      if (header(d, 'blazerules.source.topic') !== input)
        p(`blazerules.source.topic=${header(d, 'blazerules.source.topic')}`);
      if (header(d, 'blazerules.source.partition') !== String(src.partition))
        p(`blazerules.source.partition=${header(d, 'blazerules.source.partition')}, want ${src.partition}`);
      if (header(d, 'blazerules.source.offset') !== String(src.offset))
        p(`blazerules.source.offset=${header(d, 'blazerules.source.offset')}, want ${src.offset}`);
    }
    t.deepEqual(problems.slice(0, 12), [], `${problems.length} problems with DLQ records`);
    t.log(
      'DLQ error codes:',
      [...new Set(dead.map((d) => `${header(d, 'blazerules.error.code')}: ${header(d, 'blazerules.error.message')}`))]
        .slice(0, 6)
        .join(' | '),
    );

    // The good records around them are all decided, as evaluateNdjson decides them.
    const goodIdx = Array.from({ length: DLQ_N }, (_, i) => i).filter((i) => !isBad(i));
    const want = await expectedFor(
      newEngine(),
      goodIdx.map((i) => payload(i)),
    );
    const out = await readAll(B, output, goodIdx.length);
    t.is(out.length, goodIdx.length);
    const wrong = out
      .map((r) => {
        const i = Number(r.key?.toString().slice(1));
        const exp = want.rows[goodIdx.indexOf(i)];
        return exp && outcomeKey(parseOut(r)) === outcomeKey(exp)
          ? ''
          : `${r.key?.toString()}: ${r.value.toString().trim()}`;
      })
      .filter(Boolean);
    t.deepEqual(wrong.slice(0, 5), []);
  },
);

test.serial(
  'without a DLQ, malformed and undecodable records are counted in skipped and never stop the loop',
  async (t) => {
    t.timeout(180_000);
    const input = await dlqInput();
    const [output, groupId] = [uniqueName('st-skip-out'), uniqueName('st-skip-g')];
    await createTopics(B, [[output, 2]]);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'rows',
        batchSize: 64,
        maxMessages: DLQ_N,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 90_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut(), `did not finish ${DLQ_N} messages: ${JSON.stringify(stats)}`);
    t.is(stats.messages, DLQ_N);
    t.is(stats.skipped, N_BAD);
    t.is(stats.dlqRouted, 0);
    t.is(stats.emitted, DLQ_N - N_BAD);
    t.deepEqual(await committedOffsets(B, groupId, input, 2), await endOffsets(B, input, 2));
    t.is((await readAll(B, output, DLQ_N - N_BAD)).length, DLQ_N - N_BAD);
  },
);

// ------------------------------------------------------------------ hot reload

test.serial(
  'hot reload: rules loaded on the engine while runStream runs -> later outputs name the new ruleset_version',
  async (t) => {
    t.timeout(180_000);
    const [input, output, groupId] = [
      uniqueName('st-reload-in'),
      uniqueName('st-reload-out'),
      uniqueName('st-reload-g'),
    ];
    await createTopics(B, [
      [input, 2],
      [output, 2],
    ]);
    const v1 = rulesVariant('1.0.0');
    const v2 = rulesVariant('2.0.0', [
      ['conditions: {field: amount, op: gt, value: 10000}', 'conditions: {field: amount, op: gt, value: 100}'],
    ]);
    const engine = newEngine(v1);
    const reader = new TopicReader(B, output);
    const run = boundedRunStream(
      engine,
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'enriched',
        batchSize: 100,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 150_000 },
    );
    try {
      const N = 500;
      const before = Array.from({ length: N }, (_, i) => payload(i));
      const after = Array.from({ length: N }, (_, i) => payload(N + i));
      await produceMany(
        B,
        input,
        N,
        (i) => before[i] as string,
        (i) => `a${i}`,
      );
      await reader.until((r) => r.length >= N, 90_000, 'decisions under rules 1.0.0');
      engine.loadRules(v2);
      t.is(engine.activeRuleSetVersion, '2.0.0');
      await produceMany(
        B,
        input,
        N,
        (i) => after[i] as string,
        (i) => `b${i}`,
      );
      await reader.until((r) => r.length >= 2 * N, 90_000, 'decisions under rules 2.0.0');

      const [e1, e2] = [await expectedFor(newEngine(v1), before), await expectedFor(newEngine(v2), after)];
      const bad: string[] = [];
      for (const r of reader.records) {
        const key = r.key?.toString() ?? '';
        const i = Number(key.slice(1));
        const exp = key.startsWith('a') ? e1.rows[i] : e2.rows[i];
        const o = parseOut(r);
        if (!exp || outcomeKey(o) !== outcomeKey(exp))
          bad.push(`${key}: got ${outcomeKey(o)}, want ${exp ? outcomeKey(exp) : '?'}`);
      }
      t.deepEqual(bad.slice(0, 8), [], `${bad.length} records not decided by the rules active when they were produced`);
      const versions = (p: string): string[] => [
        ...new Set(
          reader.records.filter((r) => r.key?.toString().startsWith(p)).map((r) => parseOut(r).ruleset_version),
        ),
      ];
      t.deepEqual(versions('a'), ['1.0.0']);
      t.deepEqual(versions('b'), ['2.0.0']);
      t.true(
        e2.rows.some((x, i) => x.decision !== e1.rows[i]?.decision),
        'the new rules decide some records differently',
      );
    } finally {
      run.abort();
      await run.done.catch((err: Error) => t.fail(`runStream rejected: ${err.message}`));
      await reader.close();
    }
  },
);

// ------------------------------------------------------------------ signal, onStats, limits

test.serial(
  'AbortSignal stops gracefully and resolves with stats after a final commit; onStats about once a second',
  async (t) => {
    t.timeout(180_000);
    const [input, output, groupId] = [uniqueName('st-abort-in'), uniqueName('st-abort-out'), uniqueName('st-abort-g')];
    await createTopics(B, [
      [input, 2],
      [output, 2],
    ]);
    const N = 3000;
    await produceMany(B, input, N, payload, (i) => `k${i}`);
    const calls: Array<{ at: number; stats: StreamRunStats }> = [];
    const ac = new AbortController();
    const reader = new TopicReader(B, output);
    const t0 = Date.now();
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'enriched',
        consumerConf: FAST_CONSUMER,
      },
      {
        signal: ac.signal,
        onStats: (stats) => calls.push({ at: Date.now(), stats: { ...stats } }),
        limitMs: 150_000,
        graceMs: 30_000,
      },
    );
    try {
      await reader.until((r) => r.length >= N, 90_000, 'all decisions');
      await sleep(4000); // idle for a while: onStats keeps ticking
      ac.abort();
      const stats = await run.done;
      const wall = Date.now() - t0;
      t.false(run.timedOut());
      t.deepEqual(statsProblems(stats), []);
      t.is(stats.messages, N);
      t.is(stats.emitted, N);
      t.true(stats.elapsedMs > 0 && stats.elapsedMs <= wall + 1000, `elapsedMs=${stats.elapsedMs}, wall ${wall}`);
      t.deepEqual(await committedOffsets(B, groupId, input, 2), await endOffsets(B, input, 2));

      const secs = stats.elapsedMs / 1000;
      const gaps = calls.slice(1).map((c, i) => c.at - (calls[i] as { at: number }).at);
      t.log(`${calls.length} onStats calls over ${secs.toFixed(1)} s; gaps ${gaps.join(',')} ms`);
      t.true(
        calls.length >= Math.floor(secs / 2) && calls.length >= 2,
        `onStats called ${calls.length} times in ${secs.toFixed(1)} s`,
      );
      t.true(calls.length <= Math.ceil(secs * 3) + 2, `onStats called ${calls.length} times in ${secs.toFixed(1)} s`);
      const shape = calls.flatMap((c) => statsProblems(c.stats));
      t.deepEqual(shape.slice(0, 5), [], 'onStats gets StreamRunStats');
      t.true(
        calls.every(
          (c, i) => i === 0 || c.stats.messages >= (calls[i - 1] as { stats: StreamRunStats }).stats.messages,
        ),
        'onStats counters never go back',
      );
      t.true(
        calls.some((c) => c.stats.messages === N),
        'onStats saw the whole input',
      );
    } finally {
      ac.abort();
      await run.done.catch(() => undefined);
      await reader.close();
    }
  },
);

test.serial(
  'idleTimeoutMs resolves after the input dried up; grouped output counts every record per label',
  async (t) => {
    t.timeout(180_000);
    const [input, output, groupId] = [uniqueName('st-idle-in'), uniqueName('st-idle-out'), uniqueName('st-idle-g')];
    await createTopics(B, [
      [input, 2],
      [output, 1],
    ]);
    const N = 500;
    const values = Array.from({ length: N }, (_, i) => payload(i));
    await produceMany(
      B,
      input,
      N,
      (i) => values[i] as string,
      (i) => `k${i}`,
    );
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'grouped',
        batchSize: 100,
        idleTimeoutMs: 6000,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 120_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut(), 'resolved by idleness');
    t.is(stats.messages, N);
    const want = await expectedFor(newEngine(), values);
    const perLabel: Record<string, number> = {};
    for (const r of want.rows) perLabel[r.decision] = (perLabel[r.decision] ?? 0) + 1;
    const total = (await endOffsets(B, output, 1))[0] as number;
    t.is(stats.emitted, total, 'emitted = grouped records produced');
    const out = await readAll(B, output, total);
    const got: Record<string, number> = {};
    const bad: string[] = [];
    for (const r of out) {
      const s = r.value.toString();
      const o = JSON.parse(s) as { decision: string; count: number; batch_records: number; ruleset_version: string };
      if (
        !s.endsWith('\n') ||
        typeof o.count !== 'number' ||
        typeof o.batch_records !== 'number' ||
        o.count > o.batch_records ||
        o.ruleset_version !== '1.0.0'
      )
        bad.push(s);
      got[o.decision] = (got[o.decision] ?? 0) + o.count;
    }
    t.deepEqual(bad.slice(0, 5), []);
    t.deepEqual(got, perLabel);
  },
);

test.serial(
  "outputMode 'none' with maxBatches: stops after that many batches, emits nothing, commits what it consumed",
  async (t) => {
    t.timeout(180_000);
    const [input, groupId] = [uniqueName('st-none-in'), uniqueName('st-none-g')];
    await createTopics(B, [[input, 2]]);
    await produceMany(B, input, 500, payload, (i) => `k${i}`);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputMode: 'none',
        batchSize: 50,
        maxBatches: 2,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 90_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut());
    t.is(stats.batches, 2);
    t.true(stats.messages > 0 && stats.messages <= 100, `messages=${stats.messages}`);
    t.is(stats.emitted, 0);
    const committed = (await committedOffsets(B, groupId, input, 2)).map((o) => Math.max(o, 0));
    t.is(
      committed.reduce((a, b) => a + b, 0),
      stats.messages,
    );
  },
);

// ------------------------------------------------------------------ delivery failure

test.serial(
  'a failed delivery rejects runStream with a clear error, and nothing undelivered is committed',
  async (t) => {
    t.timeout(180_000);
    const [input, groupId] = [uniqueName('st-dfail-in'), uniqueName('st-dfail-g')];
    await createTopics(B, [[input, 2]]);
    await produceMany(B, input, 200, payload, (i) => `k${i}`);
    const missing = uniqueName('st-dfail-never-created');
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: missing,
        outputMode: 'enriched',
        consumerConf: FAST_CONSUMER,
        producerConf: { 'allow.auto.create.topics': false, 'message.timeout.ms': 2000 },
        flushTimeoutMs: 15_000,
      },
      { limitMs: 90_000 },
    );
    const err = await run.done.then(
      (stats) =>
        t.fail(
          `runStream resolved (${run.timedOut() ? 'only when aborted' : 'by itself'}) although no decision could be delivered: ${JSON.stringify(stats)}`,
        ),
      (e: unknown) => e,
    );
    if (err instanceof Error) {
      t.log(`rejected: ${(err as Error & { code?: string }).code ?? ''} ${err.message}`);
      t.true(err.message.length > 10);
    } else if (err !== undefined) t.fail(`rejected with a non-Error: ${String(err)}`);
    t.deepEqual(
      await committedOffsets(B, groupId, input, 2),
      [-1001, -1001],
      'no offset committed for undelivered decisions',
    );
  },
);

// ------------------------------------------------------------------ coexistence

test.serial(
  'runStream coexists with node-rdkafka clients in the same process (and leaves the JS thread free)',
  async (t) => {
    t.timeout(180_000);
    const [input, output, groupId] = [uniqueName('st-coex-in'), uniqueName('st-coex-out'), uniqueName('st-coex-g')];
    await createTopics(B, [
      [input, 3],
      [output, 3],
    ]);
    const outReader = new TopicReader(B, output);
    const inReader = new TopicReader(B, input); // another group on the input, in this process
    let maxGap = 0;
    let last = Date.now();
    const ticker = setInterval(() => {
      const now = Date.now();
      maxGap = Math.max(maxGap, now - last);
      last = now;
    }, 10);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'enriched',
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 150_000 },
    );
    try {
      const N = 5000;
      await produceMany(B, input, N, payload, (i) => `k${i}`); // KafkaProducer, same process
      await outReader.until((r) => r.length >= N, 90_000, 'decisions');
      await inReader.until((r) => r.length >= N, 90_000, 'the input read by a KafkaConsumer');
      t.deepEqual(missingSources(outputsPerSource(outReader.records), await endOffsets(B, input, 3)), []);
      t.is(inReader.records.length, N);
      t.log(`longest event-loop gap while streaming: ${maxGap} ms`);
    } finally {
      clearInterval(ticker);
      run.abort();
      await run.done.catch((err: Error) => t.fail(`runStream rejected: ${err.message}`));
      await Promise.all([outReader.close(), inReader.close()]);
    }
  },
);

// ------------------------------------------------------------------ config validation

const norm = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]/g, '');

test.serial('config validation: each invalid field is rejected with an error naming it', async (t) => {
  t.timeout(180_000);
  const base: StreamRunConfig = {
    brokers: B,
    groupId: uniqueName('st-cfg-g'),
    inputTopics: [uniqueName('st-cfg-in')],
    outputTopic: uniqueName('st-cfg-out'),
    consumerConf: FAST_CONSUMER,
  };
  const cases: Array<[field: string, config: StreamRunConfig]> = [
    ['brokers', { ...base, brokers: '' }],
    ['groupId', { ...base, groupId: '' }],
    ['inputTopics', { ...base, inputTopics: [] }],
    ['outputMode', { ...base, outputMode: 'bogus' as 'rows' }],
    ['outputTopic', { ...base, outputTopic: undefined, outputMode: 'rows' }],
    ['batchSize', { ...base, batchSize: -1 }],
    ['workers', { ...base, workers: 0 }],
    ['pollTimeoutMs', { ...base, pollTimeoutMs: -5 }],
    ['maxMessages', { ...base, maxMessages: -1 }],
    ['no.such.property', { ...base, consumerConf: { ...FAST_CONSUMER, 'no.such.property': 'x' } }],
  ];
  const results = await Promise.all(
    cases.map(async ([field, config]) => {
      const run = boundedRunStream(newEngine(), config, { limitMs: 20_000, graceMs: 20_000 });
      try {
        const stats = await run.done;
        return `${field}: accepted (${run.timedOut() ? 'ran until aborted' : `resolved ${JSON.stringify(stats)}`})`;
      } catch (err) {
        const msg = err instanceof Error ? err.message : String(err);
        return norm(msg).includes(norm(field))
          ? ''
          : `${field}: rejected, but the message does not name it: ${JSON.stringify(msg)}`;
      }
    }),
  );
  t.deepEqual(results.filter(Boolean), []);
});

test.serial('CLI config validation: a missing or bad option exits 2 with "blazerules: …" naming it', (t) => {
  const cli = (args: string[]): { status: number | null; stderr: string } => {
    const r = spawnSync(process.execPath, [CLI, 'stream', 'kafka', ...args], { encoding: 'utf8', timeout: 30_000 });
    return { status: r.status, stderr: r.stderr };
  };
  const cases: Array<[string, string[]]> = [
    ['brokers', ['--rules', RULES, '--input-topic', 't', '--output-topic', 'o']],
    ['input-topic', ['--rules', RULES, '--brokers', B, '--output-topic', 'o']],
    [
      'batch-size',
      ['--rules', RULES, '--brokers', B, '--input-topic', 't', '--output-topic', 'o', '--batch-size', 'lots'],
    ],
    [
      'output-mode',
      ['--rules', RULES, '--brokers', B, '--input-topic', 't', '--output-topic', 'o', '--output-mode', 'bogus'],
    ],
  ];
  for (const [opt, args] of cases) {
    const r = cli(args);
    t.is(r.status, 2, `${opt}: exit ${r.status}, stderr ${r.stderr.slice(0, 300)}`);
    t.regex(r.stderr, /^blazerules: /m, `${opt}: stderr ${r.stderr.slice(0, 300)}`);
    t.true(norm(r.stderr).includes(norm(opt)), `${opt}: the message names it: ${r.stderr.slice(0, 300)}`);
  }
});
