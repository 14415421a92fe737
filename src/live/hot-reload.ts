/**
 * File hot reload: the rules file and every lookup file it names are watched, and reloaded
 * when one of them changes.
 *
 * The *directories* holding them are watched (fs.watch), not the files: an editor that saves
 * by writing a new file and renaming it over the old one replaces the inode a file watch
 * would follow. Every `pollIntervalMs` the files are also compared with what was loaded, for
 * file systems whose change events are unreliable (network mounts, some containers). Change
 * events are gathered for DEBOUNCE_MS, so that a save in several steps is reloaded once.
 * Timers and watchers are unref'd: they never keep the process alive.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import type { LoadReport } from '../types';
import { formatOf, namedLookups } from './bundle';

/** Change events closer together than this are one change. */
const DEBOUNCE_MS = 50;
/** The shortest poll interval accepted. */
const MIN_POLL_MS = 10;

/** What a reload needs from the engine. */
export interface FileLoader {
  /** The rules file's bytes (throws a RulesError: IO_ERROR, FILE_TOO_LARGE). */
  readFile(file: string): Buffer;
  /** Loads them as `loadRules` does (throws a RulesError; the active rules then stay). */
  loadFile(file: string, bytes: Buffer): LoadReport;
  /** A load ended (`initial`: the one of enableHotReload): for the status and the metrics. */
  reloaded(error: Error | undefined, initial: boolean): void;
}

/** Size, modification time and inode of a file ('' if it cannot be seen). */
function fingerprint(file: string): string {
  try {
    const s = fs.statSync(file, { bigint: true });
    return `${s.size}:${s.mtimeNs}:${s.ino}`;
  } catch {
    return '';
  }
}

export function pollInterval(opts: { pollIntervalMs?: number } | undefined): number {
  const ms = opts?.pollIntervalMs ?? 5000;
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms < MIN_POLL_MS) {
    throw new TypeError(`pollIntervalMs must be a number >= ${MIN_POLL_MS}, got ${String(ms)}`);
  }
  return ms;
}

export class HotReloader {
  readonly file: string;
  readonly #loader: FileLoader;
  /** Fingerprint of each watched file when it was last read. */
  #seen = new Map<string, string>();
  #watchers = new Map<string, fs.FSWatcher>();
  readonly #poll: NodeJS.Timeout;
  #debounce: NodeJS.Timeout | undefined;
  #stopped = false;
  /** The files the first load named, watched once it succeeded. */
  #pending: string[] = [];

  /** Loads `file` (throws its RulesError) and starts watching it. */
  constructor(file: string, pollIntervalMs: number, loader: FileLoader) {
    this.file = path.resolve(file);
    this.#loader = loader;
    this.#load(true); // a bad file at the start is the caller's error: nothing is watched
    this.#poll = setInterval(() => this.#check(), pollIntervalMs);
    this.#poll.unref();
    this.#watch(this.#pending);
  }

  /** Reads and loads the file now, then watches it and the lookup files it names. Throws the
   * RulesError of a bad file (the active rules stay). */
  reload(): LoadReport {
    return this.#load(false);
  }

  #load(initial: boolean): LoadReport {
    const files = [this.file];
    const seen = new Map<string, string>([[this.file, fingerprint(this.file)]]);
    try {
      const bytes = this.#loader.readFile(this.file);
      for (const l of namedLookups(bytes, formatOf(this.file), path.dirname(this.file))) {
        files.push(l.file);
        seen.set(l.file, fingerprint(l.file));
      }
      const report = this.#loader.loadFile(this.file, bytes);
      this.#loader.reloaded(undefined, initial);
      return report;
    } catch (err) {
      this.#loader.reloaded(err instanceof Error ? err : new Error(String(err)), initial);
      throw err;
    } finally {
      // Taken before reading: a change while loading is seen by the next check.
      this.#seen = seen;
      if (!initial) this.#watch(files);
      else this.#pending = files;
    }
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#poll);
    clearTimeout(this.#debounce);
    for (const w of this.#watchers.values()) w.close();
    this.#watchers.clear();
  }

  /** Watches the directories of `files` (and only those). */
  #watch(files: string[]): void {
    if (this.#stopped) return;
    const dirs = new Set(files.map((f) => path.dirname(f)));
    for (const [dir, w] of this.#watchers) {
      if (!dirs.has(dir)) {
        w.close();
        this.#watchers.delete(dir);
      }
    }
    for (const dir of dirs) {
      if (this.#watchers.has(dir)) continue;
      try {
        const w = fs.watch(dir, { persistent: false }, () => this.#changed());
        w.on('error', () => this.#watchers.delete(dir)); // e.g. the directory went: the poll goes on
        w.unref();
        this.#watchers.set(dir, w);
      } catch {
        // Not watchable (gone, no permission, no inotify left): the poll covers it.
      }
    }
  }

  #changed(): void {
    clearTimeout(this.#debounce);
    this.#debounce = setTimeout(() => this.#check(), DEBOUNCE_MS);
    this.#debounce.unref();
  }

  /** Reloads if a watched file differs from what was read. Errors go to the status and the
   * 'rulesError' event, never to the timer. */
  #check(): void {
    if (this.#stopped) return;
    for (const [file, was] of this.#seen) {
      if (fingerprint(file) !== was) {
        try {
          this.reload();
        } catch {
          // counted and reported by reload()
        }
        return;
      }
    }
  }
}
