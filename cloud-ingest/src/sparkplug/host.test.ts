/**
 * The host state machine alone (no broker): births, aliases, seq and the reorder window on a
 * ManualClock, deaths with stale bdSeq, DATA before BIRTH, what each becomes in contract v1.
 * Payloads are built with our encoder (cross-checked against Tahu's in device-profiles).
 */
import {
  type DataBatch,
  type DeviceMeta,
  type DeviceStatus,
  decodeDataBatch,
  decodeDeviceMeta,
  decodeDeviceStatus,
  decodeGatewayState,
  type GatewayState,
  sparkplug,
} from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import pino from 'pino';
import { beforeEach, describe, expect, it } from 'vitest';
import { SparkplugHost } from './host.js';

const { DataType, encodePayload } = sparkplug;
const T0 = 1_780_000_000_000;
const G = 'Plant A';
const N = 'Edge 1';

let clock: ManualClock;
let out: { topic: string; payload: Buffer }[];
let rebirths: string[];
let republished: number;
let host: SparkplugHost;

beforeEach(() => {
  clock = new ManualClock(T0);
  out = [];
  rebirths = [];
  republished = 0;
  host = new SparkplugHost(
    {
      hostId: 'hub',
      primary: true,
      groups: [{ group: G, district: 'north', nodes: { [N]: 'gw-a1' }, measurement: 'plant' }],
      reorderTimeoutMs: 2000,
      rebirthMinIntervalMs: 0,
      nodeDevice: 'node',
    },
    {
      emit: (topic, payload) => out.push({ topic, payload }),
      requestRebirth: (group, node, why) => rebirths.push(`${group}/${node}: ${why}`),
      republishState: () => republished++,
      clock,
      logger: pino({ level: 'silent' }),
    },
  );
});

const send = (type: string, p: sparkplug.PayloadIn, device?: string) =>
  host.handle(`spBv1.0/${G}/${type}/${N}${device ? `/${device}` : ''}`, encodePayload(p));

function nbirth(bdSeq: number, seq = 0) {
  send('NBIRTH', {
    timestamp: clock.now(),
    seq,
    metrics: [
      { name: 'bdSeq', datatype: DataType.UInt64, value: bdSeq, timestamp: clock.now() },
      { name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: false, timestamp: clock.now() },
      { name: 'Supply Voltage', alias: 1, datatype: DataType.Float, value: 12.5, timestamp: clock.now() },
    ],
  });
}

function dbirth(seq: number, device = 'Meter 7') {
  send(
    'DBIRTH',
    {
      timestamp: clock.now(),
      seq,
      metrics: [
        {
          name: 'Inputs/Voltage L1',
          alias: 10,
          datatype: DataType.Double,
          value: 229.5,
          timestamp: clock.now() - 1000,
          properties: { engUnit: { type: DataType.String, value: 'V' } },
        },
        {
          name: 'Energy',
          alias: 11,
          datatype: DataType.UInt64,
          value: 123456789n,
          timestamp: clock.now() - 1000,
        },
        {
          name: 'Door Open',
          alias: 12,
          datatype: DataType.Boolean,
          value: false,
          timestamp: clock.now() - 1000,
        },
      ],
    },
    device,
  );
}

const ddata = (seq: number, metrics: sparkplug.MetricIn[], device = 'Meter 7') =>
  send('DDATA', { timestamp: clock.now(), seq, metrics }, device);

const of = <T>(kind: string, decode: (b: Buffer) => { ok: boolean; value?: T }) =>
  out
    .filter((m) => m.topic.endsWith(`/${kind}`))
    .map((m) => ({ topic: m.topic, value: (decode(m.payload) as { value: T }).value }));
const batches = () => of<DataBatch>('data', (b) => decodeDataBatch(b, { now: clock.now() }));
const states = () => of<GatewayState>('state', decodeGatewayState);

