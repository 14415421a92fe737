#!/usr/bin/env node
// Deterministic (seeded) generator of card-transaction NDJSON for the benchmarks.
//
//   node benchmarks/gen.mjs 64MB            -> benchmarks/data/tx-64MB.ndjson
//   node benchmarks/gen.mjs 10000r          -> benchmarks/data/tx-10000r.ndjson (10 000 lines)
//   node benchmarks/gen.mjs 16MB --seed 7 --malformed 0.01 --out /tmp/x.ndjson
//
// About 445 bytes a record: nested objects (card, merchant.risk, device, geo, user), arrays
// (tags, items, auth_fail), strings, numbers, epoch-ms timestamps and ~1% malformed lines
// (truncated objects, non-JSON text, JSON that is not an object, bad tokens). `--lean` leaves
// out `geo` and `items` (no benchmark rule reads them): about 370 bytes a record, the size the
// engine issue's throughput target assumes; the other values are the same.
// The same seed and size always give the same bytes.  `--edge RATE` mutates that share of the
// records into edge cases (missing / null / wrong-typed values, null-like strings, odd IPs,
// CRLF and blank lines, escapes) for the engines' record-by-record cross-check.

import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
export const DATA_DIR = path.join(HERE, 'data');

// ---------------------------------------------------------------- PRNG (mulberry32)
export function rngFrom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const r = {
    next,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)), // inclusive
    pick: (arr) => arr[Math.floor(next() * arr.length)],
    chance: (p) => next() < p,
    normal: () => {
      // Box-Muller
      const u = Math.max(next(), 1e-12);
      const v = next();
      return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    },
    weighted: (pairs) => {
      let x = next() * pairs.total;
      for (const [v, w] of pairs.items) {
        x -= w;
        if (x < 0) return v;
      }
      return pairs.items[pairs.items.length - 1][0];
    },
    hex: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += '0123456789abcdef'[Math.floor(next() * 16)];
      return s;
    },
    digits: (n) => {
      let s = '';
      for (let i = 0; i < n; i++) s += String(Math.floor(next() * 10));
      return s;
    },
  };
  return r;
}

const W = (obj) => {
  const items = Object.entries(obj);
  return { items, total: items.reduce((s, [, w]) => s + w, 0) };
};

const COUNTRIES = W({
  US: 40,
  GB: 8,
  DE: 6,
  FR: 5,
  CA: 5,
  BR: 5,
  IN: 5,
  CN: 4,
  MX: 4,
  NG: 3,
  RU: 3,
  ES: 3,
  IT: 3,
  NL: 2,
  JP: 2,
  AU: 2,
  KP: 0.08,
  IR: 0.1,
  SY: 0.06,
  CU: 0.06,
});
const MCC = W({
  5411: 14,
  5812: 12,
  5999: 10,
  4111: 6,
  5732: 6,
  5311: 8,
  5541: 8,
  7011: 4,
  4511: 4,
  5912: 6,
  5691: 6,
  5814: 8,
  7995: 2.5,
  5967: 2,
  4829: 2,
  6051: 1.5,
});
const CHANNEL = W({ ecom: 62, pos: 30, moto: 8 });
const CARD_TYPE = W({ credit: 55, debit: 38, prepaid: 7 });
const UA = W({
  'iOS/Safari': 30,
  'And/Chrome': 30,
  'Win/Chrome': 25,
  'Mac/Safari': 14,
  'Lnx/HeadlessChrome': 0.8,
});
const FIRST = ['john', 'maria', 'wei', 'ana', 'li', 'omar', 'sara', 'raj', 'lena', 'tom', 'yuki', 'ivan', 'zoe', 'ali'];
const DOMAINS = W({
  'gmail.com': 45,
  'yahoo.com': 15,
  'outlook.com': 15,
  'icloud.com': 12,
  'proton.me': 5,
  'corp.example': 6,
  'mailinator.com': 0.7,
  'yopmail.com': 0.5,
  'guerrillamail.net': 0.4,
  '10minutemail.com': 0.4,
});
const TAGS = W({
  recurring: 10,
  first_purchase: 8,
  loyalty: 10,
  gift_card: 3,
  crypto: 2.5,
  subscription: 8,
  marketplace: 8,
  travel: 5,
});
const AUTH = ['cvv', 'avs', '3ds', 'pin'];
const GEO = {
  US: [39.8, -98.6],
  GB: [52.4, -1.5],
  DE: [51.2, 10.4],
  FR: [46.6, 2.2],
  CA: [56.1, -106.3],
  BR: [-14.2, -51.9],
  IN: [20.6, 78.9],
  CN: [35.9, 104.2],
  MX: [23.6, -102.6],
  NG: [9.1, 8.7],
  RU: [61.5, 105.3],
  ES: [40.5, -3.7],
  IT: [41.9, 12.6],
  NL: [52.1, 5.3],
  JP: [36.2, 138.3],
  AU: [-25.3, 133.8],
};

