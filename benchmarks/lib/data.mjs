// Slices of the generated data files.
import fs from 'node:fs';
import path from 'node:path';
import { DATA_DIR } from '../gen.mjs';

export function nonEmptyLines(buf) {
  const out = [];
  for (const raw of buf.toString('utf8').split('\n')) {
    const l = raw.replace(/[\r \t]+$/, '');
    if (l) out.push(l);
  }
  return out;
}

/** A prefix of `src` as a cached file: spec '123r' (first lines) or '1MB' (cut at a newline). */
export function sliceFile(src, spec) {
  const file = path.join(DATA_DIR, 'slices', `${path.basename(src, '.ndjson')}-${spec}.ndjson`);
  if (fs.existsSync(file) && fs.statSync(file).mtimeMs >= fs.statSync(src).mtimeMs) return file;
  const buf = fs.readFileSync(src);
  let end;
  const m = /^(\d+)r$/.exec(spec);
  if (m) {
    let pos = 0;
    for (let i = 0; i < Number(m[1]) && pos < buf.length; i++) {
      const e = buf.indexOf(10, pos);
      pos = e < 0 ? buf.length : e + 1;
    }
    end = pos;
  } else {
    const bytes = Number(/^(\d+)MB$/.exec(spec)[1]) << 20;
    if (bytes >= buf.length) end = buf.length;
    else end = buf.lastIndexOf(10, bytes - 1) + 1;
  }
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, buf.subarray(0, end));
  return file;
}

/** Whether a line of text is a JSON object (a record every engine reads). */
export function isObjectLine(line) {
  try {
    const o = JSON.parse(line);
    return o !== null && typeof o === 'object' && !Array.isArray(o);
  } catch {
    return false;
  }
}

/** The prefix of `buf` holding at least n parseable records (malformed lines in between included). */
export function sliceBytesForRecords(buf, n) {
  let pos = 0;
  let got = 0;
  while (got < n && pos < buf.length) {
    let e = buf.indexOf(10, pos);
    if (e < 0) e = buf.length;
    if (isObjectLine(buf.toString('utf8', pos, e))) got++;
    pos = e + 1;
  }
  return buf.subarray(0, pos);
}
