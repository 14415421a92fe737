// A Fastify server for the serve benchmark (benchmarks/serve/run.mjs), one per process:
//   node server-child.mjs const|handwritten|zen
// POST /v1/decide answers the same shape as `blazerules serve` with the same response schema
// (fast-json-stringify), so the routes differ only in how they decide. Prints the URL.
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '..', '..');
const require = createRequire(path.join(ROOT, 'package.json'));
const Fastify = require('fastify');
const { DECIDE } = require(path.join(ROOT, 'dist', 'serve', 'schemas.js'));

const mode = process.argv[2];
const LABELS = ['APPROVE', 'FLAG', 'REVIEW', 'BLOCK'];
const BANDS = ['LOW', 'MEDIUM', 'HIGH'];

async function decider() {
  if (mode === 'const') {
    const answer = {
      decision: 'APPROVE',
      score: 0,
      risk_band: 'LOW',
      winning_rule_id: '',
      matched_rule_ids: [],
      ruleset_version: '1',
    };
    return () => answer;
  }
  if (mode === 'handwritten') {
    const H = await import('../competitors/handwritten.mjs');
    const hits = new Uint8Array(H.N_RULES);
    return (r) => {
      H.matchRules(r, hits);
      const d = H.decideHits(hits);
      const matched = [];
      for (let k = 0; k < H.N_RULES; k++) if (hits[k]) matched.push(H.RULE_IDS[k]);
      return {
        decision: LABELS[d.code],
        score: d.score,
        risk_band: BANDS[d.band],
        winning_rule_id: d.winner < 0 ? '' : H.RULE_IDS[d.winner],
        matched_rule_ids: matched,
        ruleset_version: '1',
      };
    };
  }
  if (mode === 'zen') {
    const Z = await import('../competitors/zen.mjs');
    const { RULE_IDS } = await import('../competitors/common.mjs');
    const { decision } = Z.createDecision();
    return async (r) => {
      const { result } = await decision.evaluate(r);
      const matched = RULE_IDS.filter((id) => result[`r_${id}`] === true);
      const code = LABELS.indexOf(result.decision);
      return {
        decision: result.decision,
        score: result.score,
        risk_band: code === 3 || result.score >= 80 ? 'HIGH' : code === 2 || result.score >= 40 ? 'MEDIUM' : 'LOW',
        winning_rule_id: result.rule ?? '',
        matched_rule_ids: matched,
        ruleset_version: '1',
      };
    };
  }
  throw new Error(`unknown mode ${mode}`);
}

const decide = await decider();
const app = Fastify({ logger: false });
app.post('/v1/decide', { schema: { response: { 200: DECIDE.response[200] } } }, async (request) =>
  decide(request.body),
);
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`listening on http://127.0.0.1:${app.server.address().port}\n`);
process.on('SIGTERM', () => app.close().then(() => process.exit(0)));
