/**
 * Catalog-routed runStream and CLI: the loop follows `kafka://example.com/payments` moved from
 * cluster A's topic to cluster B's (every record decided, duplicates counted); the catalog
 * requests of a 60 s run with TTL 5 s, counted at the server, stay within 13 per client; and no
 * password of the catalog file shows in any log line, error, stdout/stderr or stats of a CLI
 * run (`catalog serve` and `stream kafka --catalog-url`).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import test from 'ava';
import { stringify } from 'yaml';

import type { CatalogStreamStats } from '../src/io';
import { KafkaConsumer, KafkaProducer } from '../src/io';
import { type CatalogDoc, CatalogKit, PAYMENTS, catalogOf } from './helpers/catalog-kit';
import { PrivateBroker, brokers, createTopics, eventually, readTopic, uniqueName } from './helpers/kafka';
import { call, startTestService } from './helpers/serve-kit';
import {
  CLI,
  FAST_CONSUMER,
  TopicReader,
  endOffsets,
  missingSources,
  newEngine,
  outputsPerSource,
  payload,
  produceMany,
  runStream,
  sleep,
  spawnStreamCli,
  within,
} from './helpers/stream-kit';

const DECISIONS = 'kafka://example.com/decisions';
const PASSWORD = 'pw-Stream-8812';

function doc(a: string, b: string, cluster: 'a' | 'b', input: string, output: string): CatalogDoc {
  return {
    clusters: {
      a: { connection: { 'bootstrap.servers': a } },
      b: { connection: { 'bootstrap.servers': b } },
    },
    channels: { [PAYMENTS]: { cluster, topic: input }, [DECISIONS]: { cluster, topic: output } },
    configProfiles: { p: { 'socket.keepalive.enable': true } },
  };
}

let A = '';
test.before(() => {
  A = brokers();
});

/** A fresh input and output topic of one partition each on broker A. */
async function inOut(prefix: string): Promise<[input: string, output: string]> {
  const n = uniqueName('x');
  const topics: [string, string] = [`${prefix}-in-${n}`, `${prefix}-out-${n}`];
  await createTopics(A, [
    [topics[0], 1],
    [topics[1], 1],
  ]);
  return topics;
}

test.serial('runStream follows a channel moved from cluster A to cluster B: every record decided', async (t) => {
  t.timeout(300_000);
  const broker = await PrivateBroker.up();
  const B = broker.address;
  t.teardown(() => broker.down());
  const n = uniqueName('x');
  const [inA, outA, inB, outB] = [`in-a-${n}`, `out-a-${n}`, `in-b-${n}`, `out-b-${n}`];
  await createTopics(A, [
    [inA, 2],
    [outA, 1],
  ]);
  await createTopics(B, [
    [inB, 2],
    [outB, 1],
  ]);
  const kit = await CatalogKit.start(doc(A, B, 'a', inA, outA), { user: 'app', password: PASSWORD });
  const readerA = new TopicReader(A, outA);
  const readerB = new TopicReader(B, outB);
  const stop = new AbortController();
  t.teardown(async () => {
    stop.abort();
    await readerA.close();
    await readerB.close();
    await kit.stop();
  });
  await produceMany(A, inA, 300, payload);
  let latest: CatalogStreamStats | undefined;
  const run = runStream(
    newEngine(),
    {
      catalog: catalogOf(kit, 1000),
      groupId: uniqueName('cat-stream-g'),
      inputChannels: PAYMENTS,
      outputChannel: DECISIONS,
      outputMode: 'enriched',
      consumerConf: FAST_CONSUMER,
    },
    { signal: stop.signal, onStats: (s) => (latest = s as CatalogStreamStats) },
  );
  run.catch(() => undefined);
  await readerA.until((r) => r.length >= 100, 120_000, 'decisions on cluster A');
  kit.write(doc(A, B, 'b', inB, outB));
  await produceMany(B, inB, 300, (i) => payload(1000 + i));
  const endsA = await endOffsets(A, inA, 2);
  const endsB = await endOffsets(B, inB, 2);
  const covered = (reader: TopicReader, ends: number[]) => (): boolean =>
    missingSources(outputsPerSource(reader.records), ends).length === 0;
  await readerB.until(covered(readerB, endsB), 120_000, 'every record of B decided on B');
  t.deepEqual(missingSources(outputsPerSource(readerA.records), endsA), [], 'every record of A decided on A');
  stop.abort();
  const stats = (await within(run, 60_000, 'runStream after abort')) as CatalogStreamStats;
  const dups = [readerA, readerB].reduce(
    (sum, r) => sum + [...outputsPerSource(r.records).values()].reduce((d, c) => d + c - 1, 0),
    0,
  );
  t.log(`duplicates: ${dups}; legs ${stats.legs}; catalog ${JSON.stringify(stats.catalog)}`);
  t.true(dups <= 2 * 2048, 'duplicates within the batches in flight at the move');
  t.is(stats.legs, 2);
  t.true(stats.messages >= 600);
  t.is(stats.catalog.changes, 1);
  t.not(latest, undefined);
  t.false(JSON.stringify(stats).includes(PASSWORD));
});