describe('births and data', () => {
  it('maps node, device, metrics, units and aliases to contract messages', () => {
    nbirth(3);
    dbirth(1);
    ddata(2, [{ alias: 10, datatype: DataType.Double, value: 230.25, timestamp: T0 + 5 }]);

    expect(states()).toEqual([
      {
        topic: 'gz/v1/north/gw-a1/state',
        value: expect.objectContaining({ state: 'online', ts: T0, version: 'bdSeq 3', devices: ['node'] }),
      },
    ]);
    const meta = of<DeviceMeta>('meta', decodeDeviceMeta);
    expect(meta.map((m) => m.topic)).toEqual([
      'gz/v1/north/gw-a1/node/meta',
      'gz/v1/north/gw-a1/meter-7/meta',
    ]);
    expect(meta[1]?.value.points).toEqual([
      { name: 'inputs_voltage_l1', type: 'float', unit: 'V', access: 'read' },
      { name: 'energy', type: 'integer', unit: '', access: 'read' },
      { name: 'door_open', type: 'boolean', unit: '', access: 'read' },
    ]);
    const status = of<DeviceStatus>('status', decodeDeviceStatus);
    expect(status).toEqual([
      { topic: 'gz/v1/north/gw-a1/meter-7/status', value: expect.objectContaining({ state: 'up' }) },
    ]);
    const b = batches();
    expect(b.map((x) => [x.topic, x.value.seq])).toEqual([
      ['gz/v1/north/gw-a1/node/data', 0],
      ['gz/v1/north/gw-a1/meter-7/data', 1],
      ['gz/v1/north/gw-a1/meter-7/data', 2],
    ]);
    // control metrics (bdSeq, Node Control/*) are not stored
    expect(b[0]?.value.readings).toEqual([
      { point: 'supply_voltage', value: Math.fround(12.5), ts: T0, quality: 'good' },
    ]);
    expect(b[1]?.value.readings).toEqual([
      { point: 'inputs_voltage_l1', value: 229.5, ts: T0 - 1000, quality: 'good', unit: 'V' },
      { point: 'energy', value: 123456789, ts: T0 - 1000, quality: 'good' },
      { point: 'door_open', value: false, ts: T0 - 1000, quality: 'good' },
    ]);
    expect(b[2]?.value).toMatchObject({
      district: 'north',
      gateway: 'gw-a1',
      device: 'meter-7',
      model: 'sparkplug-b',
      measurement: 'plant',
      readings: [{ point: 'inputs_voltage_l1', value: 230.25, ts: T0 + 5, quality: 'good', unit: 'V' }],
    });
    expect(rebirths).toEqual([]);
  });

  it('quality from is_null and the Quality property; historical data keeps its timestamps', () => {
    nbirth(0);
    dbirth(1);
    ddata(2, [
      { alias: 10, datatype: DataType.Double, value: null, timestamp: T0 + 1 },
      {
        alias: 11,
        datatype: DataType.UInt64,
        value: 5n,
        timestamp: T0 + 1,
        properties: { Quality: { type: DataType.Int32, value: 500 } },
      },
      {
        alias: 12,
        datatype: DataType.Boolean,
        value: true,
        timestamp: T0 - 3_600_000,
        isHistorical: true,
        properties: {
          Quality: { type: DataType.Int32, value: 0 },
          reason: { type: DataType.String, value: 'sensor fault' },
        },
      },
    ]);
    expect(batches()[2]?.value.readings).toEqual([
      { point: 'inputs_voltage_l1', value: null, ts: T0 + 1, quality: 'bad', reason: 'is_null', unit: 'V' },
      {
        point: 'energy',
        value: 5,
        ts: T0 + 1,
        quality: 'uncertain',
        reason: 'Sparkplug quality STALE (500)',
      },
      { point: 'door_open', value: true, ts: T0 - 3_600_000, quality: 'bad', reason: 'sensor fault' },
    ]);
  });

  it('seq wraps 255 → 0 without a gap', () => {
    nbirth(0, 254);
    dbirth(255);
    ddata(0, [{ alias: 11, datatype: DataType.UInt64, value: 1n }]);
    ddata(1, [{ alias: 11, datatype: DataType.UInt64, value: 2n }]);
    expect(batches().map((b) => b.value.seq)).toEqual([0, 1, 2, 3]);
    expect(host.counters.seqGaps).toBe(0);
    expect(rebirths).toEqual([]);
  });
});

