/** POST /v1/events against a real broker of the test's own, restarted in the middle: every
 * 201 is on the topic at the offset it named; every event missing from the topic got a
 * non-2xx, each within the documented bound (--events-timeout-ms + 5 s); /readyz follows. */
import test from 'ava';

import { PrivateBroker, createTopics, eventually, readTopic, uniqueName } from './helpers/kafka';
import { rulesDir } from './helpers/live-kit';
import { call, postJson, startTestService } from './helpers/serve-kit';

const EVENTS = 10_000;
const CONCURRENCY = 50;
const TIMEOUT_MS = 5_000;
/** --events-timeout-ms + the service's report grace: the documented bound of a refusal. */
const BOUND_MS = TIMEOUT_MS + 5_000;

interface Outcome {
  status: number;
  ms: number;
  partition?: number;
  offset?: number;
  decision?: string;
}

test('10 000 events with a broker restart in the middle: every 201 is on the topic, nothing lost', async (t) => {
  t.timeout(600_000);
  const broker = await PrivateBroker.up();
  t.teardown(() => broker.down());
  const topic = uniqueName('serve-events');
  await createTopics(broker.address, [[topic, 1]]);
  const { file } = rulesDir('v1');
  const s = await startTestService({
    rules: file,
    brokers: broker.address,
    eventsTopic: topic,
    eventsTimeoutMs: TIMEOUT_MS,
  });
  t.teardown(() => s.close());

  const outcomes = new Map<number, Outcome>();
  let next = 0;
  // Event 3000 stops the broker (the 49 requests in flight then see it go) and the others wait
  // until it is down; the first refusal starts it again.
  let stopped: Promise<void> | undefined;
  let restarted: Promise<void> | undefined;
  let readyWentDown = false;
  const worker = async (): Promise<void> => {
    while (next < EVENTS) {
      const id = next++;
      if (id === 3000) stopped = broker.stop();
      if (id > 3000) await stopped;
      const started = Date.now();
      const a = await postJson(`${s.url}/v1/events`, { id, amount: (id * 37) % 1000, user: 'bob' });
      const o: Outcome = { status: a.status, ms: Date.now() - started };
      if (a.status === 201) {
        const body = a.json<{ partition: number; offset: number; decision: { decision: string } }>();
        Object.assign(o, { partition: body.partition, offset: body.offset, decision: body.decision.decision });
      } else if (restarted === undefined) {
        // Readiness follows the producer's statistics (every second): it turns 503, then the
        // broker comes back.
        restarted = eventually(async () => (await call(`${s.url}/readyz`, 'GET')).status === 503, 30_000).then(
          async (seen) => {
            readyWentDown = seen;
            await broker.start();
          },
        );
      }
      outcomes.set(id, o);
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  await restarted;
  t.true(readyWentDown, '/readyz was 503 while the broker was down');
  t.true(await eventually(async () => (await call(`${s.url}/readyz`, 'GET')).status === 200, 60_000), '/readyz after');

  const ok = [...outcomes.entries()].filter(([, o]) => o.status === 201);
  const refused = [...outcomes.entries()].filter(([, o]) => o.status !== 201);
  t.log(`${ok.length} events acknowledged (201), ${refused.length} refused`);
  t.true(refused.length > 0, 'the restart refused some events');
  t.true(ok.length > 3000, 'events were acknowledged before and after the restart');
  for (const [id, o] of refused) {
    t.is(o.status, 503, `event ${id}`);
    t.true(o.ms <= BOUND_MS + 10_000, `event ${id} refused after ${o.ms} ms`);
  }
  const onTopic = await readTopic(broker.address, topic, ok.length);
  const at = new Map(
    onTopic.map((r) => [
      `${r.partition}@${r.offset}`,
      JSON.parse(r.value.toString()) as { event: { id: number }; decision: { decision: string } },
    ]),
  );
  for (const [id, o] of ok) {
    const message = at.get(`${o.partition}@${o.offset}`);
    t.is(message?.event.id, id, `event ${id} answered 201 at ${o.partition}@${o.offset}`);
    t.is(message?.decision.decision, o.decision, `event ${id}: the decision on the topic is the one answered`);
  }
  const seen = new Set(onTopic.map((r) => (JSON.parse(r.value.toString()) as { event: { id: number } }).event.id));
  for (let id = 0; id < EVENTS; id++) if (!seen.has(id)) t.not(outcomes.get(id)?.status, 201, `event ${id}`);
});
