/** `npm run demo` (examples/serve-demo.ts) on the local broker: it prints the dashboard URL,
 * the stream loop and the HTTP routes decide its traffic, and Ctrl-C stops it cleanly. */
import test from 'ava';
import { spawn } from 'node:child_process';
import { join } from 'node:path';

import { brokers, eventually } from './helpers/kafka';
import { call } from './helpers/serve-kit';

test('the demo: dashboard URL printed, stream and HTTP traffic decided, lag measured, SIGINT exits 0', async (t) => {
  brokers(); // the local broker is up (the demo reuses it and leaves it running)
  const demo = join(__dirname, '..', 'examples', 'serve-demo.ts');
  const child = spawn(process.execPath, ['--import', 'tsx', demo, '--port', '0', '--rate', '300'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  t.teardown(() => child.kill('SIGKILL'));
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve));
  t.true(await eventually(() => /dashboard: http:\/\/\S+\//.test(out), 120_000), `${out}\n${err}`);
  const url = /dashboard: (http:\/\/\S+)\//.exec(out)?.[1] ?? '';
  type Stats = {
    records: number;
    decisions: Record<string, number>;
    stream: { messages: number; consumerLag: unknown[] } | null;
  };
  const stats = async () => (await call(`${url}/v1/stats`, 'GET')).json<Stats>();
  const flowing = await eventually(async () => {
    const s = await stats();
    return (
      (s.stream?.messages ?? 0) > 0 && (s.stream?.consumerLag.length ?? 0) > 0 && Object.keys(s.decisions).length > 1
    );
  }, 120_000);
  t.true(flowing, JSON.stringify(await stats()));
  child.kill('SIGINT');
  t.is(await exited, 0, err);
});
