/**
 * OPC UA driver against the simulators' OPC UA server (E2) serving the builtin
 * pump-station-opcua profile from a ground-truth source of our own.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Profile, ProfileRegistry, type Value } from '@ganzhi/device-profiles';
import { startOpcuaServer } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir, waitFor } from '../../test-support/process.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import type { OpcuaSettings } from '../src/drivers/opcua/options.js';
import { driverContract } from './driver-contract.js';
import { context, opcuaSpec } from './helpers.js';
import { startFreezeProxy } from './support/freeze-proxy.js';

type Status = 'good' | 'uncertain' | 'bad';

/** Ground truth: every value served, with its source timestamp; per-point status for faults. */
class TruthSource {
  readonly served = new Map<string, Map<number, Value>>();
  readonly status = new Map<string, Status>();
  constructor(
    readonly id: string,
    readonly profile: Profile,
  ) {}
  sample(point: string, now: number) {
    const p = this.profile.points.find((x) => x.name === point);
    if (!p) return undefined;
    const k = Math.floor(now / 100) % 100;
    const value: Value =
      p.type === 'boolean'
        ? k % 2 === 0
        : p.type === 'string'
          ? `s${k}`
          : p.type === 'integer'
            ? 10 + k
            : 50 + k / 4;
    const sourceTs = now - 3;
    const m = this.served.get(point) ?? new Map<number, Value>();
    this.served.set(point, m);
    m.set(sourceTs, value);
    return { value, status: this.status.get(point) ?? 'good', sourceTs };
  }
}

const profile = ProfileRegistry.builtin().get('pump-station-opcua')!;

async function readUntil(d: OpcuaDriver, ok: (rs: DriverReading[]) => boolean, what: string, ms = 15_000) {
  const seen: DriverReading[] = [];
  await waitFor(
    what,
    async () => {
      const rs = await d.read();
      seen.push(...rs);
      return ok(rs) || undefined;
    },
    ms,
    100,
  );
  return seen;
}

let server: { port: number; endpointUrl: string; close(): Promise<void> } | undefined;
const pki = tempDir('ganzhi-agent-opcua-');
const source = new TruthSource('ps-1', profile);
const start = async (port = 0) =>
  startOpcuaServer({
    port,
    devices: [source],
    pkiDir: `${pki}/server`,
    tickMs: 100,
    security: {
      modes: ['None', 'SignAndEncrypt'],
      users: [{ username: 'ganzhi', password: 'pw-123' }],
      allowAnonymous: true,
    },
  });

beforeAll(async () => {
  server = await start();
}, 60_000);
afterAll(async () => {
  await server?.close();
});

const deviceSpec = (opcua: Partial<OpcuaSettings>, pollIntervalMs = 200, url?: string) =>
  opcuaSpec(
    url ?? server!.endpointUrl,
    { pkiDir: `${pki}/client`, namespaceUri: 'urn:ganzhi:pump-station/ps-1', ...opcua },
    { id: 'ps-1', profile, points: profile.points, pollIntervalMs, timeoutMs: 2000 },
  );

driverContract('opc.tcp', () => ({
  units: Object.fromEntries(profile.points.map((p) => [p.name, p.unit])),
  settleMs: 100,
  live: async () => new OpcuaDriver(deviceSpec({ mode: 'subscribe' }), context()),
  dead: async () => new OpcuaDriver(deviceSpec({ mode: 'poll' }, 200, 'opc.tcp://127.0.0.1:1'), context()),
}));

