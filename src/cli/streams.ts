/** The CLI's input and output: ndjson files read in chunks, stdin, and output with backpressure. */
import { createWriteStream, read as fsReadCb } from 'node:fs';
import { promisify } from 'node:util';
import { open, readFile, stat } from 'node:fs/promises';

import { UsageError } from './args';

/** The engine's default `maxFileBytes` (`DEFAULT_MAX_FILE_BYTES` in crates/blazerules-core/src/files.rs). */
export const DEFAULT_MAX_FILE_BYTES = 1 << 30;

const fsRead = promisify(fsReadCb);

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

  /** Writes `data` and waits until the stream is done with it (its bytes may then be reused). */
  async writeThrough(data: Buffer): Promise<void> {
    if (this.#error) throw this.#error;
    await new Promise<void>((resolve, reject) => {
      this.#stream.write(data, (err) => {
        if (err) {
          this.#error ??= err;
          reject(err);
        } else resolve();
      });
    });
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

/** Room kept past a line cut at `maxLineBytes`, to read on while dropping the rest of it. */
const DROP_ROOM = 1 << 16;

/**
 * Cuts a stream of bytes into chunks of whole lines of about `chunkBytes`, each cut at its
 * last newline, and hands each to `fn`. A line longer than `maxLineBytes` is not kept whole:
 * its first `maxLineBytes` bytes and a `.` stand for it (the engine then skips it as
 * RECORD_TOO_LARGE, with its row and line) and the rest is dropped as it arrives.
 *
 * Chunks are assembled in two buffers of `chunkBytes`, taken in turn: `fn` must be done with
 * a chunk once its next call has returned (the chunk's bytes are then overwritten). A line
 * longer than a buffer is assembled in one buffer of its size when the input's size is known
 * (`room(left)`), else of twice the bytes so far; that buffer is dropped once handed over.
 * Memory stays at about two chunks plus `maxLineBytes`, and allocates nothing per chunk.
 */
export class LineChunker {
  /** Where the pending bytes are: `#size` of them, the last line from `#cut` on. */
  #buf: Buffer | undefined;
  #size = 0;
  /** Offset in the pending bytes just past their last newline (0: none yet). */
  #cut = 0;
  /** Dropping the rest of an over-long line, up to its newline. */
  #dropping = false;
  /** The buffer of the chunk `fn` was last given, free again once `fn` next returns. */
  #given: Buffer | undefined;
  /** A free chunk buffer. */
  #spare: Buffer | undefined;

  constructor(
    readonly chunkBytes: number,
    readonly maxLineBytes: number,
    readonly fn: (chunk: Buffer) => Promise<void>,
  ) {}