// 2026-10-01T00:00:00Z .. +30 days: every weekday and hour occurs.
export const TS_BASE = Date.UTC(2026, 9, 1);
const TS_SPAN = 30 * 86400000;

const round = (x, d) => {
  const f = 10 ** d;
  return Math.round(x * f) / f;
};

function ipFor(r) {
  const u = r.next();
  if (u < 0.005) return `185.220.${r.int(100, 103)}.${r.int(1, 254)}`; // Tor exits (185.220.100.0/22)
  if (u < 0.008) return `171.25.193.${r.int(1, 254)}`; // Tor exits (171.25.193.0/24)
  return `${r.int(11, 223)}.${r.int(0, 255)}.${r.int(0, 255)}.${r.int(1, 254)}`;
}

// One record as a plain object (key order is fixed, so output is byte-deterministic).
export function makeRecord(r, i, lean = false) {
  const mcountry = r.weighted(COUNTRIES);
  const ccountry = r.chance(0.85) ? mcountry : r.weighted(COUNTRIES);
  const amount = Math.min(25000, round(Math.exp(3.7 + 1.35 * r.normal()), 2)) || 0.5;
  const newCustomer = r.chance(0.05);
  const ageDays = newCustomer ? r.int(0, 29) : r.int(30, 4000);
  const avg = newCustomer && r.chance(0.5) ? 0 : round(Math.exp(3.8 + 0.9 * r.normal()), 2);
  const bin = r.chance(0.004) ? '400000' : `${r.pick(['4', '5', '3'])}${r.digits(5)}`;
  const fpRoll = r.next();
  const [glat, glon] = GEO[mcountry] || [0, 0];
  const rec = {
    id: `t${String(i).padStart(8, '0')}`,
    ts: TS_BASE + Math.floor(r.next() * TS_SPAN),
    amount,
    channel: r.weighted(CHANNEL),
    card: { bin, type: r.weighted(CARD_TYPE), country: ccountry },
    merchant: {
      id: `m${r.int(10000, 99999)}`,
      mcc: r.weighted(MCC),
      country: mcountry,
      risk: { score: round(r.next() ** 3, 4) },
    },
    device: { ip: ipFor(r), ua: r.weighted(UA) },
    geo: { lat: round(glat + (r.next() - 0.5) * 8, 1), lon: round(glon + (r.next() - 0.5) * 8, 1) },
    user: {
      email: `${r.pick(FIRST)}${r.int(1, 999)}@${r.weighted(DOMAINS)}`,
      age_days: ageDays,
      avg_amt: avg,
    },
    tags: [],
    items: [],
    flags: 0,
  };
  // device.fingerprint: 3% missing, 1% JSON null, else a string.  Inserted after ip.
  if (fpRoll >= 0.04) rec.device = { ip: rec.device.ip, fingerprint: r.hex(8), ua: rec.device.ua };
  else if (fpRoll >= 0.03) rec.device = { ip: rec.device.ip, fingerprint: null, ua: rec.device.ua };
  const ntags = r.weighted(W({ 0: 45, 1: 40, 2: 12, 3: 3 }));
  for (let k = 0; k < ntags; k++) {
    const t = r.weighted(TAGS);
    if (!rec.tags.includes(t)) rec.tags.push(t);
  }
  const nitems = r.chance(0.8) ? 1 : 2;
  for (let k = 0; k < nitems; k++) rec.items.push({ sku: r.digits(4), qty: r.int(1, 3) });
  const af = r.next();
  const nfail = af < 0.85 ? 0 : af < 0.95 ? 1 : r.int(2, 3);
  const fails = [];
  for (let k = 0; k < nfail; k++) {
    const a = r.pick(AUTH);
    if (!fails.includes(a)) fails.push(a);
  }
  if (fails.length) rec.auth_fail = fails; // the key is absent when nothing failed
  let flags = 0;
  if (rec.channel === 'pos') flags |= 0x1; // card present
  if (rec.tags.includes('recurring')) flags |= 0x2;
  if (r.chance(0.6)) flags |= 0x4; // 3DS ok
  if (r.chance(0.03)) flags |= 0x8; // proxy
  if (r.chance(0.04)) flags |= 0x10; // VPN
  if (r.chance(0.01)) flags |= 0x20; // emulator
  rec.flags = flags;
  if (rec.auth_fail) {
    const af2 = rec.auth_fail;
    delete rec.auth_fail;
    delete rec.flags;
    rec.auth_fail = af2;
    rec.flags = flags;
  }
  if (lean) {
    delete rec.geo;
    delete rec.items;
  }
  return rec;
}

