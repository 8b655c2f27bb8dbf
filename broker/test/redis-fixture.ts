/** Debian redis-server on a free loopback port in a temp dir, stopped by PID. */
import { createConnection } from 'node:net';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

/** True when a Redis server answers PING on the port. */
export function ping(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = createConnection(port, '127.0.0.1');
    s.once('error', () => resolve(false));
    s.once('connect', () => s.write('PING\r\n'));
    s.once('data', (d) => {
      s.destroy();
      resolve(d.toString().startsWith('+PONG'));
    });
  });
}

export async function startRedis(bin: string): Promise<RedisServer> {
  const dir = tempDir('ganzhi-redis-');
  const port = await freePort();
  const proc: Spawned = spawnLogged(
    bin,
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--dir',
      dir,
      '--daemonize',
      'no',
    ],
    { dir, name: 'redis' },
  );
  await waitFor('redis PING', async () => ((await ping(port)) ? true : undefined));
  return { url: `redis://127.0.0.1:${port}`, port, stop: () => proc.stop() };
}
