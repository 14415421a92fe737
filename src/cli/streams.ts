/** The CLI's input and output: ndjson files read in chunks, stdin, and output with backpressure. */
import { createWriteStream } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';

import { UsageError } from './args';

/** The engine's default `maxFileBytes` (`DEFAULT_MAX_FILE_BYTES` in crates/blazerules-core/src/files.rs). */
export const DEFAULT_MAX_FILE_BYTES = 1 << 30;

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
      // One listener each, removed again whichever comes first (no listener left per wait).
      const s = this.#stream;
      await new Promise<void>((resolve) => {
        const done = (): void => {
          s.off('drain', done);
          s.off('error', done);
          resolve();
        };
        s.on('drain', done);
        s.on('error', done);
      });
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

/**
 * Cuts a stream of bytes into chunks of whole lines of about `chunkBytes`, each cut at its
 * last newline, and hands each to `fn` (never written to afterwards). A line longer than
 * `maxLineBytes` is not kept whole: its first `maxLineBytes` bytes and a `.` stand for it (the
 * engine then skips it as RECORD_TOO_LARGE, with its row and line) and the rest is dropped as
 * it arrives. Memory stays at about a chunk plus `maxLineBytes`, whatever the input.
 */
export class LineChunker {
  #parts: Buffer[] = [];
  #size = 0;
  /** Offset in the pending bytes just past their last newline (0: none yet). */
  #cut = 0;
  /** Dropping the rest of an over-long line, up to its newline. */
  #dropping = false;

  constructor(
    readonly chunkBytes: number,
    readonly maxLineBytes: number,
    readonly fn: (chunk: Buffer) => Promise<void>,
  ) {}

  /** Takes the next bytes (the chunker keeps them: do not reuse `data`). */
  async push(data: Buffer): Promise<void> {
    let rest = data;
    if (this.#dropping) {
      const nl = rest.indexOf(10);
      if (nl < 0) return;
      this.#dropping = false;
      rest = rest.subarray(nl);
    }
    if (rest.length === 0) return;
    const nl = rest.lastIndexOf(10);
    if (nl >= 0) this.#cut = this.#size + nl + 1;
    this.#parts.push(rest);
    this.#size += rest.length;
    if (this.#size - this.#cut > this.maxLineBytes) this.#truncateTail();
    if (this.#size >= this.chunkBytes && this.#cut > 0) await this.#emit(this.#cut);
  }

  /** Hands over what is left (the last line needs no newline). */
  async end(): Promise<void> {
    if (this.#size > 0) await this.#emit(this.#size);
  }

  #pending(): Buffer {
    const all = this.#parts.length === 1 ? (this.#parts[0] as Buffer) : Buffer.concat(this.#parts, this.#size);
    this.#parts = [all];
    return all;
  }

  /** Keeps `maxLineBytes` bytes of the unfinished last line and a `.`; drops the rest. */
  #truncateTail(): void {
    const keep = this.#cut + this.maxLineBytes;
    const stub = Buffer.concat([this.#pending().subarray(0, keep), Buffer.from('.')]);
    this.#parts = [stub];
    this.#size = stub.length;
    this.#dropping = true;
  }

  async #emit(end: number): Promise<void> {
    const all = this.#pending();
    const chunk = all.subarray(0, end);
    const rest = all.subarray(end);
    // A copy of the rest: `fn` may hold the chunk, whose buffer the rest shares.
    this.#parts = rest.length > 0 ? [Buffer.from(rest)] : [];
    this.#size = rest.length;
    this.#cut = 0;
    await this.fn(chunk);
  }
}

/** Reads a record file in chunks cut at the last newline (see LineChunker). The file must be
 * a regular file (a FIFO or a device is refused before it is opened for reading). */
export async function forEachChunk(
  file: string,
  chunkBytes: number,
  maxLineBytes: number,
  fn: (chunk: Buffer) => Promise<void>,
): Promise<number> {
  await requireRegularFile(file);
  const fh = await open(file, 'r');
  const chunker = new LineChunker(chunkBytes, maxLineBytes, fn);
  let bytes = 0;
  try {
    for (;;) {
      // A fresh buffer per read: the chunker keeps it.
      const buf = Buffer.allocUnsafe(chunkBytes);
      const { bytesRead } = await fh.read(buf, 0, chunkBytes, null);
      if (bytesRead === 0) break;
      bytes += bytesRead;
      await chunker.push(buf.subarray(0, bytesRead));
    }
    await chunker.end();
  } finally {
    await fh.close();
  }
  return bytes;
}

/** Reads stdin in chunks cut at the last newline (see LineChunker). */
export async function forEachStdinChunk(
  chunkBytes: number,
  maxLineBytes: number,
  fn: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const chunker = new LineChunker(chunkBytes, maxLineBytes, fn);
  for await (const c of process.stdin) await chunker.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  await chunker.end();
}

/** Throws a UsageError naming `file` unless it is a regular file (not a FIFO, a device, a
 * directory). */
export async function requireRegularFile(file: string): Promise<void> {
  let st: Awaited<ReturnType<typeof stat>>;
  try {
    st = await stat(file);
  } catch (err) {
    throw new UsageError(`cannot read ${file}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!st.isFile()) throw new UsageError(`cannot read ${file}: it is ${fileKind(st)}, not a regular file`);
}

function fileKind(st: { isFIFO(): boolean; isDirectory(): boolean; isCharacterDevice(): boolean }): string {
  if (st.isFIFO()) return 'a FIFO';
  if (st.isDirectory()) return 'a directory';
  if (st.isCharacterDevice()) return 'a character device';
  return 'not a regular file';
}

/** Reads all of stdin, refusing more than `maxBytes` (for a JSON array, which is one document). */
export async function readStdin(maxBytes: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of process.stdin) {
    const b = typeof c === 'string' ? Buffer.from(c) : (c as Buffer);
    size += b.length;
    if (maxBytes > 0 && size > maxBytes)
      throw new UsageError(`stdin holds more than ${maxBytes} bytes (--max-file-bytes)`);
    chunks.push(b);
  }
  return Buffer.concat(chunks);
}

/** Reads a whole regular file (a JSON array), refusing more than `maxBytes` (0: no limit). */
export async function readWholeFile(file: string, maxBytes: number): Promise<Buffer> {
  await requireRegularFile(file);
  const { size } = await stat(file);
  if (maxBytes > 0 && size > maxBytes)
    throw new UsageError(`${file} is ${size} bytes, over the limit of ${maxBytes} bytes (--max-file-bytes)`);
  return readFile(file);
}
