/**
 * Connecting a node-rdkafka client with a clear, prompt error when no broker answers.
 *
 * node-rdkafka's connect() creates the librdkafka handle and then waits for a metadata
 * answer up to its timeout; librdkafka's own "all brokers down" event is only delivered once
 * the application polls, which it cannot do yet. So, alongside, each bootstrap address gets a
 * plain TCP connection attempt: when every one of them is refused or does not resolve, the
 * connect fails at once with BROKER_UNREACHABLE instead of after the timeout.
 */
import { connect as tcpConnect } from 'node:net';
import { KafkaIOError, RdCode, messageOf, rdCode } from './errors';
import type { RdError } from './rdkafka';

interface Connectable {
  connect(opts: { timeout?: number; allTopics?: boolean }, cb: (err: RdError | null) => void): unknown;
  on(event: string, listener: (...args: never[]) => void): unknown;
  removeListener?(event: string, listener: (...args: never[]) => void): unknown;
}

export interface Connection {
  /** Resolves when the client is connected; rejects with BROKER_UNREACHABLE. */
  ready: Promise<void>;
  /** Resolves when node-rdkafka's connect() has called back, whatever the outcome (a client
   * must not be disconnected before that). */
  settled: Promise<void>;
}

const UNREACHABLE = new Set<number>([RdCode.ERR__ALL_BROKERS_DOWN, RdCode.ERR__RESOLVE]);

export function connectClient(client: Connectable, brokers: string, timeoutMs: number): Connection {
  let settle!: () => void;
  const settled = new Promise<void>((r) => (settle = r));
  const ready = new Promise<void>((resolve, reject) => {
    let done = false;
    const finish = (err?: KafkaIOError): void => {
      if (done) return;
      done = true;
      client.removeListener?.('event.error', onError);
      if (err) reject(err);
      else resolve();
    };
    const onError = (err: RdError): void => {
      const code = rdCode(err);
      if (code !== undefined && UNREACHABLE.has(code)) {
        finish(
          new KafkaIOError('BROKER_UNREACHABLE', `cannot connect to Kafka broker(s) ${brokers}: ${messageOf(err)}`, {
            kafkaCode: code,
            cause: err,
          }),
        );
      }
    };
    client.on('event.error', onError);
    void probeBrokers(brokers, timeoutMs).then((why) => {
      if (why !== undefined)
        finish(new KafkaIOError('BROKER_UNREACHABLE', `cannot connect to Kafka broker(s) ${brokers}: ${why}`));
    });
    try {
      client.connect({ timeout: timeoutMs, allTopics: false }, (err) => {
        settle();
        if (!err) return finish();
        const code = rdCode(err);
        const why = code === RdCode.ERR__TIMED_OUT ? `no answer within ${timeoutMs} ms` : messageOf(err);
        finish(
          new KafkaIOError('BROKER_UNREACHABLE', `cannot connect to Kafka broker(s) ${brokers}: ${why}`, {
            kafkaCode: code,
            cause: err,
          }),
        );
      });
    } catch (err) {
      settle();
      finish(
        new KafkaIOError('BROKER_UNREACHABLE', `cannot connect to Kafka broker(s) ${brokers}: ${messageOf(err)}`, {
          cause: err,
        }),
      );
    }
  });
  // The caller may never await `ready` (e.g. close() right away): never leave it unhandled.
  ready.catch(() => undefined);
  return { ready, settled };
}

/** Calls node-rdkafka's disconnect and waits for it, at most `timeoutMs`. */
export function disconnectClient(
  client: { disconnect(cb: (err: unknown) => void): unknown },
  timeoutMs: number,
): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    timer.unref?.();
    try {
      client.disconnect(() => {
        clearTimeout(timer);
        resolve();
      });
    } catch {
      clearTimeout(timer);
      resolve();
    }
  });
}

/** Tries a TCP connection to each bootstrap address: undefined if one accepted (or the
 * answer is unclear), else why none did. */
export async function probeBrokers(brokers: string, timeoutMs: number): Promise<string | undefined> {
  const results = await Promise.all(brokers.split(',').map((b) => probeOne(b, timeoutMs)));
  if (results.some((r) => r === undefined)) return undefined;
  return results.join('; ');
}

function probeOne(broker: string, timeoutMs: number): Promise<string | undefined> {
  const m = /^(?:[a-zA-Z0-9_]+:\/\/)?(\[[^\]]+\]|[^:]+):(\d+)$/.exec(broker.trim());
  if (!m) return Promise.resolve(undefined); // let librdkafka judge addresses we do not parse
  const host = (m[1] as string).replace(/^\[|\]$/g, '');
  const port = Number(m[2]);
  return new Promise((resolve) => {
    const sock = tcpConnect({ host, port });
    const done = (why: string | undefined): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(why);
    };
    const timer = setTimeout(() => done(undefined), timeoutMs);
    sock.once('connect', () => done(undefined));
    sock.once('error', (err: NodeJS.ErrnoException) => {
      const refused = ['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL'];
      done(refused.includes(err.code ?? '') ? `${broker}: ${err.code}` : undefined);
    });
  });
}