describe('sequence gaps and the reorder window', () => {
  it('a gap not filled within reorderTimeoutMs requests a Rebirth; the batch seqs show the gap', () => {
    nbirth(0);
    dbirth(1);
    ddata(4, [{ alias: 11, datatype: DataType.UInt64, value: 4n }]); // 2 and 3 lost
    expect(rebirths).toEqual([]);
    clock.advance(1999);
    expect(rebirths).toEqual([]);
    clock.advance(1);
    expect(rebirths).toEqual([`${G}/${N}: seq gap`]);
    expect(host.counters.seqGaps).toBe(1);
    expect(batches().map((b) => b.value.seq)).toEqual([0, 1, 4]); // 2, 3 missing: the tracker counts them
  });

  it('messages arriving late within the window close it: no Rebirth', () => {
    nbirth(0);
    dbirth(1);
    ddata(3, [{ alias: 11, datatype: DataType.UInt64, value: 3n }]);
    clock.advance(500);
    ddata(2, [{ alias: 11, datatype: DataType.UInt64, value: 2n }]);
    clock.advance(5000);
    expect(rebirths).toEqual([]);
    expect(batches().map((b) => b.value.seq)).toEqual([0, 1, 3, 2]);
  });

  it('a gap across a wrap is measured forward', () => {
    nbirth(0, 250);
    dbirth(251);
    ddata(2, [{ alias: 11, datatype: DataType.UInt64, value: 1n }]); // 252..255, 0, 1 lost
    expect(batches().map((b) => b.value.seq)).toEqual([0, 1, 8]);
  });
});

describe('rebirth instead of storing blindly', () => {
  it('DATA before any NBIRTH', () => {
    ddata(5, [{ alias: 10, datatype: DataType.Double, value: 1 }]);
    send('NDATA', { timestamp: T0, seq: 6, metrics: [{ alias: 1, datatype: DataType.Float, value: 1 }] });
    expect(out).toEqual([]);
    expect(rebirths).toEqual([`${G}/${N}: data before birth`, `${G}/${N}: data before birth`]);
    expect(host.counters.dataBeforeBirth).toBe(2);
  });

  it('DDATA of a device without DBIRTH (or after its DDEATH)', () => {
    nbirth(0);
    ddata(1, [{ alias: 10, datatype: DataType.Double, value: 1 }]);
    expect(rebirths).toEqual([`${G}/${N}: data before birth`]);
    dbirth(1);
    send('DDEATH', { timestamp: T0, seq: 2, metrics: [] }, 'Meter 7');
    ddata(3, [{ alias: 10, datatype: DataType.Double, value: 2 }]);
    expect(rebirths).toHaveLength(2);
    expect(of<DeviceStatus>('status', decodeDeviceStatus).map((s) => s.value.state)).toEqual(['up', 'down']);
  });

  it('an alias not in the births', () => {
    nbirth(0);
    dbirth(1);
    ddata(2, [
      { alias: 99, datatype: DataType.Double, value: 1 },
      { alias: 10, datatype: DataType.Double, value: 2 },
    ]);
    expect(rebirths).toEqual([`${G}/${N}: unknown metric alias`]);
    expect(batches()[2]?.value.readings.map((r) => r.value)).toEqual([2]);
  });

  it('an alias used twice in one node (node metric and device metric)', () => {
    nbirth(0);
    send(
      'DBIRTH',
      { timestamp: T0, seq: 1, metrics: [{ name: 'x', alias: 1, datatype: DataType.Int32, value: 1 }] },
      'Meter 7',
    );
    expect(rebirths).toEqual([`${G}/${N}: invalid DBIRTH metrics`]);
    expect(of<DeviceMeta>('meta', decodeDeviceMeta).map((m) => m.topic)).toEqual([
      'gz/v1/north/gw-a1/node/meta',
    ]);
  });

  it('Rebirth requests are rate-limited per node', () => {
    host = new SparkplugHost(
      {
        hostId: 'hub',
        primary: true,
        groups: [{ group: G, district: 'north' }],
        reorderTimeoutMs: 0,
        rebirthMinIntervalMs: 5000,
        nodeDevice: 'node',
      },
      {
        emit: () => {},
        requestRebirth: (_g, _n, w) => rebirths.push(w),
        republishState: () => {},
        clock,
        logger: pino({ level: 'silent' }),
      },
    );
    for (let i = 0; i < 10; i++) ddata(i, [{ alias: 10, datatype: DataType.Double, value: 1 }]);
    expect(rebirths).toHaveLength(1);
    clock.advance(5000);
    ddata(11, [{ alias: 10, datatype: DataType.Double, value: 1 }]);
    expect(rebirths).toHaveLength(2);
  });
});

