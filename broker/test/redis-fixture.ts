/** Debian redis-server on a free loopback port in a temp dir, stopped by PID. */
import { startRedis as startRedisServer } from '../../test-support/peers-start.mjs';
import { tempDir } from '../../test-support/process.js';

export interface RedisServer {
  url: string;
  port: number;
  stop(): Promise<void>;
}

export async function startRedis(bin: string): Promise<RedisServer> {
  const r = await startRedisServer(bin, tempDir('ganzhi-redis-'));
  return { url: r.url, port: r.port, stop: () => r.proc.stop() };
}
