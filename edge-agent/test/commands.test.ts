/**
 * Commands on the gateway (issue 15): a real Aedes broker, the real agent (`runGateway` with a
 * config file, journal in its state dir, MQTT session), and a FAKE fault-injection driver
 * (fixtures/fake-write-driver.mjs) standing in for the device until the real Modbus/OPC UA
 * writes are on main. The hub side is OPERATOR-STAND-IN: an anonymous publisher that sets
 * `issuer` itself, as the broker's stamping (the operator role, built in parallel) will.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type CommandResult, decodeCommandResult } from '@ganzhi/device-profiles/contract';
import { Aedes } from 'aedes';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../../test-support/peers.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { DriverRegistry } from '../src/drivers/registry.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { FakeWriteDriverControl, fakeRegistryLoaders } from './fixtures/fake-write-driver.mjs';
import { logger } from './helpers.js';

const D = 'north';
const chromiumPeer = peer('chromium', 'chromium');

interface Broker {
  port: number;
  aedes: Aedes;
  close(): Promise<void>;
}

async function startAedes(port = 0): Promise<Broker> {
  const aedes = await Aedes.createBroker();
  const server: Server = createServer(aedes.handle);
  await new Promise<void>((r, j) => {
    server.once('error', j);
    server.listen(port, '127.0.0.1', () => r());
  });
  const a = server.address();
  return {
    port: typeof a === 'object' && a ? a.port : 0,
    aedes,
    async close() {
      await new Promise<void>((r) => aedes.close(() => r()));
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

async function until<T>(what: string, f: () => T | undefined | false, ms = 15_000): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

let broker: Broker;
/** OPERATOR-STAND-IN: publishes commands with `issuer` set by itself */
let hub: MqttClient;
const results: CommandResult[] = [];
const invalidResults: string[] = [];
const running: GatewayHandle[] = [];

beforeAll(async () => {
  broker = await startAedes();
  hub = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { clientId: 'operator-standin' });
  hub.on('message', (_t, payload) => {
    const r = decodeCommandResult(payload);
    if (r.ok) results.push(r.value);
    else invalidResults.push(r.error);
  });
  await hub.subscribeAsync(`gz/v1/${D}/+/+/result`, { qos: 1 });
});
afterEach(async () => {
  while (running.length > 0) await running.pop()?.stop(500);
});
afterAll(async () => {
  await hub?.endAsync();
  await broker?.close();
});

async function startGateway(
  gateway: string,
  control: FakeWriteDriverControl,
  opts: { dir?: string; extra?: string[]; port?: number } = {},
): Promise<{ gw: GatewayHandle; dir: string }> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'ganzhi-cmd-'));
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      `gateway: ${gateway}`,
      `district: ${D}`,
      'stateDir: ./state',
      'devices:',
      '  - { id: light-1, profile: streetlight-controller, endpoint: "modbus-tcp://127.0.0.1:1502", unitId: 1, pollIntervalMs: 60000 }',
      '  - { id: light-ro, profile: streetlight-controller, endpoint: "modbus-tcp://127.0.0.1:1502", unitId: 2, pollIntervalMs: 60000 }',
      'delivery:',
      `  mqtt: { url: "mqtt://127.0.0.1:${opts.port ?? broker.port}", reconnect: { initialMs: 50, maxMs: 300 } }`,
      '  buffer: { fsync: never }',
      'http: { port: 0 }',
      ...(opts.extra ?? []),
    ].join('\n'),
  );
  const loaded = loadConfigFile(file);
  expect(loaded.problems).toEqual([]);
  const gw = await runGateway(loaded, {
    logger,
    httpPort: 0,
    drivers: new DriverRegistry(fakeRegistryLoaders(control)),
  });
  running.push(gw);
  await until('commands subscribed', () => (gw.uplink?.counters.commandSubscriptions ?? 0) > 0);
  return { gw, dir };
}

let seq = 0;
function newId(): string {
  seq++;
  return `cmd-${process.pid}-${Date.now()}-${seq}`;
}

async function send(gateway: string, device: string, body: Record<string, unknown>): Promise<void> {
  await hub.publishAsync(`gz/v1/${D}/${gateway}/${device}/cmd`, JSON.stringify({ v: 1, ...body }), {
    qos: 1,
  });
}

