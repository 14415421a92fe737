/** `blazerules serve`: decisions over HTTP (service.md §5, docs/serve.md). Prints
 * `listening on http://HOST:PORT` on stdout when ready; logs (pino JSON lines) go to stderr.
 * SIGTERM/SIGINT drain: not ready, no new connections, in-flight requests finished, the events
 * producer flushed, the stream loop committed; then exit 0. */
import { REDACT } from '../serve/app';
import { type ServeOptions, type Service, startService } from '../serve/server';
import { command } from './args';
import { CATALOG_OPTIONS, catalogFromFlags, streamPlaces } from './catalog-options';
import { ENGINE_OPTIONS, engineConfig } from './common';

const LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** Stops on the first SIGTERM/SIGINT (or when the stream loop fails: exit 2); later signals
 * are logged and ignored while the drain runs (it is bounded: docs/serve.md, "Shutdown"). */
function stopOnSignal(service: Service): Promise<number> {
  return new Promise<number>((resolve) => {
    const log = service.app.log;
    let stopping = false;
    const stop = (why: string, code: number): void => {
      if (stopping) {
        log.warn({ why }, 'already draining');
        return;
      }
      stopping = true;
      log.info({ why }, 'draining: not ready, finishing in-flight requests');
      service.close().then(
        () => resolve(code),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          resolve(2);
        },
      );
    };
    process.on('SIGINT', (signal) => stop(signal, 0));
    process.on('SIGTERM', (signal) => stop(signal, 0));
    service.streamEnded.then(
      () => stop('the stream loop ended', 0),
      (err: Error) => {
        log.error({ err: { message: err.message } }, 'the stream loop failed');
        stop('the stream loop failed', 2);
      },
    );
  });
}

export const serve = command({
  name: 'serve',
  summary: 'decisions over HTTP (Fastify): decide, batch, events to Kafka, rules, metrics, a live dashboard',
  notes: [
    'Give --rules FILE (with --watch: hot reload) or --rules-topic T --brokers B. Prints "listening on http://HOST:PORT".',
    'Routes, errors, limits and shutdown: docs/serve.md.',
  ],
  options: [
    { name: 'rules', type: 'string', arg: 'R', help: 'the rules file (YAML, or JSON for a .json file)' },
    { name: 'watch', type: 'flag', help: 'reload the rules file (and its lookups) when it changes' },
    { name: 'rules-topic', type: 'string', arg: 'T', help: 'follow this topic of rules bundles instead of a file' },
    { name: 'brokers', type: 'string', arg: 'B', help: 'Kafka bootstrap servers host:port[,host:port…]' },
    { name: 'host', type: 'string', arg: 'H', default: '127.0.0.1', help: 'the address to listen on' },
    { name: 'port', type: 'int', default: 8080, help: 'the port to listen on (0: any free port)' },
    { name: 'max-body-bytes', type: 'int', default: 1_048_576, help: 'larger request bodies get 413' },
    {
      name: 'admin-token-file',
      type: 'string',
      arg: 'F',
      help: 'enables POST /v1/rules for requests with Authorization: Bearer <the file’s token>',
    },
    {
      name: 'events-topic',
      type: 'string',
      arg: 'E',
      help: 'enables POST /v1/events: decided events go here (acks=all)',
    },
    {
      name: 'events-timeout-ms',
      type: 'int',
      default: 10_000,
      help: 'an event not acknowledged within this long (the producer’s message.timeout.ms) gets 503, at most 5 s later',
    },
    {
      name: 'stream',
      type: 'flag',
      help: 'also run the runStream loop (--input-topic, --output-topic) in this process',
    },
    { name: 'input-topic', type: 'string', arg: 'I', help: '--stream: the topic to consume' },
    { name: 'output-topic', type: 'string', arg: 'O', help: '--stream: where decisions go' },
    { name: 'group-id', type: 'string', arg: 'G', default: 'blazerules-serve', help: '--stream: the consumer group' },
    { name: 'connect-timeout-ms', type: 'int', default: 30_000, help: 'how long reaching Kafka may take at start' },
    {
      name: 'log-level',
      type: 'choice',
      values: LEVELS,
      help: 'pino log level on stderr (default info; silent: no logger at all)',
    },
    ...CATALOG_OPTIONS,
    ...ENGINE_OPTIONS.filter((o) =>
      ['threads', 'max-record-bytes', 'lookup-root', 'max-lookup-file-bytes'].includes(o.name),
    ),
  ],
  async run(o): Promise<void> {
    const options: ServeOptions = {
      rules: o.rules,
      watch: o.watch,
      rulesTopic: o['rules-topic'],
      brokers: o.brokers,
      host: o.host,
      port: o.port,
      maxBodyBytes: o['max-body-bytes'],
      adminTokenFile: o['admin-token-file'],
      eventsTopic: o['events-topic'],
      eventsTimeoutMs: o['events-timeout-ms'],
      connectTimeoutMs: o['connect-timeout-ms'],
      engine: engineConfig(o),
      // silent: no logger at all (Fastify's no-op one), not a pino logger that writes nothing
      // but still makes a child logger for every request.
      logger:
        o['log-level'] === 'silent'
          ? false
          : { level: o['log-level'] ?? 'info', redact: REDACT, stream: process.stderr },
    };
    const catalog = catalogFromFlags(o);
    if (o.stream === true) {
      const input = o['input-topic'];
      if (input === undefined) throw new Error('--stream needs --input-topic');
      const output = o['output-topic'];
      options.stream = streamPlaces(catalog, o['group-id'], input, output);
      if (output === undefined) options.stream.outputMode = 'none';
    } else if (catalog !== undefined) {
      throw new Error('--catalog-url routes --stream: give --stream too');
    }
    const service = await startService(options);
    process.stdout.write(`listening on ${service.url}\n`);
    // The Kafka clients are closed by now; exit rather than wait for librdkafka's threads.
    process.exit(await stopOnSignal(service));
  },
});
