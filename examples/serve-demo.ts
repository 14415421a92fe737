/**
 * The newcomer's main job: a decision service with live traffic and its dashboard, in one command.
 *
 *   npm run demo                      # local broker, serve --stream, traffic; open the printed URL
 *   npm run demo -- --brokers 127.0.0.1:9092 --port 8080 --rate 2000 --seconds 60 \
 *        [--input-topic payments --output-topic decisions]
 *
 * It starts the repository's local Kafka broker (unless --brokers), creates fresh topics, starts
 * `blazerules serve --stream` in this process (examples/rules.yaml, hot reloaded), and generates
 * payments: --rate records/s to the input topic (decided by the stream loop) and as many again
 * to POST /v1/decide/batch and /v1/decide, the share of risky ones rising and falling over a
 * minute so the decision mix moves. Ctrl-C (or --seconds) drains the service, stops the traffic
 * and stops the broker if it started it.
 */
import { join } from 'node:path';
import { parseArgs } from 'node:util';

import { KafkaProducer } from '../src/io';
import { type Service, startService } from '../src/serve/server';
import { LocalBroker } from './kafka-example-kit';

const RULES = join(__dirname, 'rules.yaml');
const TICK_MS = 100;

function options() {
  const { values } = parseArgs({
    options: {
      brokers: { type: 'string' },
      port: { type: 'string', default: '8080' },
      rate: { type: 'string', default: '1000' },
      seconds: { type: 'string', default: '0' },
      'input-topic': { type: 'string' },
      'output-topic': { type: 'string' },
    },
  });
  return {
    brokers: values.brokers,
    port: Number(values.port),
    rate: Number(values.rate),
    seconds: Number(values.seconds),
    inputTopic: values['input-topic'],
    outputTopic: values['output-topic'],
  };
}

/** One payment; `risk` (0..1) is the chance it looks risky. */
function payment(i: number, risk: number): Record<string, unknown> {
  const risky = Math.random() < risk;
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(Math.random() * xs.length)] as T;
  return {
    id: i,
    amount: risky ? pick([1500, 4000, 12_000, 25_000]) : Math.round(Math.random() * 300 * 100) / 100,
    country: risky ? pick(['IR', 'KP', 'US', 'DE']) : pick(['US', 'DE', 'FR', 'GB']),
    email: risky && Math.random() < 0.5 ? `u${i}@mailinator.com` : `u${i}@example.com`,
    ip: Math.random() < 0.1 ? `10.0.${i % 256}.1` : `203.0.113.${i % 256}`,
    account_age_days: risky ? Math.floor(Math.random() * 10) : 30 + (i % 2000),
  };
}

/** Sends `rate` records/s to the input topic and as many over HTTP until stopped. */
function traffic(service: Service, producer: KafkaProducer, topic: string, rate: number): () => Promise<void> {
  let i = 0;
  let current: Promise<void> | undefined;
  const perTick = Math.max(1, Math.round((rate * TICK_MS) / 1000));
  const tick = async (): Promise<void> => {
    const risk = 0.15 + 0.15 * Math.sin((2 * Math.PI * Date.now()) / 60_000);
    const batch = Array.from({ length: perTick }, () => payment(i++, risk));
    for (const p of batch) producer.produce(topic, JSON.stringify(p), String(p.id));
    const headers = { 'content-type': 'application/x-ndjson' };
    const body = `${batch.map((p) => JSON.stringify(p)).join('\n')}\n`;
    await fetch(`${service.url}/v1/decide/batch`, { method: 'POST', headers, body });
    await fetch(`${service.url}/v1/decide`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(payment(i++, risk)),
    });
    await producer.flush(5_000);
  };
  const timer = setInterval(() => {
    if (current !== undefined) return; // a slow tick: skip rather than pile up
    current = tick()
      .catch((err: Error) => console.error(`traffic: ${err.message}`))
      .finally(() => (current = undefined));
  }, TICK_MS);
  return async () => {
    clearInterval(timer);
    await current;
    await producer.close(10_000).catch(() => undefined);
  };
}

async function main(): Promise<void> {
  const o = options();
  const broker = o.brokers === undefined ? LocalBroker.start() : undefined;
  const brokers = o.brokers ?? broker?.brokers ?? '';
  const suffix = Date.now().toString(36);
  // With --brokers, topics must exist or be auto-created by the broker (Kafka's default).
  const input = o.inputTopic ?? `demo-payments-${suffix}`;
  const output = o.outputTopic ?? `demo-decisions-${suffix}`;
  broker?.createTopic(input, 2);
  broker?.createTopic(output, 1);
  const service = await startService({
    rules: RULES,
    watch: true,
    brokers,
    port: o.port,
    stream: { groupId: `demo-${suffix}`, inputTopics: input, outputTopic: output },
    logger: { level: 'warn' },
  });
  const stopTraffic = traffic(service, new KafkaProducer({ brokers }), input, o.rate);
  console.log(`dashboard: ${service.url}/   (rules: ${RULES}, edit it and watch the page; Ctrl-C stops)`);
  console.log(`try: curl -s ${service.url}/v1/decide -H 'content-type: application/json' -d '{"amount": 20000}'`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
    if (o.seconds > 0) setTimeout(resolve, o.seconds * 1000);
  });
  console.log('stopping: draining the service, then the traffic');
  await stopTraffic();
  await service.close();
  broker?.stop();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err instanceof Error ? err.message : String(err));
    process.exit(2);
  },
);
