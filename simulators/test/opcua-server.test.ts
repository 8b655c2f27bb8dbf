/**
 * The OPC-UA front-end seen by a real node-opcua client: address space built from the
 * profile, values equal to the source's ground truth, subscriptions at 100 ms with source
 * timestamps, Bad/Uncertain statuses, and one sample per point per tick.
 */
import { rmSync } from 'node:fs';
import {
  AttributeIds,
  ClientMonitoredItem,
  ClientSubscription,
  type DataValue,
  StatusCodes,
  TimestampsToReturn,
} from 'node-opcua';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import {
  engineeringUnitFor,
  type OpcuaServerHandle,
  simNodeId,
  startOpcuaServer,
} from '../src/opcua/index.js';
import {
  browseChildren,
  browseVariables,
  connectClient,
  readDataTypeName,
  readProperty,
  resolveNsu,
  type TestClient,
} from './opcua-client.js';
import { EXPECTED_TYPES, FakePointSource, PUMP_NS, pumpProfile, SOURCE_LAG_MS } from './opcua-fixtures.js';

/** node-opcua hands UInt64 to clients as [high, low] */
const uint64 = (v: unknown): number => (Array.isArray(v) ? v[0] * 2 ** 32 + v[1] : Number(v));

const dir = tempDir('ganzhi-opcua-');
const ps1 = new FakePointSource('ps-01', pumpProfile, 0);
const ps2 = new FakePointSource('ps-02', pumpProfile, 50);
ps1.status.set('level', 'bad');
ps2.status.set('pressure', 'uncertain');
let server: OpcuaServerHandle;
let c: TestClient;

beforeAll(async () => {
  server = await startOpcuaServer({
    port: 0,
    devices: [ps1, ps2],
    security: { modes: ['None'] },
    pkiDir: `${dir}/pki`,
    tickMs: 100,
  });
  c = await connectClient(server.endpointUrl, dir);
});

afterAll(async () => {
  await c?.close();
  await server?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('OPC-UA simulator address space', () => {
  it('listens on loopback on the port it reports', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.endpointUrl).toBe(`opc.tcp://127.0.0.1:${server.port}`);
  });

  it('has a folder per device under Objects, each with its own namespace', async () => {
    const names = (await browseChildren(c.session, 'ns=0;i=85')).map((r) => r.browseName.name);
    expect(names).toEqual(expect.arrayContaining(['ps-01', 'ps-02']));
    const ns = await c.session.readNamespaceArray();
    expect(ns).toEqual(expect.arrayContaining([`${PUMP_NS}/ps-01`, `${PUMP_NS}/ps-02`]));
    expect(simNodeId(ps1, 'flow')).toBe(`nsu=${PUMP_NS}/ps-01;s=Pump1.Flow`);
  });

  it('serves every profile point at its node id, inside folders from the dotted id', async () => {
    for (const dev of [ps1, ps2]) {
      const folder = (await browseChildren(c.session, 'ns=0;i=85')).find((r) => r.browseName.name === dev.id);
      expect(folder).toBeDefined();
      const vars = await browseVariables(c.session, folder!.nodeId.toString());
      const expectedPaths: Record<string, string> = {
        flow: '/Pump1/Flow',
        pressure: '/Pump1/OutletPressure',
        speed: '/Pump1/Motor/Speed',
        running: '/Pump1/Running',
        mode: '/Station/Mode',
        energy: '/energy',
        starts: '/Station/Starts',
        level: '/Tank/Level',
      };
      for (const p of pumpProfile.points) {
        const nodeId = await resolveNsu(c.session, simNodeId(dev, p.name));
        expect(vars.get(nodeId), `${dev.id}.${p.name}`).toBe(expectedPaths[p.name]);
        expect(await readDataTypeName(c.session, nodeId), `${dev.id}.${p.name}`).toBe(EXPECTED_TYPES[p.name]);
      }
      expect(vars.size).toBe(pumpProfile.points.length);
    }
  });

  it('gives numeric points their engineering unit and range, and descriptions', async () => {
    const flow = await resolveNsu(c.session, simNodeId(ps1, 'flow'));
    const eu = (await readProperty(c.session, flow, 'EngineeringUnits')) as {
      unitId: number;
      displayName: { text: string };
      namespaceUri: string;
    };
    expect(eu.unitId).toBe(engineeringUnitFor('m3/h').unitId);
    expect(eu.unitId).toBe(0x4d5148); // "MQH", UN/CEFACT cubic metre per hour
    expect(eu.displayName.text).toBe('m³/h');
    const range = (await readProperty(c.session, flow, 'EURange')) as { low: number; high: number };
    expect([range.low, range.high]).toEqual([0, 500]);
    const desc = await c.session.read({ nodeId: flow, attributeId: AttributeIds.Description });
    expect(desc.value.value.text).toBe('outlet flow');

    const speed = await resolveNsu(c.session, simNodeId(ps1, 'speed'));
    expect(((await readProperty(c.session, speed, 'EngineeringUnits')) as { unitId: number }).unitId).toBe(
      0x52504d, // "RPM"
    );
    // numeric without a range: units but no EURange
    const energy = await resolveNsu(c.session, simNodeId(ps1, 'energy'));
    expect(((await readProperty(c.session, energy, 'EngineeringUnits')) as { unitId: number }).unitId).toBe(
      0x4b5748, // "KWH"
    );
    expect(await readProperty(c.session, energy, 'EURange')).toBeUndefined();
    // dimensionless and non-numeric points carry no unit
    const running = await resolveNsu(c.session, simNodeId(ps1, 'running'));
    expect(await readProperty(c.session, running, 'EngineeringUnits')).toBeUndefined();
  });

  it('advertises a minimum sampling interval below one second', async () => {
    const flow = await resolveNsu(c.session, simNodeId(ps1, 'flow'));
    const dv = await c.session.read({ nodeId: flow, attributeId: AttributeIds.MinimumSamplingInterval });
    expect(dv.value.value).toBeLessThanOrEqual(100);
  });
});

