/**
 * runStream options and edges beyond the list: commitOffsets: false, maxMessages
 * exactness over several partitions, several input topics, and the CLI stopping by itself on
 * --max-messages / --idle-timeout-ms. (File-polling hot reload, engine.enableHotReload, is not
 * in RuleEngine yet; hot reload by loadRules is in stream-behaviour.spec.ts.)
 */
import test from 'ava';

import { brokers, committedOffsets, createTopics, uniqueName } from './helpers/kafka';
import {
  FAST_CONSUMER,
  boundedRunStream,
  cliArgs,
  endOffsets,
  killLiveChildren,
  lastJsonLine,
  missingSources,
  newEngine,
  outputsPerSource,
  parseOut,
  payload,
  produceMany,
  readAll,
  sleep,
  spawnStreamCli,
  within,
} from './helpers/stream-kit';

let B = '';
test.before(() => {
  B = brokers();
});
test.after.always(() => killLiveChildren());

test.serial('commitOffsets: false decides everything and commits nothing', async (t) => {
  t.timeout(120_000);
  const [input, output, groupId] = [
    uniqueName('opt-nocommit-in'),
    uniqueName('opt-nocommit-out'),
    uniqueName('opt-nocommit-g'),
  ];
  await createTopics(B, [
    [input, 2],
    [output, 2],
  ]);
  await produceMany(B, input, 500, payload, (i) => `k${i}`);
  const run = boundedRunStream(
    newEngine(),
    {
      brokers: B,
      groupId,
      inputTopics: [input],
      outputTopic: output,
      outputMode: 'enriched',
      maxMessages: 500,
      commitOffsets: false,
      consumerConf: FAST_CONSUMER,
    },
    { limitMs: 90_000 },
  );
  const stats = await run.done;
  t.false(run.timedOut());
  t.is(stats.emitted, 500);
  t.deepEqual(await committedOffsets(B, groupId, input, 2), [-1001, -1001]);
  t.is((await readAll(B, output, 500)).length, 500);
});

test.serial(
  'maxMessages over 4 partitions and several batches: exactly that many consumed, decided and committed',
  async (t) => {
    t.timeout(120_000);
    const [input, output, groupId] = [uniqueName('opt-max-in'), uniqueName('opt-max-out'), uniqueName('opt-max-g')];
    await createTopics(B, [
      [input, 4],
      [output, 1],
    ]);
    await produceMany(B, input, 3000, payload, (i) => `k${i}`);
    const run = boundedRunStream(
      newEngine(),
      {
        brokers: B,
        groupId,
        inputTopics: [input],
        outputTopic: output,
        outputMode: 'enriched',
        maxMessages: 1000,
        batchSize: 300,
        consumerConf: FAST_CONSUMER,
      },
      { limitMs: 90_000 },
    );
    const stats = await run.done;
    t.false(run.timedOut());
    t.is(stats.messages, 1000, `messages=${stats.messages} batches=${stats.batches}`);
    t.is(stats.emitted, 1000);
    const committed = (await committedOffsets(B, groupId, input, 4)).map((o) => Math.max(o, 0));
    t.is(
      committed.reduce((a, b) => a + b, 0),
      1000,
      `committed ${JSON.stringify(committed)}`,
    );
    await sleep(1000);
    t.is((await endOffsets(B, output, 1))[0], 1000, 'exactly 1000 decisions produced');
  },
);

test.serial('several input topics: every record of each decided, source_topic names it', async (t) => {
  t.timeout(120_000);
  const [in1, in2, output, groupId] = [
    uniqueName('opt-multi-a'),
    uniqueName('opt-multi-b'),
    uniqueName('opt-multi-out'),
    uniqueName('opt-multi-g'),
  ];
  await createTopics(B, [
    [in1, 2],
    [in2, 3],
    [output, 2],
  ]);
  await produceMany(B, in1, 400, payload, (i) => `a${i}`);
  await produceMany(
    B,
    in2,
    600,
    (i) => payload(1000 + i),
    (i) => `b${i}`,
  );
  const run = boundedRunStream(
    newEngine(),
    {
      brokers: B,
      groupId,
      inputTopics: [in1, in2],
      outputTopic: output,
      outputMode: 'enriched',
      maxMessages: 1000,
      consumerConf: FAST_CONSUMER,
    },
    { limitMs: 90_000 },
  );
  const stats = await run.done;
  t.false(run.timedOut());
  t.is(stats.messages, 1000);
  const out = await readAll(B, output, 1000);
  for (const [topic, parts, prefix] of [
    [in1, 2, 'a'],
    [in2, 3, 'b'],
  ] as const) {
    const mine = out.filter((r) => parseOut(r).source_topic === topic);
    t.true(
      mine.every((r) => r.key?.toString().startsWith(prefix)),
      `${topic}: outputs keyed by its records`,
    );
    t.deepEqual(missingSources(outputsPerSource(mine), await endOffsets(B, topic, parts)), [], topic);
  }
});

test.serial('the CLI stops by itself on --max-messages and on --idle-timeout-ms, exit 0, stats JSON', async (t) => {
  t.timeout(180_000);
  const [input, output] = [uniqueName('opt-cli-in'), uniqueName('opt-cli-out')];
  await createTopics(B, [
    [input, 2],
    [output, 2],
  ]);
  await produceMany(B, input, 1500, payload, (i) => `k${i}`);
  for (const extra of [
    ['--max-messages', '1500'],
    ['--idle-timeout-ms', '5000'],
  ]) {
    const cli = spawnStreamCli(
      cliArgs({ brokers: B, input, output, groupId: uniqueName('opt-cli-g'), mode: 'enriched', extra }),
    );
    try {
      const { code, signal } = await within(cli.exited, 90_000, `the CLI with ${extra.join(' ')}`);
      t.is(code, 0, `${extra.join(' ')}: exit ${code ?? signal}; stderr ${cli.stderr().slice(-500)}`);
      const stats = lastJsonLine(cli.stdout());
      t.is(stats.messages, 1500, `${extra.join(' ')}: ${JSON.stringify(stats)}`);
    } finally {
      cli.child.kill('SIGKILL');
    }
  }
});
