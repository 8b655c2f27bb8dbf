/**
 * kill -9 of a gateway mid-stream: every batch it reported accepted (appended to its durable
 * log) before the kill reaches the subscriber after the restart; duplicates only ever repeat
 * a sequence number with the same content. Real processes, real segment log, real broker.
 */
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { decodeDataBatch } from '@ganzhi/device-profiles';
import { Aedes } from 'aedes';
import mqtt from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';

const child = fileURLToPath(new URL('./fixtures/uplink-child.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/delivery/uplink.js', import.meta.url));

let port = 0;
let closeBroker: () => Promise<void> = async () => {};

beforeAll(async () => {
  if (!existsSync(built)) throw new Error(`${built} missing: build first (npx tsc -b; npm test does)`);
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  closeBroker = async () => {
    await new Promise<void>((r) => server.close(() => r()));
    await new Promise<void>((r) => aedes.close(() => r()));
  };
});
afterAll(() => closeBroker());

function run(dir: string, count: number) {
  const p = spawn(process.execPath, [child, dir, String(port), String(count)], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const accepted: number[] = [];
  let buf = '';
  p.stdout.on('data', (d: Buffer) => {
    buf += d.toString();
    let nl = buf.indexOf('\n');
    while (nl >= 0) {
      const line = buf.slice(0, nl);
      buf = buf.slice(nl + 1);
      const m = /^accepted (\d+)$/.exec(line);
      if (m) accepted.push(Number(m[1]));
      nl = buf.indexOf('\n');
    }
  });
  const exited = new Promise<void>((r) => p.once('exit', () => r()));
  return { p, accepted, exited };
}

describe('uplink across kill -9', () => {
  it('loses nothing accepted before the kill; duplicates repeat the same sequence number', async () => {
    const received = new Map<number, string>();
    let duplicatesWithOtherContent = 0;
    const sub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'crash-sub', clean: false });
    sub.on('message', (_t, payload) => {
      const d = decodeDataBatch(payload);
      if (!d.ok) return;
      const body = JSON.stringify(d.value.readings);
      const prev = received.get(d.value.seq);
      if (prev !== undefined && prev !== body) duplicatesWithOtherContent++;
      received.set(d.value.seq, body);
    });
    await sub.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });

    const dir = tempDir('ganzhi-uplink-crash-');
    const first = run(dir, 100_000);
    while (first.accepted.length < 300) await new Promise((r) => setTimeout(r, 10));
    first.p.kill('SIGKILL');
    await first.exited;
    const beforeKill = [...first.accepted];

    const second = run(dir, 50);
    await second.exited;
    const deadline = Date.now() + 15_000;
    const all = [...beforeKill, ...second.accepted];
    while (all.some((s) => !received.has(s)) && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));
    await sub.endAsync();

    const missing = all.filter((s) => !received.has(s));
    expect(missing).toEqual([]);
    expect(duplicatesWithOtherContent).toBe(0);
    // the sequence continues across the restart instead of starting again
    expect(Math.min(...second.accepted)).toBeGreaterThan(Math.max(...beforeKill));
  });
});
