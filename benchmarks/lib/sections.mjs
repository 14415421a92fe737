// Replacing one `## TITLE` section of a results file (each benchmark that runs on its own
// updates only its section of RESULTS.md).
import fs from 'node:fs';

/** Writes `markdown` (a `## TITLE` section) over that section of `file`, or appends it. */
export function upsertSection(file, markdown, title) {
  let text = fs.existsSync(file) ? fs.readFileSync(file, 'utf8') : '# blazerules benchmark results\n';
  const start = text.indexOf(`\n## ${title}\n`);
  if (start >= 0) {
    const next = text.indexOf('\n## ', start + 1);
    text = `${text.slice(0, start + 1) + markdown.trimEnd()}\n${next >= 0 ? text.slice(next) : ''}`;
  } else text = `${text.trimEnd()}\n\n${markdown.trimEnd()}\n`;
  fs.writeFileSync(file, text);
}