function command(writes: { point: string; value: unknown }[], over: Record<string, unknown> = {}) {
  return { id: newId(), writes, expires: Date.now() + 60_000, issuer: 'op-standin', ...over };
}

async function resultsOf(id: string, n = 1): Promise<CommandResult[]> {
  return until(`${n} result(s) of ${id}`, () => {
    const r = results.filter((x) => x.id === id);
    return r.length >= n ? r : undefined;
  });
}

describe('commands on the gateway', () => {
  it('writes a point once and answers ok with its timestamps, on the status API and in /metrics', async () => {
    const control = new FakeWriteDriverControl();
    const { gw } = await startGateway('gw-ok', control);
    const c = command([{ point: 'lamp_on', value: true }], { onBehalfOf: 'alice' });
    await send('gw-ok', 'light-1', c);
    const [r] = await resultsOf(c.id);
    expect(r).toMatchObject({ id: c.id, device: 'light-1', issuer: 'op-standin', onBehalfOf: 'alice' });
    expect(r?.outcomes).toEqual([
      { point: 'lamp_on', outcome: 'ok', requested: true, raw: true, readback: true },
    ]);
    expect(r?.executed).toBeGreaterThanOrEqual(r?.received ?? Number.POSITIVE_INFINITY);
    expect(r?.done).toBeGreaterThanOrEqual(r?.executed ?? Number.POSITIVE_INFINITY);
    expect(control.calls).toHaveLength(1);
    expect(control.calls[0]?.opts.readback).toBe(true);
    expect(control.calls[0]?.opts.deadline).toBeLessThanOrEqual(c.expires);

    const api = (await (await fetch(`${gw.statusUrl}api/devices`)).json()) as {
      devices: {
        id: string;
        commands?: { id: string; outcome: string; issuer?: string; onBehalfOf?: string }[];
      }[];
    };
    const light = api.devices.find((d) => d.id === 'light-1');
    expect(light?.commands?.[0]).toMatchObject({
      id: c.id,
      outcome: 'ok',
      issuer: 'op-standin',
      onBehalfOf: 'alice',
    });
    const metrics = await (await fetch(`${gw.statusUrl}metrics`)).text();
    expect(metrics).toContain('ganzhi_agent_commands_total{outcome="ok"} 1');
    await until('result acknowledged', () => gw.commands?.unsent() === 0);

    // the status page shows it (skipped without Chromium, as the other page tests)
    if (!chromiumPeer.ok) return;
    const browser = await chromium.launch({
      executablePath: chromiumPeer.path,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'],
    });
    try {
      const page = await browser.newPage();
      await page.goto(gw.statusUrl as string);
      const row = page.locator(`section.device[data-device="light-1"] tr[data-command="${c.id}"]`);
      await row.waitFor({ state: 'attached', timeout: 10_000 });
      expect(await row.getAttribute('data-outcome')).toBe('ok');
      expect(await row.locator('td').nth(1).textContent()).toBe('op-standin for alice');
      expect(await row.locator('td').nth(2).textContent()).toBe('lamp_on');
    } finally {
      await browser.close();
    }
  });

  it('answers a duplicate delivery once at the device: the repeat gets the first result, also across a restart', async () => {
    const control = new FakeWriteDriverControl();
    let release = () => {};
    control.hold = new Promise<void>((r) => {
      release = r;
    });
    const first = await startGateway('gw-dup', control);
    const c = command([{ point: 'dim_level', value: 40 }]);
    // twice while the first is still being written, as a QoS 1 redelivery would
    await send('gw-dup', 'light-1', c);
    await until('write started', () => control.calls.length === 1);
    await send('gw-dup', 'light-1', c);
    release();
    const [a, b] = await resultsOf(c.id, 2);
    expect(a?.repeat).toBeUndefined();
    expect(b?.repeat).toBe(true);
    expect(b?.outcomes).toEqual(a?.outcomes);
    expect(b?.done).toBe(a?.done);
    expect(control.calls).toHaveLength(1);

    // the journal survives a restart of the agent
    await first.gw.stop(500);
    running.splice(running.indexOf(first.gw), 1);
    const control2 = new FakeWriteDriverControl();
    await startGateway('gw-dup', control2, { dir: first.dir });
    await send('gw-dup', 'light-1', c);
    const all = await resultsOf(c.id, 3);
    expect(all[2]).toMatchObject({ repeat: true, outcomes: a?.outcomes });
    expect(control2.calls).toHaveLength(0);
  });

  it('refuses before anything goes on the wire, with the reason, for every refusal', async () => {
    const control = new FakeWriteDriverControl();
    control.readOnly.add('light-ro');
    await startGateway('gw-ref', control);
    const cases: { device: string; c: Record<string, unknown> & { id: string }; reason: RegExp }[] = [
      {
        device: 'light-1',
        c: (() => {
          const { issuer: _i, ...rest } = command([{ point: 'lamp_on', value: true }]);
          return rest;
        })(),
        reason: /no issuer/,
      },
      {
        device: 'no-such',
        c: command([{ point: 'lamp_on', value: true }]),
        reason: /unknown device no-such/,
      },
      { device: 'light-1', c: command([{ point: 'nope', value: 1 }]), reason: /unknown point nope/ },
      { device: 'light-1', c: command([{ point: 'lamp_power', value: 1 }]), reason: /not writable/ },
      { device: 'light-1', c: command([{ point: 'lamp_on', value: 1 }]), reason: /takes a boolean/ },
      { device: 'light-1', c: command([{ point: 'dim_level', value: 'high' }]), reason: /takes an integer/ },
      { device: 'light-1', c: command([{ point: 'dim_level', value: 40.5 }]), reason: /takes an integer/ },
      {
        device: 'light-1',
        c: command([{ point: 'dim_level', value: 150 }]),
        reason: /outside its range 0\.\.100/,
      },
      {
        device: 'light-ro',
        c: command([{ point: 'lamp_on', value: true }]),
        reason: /does not support writes/,
      },
      {
        device: 'light-1',
        c: command([{ point: 'lamp_on', value: true }], { expires: Date.now() + 25 * 3600_000 }),
        reason: /more than 86400000 ms ahead/,
      },
      // an invalid envelope with a usable id is answered (and does not claim the id)
      {
        device: 'light-1',
        c: { id: newId(), writes: [], expires: Date.now() + 60_000 },
        reason: /invalid command: writes/,
      },
    ];
    for (const k of cases) {
      await send('gw-ref', k.device, k.c);
      const [r] = await resultsOf(k.c.id);
      expect(r?.reason, JSON.stringify(k.c)).toMatch(k.reason);
      for (const o of r?.outcomes ?? []) expect(o.outcome).toBe('rejected');
    }
    // one bad point refuses the whole command: nothing written
    const mixed = command([
      { point: 'lamp_on', value: true },
      { point: 'dim_level', value: 101 },
    ]);
    await send('gw-ref', 'light-1', mixed);
    const [m] = await resultsOf(mixed.id);
    expect(m?.outcomes.map((o) => o.outcome)).toEqual(['rejected', 'rejected']);
    expect(m?.outcomes[1]?.reason).toMatch(/outside its range/);

    // already expired on the gateway clock: expired, never written
    const late = command([{ point: 'lamp_on', value: true }], { expires: Date.now() - 1 });
    await send('gw-ref', 'light-1', late);
    const [e] = await resultsOf(late.id);
    expect(e?.outcomes).toEqual([{ point: 'lamp_on', outcome: 'expired', requested: true }]);

    // an invalid command without a usable id is dropped: the next one is answered, it is not
    await send('gw-ref', 'light-1', { id: 'x', writes: 'garbage' });
    const after = command([{ point: 'lamp_on', value: 1 }]);
    await send('gw-ref', 'light-1', after);
    await resultsOf(after.id);
    expect(results.filter((r) => r.id === 'x')).toEqual([]);
    expect(invalidResults).toEqual([]);
    expect(control.calls).toHaveLength(0);
  });

  it('a flood of commands to one device is bounded: beyond 32 waiting, refused; each runs alone and once', async () => {
    const control = new FakeWriteDriverControl();
    let release = () => {};
    control.hold = new Promise<void>((r) => {
      release = r;
    });
    await startGateway('gw-flood', control);
    const cmds = Array.from({ length: 40 }, (_, i) => command([{ point: 'dim_level', value: i }]));
    for (const c of cmds) await send('gw-flood', 'light-1', c);
    // the first is being written; 32 are held (the first among them), the rest refused at once
    const refused = await until('refusals', () => {
      const r = results.filter(
        (x) => cmds.some((c) => c.id === x.id) && /already waiting/.test(x.reason ?? ''),
      );
      return r.length === 8 ? r : undefined;
    });
    expect(refused.map((r) => r.id)).toEqual(cmds.slice(32).map((c) => c.id));
    release();
    for (const c of cmds.slice(0, 32)) await resultsOf(c.id);
    // one at a time, in order of arrival, each once
    expect(control.calls.map((c) => c.writes[0]?.value)).toEqual(cmds.slice(0, 32).map((_, i) => i));
  });

  it('a read-only gateway (commands.enabled: false) answers rejected and writes nothing', async () => {
    const control = new FakeWriteDriverControl();
    await startGateway('gw-ro', control, { extra: ['commands: { enabled: false }'] });
    const c = command([{ point: 'lamp_on', value: true }]);
    await send('gw-ro', 'light-1', c);
    const [r] = await resultsOf(c.id);
    expect(r?.reason).toMatch(/commands are disabled on this gateway/);
    expect(r?.outcomes[0]?.outcome).toBe('rejected');
    expect(control.calls).toHaveLength(0);
  });

  it('a command that waited in the persistent session past its expiry is answered expired; one still valid runs', async () => {
    const control = new FakeWriteDriverControl();
    const first = await startGateway('gw-off', control);
    await first.gw.stop(500);
    running.splice(running.indexOf(first.gw), 1);
    const stale = command([{ point: 'lamp_on', value: true }], { expires: Date.now() + 200 });
    const fresh = command([{ point: 'dim_level', value: 70 }]);
    await send('gw-off', 'light-1', stale);
    await send('gw-off', 'light-1', fresh);
    await until('expiry passed', () => Date.now() > stale.expires + 50);
    await startGateway('gw-off', control, { dir: first.dir });
    const [s] = await resultsOf(stale.id);
    const [f] = await resultsOf(fresh.id);
    expect(s?.outcomes[0]?.outcome).toBe('expired');
    expect(f?.outcomes[0]?.outcome).toBe('ok');
    expect(control.calls.map((c) => c.writes)).toEqual([[{ point: 'dim_level', value: 70 }]]);
  });

  it('a result made during a broker outage is published after the broker returns', async () => {
    const b = await startAedes();
    const seen: CommandResult[] = [];
    const control = new FakeWriteDriverControl();
    let release = () => {};
    control.hold = new Promise<void>((r) => {
      release = r;
    });
    const { gw } = await startGateway('gw-out', control, { port: b.port });
    const pub = await mqtt.connectAsync(`mqtt://127.0.0.1:${b.port}`, { clientId: 'operator-standin-out' });
    const c = command([{ point: 'lamp_on', value: false }]);
    await pub.publishAsync(`gz/v1/${D}/gw-out/light-1/cmd`, JSON.stringify({ v: 1, ...c }), { qos: 1 });
    await until('write started', () => control.calls.length === 1);
    pub.end(true);
    await b.close();
    await until('uplink offline', () => !gw.uplink?.connected);
    release();
    await until('result kept unsent', () => gw.commands?.unsent() === 1);

    const b2 = await startAedes(b.port);
    b2.aedes.on('publish', (packet) => {
      if (!packet.topic.endsWith('/result')) return;
      const r = decodeCommandResult(packet.payload as Buffer);
      if (r.ok) seen.push(r.value);
    });
    try {
      const r = await until('result after the outage', () => seen.find((x) => x.id === c.id));
      expect(r.outcomes[0]).toMatchObject({ point: 'lamp_on', outcome: 'ok', requested: false });
      await until('result acknowledged', () => gw.commands?.unsent() === 0);
      expect(control.calls).toHaveLength(1);
    } finally {
      await gw.stop(500);
      running.splice(running.indexOf(gw), 1);
      await b2.close();
    }
  });
});
