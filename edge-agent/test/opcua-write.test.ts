/**
 * OPC UA writes (issue 15) with the agent's driver against the simulated pump station: the
 * speed set point written as the node's DataType (Double, read from the server) with readback,
 * and the pump ramping towards it; a read-only node (UInt32, its AccessLevel CurrentRead) →
 * device-exception BadNotWritable with the write sent as a UInt32; a value past the point's
 * range → BadOutOfRange; a null never sent; a device that is not connected → timeout at once.
 */
import { type OpcuaPoint, type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { parseScenario, Simulation, simNamespaceUri } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, tempDir, waitFor } from '../../test-support/process.js';
import type { WriteOptions } from '../src/drivers/driver.js';
import { OpcuaDriver } from '../src/drivers/opcua/opcua-driver.js';
import { context, opcuaSpec } from './helpers.js';

const pump = ProfileRegistry.builtin().get('pump-station-opcua') as Profile;
const pt = (name: string) => pump.points.find((p) => p.name === name)! as OpcuaPoint;
const opts = (over: Partial<WriteOptions> = {}): WriteOptions => ({
  readback: false,
  deadline: Date.now() + 5000,
  ...over,
});

describe('OPC UA writes to the simulated pump station', () => {
  let sim: Simulation;
  let d: OpcuaDriver;
  const pki = tempDir('ganzhi-agent-ua-write-');
  beforeAll(async () => {
    const yaml = `
opcua: { pkiDir: ${pki}/server, modes: [None], tickMs: 200 }
devices:
  - id: ps-7
    profile: pump-station-opcua
    endpoint: { protocol: opcua, port: 0 }
    signals:
      speed_setpoint: { kind: constant, value: 1480 }
`;
    const { loaded, problems } = parseScenario(yaml, 'ua.yaml', { registry: ProfileRegistry.of([pump]) });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
    const dev = sim.devices.get('ps-7')!;
    d = new OpcuaDriver(
      opcuaSpec(
        sim.endpoints()[0]!.url!,
        {
          mode: 'poll',
          pkiDir: `${pki}/client`,
          namespaceUri: simNamespaceUri(dev, pump.opcua?.namespaceUri ?? ''),
        },
        { id: 'ps-7', profile: pump, points: pump.points, timeoutMs: 3000 },
      ),
      context(),
    );
    await d.connect();
  }, 60_000);
  afterAll(async () => {
    await d?.close();
    await sim?.stop();
  });

  it('writes the speed set point as a Double with readback; the pump ramps towards it', async () => {
    const dev = sim.devices.get('ps-7')!;
    const before = dev.writes.total;
    const r = await d.write([{ point: pt('speed_setpoint'), value: 1200 }], opts({ readback: true }));
    expect(r).toEqual([{ point: 'speed_setpoint', outcome: 'ok', raw: 1200, readback: 1200 }]);
    const log = dev.writes.since(before);
    expect(log.map((w) => [w.protocol, w.dataType, w.raw, w.outcome])).toEqual([
      ['opcua', 'Double', 1200, 'ok'],
    ]);
    await waitFor(
      'the speed ramping down from 1480',
      () => {
        const s = dev.truth().speed?.value as number;
        return s < 1480 ? true : undefined;
      },
      20_000,
    );
    // a second write of the point uses the DataType cached for the session (no new read needed)
    const [again] = await d.write([{ point: pt('speed_setpoint'), value: '1300.5' }], opts());
    expect(again).toMatchObject({ outcome: 'ok', raw: 1300.5 });
    expect(dev.writes.since(before).at(-1)).toMatchObject({ dataType: 'Double', raw: 1300.5 });
  });

  it('a read-only node answers BadNotWritable; it was sent with the node type (UInt32), not the profile type', async () => {
    const dev = sim.devices.get('ps-7')!;
    const before = dev.writes.total;
    const [r] = await d.write(
      [{ point: { ...pt('operating_hours'), access: 'read-write' }, value: 5 }],
      opts(),
    );
    expect(r).toMatchObject({
      point: 'operating_hours',
      outcome: 'device-exception',
      code: 'BadNotWritable',
      raw: 5,
    });
    expect(dev.writes.since(before).map((w) => [w.dataType, w.status ?? w.outcome])).toEqual([
      ['UInt32', 'BadNotWritable'],
    ]);
  });

  it('out of range for the device → BadOutOfRange; out of range for the node type, null, text → rejected unsent', async () => {
    const dev = sim.devices.get('ps-7')!;
    const [high] = await d.write([{ point: pt('speed_setpoint'), value: 5000 }], opts());
    expect(high).toMatchObject({ outcome: 'device-exception', code: 'BadOutOfRange' });
    const before = dev.writes.total;
    const r = await d.write(
      [
        { point: { ...pt('operating_hours'), access: 'read-write' }, value: -1 },
        { point: pt('speed_setpoint'), value: null as unknown as number },
        { point: pt('speed_setpoint'), value: 'fast' },
      ],
      opts(),
    );
    expect(r.map((x) => x.outcome)).toEqual(['rejected', 'rejected', 'rejected']);
    expect(r[0]?.reason).toMatch(/outside 0\.\.4294967295/);
    expect(r[1]?.reason).toMatch(/null/);
    expect(dev.writes.total).toBe(before);
  });
});

describe('OPC UA write to a device that is down', () => {
  it('answers timeout at once with the outage', async () => {
    const port = await freePort();
    const d = new OpcuaDriver(
      opcuaSpec(
        `opc.tcp://127.0.0.1:${port}`,
        { mode: 'poll', pkiDir: tempDir('ganzhi-agent-ua-down-') },
        {
          id: 'gone',
          profile: pump,
          points: pump.points,
          timeoutMs: 500,
        },
      ),
      context(),
    );
    try {
      await d.connect().catch(() => undefined);
      const [r] = await d.write([{ point: pt('speed_setpoint'), value: 100 }], opts());
      expect(r).toMatchObject({ point: 'speed_setpoint', outcome: 'timeout' });
      expect(r?.reason).toMatch(/connection/);
    } finally {
      await d.close();
    }
  });
});