function malformed(r, line) {
  const k = r.next();
  if (k < 0.4) return line.slice(0, r.int(8, line.length - 3)); // truncated object
  if (k < 0.6)
    return r.pick([
      '<html><body>502 Bad Gateway</body></html>',
      'tx_0000,42.50,USD,ecom',
      'ERROR: upstream timeout',
      '{"id": tx_1, "amount": }',
    ]);
  if (k < 0.75) return r.pick(['[1,2,3]', '"just a string"', '42', 'null', 'true']); // JSON, but not an object
  // a bad token in the middle of an otherwise complete record
  return line.replace(/"amount":([0-9.]+)/, '"amount":$1.5.0');
}

// Edge-case mutations for the differential check (`--edge RATE`): values an engine must
// read exactly as BlazeRules / choices.md say.  The hand-written JS reference implements the
// same reading, so blazerules and it must still agree record by record.
const EDGE_OBJ = [
  (o) => {
    delete o.amount;
  },
  (o) => {
    o.amount = null;
  },
  (o) => {
    o.amount = String(o.amount);
  }, // numeric string: not a number
  (o, r) => {
    o.amount = r.pick([0, -0, -12.5, 1e300, 2000.0001, 2000, 250, 50, 1, 5000, 25000]);
  },
  (o, r) => {
    o.user.avg_amt = r.pick([0, null, -1, 1e-9]);
  },
  (o) => {
    delete o.user;
  },
  (o, r) => {
    o.merchant = r.pick(['m1', 42, null, [], {}]);
  }, // nested object replaced
  (o) => {
    o.merchant.risk = null;
  },
  (o, r) => {
    o.merchant.risk.score = r.pick([0.05, 0.92, 0.75, 0.6, 0, 1, '0.99', null]);
  },
  (o, r) => {
    o.merchant.country = r.pick(['', 'null', 'None', 'NULL', 'ir', 'IR ', 'US', 'KP', 7]);
  },
  (o, r) => {
    o.merchant.mcc = r.pick([7995, '07995', '7995', '']);
  },
  (o, r) => {
    o.channel = r.pick(['', 'ECOM', 'ecom', null, 'None']);
  },
  (o, r) => {
    o.device.fingerprint = r.pick(['', 'null', 'None', null, 0, false]);
  },
  (o) => {
    delete o.device;
  },
  (o, r) => {
    o.device.ip = r.pick([
      '185.220.100.7',
      '185.220.103.255',
      '185.220.104.1',
      '441.220.100.5',
      '185.220.100',
      '185.220.100.7.9',
      'abc',
      '',
      ' 185.220.100.7',
      '171.25.193.0',
      '171.25.192.255',
      3117179911,
    ]);
  },
  (o, r) => {
    o.device.ua = r.pick(['Ünïcode HeadlessChrome/1', 'headlesschrome', 'HeadlessChrom', '', 12]);
  },
  (o, r) => {
    o.tags = r.pick([[], ['gift_card'], 'gift_card', 'crypto,gift_card', [1, 2], null, ['GIFT_CARD'], [['gift_card']]]);
  },
  (o, r) => {
    o.auth_fail = r.pick([[], ['cvv'], ['cvv', 'avs'], null, ['cvv', 'avs', '3ds', 'pin']]);
  },
  (o, r) => {
    o.flags = r.pick([-8, 0, 8, 16, 24, 7, 2 ** 31 + 8, 2 ** 40 + 16, null, '24']);
  },
  (o, r) => {
    o.ts = r.pick([
      TS_BASE + 4 * 86400000 + 3600000,
      TS_BASE + 4 * 86400000 + 5 * 3600000,
      TS_BASE + 4 * 86400000 + 5 * 3600000 + 1,
      TS_BASE + 3 * 86400000 + 3599999,
      0,
      null,
      String(TS_BASE),
    ]);
  },
  (o, r) => {
    o.card.bin = r.pick(['4000', '400', '40001234', 400012, '', null]);
  },
  (o, r) => {
    o.card.country = r.pick(['US', 'us', 'XX', '', null, 1]);
  },
  (o, r) => {
    o.card.type = r.pick(['prepaid', 'Prepaid', null, '']);
  },
  (o, r) => {
    o.user.email = r.pick([
      'x@yopmail.com',
      'x@yopmail.com.evil',
      'X@YOPMAIL.COM',
      'x@mailinator.net',
      null,
      'é@10minutemail.com',
    ]);
  },
  (o, r) => {
    o.user.age_days = r.pick([29, 30, 29.9, -1, null, '1']);
  },
  (o) => {
    o.extra = { deeply: { nested: { value: [1, { a: 'b' }] } } };
  },
];
const EDGE_LINE = [
  (l) => `${l}\r`, // CRLF
  (l) => `${l}   \t`, // trailing blanks
  (l) => `  ${l}`, // leading blanks
  (l) => `${l}\n`, // followed by a blank line
  (l) => `${l}\n   `, // followed by a whitespace-only line
  (l) => l.replace(/"email":"([^"@]*)@/, '"email":"$1\\u0040'), // escaped @ in a string value
  (l) => l.replace(/"ua":"([^"]*)"/, '"ua":"$1 \\u00e9"'),
];

