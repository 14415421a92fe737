/** The `--catalog-*` options of `stream kafka` and `serve --stream` (service.md §6): channels
 * (`kafka://…` names) resolved through a catalog in place of --brokers and topic names. */
import type { CatalogOptions } from '../catalog/options';
import type { CatalogStreamConfig } from '../catalog/stream';
import type { StreamRunConfig } from '../kafka/stream';
import { readSecretFile } from '../catalog/secret';
import { UsageError } from './args';

export const CATALOG_OPTIONS = [
  {
    name: 'catalog-url',
    type: 'string',
    arg: 'URL',
    help: 'resolve kafka://… channels (given as the topics) through this catalog instead of --brokers',
  },
  { name: 'catalog-profile', type: 'string', arg: 'P', help: 'the catalog config profile (config_profile=)' },
  { name: 'catalog-user', type: 'string', arg: 'U', help: 'basic auth user of the catalog' },
  {
    name: 'catalog-password-file',
    type: 'string',
    arg: 'F',
    help: 'a file holding the catalog password (with --catalog-user) or bearer token (without)',
  },
  { name: 'catalog-ttl-ms', type: 'int', help: 'use an answer this long before asking again (300000)' },
] as const;

interface Given {
  'catalog-url'?: string;
  'catalog-profile'?: string;
  'catalog-user'?: string;
  'catalog-password-file'?: string;
  'catalog-ttl-ms'?: number;
}

/** The `catalog` option the flags describe (undefined without --catalog-url). */
export function catalogFromFlags(o: Given): CatalogOptions | undefined {
  const url = o['catalog-url'];
  if (url === undefined) {
    const stray = CATALOG_OPTIONS.find((s) => o[s.name] !== undefined);
    if (stray !== undefined) throw new UsageError(`--${stray.name} needs --catalog-url`);
    return undefined;
  }
  const configProfile = o['catalog-profile'];
  if (configProfile === undefined) throw new UsageError('--catalog-url needs --catalog-profile');
  const out: CatalogOptions = { url, configProfile };
  const file = o['catalog-password-file'];
  if (o['catalog-user'] !== undefined) {
    if (file === undefined) throw new UsageError('--catalog-user needs --catalog-password-file');
    out.auth = { username: o['catalog-user'], password: readSecretFile(file, '--catalog-password-file') };
  } else if (file !== undefined) {
    out.auth = { token: readSecretFile(file, '--catalog-password-file') };
  }
  if (o['catalog-ttl-ms'] !== undefined) out.ttlMs = o['catalog-ttl-ms'];
  return out;
}

/** Where a stream loop reads and writes, as the flags name it: topics (on the brokers, which
 * the caller adds) or, with a catalog, `kafka://` channels resolved through it. */
export type StreamPlaces = Omit<StreamRunConfig, 'brokers'> | CatalogStreamConfig;

export function streamPlaces(
  catalog: CatalogOptions | undefined,
  groupId: string,
  input: string,
  output: string | undefined,
  dlq?: string,
): StreamPlaces {
  if (catalog !== undefined) {
    const config: CatalogStreamConfig = { catalog, groupId, inputChannels: input };
    if (output !== undefined) config.outputChannel = output;
    if (dlq !== undefined) config.dlqChannel = dlq;
    return config;
  }
  const config: Omit<StreamRunConfig, 'brokers'> = { groupId, inputTopics: input };
  if (output !== undefined) config.outputTopic = output;
  if (dlq !== undefined) config.dlqTopic = dlq;
  return config;
}
