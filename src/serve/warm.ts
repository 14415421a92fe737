/**
 * `process.nextTick` run hot once before the service takes requests.
 *
 * Every request runs several of Node's ticks (reading the body, ending the answer, closing
 * the streams). `nextTick` builds each tick as an object literal with computed (symbol) keys,
 * and how V8 optimizes that literal depends on the feedback it has seen when it optimizes the
 * function. Measured with `perf` on `blazerules serve` under autocannon (Node 20): in every run
 * where the service's start-up (its routes and schemas) came before the traffic, V8 optimized
 * `nextTick` into code that defines each tick's properties through the runtime
 * (`Runtime_DefineKeyedOwnPropertyInLiteral`, about 10 % of the process's CPU), where a bare
 * Fastify server never did. Calling it hot here, in a loop of the same shape, before listening,
 * made it optimize into the fast path in every run (docs/serve.md, "Speed").
 */

/** Rounds of ticks, and ticks a round: enough calls for V8 to optimize `nextTick`, awaited
 * round by round so that its optimized code is installed (a few tens of ms, once). */
const ROUNDS = 50;
const TICKS = 2000;

function round(): Promise<void> {
  return new Promise((resolve) => {
    let ran = 0;
    const tick = (): void => {
      ran += 1;
      if (ran === TICKS) resolve();
    };
    for (let i = 0; i < TICKS; i++) process.nextTick(tick);
  });
}

export async function warmNextTick(): Promise<void> {
  for (let r = 0; r < ROUNDS; r++) await round();
}
