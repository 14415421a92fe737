/**
 * The catalog server's file (docs/catalog.md): clusters (connection + credentials), channels
 * (name → cluster + topic) and config profiles (configuration), in YAML. Loaded and checked
 * here; `CatalogFile` re-reads it when it changes and keeps the last good content on a bad edit.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

import { parse } from 'yaml';

import type { KafkaConf } from '../kafka/types';
import type { CatalogAnswer } from './answer';
import { channelName } from './options';

export interface CatalogCluster {
  connection: KafkaConf;
  credentials: KafkaConf;
}

export interface CatalogContent {
  clusters: Record<string, CatalogCluster>;
  channels: Record<string, { cluster: string; topic: string }>;
  configProfiles: Record<string, KafkaConf>;
}

function props(v: unknown, where: string): KafkaConf {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} must be a mapping of properties`);
  const out: KafkaConf = {};
  for (const [k, x] of Object.entries(v)) {
    if (typeof x !== 'string' && typeof x !== 'number' && typeof x !== 'boolean') {
      throw new Error(`${where}.${k} must be a string, number or boolean`);
    }
    out[k] = x;
  }
  return out;
}

function mapping(v: unknown, where: string): Record<string, unknown> {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error(`${where} must be a mapping`);
  return v as Record<string, unknown>;
}

/** Parses and checks the file's text; errors name the place (never a value). */
export function parseCatalog(text: string, file: string): CatalogContent {
  let doc: unknown;
  try {
    doc = parse(text);
  } catch (err) {
    throw new Error(`${file}: not valid YAML: ${(err as Error).message.split('\n')[0]}`);
  }
  const root = mapping(doc, file);
  const clusters: CatalogContent['clusters'] = {};
  for (const [name, c] of Object.entries(mapping(root.clusters, `${file}: clusters`))) {
    const m = mapping(c, `${file}: clusters.${name}`);
    const connection = props(m.connection, `${file}: clusters.${name}.connection`);
    if (connection['bootstrap.servers'] === undefined) {
      throw new Error(`${file}: clusters.${name}.connection needs bootstrap.servers`);
    }
    clusters[name] = { connection, credentials: props(m.credentials, `${file}: clusters.${name}.credentials`) };
  }
  const channels: CatalogContent['channels'] = {};
  for (const [name, c] of Object.entries(mapping(root.channels, `${file}: channels`))) {
    const m = mapping(c, `${file}: channels.${name}`);
    if (typeof m.cluster !== 'string' || clusters[m.cluster] === undefined) {
      throw new Error(`${file}: channels.${name}.cluster must name one of the clusters`);
    }
    if (typeof m.topic !== 'string' || m.topic === '') throw new Error(`${file}: channels.${name}.topic is required`);
    channels[name] = { cluster: m.cluster, topic: m.topic };
  }
  const configProfiles: CatalogContent['configProfiles'] = {};
  const profiles = root.configProfiles === undefined ? {} : mapping(root.configProfiles, `${file}: configProfiles`);
  for (const [name, p] of Object.entries(profiles)) {
    configProfiles[name] = props(p, `${file}: configProfiles.${name}`);
  }
  return { clusters, channels, configProfiles };
}

/** Why a request cannot be answered. */
export class LookupError extends Error {
  constructor(
    readonly code: 'NOT_FOUND' | 'INVALID_REQUEST',
    message: string,
  ) {
    super(message);
  }
}

/** The answer for a profile and channels (all on one cluster). */
export function answerFor(content: CatalogContent, profile: string, channels: readonly string[]): CatalogAnswer {
  const configuration = content.configProfiles[profile];
  if (configuration === undefined) throw new LookupError('NOT_FOUND', `unknown config profile '${profile}'`);
  if (channels.length === 0) throw new LookupError('INVALID_REQUEST', 'no channel asked for (channel=...)');
  const mappingOut: Record<string, string> = {};
  let cluster: string | undefined;
  for (const c of channels) {
    const ch = content.channels[c];
    if (ch === undefined) throw new LookupError('NOT_FOUND', `unknown channel '${c}'`);
    if (cluster !== undefined && ch.cluster !== cluster) {
      throw new LookupError('INVALID_REQUEST', `channels on different clusters (${cluster}, ${ch.cluster}): ask apart`);
    }
    cluster = ch.cluster;
    mappingOut[channelName(c)] = ch.topic;
  }
  const cl = content.clusters[cluster as string] as CatalogCluster;
  return {
    channel_mapping: mappingOut,
    connection: cl.connection,
    credentials: cl.credentials,
    configuration,
  };
}

/**
 * The file's content, kept current: fs.watch on its directory (editors replace files) plus a
 * cheap stat on each read (a missed event is caught at the next request). A bad edit keeps the
 * last good content and is reported through `onReload`.
 */
export class CatalogFile {
  #content: CatalogContent;
  #stamp: string;
  readonly #watcher: fs.FSWatcher | undefined;

  constructor(
    readonly file: string,
    private readonly onReload: (error: string | undefined) => void,
  ) {
    this.#stamp = stamp(file);
    this.#content = parseCatalog(fs.readFileSync(file, 'utf8'), file);
    try {
      this.#watcher = fs.watch(path.dirname(path.resolve(file)), { persistent: false }, () => this.#check());
    } catch {
      this.#watcher = undefined; // the stat on each read still notices changes
    }
  }

  get content(): CatalogContent {
    this.#check();
    return this.#content;
  }

  close(): void {
    this.#watcher?.close();
  }

  #check(): void {
    const now = stamp(this.file);
    if (now === this.#stamp) return;
    this.#stamp = now;
    try {
      this.#content = parseCatalog(fs.readFileSync(this.file, 'utf8'), this.file);
      this.onReload(undefined);
    } catch (err) {
      this.onReload((err as Error).message);
    }
  }
}

function stamp(file: string): string {
  try {
    const s = fs.statSync(file);
    return `${s.mtimeMs}:${s.size}:${s.ino}`;
  } catch {
    return 'missing';
  }
}
