// What a benchmark run needs before measuring: the machine's description, the competitors
// (npm, PyPI), and the blazerules package(s) under test.
import { execFileSync, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const HERE = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
export const ROOT = path.resolve(HERE, '..');
const require = createRequire(import.meta.url);

/** This process's peak and current resident memory (VmHWM, VmRSS) in KiB, from /proc (Linux). */
export function procStatus() {
  const s = fs.readFileSync('/proc/self/status', 'utf8');
  const get = (k) => Number((new RegExp(`^${k}:\\s+(\\d+)`, 'm').exec(s) || [])[1]);
  return { hwm: get('VmHWM'), rss: get('VmRSS') };
}

export function machine() {
  const cpu = os.cpus();
  let model = cpu[0]?.model || 'unknown';
  try {
    const m = /model name\s*:\s*(.*)/.exec(fs.readFileSync('/proc/cpuinfo', 'utf8'));
    if (m) model = m[1].trim();
  } catch {}
  let nproc = cpu.length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {}
  return {
    loadavg: os
      .loadavg()
      .map((x) => x.toFixed(2))
      .join(' '),
    nproc,
    cpu: model,
    node: process.version,
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    memGB: (os.totalmem() / 2 ** 30).toFixed(1),
    date: new Date().toISOString(),
  };
}

/** Installs json-rules-engine and zen-engine into benchmarks/node_modules if missing; an error text or null. */
export function ensureNodeDeps(log) {
  const missing = ['json-rules-engine', '@gorules/zen-engine'].filter((m) => {
    try {
      require.resolve(m, { paths: [path.join(HERE, 'competitors')] });
      return false;
    } catch {
      return true;
    }
  });
  if (!missing.length) return null;
  log(`installing ${missing.join(', ')} into benchmarks/node_modules`);
  // benchmarks/package.json pins json-rules-engine 7.3.1 and @gorules/zen-engine 0.54.0
  const r = spawnSync('npm', ['install', '--no-audit', '--no-fund'], {
    cwd: HERE,
    stdio: ['ignore', 'ignore', 'pipe'],
    encoding: 'utf8',
  });
  if (r.status !== 0) return `npm install failed: ${(r.stderr || '').trim().split('\n').slice(-2).join(' ')}`;
  return null;
}

const VENV = path.join(HERE, '.venv');
const PY = path.join(VENV, 'bin', 'python');

/** Creates benchmarks/.venv with BlazeRules Python 0.5.4 if missing; an error text or null. */
export function ensurePython(log) {
  const ok = () =>
    spawnSync(PY, ['-c', 'import blazerules,sys; sys.stdout.write(getattr(blazerules,"__version__",""))'], {
      encoding: 'utf8',
    });
  if (fs.existsSync(PY)) {
    const r = ok();
    if (r.status === 0 && r.stdout.trim() === '0.5.4') return null;
  }
  log('creating benchmarks/.venv with blazerules==0.5.4 (pip)');
  let r = spawnSync('python3', ['-m', 'venv', VENV], { encoding: 'utf8' });
  if (r.status !== 0) return `python3 -m venv failed: ${r.stderr.trim()}`;
  r = spawnSync(PY, ['-m', 'pip', 'install', '-q', '--timeout', '30', 'blazerules==0.5.4'], {
    encoding: 'utf8',
    timeout: 600000,
  });
  if (r.status !== 0) return `pip install blazerules==0.5.4 failed: ${r.stderr.trim().split('\n').slice(-1)[0]}`;
  r = ok();
  return r.status === 0 ? null : `blazerules import failed: ${r.stderr.trim()}`;
}

export function runPython(args, { timeoutMs = 300000 } = {}) {
  const r = spawnSync(PY, [path.join(HERE, 'python_bench.py'), ...args], {
    encoding: 'utf8',
    timeout: timeoutMs,
    maxBuffer: 64 << 20,
  });
  if (r.status !== 0)
    throw new Error(
      `python_bench.py failed (${r.status ?? r.signal}): ${(r.stderr || '').trim().split('\n').slice(-3).join(' | ')}`,
    );
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

/** The short commit of a checkout (and "+changes" if its work tree differs), or null. */
export function commitOf(dir) {
  const git = (...a) => spawnSync('git', ['-C', dir, ...a], { encoding: 'utf8' });
  const head = git('rev-parse', '--short', 'HEAD');
  if (head.status !== 0) return null;
  const dirty = git('status', '--porcelain', '--untracked-files=no').stdout.trim() !== '';
  return `${head.stdout.trim()}${dirty ? '+changes' : ''}`;
}

/**
 * Loads a built blazerules package (a checkout's root with dist/ and the .node file). It is
 * smoke-tested in a child first, so a crash in a half-built package cannot take the whole run
 * down. Returns { dir, mod, version, commit } or { dir, error }.
 */
export function loadBlazerules(dir, rules) {
  if (!fs.existsSync(path.join(dir, 'dist', 'index.js')))
    return { dir, error: `${path.join(dir, 'dist', 'index.js')} is missing: run \`npm run build\` in ${dir}` };
  const probe = `
    const { RuleEngine } = require(${JSON.stringify(dir)});
    const e = new RuleEngine();
    e.loadRules(${JSON.stringify(rules)});
    const buf = Buffer.from('{"amount":5000,"merchant":{"country":"IR"},"user":{"age_days":3}}\\n{"amount":1}\\nnot json\\n');
    e.evaluateNdjson(buf).then((r) => { console.log(JSON.stringify({ n: r.nRecords, s: r.messagesSkipped, d: Array.from(r.decisionCodes) })); })
      .catch((err) => { console.error(String(err && err.stack || err)); process.exit(3); });`;
  const r = spawnSync(process.execPath, ['-e', probe], { encoding: 'utf8', timeout: 60000, cwd: ROOT });
  if (r.status !== 0) {
    const msg =
      `${r.stderr || ''}${r.stdout || ''}`
        .trim()
        .split('\n')
        .filter((l) => /error|panic|cannot|not /i.test(l))
        .slice(0, 2)
        .join(' / ') || `exit ${r.status ?? r.signal}`;
    return { dir, error: msg.slice(0, 300) };
  }
  try {
    const mod = require(dir);
    let version = mod.version;
    try {
      version = typeof version === 'function' ? version() : version || require(path.join(dir, 'package.json')).version;
    } catch {}
    return {
      dir,
      mod,
      version: typeof version === 'string' ? version : JSON.stringify(version),
      commit: commitOf(dir),
    };
  } catch (e) {
    return { dir, error: String(e.message || e).slice(0, 300) };
  }
}