test('a 60 s run with TTL 5 s: at most 13 catalog requests per client (runStream, consumer, producer)', async (t) => {
  t.timeout(180_000);
  const [input, output] = await inOut('req');
  const kits = await Promise.all([0, 1, 2].map(() => CatalogKit.start(doc(A, A, 'a', input, output))));
  const [forStream, forConsumer, forProducer] = kits as [CatalogKit, CatalogKit, CatalogKit];
  t.teardown(() => Promise.all(kits.map((k) => k.stop())));
  const RUN_MS = 60_000;
  const stop = new AbortController();
  const streamRun = runStream(
    newEngine(),
    {
      catalog: catalogOf(forStream, 5000),
      groupId: uniqueName('req-g'),
      inputChannels: PAYMENTS,
      outputChannel: DECISIONS,
      consumerConf: FAST_CONSUMER,
    },
    { signal: stop.signal },
  );
  streamRun.catch(() => undefined);
  const consumer = new KafkaConsumer({
    catalog: catalogOf(forConsumer, 5000),
    groupId: uniqueName('req-c'),
    channels: PAYMENTS,
  });
  const producer = new KafkaProducer({ catalog: catalogOf(forProducer, 5000) });
  const until = Date.now() + RUN_MS;
  let polls = 0;
  let i = 0;
  // The seed's clients would ask once per poll and per produce: hundreds of requests here.
  while (Date.now() < until) {
    producer.produce(PAYMENTS, payload(i++));
    await consumer.pollBatch({ timeoutMs: 200 });
    polls++;
  }
  // Counted over the run itself (the clients' closing below takes a moment more).
  const counts = kits.map((k) => k.requests());
  t.true(await producer.flush(30_000));
  stop.abort();
  await within(streamRun, 60_000, 'runStream after abort');
  await consumer.close();
  await producer.close();
  t.log(`requests per client over ${RUN_MS} ms (stream, consumer, producer): ${counts.join(', ')}; ${polls} polls`);
  for (const c of counts) {
    t.true(c <= 13, `${c} requests`);
    t.true(c >= 2, 'the answer was refreshed in the background');
  }
});

function spawnCli(args: string[]): {
  out: () => string;
  exited: Promise<number | null>;
  kill: () => void;
  listening: Promise<string>;
} {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let resolveUrl: (u: string) => void = () => undefined;
  const listening = new Promise<string>((r) => {
    resolveUrl = r;
  });
  const onData = (d: Buffer): void => {
    out += d.toString();
    const m = /listening on (http:\/\/\S+)/.exec(out);
    if (m?.[1] !== undefined) resolveUrl(m[1]);
  };
  child.stdout?.on('data', onData);
  child.stderr?.on('data', onData);
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  return { out: () => out, exited, kill: () => child.kill('SIGTERM'), listening };
}

