/** The catalog server for tests: a YAML file in a temp dir, the server in this process (its log
 * lines kept), rewrites of the file, and a stop/restart on the same port. */
import { mkdtempSync, renameSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';

import { stringify } from 'yaml';

import { CATALOG_REDACT, type CatalogServer, startCatalogServer } from '../../src/catalog/server';

export const PAYMENTS = 'kafka://example.com/payments';

export interface CatalogDoc {
  clusters: Record<string, { connection: Record<string, string>; credentials?: Record<string, string> }>;
  channels: Record<string, { cluster: string; topic: string }>;
  configProfiles: Record<string, Record<string, string | number | boolean>>;
}

/** One cluster `a` at `brokers` (credentials: a secret that must never show), the payments
 * channel on `topic`, and profile `p`. */
export function oneCluster(brokers: string, topic: string, secret = 'cl-secret-Zq81'): CatalogDoc {
  return {
    clusters: {
      a: {
        connection: { 'bootstrap.servers': brokers },
        credentials: { 'sasl.username': 'svc-kit', 'sasl.password': secret },
      },
    },
    channels: { [PAYMENTS]: { cluster: 'a', topic } },
    configProfiles: { p: { 'socket.keepalive.enable': true } },
  };
}

export class CatalogKit {
  readonly lines: string[] = [];
  server: CatalogServer | undefined;
  port = 0;

  constructor(
    readonly file: string,
    readonly auth: { user: string; password: string } | undefined,
  ) {}

  static async start(doc: CatalogDoc, auth?: { user: string; password: string }): Promise<CatalogKit> {
    const dir = mkdtempSync(join(tmpdir(), 'catalog-'));
    const kit = new CatalogKit(join(dir, 'catalog.yaml'), auth);
    kit.write(doc);
    await kit.restart();
    return kit;
  }

  /** The endpoint the clients are given. */
  get url(): string {
    return `http://127.0.0.1:${this.port}/servicegw`;
  }

  requests(): number {
    return this.server?.requests() ?? 0;
  }

  /** Replaces the file at once (a rename, as editors do). */
  write(doc: CatalogDoc | string): void {
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, typeof doc === 'string' ? doc : stringify(doc));
    renameSync(tmp, this.file);
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = undefined;
  }

  /** Starts (again) on the same port. */
  async restart(): Promise<void> {
    const sink = new Writable({
      write: (chunk: Buffer, _enc, done) => {
        this.lines.push(...chunk.toString('utf8').split('\n').filter(Boolean));
        done();
      },
    });
    this.server = await startCatalogServer({
      file: this.file,
      port: this.port,
      user: this.auth?.user,
      password: this.auth?.password,
      logger: { level: 'info', redact: CATALOG_REDACT, stream: sink },
    });
    this.port = Number(new URL(this.server.url).port);
  }
}

/** The `catalog` option for a kit. */
export function catalogOf(
  kit: CatalogKit,
  ttlMs: number,
  configProfile = 'p',
): {
  url: string;
  configProfile: string;
  ttlMs: number;
  auth?: { username: string; password: string };
} {
  const out: { url: string; configProfile: string; ttlMs: number; auth?: { username: string; password: string } } = {
    url: kit.url,
    configProfile,
    ttlMs,
  };
  if (kit.auth !== undefined) out.auth = { username: kit.auth.user, password: kit.auth.password };
  return out;
}