function edgeLine(r, i) {
  const o = makeRecord(r, i);
  const n = r.int(1, 3);
  for (let k = 0; k < n; k++) {
    try {
      r.pick(EDGE_OBJ)(o, r);
    } catch {
      /* the mutated parent is gone already */
    }
  }
  let line = JSON.stringify(o);
  if (r.chance(0.3)) line = r.pick(EDGE_LINE)(line);
  return line;
}

/**
 * Generate NDJSON.  { bytes } or { records }; seed; malformedRate.
 * Returns { buf, lines, records, malformedLines, malformedIdx }.
 */
export function generate({ bytes = 0, records = 0, seed = 42, malformedRate = 0.01, edgeRate = 0, lean = false } = {}) {
  const r = rngFrom(seed);
  const mr = rngFrom(seed ^ 0x5bd1e995);
  const er = rngFrom(seed ^ 0x2545f491);
  const parts = [];
  const malformedIdx = [];
  let size = 0;
  let i = 0;
  while (records ? i < records : size < bytes) {
    let line = i > 0 && edgeRate > 0 && er.chance(edgeRate) ? edgeLine(er, i) : JSON.stringify(makeRecord(r, i, lean));
    if (i > 0 && mr.chance(malformedRate)) {
      line = malformed(mr, line);
      malformedIdx.push(i);
    }
    parts.push(line);
    size += line.length + 1;
    i++;
  }
  const buf = Buffer.from(`${parts.join('\n')}\n`, 'utf8');
  return { buf, lines: i, records: i - malformedIdx.length, malformedLines: malformedIdx.length, malformedIdx };
}