test('grep: no password of the catalog file in any log line, error, output or stats of a CLI run', async (t) => {
  t.timeout(180_000);
  const [input, output] = await inOut('grep');
  await produceMany(A, input, 50, payload);
  const secrets = [PASSWORD, 'kafka-Secret-4410', 'svc-user-3391', 'wrong-Pass-1177'];
  const dir = mkdtempSync(join(tmpdir(), 'catalog-grep-'));
  const file = join(dir, 'catalog.yaml');
  const catalogDoc = doc(A, A, 'a', input, output);
  (catalogDoc.clusters.a as { credentials?: Record<string, string> }).credentials = {
    'sasl.username': 'svc-user-3391',
    'sasl.password': 'kafka-Secret-4410',
  };
  writeFileSync(file, stringify(catalogDoc));
  writeFileSync(join(dir, 'pw'), `${PASSWORD}\n`);
  writeFileSync(join(dir, 'wrong'), 'wrong-Pass-1177\n');
  const server = spawnCli([
    'catalog',
    'serve',
    '--file',
    file,
    '--port',
    '0',
    '--user',
    'app',
    '--password-file',
    join(dir, 'pw'),
    '--log-level',
    'debug',
  ]);
  t.teardown(() => server.kill());
  const url = await within(server.listening, 30_000, 'catalog serve listening');
  const streamArgs = (pwFile: string): string[] => [
    '--rules',
    join(__dirname, '..', 'examples', 'rules.yaml'),
    '--catalog-url',
    `${url}/servicegw`,
    '--catalog-profile',
    'p',
    '--catalog-user',
    'app',
    '--catalog-password-file',
    pwFile,
    '--input-topic',
    PAYMENTS,
    '--output-topic',
    DECISIONS,
    '--group-id',
    uniqueName('grep-g'),
    '--max-messages',
    '50',
  ];
  const refused = spawnStreamCli(streamArgs(join(dir, 'wrong')));
  const refusedExit = await within(refused.exited, 60_000, 'stream kafka with a wrong password');
  t.is(refusedExit.code, 2);
  t.regex(refused.stderr(), /answered 401: UNAUTHORIZED/);
  const ok = spawnStreamCli(streamArgs(join(dir, 'pw')));
  const okExit = await within(ok.exited, 120_000, 'stream kafka through the catalog');
  t.is(okExit.code, 0, ok.stderr());
  const stats = JSON.parse(ok.stdout().trim().split('\n').pop() ?? '{}') as { messages: number; catalog: object };
  t.is(stats.messages, 50);
  t.like(stats.catalog, { failures: 0 });
  server.kill();
  await within(server.exited, 30_000, 'catalog serve after SIGTERM');
  await sleep(0);
  const everything = [server.out(), refused.stdout(), refused.stderr(), ok.stdout(), ok.stderr()].join('\n');
  t.true(server.out().includes('"url"'), 'the server logged its requests');
  for (const s of secrets) t.false(everything.includes(s), `${s} appears in the output`);
});

test('serve --stream on channels: decided through the catalog; /v1/stats and /metrics show the catalog', async (t) => {
  const [input, output] = await inOut('serve-cat');
  await produceMany(A, input, 100, payload);
  const kit = await CatalogKit.start(doc(A, A, 'a', input, output), { user: 'app', password: PASSWORD });
  const s = await startTestService({
    rules: join(__dirname, '..', 'examples', 'rules.yaml'),
    stream: {
      catalog: catalogOf(kit, 5000),
      groupId: uniqueName('serve-cat-g'),
      inputChannels: PAYMENTS,
      outputChannel: DECISIONS,
      consumerConf: FAST_CONSUMER,
    },
  });
  t.teardown(async () => {
    await s.close();
    await kit.stop();
  });
  type Stats = { stream: { messages: number; catalog?: { requests: number; failures: number } } | null };
  const stats = async () => (await call(`${s.url}/v1/stats`, 'GET')).json<Stats>();
  t.true(
    await eventually(async () => (await stats()).stream?.messages === 100, 120_000),
    JSON.stringify(await stats()),
  );
  t.like((await stats()).stream?.catalog, { requests: 1, failures: 0 });
  const metrics = (await call(`${s.url}/metrics`, 'GET')).text;
  t.regex(metrics, /blazerules_catalog_requests_total\{url="http:\/\/127\.0\.0\.1:\d+\/servicegw",profile="p"\} 1/);
  t.false(metrics.includes(PASSWORD));
  t.is((await readTopic(A, output, 100)).length, 100);
});
