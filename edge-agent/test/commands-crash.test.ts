/**
 * kill -9 of the agent in the middle of a command (issue 15): real child processes running the
 * whole gateway, a real Aedes broker, the journal on disk. The FAKE fault-injection driver logs
 * every write to a file (fsync'd) so the writes can be counted across the kill; the test-only
 * hook GZ_TEST_FAULT_COMMAND stops the process at the exact point (after the intent is
 * recorded, or after the device was written and before the result is recorded). After the
 * restart the command is reported `interrupted`, never executed again, and a redelivery of
 * the same id gets that result as a repeat. Killed right after the message was recorded as
 * received (MQTT.js sends the PUBACK after the message event), the command is decided and
 * executed once at the restart. The hub side is an OPERATOR-STAND-IN that sets
 * `issuer` itself (the broker's stamping is built in parallel).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CommandResult, decodeCommandResult } from '@ganzhi/device-profiles/contract';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const child = fileURLToPath(new URL('./fixtures/command-agent-child.mjs', import.meta.url));
const built = fileURLToPath(new URL('../dist/run-gateway.js', import.meta.url));

let port = 0;
let closeBroker: () => Promise<void> = async () => {};
let hub: MqttClient;
const results: CommandResult[] = [];

beforeAll(async () => {
  if (!existsSync(built)) throw new Error(`${built} missing: build first (npx tsc -b; npm test does)`);
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  port = typeof addr === 'object' && addr ? addr.port : 0;
  closeBroker = async () => {
    await new Promise<void>((r) => aedes.close(() => r()));
    await new Promise<void>((r) => server.close(() => r()));
  };
  hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { clientId: 'operator-standin-crash' });
  hub.on('message', (_t, payload) => {
    const r = decodeCommandResult(payload);
    if (r.ok) results.push(r.value);
  });
  await hub.subscribeAsync('gz/v1/north/+/+/result', { qos: 1 });
});
afterAll(async () => {
  await hub?.endAsync();
  await closeBroker();
});

async function until<T>(what: string, f: () => T | undefined | false, ms = 20_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

function startChild(config: string, env: Record<string, string>) {
  const p = spawn(process.execPath, [child, config], {
    stdio: ['ignore', 'pipe', 'inherit'],
    env: { ...process.env, ...env },
  });
  let out = '';
  p.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<NodeJS.Signals | number | null>((r) =>
    p.once('exit', (code, sig) => r(sig ?? code)),
  );
  return { p, exited, subscribed: () => out.includes('subscribed\n') };
}

describe('kill -9 between the write and its result', () => {
  for (const at of ['after-receive', 'after-intent', 'after-write'] as const) {
    const expected = at === 'after-receive' ? 'ok' : 'interrupted';
    it(`${at}: ${expected} after the restart, never written twice`, async () => {
      const gateway = `gw-crash-${at.replace('after-', '')}`;
      const dir = mkdtempSync(join(tmpdir(), 'ganzhi-cmd-crash-'));
      const config = join(dir, 'gateway.yaml');
      const writeLog = join(dir, 'fake-writes.jsonl');
      writeFileSync(
        config,
        [
          `gateway: ${gateway}`,
          'district: north',
          'stateDir: ./state',
          'devices:',
          '  - { id: light-1, profile: streetlight-controller, endpoint: "modbus-tcp://127.0.0.1:1502", unitId: 1, pollIntervalMs: 60000 }',
          'delivery:',
          `  mqtt: { url: "mqtt://127.0.0.1:${port}", reconnect: { initialMs: 50, maxMs: 300 } }`,
          '  buffer: { fsync: never }',
          'http: { port: 0 }',
        ].join('\n'),
      );
      const id = `crash-${at}-${Date.now()}`;
      const cmd = JSON.stringify({
        v: 1,
        id,
        writes: [{ point: 'lamp_on', value: true }],
        expires: Date.now() + 120_000,
        issuer: 'op-standin',
      });
      const topic = `gz/v1/north/${gateway}/light-1/cmd`;

      const first = startChild(config, { GZ_TEST_FAULT_COMMAND: at, GZ_FAKE_WRITE_LOG: writeLog });
      await until('first agent subscribed', first.subscribed);
      await hub.publishAsync(topic, cmd, { qos: 1 });
      expect(await first.exited).toBe('SIGKILL');
      const writesBefore = existsSync(writeLog)
        ? readFileSync(writeLog, 'utf8').trim().split('\n').filter(Boolean)
        : [];
      expect(writesBefore).toHaveLength(at === 'after-write' ? 1 : 0);
      expect(results.filter((r) => r.id === id)).toEqual([]);

      const second = startChild(config, { GZ_FAKE_WRITE_LOG: writeLog });
      try {
        const r = await until('result after the restart', () => results.find((x) => x.id === id));
        if (at === 'after-receive') {
          // acknowledged to the broker but not yet decided: handled from the journal's receipt
          expect(r.outcomes).toMatchObject([{ point: 'lamp_on', outcome: 'ok', requested: true }]);
        } else {
          expect(r.outcomes).toEqual([{ point: 'lamp_on', outcome: 'interrupted', requested: true }]);
          expect(r.reason).toMatch(/not repeated/);
        }
        await until('second agent subscribed', second.subscribed);
        // the same id again (a redelivery, or a hub retry): the first result, nothing written
        await hub.publishAsync(topic, cmd, { qos: 1 });
        const rep = await until('repeat', () => results.find((x) => x.id === id && x.repeat));
        expect(rep.outcomes).toEqual(r.outcomes);
        const writesAfter = existsSync(writeLog)
          ? readFileSync(writeLog, 'utf8').trim().split('\n').filter(Boolean)
          : [];
        // exactly one write when the device was written (before the kill, or at the restart), else none
        expect(writesAfter).toHaveLength(at === 'after-intent' ? 0 : 1);
      } finally {
        second.p.kill('SIGTERM');
        await second.exited;
      }
    });
  }
});
