// Sections of benchmarks/RESULTS.md that a benchmark writes on its own (rules-load.mjs): replaced
// in place when present, appended otherwise, and carried over when run.mjs rewrites the file.
import fs from 'node:fs';

/** Where the section headed `heading` (`## Title`) starts and ends in `text`, or undefined. */
function bounds(text, heading) {
  const start = text.indexOf(`\n${heading}\n`);
  if (start < 0) return undefined;
  const next = text.indexOf('\n## ', start + 1);
  return { start: start + 1, end: next >= 0 ? next + 1 : text.length };
}

/** The section headed `heading` in `text` (undefined if it has none). */
export function sectionOf(text, heading) {
  const b = bounds(text, heading);
  return b === undefined ? undefined : text.slice(b.start, b.end).trimEnd();
}

/** Replaces the section that `markdown` is (by its first line, its heading) in `file`, or
 * appends it. */
export function upsertSection(file, markdown) {
  const text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# blazerules benchmark results\n';
  const body = markdown.trimEnd();
  const b = bounds(text, body.split('\n', 1)[0]);
  const updated =
    b === undefined
      ? `${text.trimEnd()}\n\n${body}\n`
      : `${text.slice(0, b.start)}${body}\n${b.end < text.length ? `\n${text.slice(b.end)}` : ''}`;
  fs.writeFileSync(file, updated);
}