  /** Where to put the next bytes (at most `chunkBytes`); then call `wrote` with how many.
   * `left`: how many bytes the input has left, if known (a line longer than a chunk is then
   * assembled in a buffer of its size, not grown; none left and no room: an empty room). */
  room(left?: number): Buffer {
    let buf = this.#buf;
    if (buf === undefined) {
      buf = this.#take(0);
      this.#buf = buf;
    }
    if (this.#size === buf.length) {
      if (left === 0) return buf.subarray(buf.length);
      buf = this.#grow(left);
    }
    return buf.subarray(this.#size, Math.min(buf.length, this.#size + this.chunkBytes));
  }

  /** Takes the `n` bytes just put in `room()`. */
  async wrote(n: number): Promise<void> {
    const buf = this.#buf;
    if (buf === undefined || n <= 0) return;
    let from = this.#size;
    const end = from + n;
    if (this.#dropping) {
      const nl = buf.subarray(from, end).indexOf(10);
      if (nl < 0) return;
      this.#dropping = false;
      from += nl; // the newline ends the line its first bytes stand for
      buf.copyWithin(this.#size, from, end);
    }
    const start = this.#size;
    this.#size += end - from;
    const nl = buf.subarray(start, this.#size).lastIndexOf(10);
    if (nl >= 0) this.#cut = start + nl + 1;
    if (this.#size - this.#cut > this.maxLineBytes) this.#truncateTail();
    if (this.#size >= this.chunkBytes && this.#cut > 0) await this.#emit(this.#cut);
  }

  /** Takes the next bytes (copied: `data` may be reused). */
  async push(data: Buffer): Promise<void> {
    for (let at = 0; at < data.length; ) {
      const room = this.room();
      const n = data.copy(room, 0, at);
      at += n;
      await this.wrote(n);
    }
  }

  /** Hands over what is left (the last line needs no newline). */
  async end(): Promise<void> {
    if (this.#size > 0) await this.#emit(this.#size);
  }

  /** A buffer of at least `min` bytes: the spare one if it is large enough. */
  #take(min: number): Buffer {
    const spare = this.#spare;
    this.#spare = undefined;
    if (spare !== undefined && spare.length >= min) return spare;
    return Buffer.allocUnsafe(Math.max(this.chunkBytes, min));
  }

  /** A larger buffer for a line longer than the current one (which holds only that line). */
  #grow(left: number | undefined): Buffer {
    const size = this.#size;
    const line = left !== undefined && left > 0 ? size + left : 2 * size;
    const next = Buffer.allocUnsafe(Math.max(size + 1, Math.min(line, this.maxLineBytes + 1 + DROP_ROOM)));
    (this.#buf as Buffer).copy(next, 0, 0, size);
    this.#buf = next;
    return next;
  }

  /** Keeps `maxLineBytes` bytes of the unfinished last line and a `.`; drops the rest. */
  #truncateTail(): void {
    const keep = this.#cut + this.maxLineBytes;
    (this.#buf as Buffer)[keep] = 0x2e; // '.'
    this.#size = keep + 1;
    this.#dropping = true;
  }

  async #emit(end: number): Promise<void> {
    const buf = this.#buf as Buffer;
    const rest = this.#size - end;
    const previous = this.#given;
    this.#given = buf;
    this.#buf = undefined;
    this.#size = 0;
    this.#cut = 0;
    await this.fn(buf.subarray(0, end));
    // `fn` is done with the chunk before this one: its buffer takes the rest of this one's
    // (only chunk-sized buffers are kept; a long line's is dropped).
    if (previous !== undefined && previous.length === this.chunkBytes) this.#spare = previous;
    if (rest > 0) {
      const next = this.#take(rest);
      buf.copy(next, 0, end, end + rest);
      this.#buf = next;
      this.#size = rest;
      if (this.#dropping) return;
      const nl = next.subarray(0, rest).lastIndexOf(10);
      this.#cut = nl >= 0 ? nl + 1 : 0;
    }
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
  try {
    const { size } = await fh.stat();
    const bytes = await readInto(chunker, (room) => fh.read(room, 0, room.length, null), size);
    await chunker.end();
    return bytes;
  } finally {
    await fh.close();
  }
}

/** Reads stdin in chunks cut at the last newline (see LineChunker): straight into the
 * chunker's buffers (as a file), or, where stdin cannot be read so (a non-blocking pipe or
 * terminal: EAGAIN), through `process.stdin`. */
export async function forEachStdinChunk(
  chunkBytes: number,
  maxLineBytes: number,
  fn: (chunk: Buffer) => Promise<void>,
): Promise<void> {
  const chunker = new LineChunker(chunkBytes, maxLineBytes, fn);
  const readStdinFd = (room: Buffer) => fsRead(0, room, 0, room.length, null);
  const done = await readInto(chunker, readStdinFd).then(
    () => true,
    (err: NodeJS.ErrnoException) => {
      if (err.code === 'EAGAIN') return false;
      throw err;
    },
  );
  if (!done)
    for await (const c of process.stdin) await chunker.push(typeof c === 'string' ? Buffer.from(c) : (c as Buffer));
  await chunker.end();
}

/** Reads with `read` into the chunker's room until the end: the bytes read. `size`: the
 * input's size, if known. */
async function readInto(
  chunker: LineChunker,
  read: (room: Buffer) => Promise<{ bytesRead: number }>,
  size?: number,
): Promise<number> {
  let bytes = 0;
  for (;;) {
    let room = chunker.room(size === undefined ? undefined : Math.max(0, size - bytes));
    // No room, the input read to its known size: a small read tells whether it has grown since.
    const probe = room.length === 0;
    if (probe) room = Buffer.allocUnsafe(DROP_ROOM);
    const { bytesRead } = await read(room);
    if (bytesRead === 0) return bytes;
    bytes += bytesRead;
    if (probe) await chunker.push(room.subarray(0, bytesRead));
    else await chunker.wrote(bytesRead);
  }
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