describe('deaths', () => {
  it('NDEATH with the current bdSeq: offline, devices down; with an older bdSeq: ignored', () => {
    nbirth(4);
    dbirth(1);
    send('NDEATH', { timestamp: T0, metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: 3 }] });
    expect(states().map((s) => s.value.state)).toEqual(['online']);
    expect(host.counters.staleDeaths).toBe(1);
    send('NDEATH', { timestamp: T0, metrics: [{ name: 'bdSeq', datatype: DataType.UInt64, value: 4 }] });
    expect(states().map((s) => s.value.state)).toEqual(['online', 'offline']);
    expect(of<DeviceStatus>('status', decodeDeviceStatus).map((s) => [s.topic, s.value.state])).toEqual([
      ['gz/v1/north/gw-a1/meter-7/status', 'up'],
      ['gz/v1/north/gw-a1/meter-7/status', 'down'],
    ]);
    // the node comes back: online again, the node's counter goes on (no false gap)
    clock.advance(1000);
    nbirth(5);
    expect(states().map((s) => s.value.state)).toEqual(['online', 'offline', 'online']);
    expect(batches().map((b) => b.value.seq)).toEqual([0, 1, 2]);
  });

  it("an offline STATE of our own host id is answered with a new birth; others' are not", () => {
    host.handle('spBv1.0/STATE/hub', Buffer.from(JSON.stringify({ online: false, timestamp: T0 })));
    host.handle('spBv1.0/STATE/other', Buffer.from(JSON.stringify({ online: false, timestamp: T0 })));
    host.handle('spBv1.0/STATE/hub', Buffer.from(JSON.stringify({ online: true, timestamp: T0 })));
    expect(republished).toBe(1);
  });
});

describe('bad input', () => {
  it('an undecodable payload, an NBIRTH without bdSeq: nothing stored, never a throw', () => {
    expect(() => host.handle(`spBv1.0/${G}/NBIRTH/${N}`, Buffer.from([0x12, 0x05, 0x0a]))).not.toThrow();
    send('NBIRTH', { timestamp: T0, seq: 0, metrics: [{ name: 'x', datatype: DataType.Int32, value: 1 }] });
    expect(out).toEqual([]);
    expect(host.counters.decodeErrors).toBe(1);
    expect(rebirths).toEqual([`${G}/${N}: invalid NBIRTH`]);
  });

  it('an edge node id with nothing usable for a gateway id is refused', () => {
    host.handle(`spBv1.0/${G}/NBIRTH/???`, encodePayload({ seq: 0, metrics: [] }));
    expect(out).toEqual([]);
  });
});
