/**
 * OPC UA acquisition features a field engineer relies on at commissioning, against the
 * simulator's OPC UA server: the absolute deadband of subscribed points (filtered by the
 * server, in the point's engineering units), and the polling fallback when the server
 * refuses subscriptions.
 */
import { type OpcuaPoint, type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { type OpcuaServerHandle, SimDevice, startOpcuaServer, systemClock } from '@ganzhi/simulators';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { MemorySink } from '../src/acquisition/sink.js';
import { Agent } from '../src/agent.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import type { OpcuaDeviceSpec, OpcuaSettings } from '../src/drivers/opcua/options.js';
import { context, opcuaSpec } from './helpers.js';
import { startFreezeProxy } from './support/freeze-proxy.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const builtin = ProfileRegistry.builtin().get('pump-station-opcua')!;
const pki = tempDir('ganzhi-agent-opcua-features-');

/** The profile with `flow` changed (and sampled every 100 ms instead of the profile's 500). */
function withFlow(over: Partial<OpcuaPoint>): Profile {
  return {
    ...builtin,
    points: builtin.points.map((p) =>
      p.name === 'flow' && 'opcua' in p ? { ...p, ...over, opcua: { ...p.opcua, samplingInterval: 100 } } : p,
    ),
  };
}

/** small and large steps; with deadband 5: 52, 55 (exactly 5), 57, 43, 44.5 stay within it */
const STEPS = [50, 52, 55, 56, 57, 40, 43, 44.5];
/** signals that hold the first step from the start, so no other value is ever served */
const holdFirst = () => ({
  flow: { kind: 'constant' as const, value: STEPS[0]! },
  pump_head: { kind: 'constant' as const, value: STEPS[0]! },
});

const deviceSpec = (
  id: string,
  profile: Profile,
  url: string,
  opcua: Partial<OpcuaSettings> = {},
): OpcuaDeviceSpec =>
  opcuaSpec(
    url,
    { pkiDir: `${pki}/client`, namespaceUri: `urn:ganzhi:pump-station/${id}`, ...opcua },
    { id, profile, points: profile.points, pollIntervalMs: 200, timeoutMs: 2000 },
  );

/**
 * Subscribes and plays STEPS on `flow` and on `pump_head`, which has no deadband
 * and is the control: each step is held until the driver has reported it for pump_head,
 * plus 300 ms (three sampling intervals), so no step is missed on a loaded machine.
 * Returns the good values the driver reported per point.
 */
async function playSteps(d: OpcuaDriver, device: SimDevice) {
  const seen: DriverReading[] = [];
  const collectUntil = async (what: string, done: () => boolean) => {
    // up to ~20 s: on a loaded CI machine the subscription's first notifications took over 7 s once
    for (let i = 0; i < 400 && !done(); i++) {
      seen.push(...(await d.read()));
      await sleep(50);
    }
    if (!done()) throw new Error(`never saw ${what}: ${JSON.stringify(seen.slice(-4))}`);
  };
  const reported = (point: string, v: number) =>
    seen.some((r) => r.point === point && r.quality === 'good' && r.value === v);
  await d.connect();
  await collectUntil(
    'the first values',
    () => reported('pump_head', STEPS[0]!) && seen.some((r) => r.point === 'flow'),
  );
  for (const v of STEPS.slice(1)) {
    device.setSignal('flow', { kind: 'constant', value: v });
    device.setSignal('pump_head', { kind: 'constant', value: v });
    await collectUntil(`pump_head ${v}`, () => reported('pump_head', v));
    const settle = Date.now() + 300;
    while (Date.now() < settle) {
      await sleep(50);
      seen.push(...(await d.read()));
    }
  }
  return (point: string) => seen.filter((r) => r.point === point && r.quality === 'good').map((r) => r.value);
}

describe('OPC UA features against the simulator', () => {
  let server: OpcuaServerHandle;
  let refusing: OpcuaServerHandle;
  const ps1 = new SimDevice({
    id: 'ps-1',
    profile: withFlow({ deadband: 5 }),
    clock: systemClock,
    signals: holdFirst(),
  });
  // flow in tenths of m3/h: the simulator serves raw 500 for 50 m3/h, as a PLC would, and
  // the profile's scale 0.1 decodes it; the server's deadband filter works on raw values
  const scaled = withFlow({ deadband: 5, scale: 0.1 });
  const ps2 = new SimDevice({ id: 'ps-2', profile: scaled, clock: systemClock, signals: holdFirst() });
  const ps3 = new SimDevice({ id: 'ps-3', profile: builtin, clock: systemClock });

  beforeAll(async () => {
    [server, refusing] = await Promise.all([
      startOpcuaServer({ port: 0, devices: [ps1, ps2], pkiDir: `${pki}/server`, tickMs: 50 }),
      startOpcuaServer({
        port: 0,
        devices: [ps3],
        pkiDir: `${pki}/server-refusing`,
        tickMs: 50,
        faultInjection: { refuseSubscriptions: true },
      }),
    ]);
  }, 60_000);
  afterAll(async () => {
    await Promise.all([server?.close(), refusing?.close()]);
  });

  it('absolute deadband: changes within it are not reported, changes beyond it are', async () => {
    const profile = withFlow({ deadband: 5 });
    const d = new OpcuaDriver(
      deviceSpec('ps-1', profile, server.endpointUrl, { mode: 'subscribe', samplingIntervalMs: 100 }),
      context(),
    );
    try {
      // pump_head has no deadband: the same steps all arrive, so none is missed by sampling
      const values = await playSteps(d, ps1);
      expect(values('pump_head')).toEqual(STEPS);
      // relative to the last REPORTED value: 52, 55 (|55-50| = 5 is not more than 5) are held
      // back; 56 is 6 away from 50; 57 is 1 away from 56; 40 is 16; 43 and 44.5 within 5 of 40
      expect(values('flow')).toEqual([50, 56, 40]);
    } finally {
      await d.close();
    }
  }, 60_000);

  it('the deadband is in engineering units, also for a scaled point (server filters raw values)', async () => {
    const d = new OpcuaDriver(
      deviceSpec('ps-2', scaled, server.endpointUrl, { mode: 'subscribe', samplingIntervalMs: 100 }),
      context(),
    );
    try {
      const values = await playSteps(d, ps2);
      expect(values('pump_head')).toEqual(STEPS);
      // exactly the engineering values (raw 500, 560, 400 × 0.1), nothing within 5 m3/h
      expect(values('flow')).toEqual([50, 56, 40]);
    } finally {
      await d.close();
    }
  }, 60_000);

  it('no point goes silent: one the server cannot filter reports unfiltered, one it lacks reports bad', async () => {
    const base = withFlow({ deadband: 5 });
    const running = base.points.find((p) => p.name === 'running')! as OpcuaPoint;
    const ghost: OpcuaPoint = {
      ...running,
      name: 'ghost',
      opcua: { nodeId: 'nsu=urn:ganzhi:pump-station;s=Pump1.NoSuchVariable' },
    };
    const profile: Profile = {
      ...base,
      // a deadband on a Boolean: node-opcua answers BadFilterNotAllowed for the filter
      points: [...base.points.map((p) => (p.name === 'running' ? { ...p, deadband: 1 } : p)), ghost],
    };
    const d = new OpcuaDriver(
      deviceSpec('ps-1', profile, server.endpointUrl, { mode: 'subscribe', samplingIntervalMs: 100 }),
      context(),
    );
    try {
      await d.connect();
      const seen: DriverReading[] = [];
      for (let i = 0; i < 30 && !seen.some((r) => r.point === 'running'); i++) {
        seen.push(...(await d.read()));
        await sleep(100);
      }
      const run = seen.find((r) => r.point === 'running');
      expect(run?.quality, JSON.stringify(run)).toBe('good');
      expect(run?.value).toBe(ps1.valueAt('running', run!.ts));
      // the missing variable: bad with the server's answer, in every cycle
      for (const rs of [seen, await d.read(), await d.read()]) {
        expect(rs.find((r) => r.point === 'ghost')).toMatchObject({
          quality: 'bad',
          reason: 'monitored item: BadNodeIdUnknown',
        });
      }
      expect(d.status().state).toBe('degraded');
    } finally {
      await d.close();
    }
  });

  it('a server that refuses subscriptions is polled at the poll interval, with fresh values', async () => {
    const lines: Record<string, unknown>[] = [];
    const logger = pino(
      { level: 'info' },
      { write: (l: string) => void lines.push(JSON.parse(l) as Record<string, unknown>) },
    );
    const sink = new MemorySink();
    const intervalMs = 200;
    const windowMs = 2000;
    const device = {
      ...deviceSpec('ps-3', builtin, refusing.endpointUrl, { mode: 'subscribe' }),
      pollIntervalMs: intervalMs,
    };
    const allGood = (b: (typeof sink.batches)[number]) =>
      b.readings.length === builtin.points.length && b.readings.every((r) => r.quality === 'good');
    const agent = await Agent.create({ devices: [device], sink, logger });
    let from = 0;
    try {
      await agent.start();
      // the window starts with the first good batch (connecting takes longer on a loaded machine)
      for (let i = 0; i < 150 && !sink.batches.some(allGood); i++) await sleep(100);
      from = sink.batches.findIndex(allGood);
      await sleep(windowMs);
    } finally {
      await agent.stop();
    }
    const batches = sink.batches.slice(Math.max(0, from)).filter((b) => b.device === 'ps-3');
    const good = batches.filter(allGood);
    // one batch per cycle, every point in it: a subscription that never delivers would give none
    expect(good.length, JSON.stringify(batches.at(-1)?.readings.slice(0, 2))).toBeGreaterThanOrEqual(
      Math.floor((windowMs / intervalMs) * 0.6),
    );
    // each poll reads the server anew: source times advance, values are those served then
    const flows = good.map((b) => b.readings.find((r) => r.point === 'flow')!);
    expect(new Set(flows.map((r) => r.ts)).size).toBe(flows.length);
    for (const r of flows) expect(r.value).toBe(ps3.valueAt('flow', r.ts));
    const warn = lines.filter((l) => l.msg === 'opcua subscription refused; polling instead');
    expect(warn.length).toBe(1);
    expect(String(warn[0]?.reason)).toContain('BadTooManySubscriptions');
  });

  it('polling slower than the watchdog keeps its session (no keep-alives are expected between polls)', async () => {
    // a 60 s poll with the default 12 s watchdog, scaled down: poll every 700 ms, watchdog 300 ms
    const d = new OpcuaDriver(
      {
        ...deviceSpec('ps-3', builtin, refusing.endpointUrl, { mode: 'subscribe', watchdogMs: 300 }),
        pollIntervalMs: 700,
      },
      context(),
    );
    try {
      await d.connect();
      for (let i = 0; i < 3; i++) {
        const rs = await d.read();
        expect(
          rs.every((r) => r.quality === 'good'),
          JSON.stringify(rs[0]),
        ).toBe(true);
        await sleep(700);
      }
      expect(d.status().counters.reconnects).toBe(0);
      expect(d.status().state).toBe('up');
    } finally {
      await d.close();
    }
  });

  it('a polled server that hangs is still detected after two silent cycles, and the session rebuilt', async () => {
    const proxy = await startFreezeProxy(refusing.port);
    const d = new OpcuaDriver(
      {
        ...deviceSpec('ps-3', builtin, `opc.tcp://127.0.0.1:${proxy.port}`, {
          mode: 'poll',
          watchdogMs: 300,
        }),
        pollIntervalMs: 200,
        timeoutMs: 400,
      },
      context({ random: () => 0 }),
    );
    const readUntil = async (ok: (rs: DriverReading[]) => boolean) => {
      for (let i = 0; i < 100; i++) {
        const rs = await d.read();
        if (ok(rs)) return rs;
        await sleep(200);
      }
      throw new Error(`never: ${JSON.stringify(d.status())}`);
    };
    try {
      await d.connect();
      await readUntil((rs) => rs.every((r) => r.quality === 'good'));
      proxy.frozen = true;
      const timeouts = await readUntil((rs) => rs.every((r) => r.quality === 'bad'));
      expect(timeouts[0]?.reason).toBe('timeout');
      await readUntil(() => d.status().state === 'down');
      expect(d.status().lastError).toMatch(/^watchdog: no answer to reads for \d+ s$/);
      proxy.frozen = false;
      await readUntil((rs) => rs.every((r) => r.quality === 'good'));
      expect(d.status().counters.reconnects).toBeGreaterThanOrEqual(1);
    } finally {
      await d.close();
      await proxy.close();
    }
  }, 30_000);
});