describe('OPC UA driver against the simulator', () => {
  it('subscribes (nsu= resolved), with values and source timestamps exactly as served, status → quality', async () => {
    const d = new OpcuaDriver(deviceSpec({ mode: 'subscribe' }), context());
    try {
      await d.connect();
      const seen = await readUntil(d, (rs) => rs.some((r) => r.point === 'flow'), 'flow notifications');
      const flows = seen.filter((r) => r.point === 'flow');
      expect(flows.length).toBeGreaterThan(0);
      for (const r of flows) {
        expect(r.quality).toBe('good');
        expect(source.served.get('flow')?.get(r.ts)).toBe(r.value);
      }
      source.status.set('flow', 'bad');
      const bad = await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'bad'),
        'bad flow',
      );
      expect(bad.find((r) => r.point === 'flow' && r.quality === 'bad')?.reason).toMatch(/^Bad/);
      source.status.set('flow', 'uncertain');
      await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'uncertain'),
        'uncertain flow',
      );
      source.status.delete('flow');
      // leave the shared server good again: the next test reads right after connecting, and the
      // variable keeps its last status until the value feed's next tick
      await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'),
        'good flow again',
      );
    } finally {
      await d.close();
    }
  });

  it('polls with SignAndEncrypt and a username identity', async () => {
    const d = new OpcuaDriver(
      deviceSpec({
        mode: 'poll',
        securityMode: 'SignAndEncrypt',
        securityPolicy: 'Basic256Sha256',
        identity: { type: 'username', username: 'ganzhi', password: 'pw-123' },
      }),
      context(),
    );
    try {
      await d.connect();
      const rs = await d.read();
      const flow = rs.find((r) => r.point === 'flow');
      expect(flow?.quality, JSON.stringify(rs.slice(0, 3))).toBe('good');
      expect(source.served.get('flow')?.get(flow!.ts)).toBe(flow!.value);
    } finally {
      await d.close();
    }
  });

  it('subscribes over a Sign-only (Basic256Sha256) channel to a server that offers nothing else', async () => {
    const signOnly = await startOpcuaServer({
      port: 0,
      devices: [source],
      pkiDir: `${pki}/server-sign`,
      tickMs: 100,
      security: { modes: ['Sign'], allowAnonymous: true },
    });
    const d = new OpcuaDriver(
      deviceSpec(
        { mode: 'subscribe', securityMode: 'Sign', securityPolicy: 'Basic256Sha256' },
        200,
        signOnly.endpointUrl,
      ),
      context(),
    );
    try {
      await d.connect();
      const seen = await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'),
        'flow',
      );
      const flow = seen.find((r) => r.point === 'flow' && r.quality === 'good')!;
      expect(source.served.get('flow')?.get(flow.ts)).toBe(flow.value);
    } finally {
      await d.close();
      await signOnly.close();
    }
  });

  it('a wrong password fails the connection with a reason, as bad quality', async () => {
    const d = new OpcuaDriver(
      deviceSpec({ mode: 'poll', identity: { type: 'username', username: 'ganzhi', password: 'wrong' } }),
      context(),
    );
    try {
      await expect(d.connect()).rejects.toThrow();
      const rs = await d.read();
      expect(rs.every((r) => r.quality === 'bad' && r.reason?.startsWith('connection: '))).toBe(true);
    } finally {
      await d.close();
    }
  });

  it('server outage: bad quality while it is gone, automatic recovery when it is back', async () => {
    const d = new OpcuaDriver(
      deviceSpec({ mode: 'subscribe', watchdogMs: 1500 }),
      context({ random: () => 0 }),
    );
    try {
      await d.connect();
      await readUntil(d, (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'), 'first values');
      const port = server!.port;
      await server!.close();
      server = undefined;
      const down = await readUntil(
        d,
        (rs) => rs.length > 0 && rs.every((r) => r.quality === 'bad'),
        'outage',
      );
      expect(down.at(-1)?.reason).toMatch(/connection|watchdog|subscription/);
      server = await start(port);
      await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'),
        'recovery',
        40_000,
      );
      const after = await d.read();
      expect(d.status().state, JSON.stringify(after.filter((r) => r.quality === 'bad'))).toBe('up');
    } finally {
      await d.close();
    }
  }, 90_000);

  it('probe opcua lists namespaces and browses variables with types and values', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const ns = 'urn:ganzhi:pump-station/ps-1';
    // asynchronously: the server runs in this process and must keep answering
    const r = await promisify(execFile)(
      process.execPath,
      [cli, 'probe', 'opcua', server!.endpointUrl, '--browse', `nsu=${ns};s=Pump1.Measurements`],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(r.stdout).toMatch(new RegExp(`ns=\\d+ +${ns}`));
    expect(r.stdout).toMatch(/Variable .*Flow .* Double = [\d.]+ \[Good\]/);
    // node-opcua's own chatter is not for the engineer at the probe (--verbose shows it)
    expect(r.stderr).not.toMatch(/NODE-OPCUA-W27|security-revert|Creating default certificate/);
  }, 40_000);

  it('probe opcua says what to check when nothing accepts the connection', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const closed = await freePort();
    const r = await promisify(execFile)(
      process.execPath,
      [cli, 'probe', 'opcua', `opc.tcp://127.0.0.1:${closed}`],
      {
        encoding: 'utf8',
        timeout: 30_000,
      },
    ).catch((e: { stdout: string; stderr: string; code: number }) => e);
    expect(r.stdout).toContain(
      `(ECONNREFUSED) — nothing accepts connections at 127.0.0.1:${closed}: is the device (or its serial server) switched on`,
    );
    expect(r.stderr).not.toMatch(/NODE-OPCUA-W27/);
  }, 40_000);

  it('liveness watchdog: a server that goes silent without closing is detected, shown as bad, and rebuilt', async () => {
    const proxy = await startFreezeProxy(server!.port);
    const d = new OpcuaDriver(
      deviceSpec({ mode: 'subscribe', watchdogMs: 1500 }, 200, `opc.tcp://127.0.0.1:${proxy.port}`),
      context({ random: () => 0 }),
    );
    try {
      await d.connect();
      await readUntil(d, (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'), 'first values');
      proxy.frozen = true;
      const down = await readUntil(
        d,
        (rs) => rs.length > 0 && rs.every((r) => r.quality === 'bad'),
        'outage',
      );
      expect(down.at(-1)?.reason).toMatch(/^watchdog: no keep-alive for \d+ s$/);
      expect(d.status().state).toBe('down');
      proxy.frozen = false;
      await readUntil(
        d,
        (rs) => rs.some((r) => r.point === 'flow' && r.quality === 'good'),
        'recovery',
        40_000,
      );
    } finally {
      await d.close();
      await proxy.close();
    }
  }, 90_000);
});
