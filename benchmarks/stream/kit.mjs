// The stream benchmark's plumbing: loop processes sampled from /proc, and the local broker,
// topics, producing and reading (node-rdkafka via blazerules/io).
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..');
const PKG = path.resolve(process.env.BLAZERULES_BENCH_PACKAGE || ROOT);
export const KAFKA_LOCAL = path.join(ROOT, 'scripts', 'kafka-local.sh');
const require = createRequire(import.meta.url);

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
/** Resolves null after ms without keeping the process alive. */
export const deadlineAfter = (ms) => new Promise((r) => setTimeout(() => r(null), ms).unref());

// ------------------------------------------------------------------ process sampling
export function procSample(pid) {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const kb = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(status) || [])[1]);
    return {
      t: Date.now(),
      cpu: Number(f[11]) + Number(f[12]),
      rssKb: kb('VmRSS'),
      hwmKb: kb('VmHWM'),
      threads: kb('Threads'),
    };
  } catch {
    return null;
  }
}
/** CPU ticks at wall time t, interpolated between samples. */
export function cpuAt(samples, t) {
  if (!samples.length) return NaN;
  if (t <= samples[0].t) return samples[0].cpu;
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1];
    const b = samples[i];
    if (t <= b.t) return a.cpu + ((b.cpu - a.cpu) * (t - a.t)) / Math.max(1, b.t - a.t);
  }
  return samples[samples.length - 1].cpu;
}

/** Spawns a loop process, sampling it every 100 ms until it exits. */
export function startLoop(cmd, args, { env } = {}) {
  const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
  const p = { child, samples: [], stdout: '', stderr: '', peakHwmKb: 0, peakRssKb: 0, threads: 0 };
  child.stdout.on('data', (d) => (p.stdout += d));
  child.stderr.on('data', (d) => (p.stderr += d));
  const timer = setInterval(() => {
    const s = procSample(child.pid);
    if (s) {
      p.samples.push(s);
      p.peakHwmKb = Math.max(p.peakHwmKb, s.hwmKb || 0);
      p.peakRssKb = Math.max(p.peakRssKb, s.rssKb || 0);
      p.threads = Math.max(p.threads, s.threads || 0);
    }
  }, 100);
  p.exited = new Promise((resolve) =>
    child.once('exit', (code, signal) => {
      clearInterval(timer);
      resolve({ code, signal });
    }),
  );
  p.stop = async (sig = 'SIGINT') => {
    if (child.exitCode !== null || child.signalCode !== null) return p.exited;
    child.kill(sig);
    const r = await Promise.race([p.exited, deadlineAfter(20_000)]);
    if (r) return r;
    child.kill('SIGKILL');
    return p.exited;
  };
  return p;
}

// ------------------------------------------------------------------ Kafka helpers (node-rdkafka via blazerules/io)
export function kafkaUp() {
  const wasRunning = spawnSync(KAFKA_LOCAL, ['status'], { stdio: 'ignore' }).status === 0;
  const address = execFileSync(KAFKA_LOCAL, ['up'], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 900_000,
  }).trim();
  return { address, wasRunning };
}

export async function createTopics(address, topics) {
  const rd = require(require.resolve('node-rdkafka', { paths: [PKG, ROOT] }));
  const admin = rd.AdminClient.create({ 'metadata.broker.list': address, 'client.id': 'blazerules-bench' });
  try {
    for (const [topic, n] of topics)
      await new Promise((res, rej) =>
        // No time-based retention: the generated records carry 2024 timestamps (see
        // __test__/helpers/kafka.ts createTopics).
        admin.createTopic(
          { topic, num_partitions: n, replication_factor: 1, config: { 'retention.ms': '-1' } },
          30_000,
          (e) => (e ? rej(e) : res()),
        ),
      );
  } finally {
    admin.disconnect();
  }
  const meta = new rd.Producer({ 'metadata.broker.list': address, 'allow.auto.create.topics': false }, {});
  await new Promise((res, rej) => meta.connect({ timeout: 30_000 }, (e) => (e ? rej(e) : res())));
  try {
    for (const [topic, n] of topics) {
      const deadline = Date.now() + 30_000;
      for (;;) {
        const ok = await new Promise((res) =>
          meta.getMetadata({ topic, timeout: 5000 }, (e, md) =>
            res(
              !e &&
                md.topics.some(
                  (t) => t.name === topic && t.partitions.length === n && t.partitions.every((p) => p.leader >= 0),
                ),
            ),
          ),
        );
        if (ok) break;
        if (Date.now() > deadline) throw new Error(`topic ${topic} not available`);
        await sleep(200);
      }
    }
  } finally {
    await new Promise((res) => meta.disconnect(() => res()));
  }
}

export async function produceAll(io, address, topic, n, value, key) {
  const p = new io.KafkaProducer({ brokers: address, conf: { 'linger.ms': 20, 'batch.num.messages': 10_000 } });
  try {
    for (let s = 0; s < n; s += 20_000) {
      for (let i = s; i < Math.min(n, s + 20_000); i++) p.produce(topic, value(i), key(i));
      if (!(await p.flush(120_000))) throw new Error(`producing to ${topic} failed`);
    }
  } finally {
    await p.close();
  }
}

/** Reads a topic from the beginning in the background, keeping (key, timestamp) per record. */
export function topicReader(io, address, topic) {
  const consumer = new io.KafkaConsumer({
    brokers: address,
    groupId: `bench-reader-${process.pid}-${Date.now().toString(36)}-${topic}`,
    topics: [topic],
    maxBufferedMessages: 50_000,
  });
  const r = { keys: [], ts: [], stopped: false, error: null };
  r.loop = (async () => {
    while (!r.stopped) {
      try {
        for (const m of await consumer.pollRecords({ maxMessages: 10_000, timeoutMs: 300 })) {
          r.keys.push(m.key ? m.key.toString() : '');
          r.ts.push(m.timestampMs);
        }
      } catch (e) {
        if (e && (e.code === 'BROKER_DOWN' || e.code === 'UNKNOWN_TOPIC')) await sleep(200);
        else {
          r.error = e;
          return;
        }
      }
    }
  })();
  r.until = async (n, timeoutMs) => {
    const deadline = Date.now() + timeoutMs;
    while (r.keys.length < n) {
      if (r.error) throw r.error;
      if (Date.now() > deadline)
        throw new Error(`read ${r.keys.length} of ${n} records of ${topic} in ${timeoutMs} ms`);
      await sleep(50);
    }
  };
  r.close = async () => {
    r.stopped = true;
    await r.loop;
    await consumer.close();
  };
  return r;
}
