/**
 * `process.nextTick` run hot once before the service takes requests.
 *
 * Every request runs several of Node's ticks (reading the body, ending the answer, closing
 * the streams), and `nextTick` builds each one as an object literal with computed (symbol)
 * keys. V8 defines those keys through the runtime (`Runtime_DefineKeyedOwnPropertyInLiteral`)
 * unless `nextTick` runs optimized code made from complete feedback. Measured with `perf` on
 * `blazerules serve` under autocannon (Node 20): without this, that runtime call took about
 * 10 % of the server's CPU in every run, and in none of a bare Fastify server's; `--trace-opt
 * --trace-deopt` showed `nextTick` optimized during the start-up and deoptimized by the first
 * requests ("insufficient type feedback"), its next optimization left to when traffic made it
 * hot. Called here in every shape the requests call it, it is optimized once from complete
 * feedback before the first request (docs/serve.md, "Speed").
 */

/** Rounds of ticks, and ticks a round (a multiple of 5): enough calls for V8 to optimize
 * `nextTick`, awaited round by round so that its optimized code is installed (a few tens of
 * ms, once). */
const ROUNDS = 50;
const TICKS = 2000;

/** An object among the arguments, as Node's own calls pass (streams, sockets): arguments of
 * numbers only would make the arrays `nextTick` keeps them in numbers-only arrays. */
const ARG = {};

function round(): Promise<void> {
  return new Promise((resolve) => {
    let ran = 0;
    const tick = (): void => {
      ran += 1;
      if (ran === TICKS) resolve();
    };
    // With 0 to 4 arguments after the callback: every branch `nextTick` has for them gets
    // its feedback (a branch without any makes its optimized code deoptimize at the first
    // request that takes it, and the next optimization is again left to chance).
    for (let i = 0; i < TICKS; i += 5) {
      process.nextTick(tick);
      process.nextTick(tick, ARG);
      process.nextTick(tick, ARG, i);
      process.nextTick(tick, ARG, i, ARG);
      process.nextTick(tick, ARG, i, ARG, i);
    }
  });
}

export async function warmNextTick(): Promise<void> {
  for (let r = 0; r < ROUNDS; r++) await round();
}
