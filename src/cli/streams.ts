/** The CLI's input and output: ndjson files read in chunks, stdin, and output with backpressure. */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { open } from 'node:fs/promises';

import { UsageError } from './args';

/** Where output goes: stdout or a file, with backpressure. */
export class Out {
  readonly #stream: NodeJS.WritableStream;
  readonly #isFile: boolean;
  #error: Error | undefined;

  private constructor(stream: NodeJS.WritableStream, isFile: boolean) {
    this.#stream = stream;
    this.#isFile = isFile;
    stream.on('error', (err: Error) => {
      this.#error ??= err;
    });
  }

  /** Opens the output (the file is created before any evaluation starts). */
  static async open(file: string | undefined): Promise<Out> {
    if (file === undefined) return new Out(process.stdout, false);
    const stream = createWriteStream(file);
    await new Promise<void>((resolve, reject) => {
      stream.once('open', () => resolve());
      stream.once('error', (err) => reject(new UsageError(`cannot write ${file}: ${err.message}`)));
    });
    return new Out(stream, true);
  }

  async write(data: string | Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    if (!this.#stream.write(data)) {
      await Promise.race([once(this.#stream, 'drain'), once(this.#stream, 'error')]);
      if (this.#error) throw this.#error;
    }
  }

  async close(): Promise<void> {
    if (this.#isFile) {
      const s = this.#stream;
      await new Promise<void>((resolve) => {
        s.end(() => resolve());
        s.once('error', () => resolve());
      });
    }
    if (this.#error) throw this.#error;
  }
}

/** Reads an ndjson file in chunks cut at the last newline; memory stays at a few chunks plus
 * the longest line. A chunk handed to `fn` is never written to afterwards. */
export async function forEachChunk(
  file: string,
  chunkBytes: number,
  fn: (chunk: Buffer) => Promise<void>,
): Promise<number> {
  const fh = await open(file, 'r');
  let bytes = 0;
  try {
    let size = (await fh.stat()).size;
    let carry: Buffer = Buffer.alloc(0);
    for (;;) {
      // A fresh buffer per chunk: `fn` may still be using the previous one.
      const buf = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) {
        if (carry.length > 0) await fn(carry);
        break;
      }
      bytes += bytesRead;
      const fresh = buf.subarray(0, bytesRead);
      const data = carry.length > 0 ? Buffer.concat([carry, fresh]) : fresh;
      if (bytes >= size) {
        // The end of the file: the last line needs no newline.
        const probe = await fh.read(Buffer.alloc(1), 0, 1, null);
        if (probe.bytesRead === 0) {
          await fn(data);
          break;
        }
        // The file grew meanwhile: keep the probed byte and go on.
        bytes += 1;
        size = (await fh.stat()).size;
        carry = Buffer.concat([data, probe.buffer.subarray(0, 1)]);
        continue;
      }
      const nl = data.lastIndexOf(10);
      if (nl < 0) {
        carry = Buffer.from(data);
        continue;
      }
      const rest = data.subarray(nl + 1);
      const nextCarry = rest.length > 0 ? Buffer.from(rest) : Buffer.alloc(0);
      await fn(data.subarray(0, nl + 1));
      carry = nextCarry;
    }
  } finally {
    await fh.close();
  }
  return bytes;
}

export async function readStdin(): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  return Buffer.concat(chunks);
}
