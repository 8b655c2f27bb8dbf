/**
 * A node-opcua client writes the builtin pump station: the speed set point (a read-write
 * Double) takes a Double and the pump ramps towards it, flow and power following; a Float or a
 * Null variant is BadTypeMismatch, a read-only node BadNotWritable (its AccessLevel says so), a
 * value past the point's range BadOutOfRange. The device logs every attempt.
 */
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { AttributeIds, DataType, StatusCodes, Variant, VariantArrayType } from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { buildControlApp } from '../src/control/app.js';
import { simNodeId } from '../src/opcua/index.js';
import { parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';
import { connectClient, resolveNsu, type TestClient } from './opcua-client.js';

const pump = ProfileRegistry.builtin().get('pump-station-opcua') as Profile;

describe('OPC UA writes', () => {
  let sim: Simulation;
  let client: TestClient;
  const pki = tempDir('ganzhi-sim-ua-write-');
  beforeAll(async () => {
    const yaml = `
opcua: { pkiDir: ${pki}/server, modes: [None], tickMs: 200 }
devices:
  - id: ps-9
    profile: pump-station-opcua
    endpoint: { protocol: opcua, port: 0 }
    signals:
      speed_setpoint: { kind: constant, value: 1480 }
`;
    const { loaded, problems } = parseScenario(yaml, 'ua.yaml', { registry: ProfileRegistry.of([pump]) });
    expect(problems).toEqual([]);
    sim = await Simulation.start({ loaded: loaded! });
    client = await connectClient(sim.endpoints()[0]!.url!, pki);
  }, 60_000);
  afterAll(async () => {
    await client?.close();
    await sim?.stop();
  });

  const node = async (point: string) =>
    resolveNsu(client.session, simNodeId(sim.devices.get('ps-9')!, point));
  const write = async (point: string, value: Variant) =>
    client.session.write({ nodeId: await node(point), attributeId: AttributeIds.Value, value: { value } });

  it('AccessLevel: CurrentRead|CurrentWrite (3) for the set point, CurrentRead (1) for measurements', async () => {
    const read = async (point: string) =>
      (await client.session.read({ nodeId: await node(point), attributeId: AttributeIds.AccessLevel })).value
        .value;
    expect(await read('speed_setpoint')).toBe(3);
    expect(await read('flow')).toBe(1);
  });

  it('a Double set point is taken; the drive ramps towards it and flow follows', async () => {
    const d = sim.devices.get('ps-9')!;
    expect(d.truth().speed!.value).toBe(1480);
    const status = await write('speed_setpoint', new Variant({ dataType: DataType.Double, value: 1000 }));
    expect(status).toBe(StatusCodes.Good);
    expect(d.truth().speed_setpoint!.value).toBe(1000);
    // the node reads back what was written
    const back = await client.session.read({
      nodeId: await node('speed_setpoint'),
      attributeId: AttributeIds.Value,
    });
    expect(back.value.value).toBe(1000);
    // 150 /min per second: the speed passes through values between the two set points
    const between = await waitFor(
      'the speed ramping down',
      () => {
        const s = d.truth().speed!.value as number;
        return s < 1480 && s > 1000 ? s : undefined;
      },
      20_000,
    );
    expect(d.truth().flow!.value).toBeLessThan(120);
    expect(between).toBeGreaterThan(1000);
    await waitFor('the speed settled', () => (d.truth().speed!.value === 1000 ? true : undefined), 20_000);
    expect(d.truth().flow!.value).toBeCloseTo((120 * 1000) / 1480, 9);
  }, 60_000);

  it('refuses a wrong type, a Null, a read-only node and an out-of-range value, each logged', async () => {
    const d = sim.devices.get('ps-9')!;
    const before = d.writes.total;
    expect(await write('speed_setpoint', new Variant({ dataType: DataType.Float, value: 900 }))).toBe(
      StatusCodes.BadTypeMismatch,
    );
    expect(await write('speed_setpoint', new Variant({ dataType: DataType.Null, value: null }))).toBe(
      StatusCodes.BadTypeMismatch,
    );
    expect(
      await write(
        'speed_setpoint',
        new Variant({ dataType: DataType.Double, arrayType: VariantArrayType.Array, value: [900, 901] }),
      ),
    ).toBe(StatusCodes.BadTypeMismatch);
    expect(await write('flow', new Variant({ dataType: DataType.Double, value: 10 }))).toBe(
      StatusCodes.BadNotWritable,
    );
    expect(await write('speed_setpoint', new Variant({ dataType: DataType.Double, value: 5000 }))).toBe(
      StatusCodes.BadOutOfRange,
    );
    expect(d.truth().speed_setpoint!.value).toBe(1000);
    const app = buildControlApp(sim);
    const log = (await app.inject(`/api/devices/ps-9/writes?since=${before}`)).json();
    await app.close();
    expect(log.writes.map((w: Record<string, unknown>) => [w.dataType, w.raw, w.status, w.outcome])).toEqual([
      ['Float', 900, 'BadTypeMismatch', 'refused'],
      ['Null', null, 'BadTypeMismatch', 'refused'],
      ['Double', [900, 901], 'BadTypeMismatch', 'refused'],
      ['Double', 10, 'BadNotWritable', 'refused'],
      ['Double', 5000, 'BadOutOfRange', 'refused'],
    ]);
    expect(log.writes[0].nodeId).toBe('nsu=urn:ganzhi:pump-station/ps-9;s=Pump1.Control.SpeedSetpoint');
    expect(log.writes[4].reason).toBe('speed_setpoint: 5000 is outside the range 0..3600');
    expect(log.writes[2].reason).toBe('speed_setpoint is a scalar Double; got an array of Double');
  });
});
