// The record-by-record cross-check of the engines, and the competitors that are timed once on a
// prefix of the data (json-rules-engine, zen-engine) or in their own process (BlazeRules Python).
// `ctx` is run.mjs's: { cfg, results, log, rules, quick, current, H, mainFile, pyErr, depErr, … }.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR, ensureDataFile } from '../gen.mjs';
import { nonEmptyLines, sliceBytesForRecords, sliceFile } from './data.mjs';
import { fmtInt, fmtRate } from './format.mjs';
import { ROOT, runPython } from './setup.mjs';
import { compareEngines, comparePerRecord, normBlaze, normHand, normPerRecord, normPython } from './verify.mjs';

const errText = (err) => String(err?.message || err);

/** Record-by-record cross-check of blazerules, the hand-written JS and Python on one file. */
async function crossCheck(ctx, file, list, pyPrefix) {
  const { H } = ctx;
  const buf = fs.readFileSync(file);
  const lines = nonEmptyLines(buf);
  const hand = normHand(H.evaluateNdjson(buf, { keepSkippedLines: true }), H);
  let blaze = null;
  if (ctx.current.mod) {
    try {
      const e = new ctx.current.mod.RuleEngine({ maxErrorSamples: 1_000_000 });
      e.loadRules(ctx.rules);
      blaze = normBlaze(await e.evaluateNdjson(buf));
      list.push(compareEngines('blazerules', blaze, 'handwritten-js', hand, lines, H));
    } catch (e) {
      list.push({ pair: 'blazerules vs handwritten-js', error: errText(e) });
    }
  }
  let py = null;
  if (!ctx.pyErr) {
    try {
      const prefix = path.join(DATA_DIR, pyPrefix);
      py = normPython(
        runPython(['--rules', ctx.rules, '--data', file, '--iterations', '1', '--verify-out', prefix]),
        prefix,
      );
      list.push(compareEngines('blazerules-python', py, 'handwritten-js', hand, lines, H));
      if (blaze) list.push(compareEngines('blazerules', blaze, 'blazerules-python', py, lines, H));
    } catch (e) {
      list.push({ pair: 'blazerules-python vs handwritten-js', error: errText(e) });
    }
  }
  return { hand, py };
}

/** The cross-check on the first verifyLines lines, and on edge-case records (gen.mjs --edge:
 * missing / null / wrong-typed values, null-like strings, odd IPs, CRLF and blank lines, escapes). */
export async function verifySection(ctx) {
  const verFile = sliceFile(ctx.mainFile, `${ctx.cfg.verifyLines}r`);
  ctx.verBuf = fs.readFileSync(verFile);
  const { hand, py } = await crossCheck(ctx, verFile, ctx.results.verify, 'py-verify');
  ctx.hand = hand;
  if (py) ctx.results.pythonTypeErrors = py.typeErrors.length;
  const edgeFile = ensureDataFile(ctx.quick ? '5000r' : '20000r', { edgeRate: 0.4, malformedRate: 0.02 });
  ctx.results.edgeFile = path.relative(ROOT, edgeFile);
  await crossCheck(ctx, edgeFile, ctx.results.verifyEdge, 'py-verify-edge');
  for (const v of [...ctx.results.verify, ...ctx.results.verifyEdge]) {
    const kinds =
      Object.entries(v.kinds || {})
        .map(([k, n]) => `${n} ${k}`)
        .join(', ') || 'records agree';
    const counts = v.ruleCountDiffs?.length
      ? `; rule counts differ: ${v.ruleCountDiffs.map((d) => d.rule).join(', ')}`
      : '';
    ctx.log(`check ${v.pair}: ${v.error ? `ERROR ${v.error}` : `${kinds}${counts}`}`);
  }
}

/** One per-record competitor over a prefix of the data: `prepare()` sets it up (and warms it)
 * and returns the function that evaluates a buffer of records. */
async function perRecordCompetitor(ctx, key, label, name, records, prepare) {
  try {
    const run = await prepare();
    const sub = sliceBytesForRecords(ctx.verBuf, records);
    const t0 = performance.now();
    const r = await run(sub);
    const ms = performance.now() - t0;
    ctx.results.engines[key] = {
      name,
      records: r.nRecords,
      bytes: sub.length,
      medianMs: ms,
      iters: 1,
      rps: r.nRecords / (ms / 1e3),
      mbps: sub.length / 1e6 / (ms / 1e3),
      note: `first ${fmtInt(r.nRecords)} records`,
    };
    ctx.results.verify.push(comparePerRecord(label, normPerRecord(r, ctx.H), ctx.hand, 'handwritten-js'));
    ctx.log(`${label}: ${fmtRate(ctx.results.engines[key].rps)} rec/s`);
  } catch (err) {
    ctx.results.skipped[key] = String(err.stack || err).slice(0, 300);
  }
}

/** json-rules-engine, zen-engine and BlazeRules Python on the same records. */
export async function competitorsSection(ctx) {
  if (!ctx.depErr) {
    await perRecordCompetitor(
      ctx,
      'jre',
      'json-rules-engine',
      'json-rules-engine 7.3.1 (engine.run per record)',
      ctx.cfg.jre,
      async () => {
        const J = await import('../competitors/jre.mjs');
        const eng = J.createEngine();
        await J.evaluate(eng, ctx.verBuf, 200); // warm-up
        return (sub) => J.evaluate(eng, sub, ctx.cfg.jre);
      },
    );
    await perRecordCompetitor(
      ctx,
      'zen',
      'zen-engine',
      '@gorules/zen-engine 0.54.0 (decision.evaluate per record, 8 in flight)',
      ctx.cfg.zen,
      async () => {
        const Z = await import('../competitors/zen.mjs');
        const { decision } = Z.createDecision();
        await Z.evaluate(decision, ctx.verBuf, 200);
        return (sub) => Z.evaluate(decision, sub, ctx.cfg.zen);
      },
    );
  }
  if (ctx.pyErr) return;
  try {
    const s = runPython([
      '--rules',
      ctx.rules,
      '--data',
      ctx.mainFile,
      '--iterations',
      String(ctx.cfg.iters),
      '--min-seconds',
      String(ctx.cfg.minSec),
    ]);
    ctx.results.engines.python = {
      name: `BlazeRules Python ${s.version} (evaluate_ndjson, ${s.simd_backend})`,
      records: s.nRecords,
      bytes: s.bytes,
      medianMs: s.medianMs,
      bestMs: s.bestMs,
      iters: s.iterations,
      rps: s.recordsPerSec,
      mbps: s.mbPerSec,
      decisions: s.decisionCounts,
      skipped: s.messagesSkipped,
      firstCallMs: s.firstCallMs,
    };
    ctx.log(`BlazeRules Python: ${fmtRate(ctx.results.engines.python.rps)} rec/s`);
  } catch (err) {
    ctx.results.skipped.pythonMain = errText(err);
  }
}