export function parseSize(s) {
  const m = /^(\d+(?:\.\d+)?)\s*(r|rec|records|b|kb|k|mb|m|gb|g)?$/i.exec(String(s));
  if (!m) throw new Error(`bad size: ${s} (use e.g. 64MB, 512KB, 10000r)`);
  const n = Number(m[1]);
  const u = (m[2] || 'mb').toLowerCase();
  if (u.startsWith('r')) return { records: Math.round(n) };
  const mult = { b: 1, kb: 1 << 10, k: 1 << 10, mb: 1 << 20, m: 1 << 20, gb: 1 << 30, g: 1 << 30 }[u];
  return { bytes: Math.round(n * mult) };
}

function dataName(size, { seed, malformedRate, edgeRate, lean }) {
  return `tx-${size}${seed === 42 ? '' : `-s${seed}`}${malformedRate === 0.01 ? '' : `-m${malformedRate}`}${edgeRate ? `-edge${edgeRate}` : ''}${lean ? '-lean' : ''}.ndjson`;
}

/** Generate (or reuse) benchmarks/data/tx-<size>.ndjson; returns its path. */
export function ensureDataFile(sizeArg, { seed = 42, malformedRate = 0.01, edgeRate = 0, lean = false, out } = {}) {
  const file = out || path.join(DATA_DIR, dataName(sizeArg, { seed, malformedRate, edgeRate, lean }));
  // regenerate when this generator's source or the parameters changed
  const stamp = crypto
    .createHash('sha1')
    .update(fs.readFileSync(fileURLToPath(import.meta.url)))
    .update(JSON.stringify([sizeArg, seed, malformedRate, edgeRate, lean]))
    .digest('hex');
  const meta = `${file}.meta`;
  if (fs.existsSync(file) && fs.existsSync(meta) && fs.readFileSync(meta, 'utf8') === stamp) return file;
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const g = generate({ ...parseSize(sizeArg), seed, malformedRate, edgeRate, lean });
  fs.writeFileSync(`${file}.tmp`, g.buf);
  fs.renameSync(`${file}.tmp`, file);
  fs.writeFileSync(meta, stamp);
  return file;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === path.resolve(process.argv[1])) {
  const args = process.argv.slice(2);
  let size = '16MB';
  let seed = 42;
  let malformedRate = 0.01;
  let edgeRate = 0;
  let lean = false;
  let out;
  for (let k = 0; k < args.length; k++) {
    const a = args[k];
    if (a === '--seed') seed = Number(args[++k]);
    else if (a === '--malformed') malformedRate = Number(args[++k]);
    else if (a === '--edge') edgeRate = Number(args[++k]);
    else if (a === '--out') out = args[++k];
    else if (a === '--lean') lean = true;
    else if (a === '-h' || a === '--help') {
      console.log(
        'usage: node benchmarks/gen.mjs <size: 64MB|512KB|10000r> [--seed N] [--malformed 0.01] [--edge 0.3] [--lean] [--out FILE]',
      );
      process.exit(0);
    } else size = a;
  }
  const t0 = performance.now();
  const g = generate({ ...parseSize(size), seed, malformedRate, edgeRate, lean });
  const file = out || path.join(DATA_DIR, dataName(size, { seed, malformedRate, edgeRate, lean }));
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, g.buf);
  console.log(
    JSON.stringify({
      file,
      bytes: g.buf.length,
      lines: g.lines,
      records: g.records,
      malformedLines: g.malformedLines,
      bytesPerLine: +(g.buf.length / g.lines).toFixed(1),
      ms: Math.round(performance.now() - t0),
    }),
  );
}
