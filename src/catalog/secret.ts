/** A password or token read from a file (never from the command line, where `ps` shows it). */
import * as fs from 'node:fs';

export function readSecretFile(file: string, option: string): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new Error(`${option} ${file}: ${(err as NodeJS.ErrnoException).code ?? 'cannot be read'}`);
  }
  const secret = text.replace(/\r?\n$/, '');
  if (secret === '') throw new Error(`${option} ${file} is empty`);
  return secret;
}