describe('OPC-UA simulator values', () => {
  it('reads the values the source served, with its source timestamps', async () => {
    for (const dev of [ps1, ps2]) {
      for (const p of pumpProfile.points) {
        if (p.name === 'level' && dev === ps1) continue; // bad, below
        const nodeId = await resolveNsu(c.session, simNodeId(dev, p.name));
        const dv = await c.session.read({ nodeId, attributeId: AttributeIds.Value });
        const ts = dv.sourceTimestamp?.getTime() ?? Number.NaN;
        const truth = dev.sampleAt(p.name, ts);
        expect(truth, `${dev.id}.${p.name} served at ${ts}`).toBeDefined();
        let got = dv.value.value as unknown;
        if (p.name === 'starts') got = uint64(got);
        expect(got, `${dev.id}.${p.name}`).toEqual(truth!.value);
      }
    }
  });

  it('serves a bad sample with a Bad status and an uncertain one with Uncertain', async () => {
    const level = await c.session.read({ nodeId: await resolveNsu(c.session, simNodeId(ps1, 'level')) });
    expect(level.statusCode.isBad()).toBe(true);
    expect(level.statusCode.name).toBe(StatusCodes.BadSensorFailure.name);
    expect(level.value.value).toBeNull();
    const good = await c.session.read({ nodeId: await resolveNsu(c.session, simNodeId(ps2, 'level')) });
    expect(good.statusCode.isGood()).toBe(true);
    const pressure = await c.session.read({
      nodeId: await resolveNsu(c.session, simNodeId(ps2, 'pressure')),
    });
    expect(pressure.statusCode.name).toBe(StatusCodes.UncertainLastUsableValue.name);
  });

  it('counts one served sample per point per tick, however often clients read', async () => {
    const flow = await resolveNsu(c.session, simNodeId(ps1, 'flow'));
    for (let i = 0; i < 30; i++) await c.session.read({ nodeId: flow });
    // ticks run synchronously over every point, so every point has been sampled equally often
    const counts = pumpProfile.points.flatMap((p) => [ps1.served(p.name), ps2.served(p.name)]);
    expect(new Set(counts).size).toBe(1);
    expect(counts[0]).toBeGreaterThan(0);
  });

  it('delivers changes to a 100 ms subscription with the source timestamps', async () => {
    const sub = ClientSubscription.create(c.session, {
      requestedPublishingInterval: 100,
      requestedLifetimeCount: 100,
      requestedMaxKeepAliveCount: 10,
      maxNotificationsPerPublish: 0,
      publishingEnabled: true,
      priority: 1,
    });
    const seen: DataValue[] = [];
    try {
      const item = ClientMonitoredItem.create(
        sub,
        { nodeId: await resolveNsu(c.session, simNodeId(ps2, 'flow')), attributeId: AttributeIds.Value },
        { samplingInterval: 100, queueSize: 10, discardOldest: true },
        TimestampsToReturn.Both,
      );
      item.on('changed', (dv: DataValue) => seen.push(dv));
      await waitFor('five changes', () => seen.length >= 5 || undefined, 10_000);
      expect(item.monitoringParameters.samplingInterval).toBeLessThanOrEqual(100);
    } finally {
      await sub.terminate();
    }
    const stamps = seen.map((dv) => dv.sourceTimestamp?.getTime() ?? 0);
    for (const [i, dv] of seen.entries()) {
      const truth = ps2.sampleAt('flow', stamps[i] as number);
      expect(truth, `change ${i} at ${stamps[i]}`).toBeDefined();
      expect(dv.value.value).toBe(truth!.value);
      expect((stamps[i] as number) % 100).toBe(100 - SOURCE_LAG_MS); // tick-aligned sample time minus the lag
    }
    // strictly increasing source time: each notification is a new sample
    for (let i = 1; i < stamps.length; i++) expect(stamps[i]).toBeGreaterThan(stamps[i - 1] as number);
  });
});
