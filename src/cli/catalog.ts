/** `blazerules catalog serve`: the project's own catalog server (service.md §6,
 * docs/catalog.md). Prints `listening on http://HOST:PORT`; logs (pino JSON lines, the
 * password never in them) go to stderr. SIGTERM/SIGINT: close, exit 0. */
import { readSecretFile } from '../catalog/secret';
import { CATALOG_REDACT, startCatalogServer } from '../catalog/server';
import { command } from './args';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

export const catalogCommand = command({
  name: 'catalog',
  source: 'serve',
  summary: 'a small catalog service for catalog-routed Kafka: channels, clusters and config profiles from a YAML file',
  notes: [
    'Answers GET <any path>?config_profile=P&channel=kafka://domain/name (or channel[0]=…&channel[1]=…) with {channel_mapping, connection, credentials, configuration}; the file is re-read when it changes (a bad edit keeps the last good one).',
    'Example: blazerules catalog serve --file catalog.yaml --port 8090 --user app --password-file ./catalog.pw',
  ],
  options: [
    { name: 'file', type: 'string', arg: 'F', required: true, help: 'the catalog YAML file (docs/catalog.md)' },
    { name: 'host', type: 'string', arg: 'H', default: '127.0.0.1', help: 'the address to listen on' },
    { name: 'port', type: 'int', default: 8090, help: 'the port to listen on (0: any free port)' },
    { name: 'user', type: 'string', arg: 'U', help: 'require basic auth with this user (and --password-file)' },
    { name: 'password-file', type: 'string', arg: 'F', help: 'a file holding the basic auth password' },
    { name: 'log-level', type: 'choice', values: LEVELS, help: 'pino log level on stderr (default info)' },
  ],
  async run(o): Promise<void> {
    const pwFile = o['password-file'];
    const server = await startCatalogServer({
      file: o.file,
      host: o.host,
      port: o.port,
      user: o.user,
      password: pwFile === undefined ? undefined : readSecretFile(pwFile, '--password-file'),
      logger: { level: o['log-level'] ?? 'info', redact: CATALOG_REDACT, stream: process.stderr },
    });
    process.stdout.write(`listening on ${server.url}\n`);
    await new Promise<void>((resolve) => {
      process.once('SIGINT', () => resolve());
      process.once('SIGTERM', () => resolve());
    });
    await server.close();
  },
});
