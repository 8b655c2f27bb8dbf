/**
 * The Sparkplug edge node's wire behaviour, observed by a real MQTT client on our broker that
 * plays the primary host: what is published, with which QoS and retain flag, seq and aliases,
 * the wait for STATE, Rebirth on NCMD, the NDEATH will and the NDEATH before DISCONNECT.
 * (A QoS 1 subscriber receives min(published QoS, 1): QoS 0 here means published at QoS 0.)
 */
import { ProfileRegistry, sparkplug } from '@ganzhi/device-profiles';
import { createMemoryLog } from '@ganzhi/durable-log';
import { systemClock } from '@ganzhi/runtime';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { emptyConfig, type RunningBroker, startBroker } from '../../broker/src/index.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { BdSeq } from '../src/delivery/sparkplug/bdseq.js';
import { SparkplugEdgeNode } from '../src/delivery/sparkplug/edge-node.js';

const { DataType, decodePayload, encodeHostState, encodePayload, typedValue } = sparkplug;
type Seen = { topic: string; qos: number; retain: boolean; p: sparkplug.Payload };

let broker: RunningBroker;
let url: string;
let host: MqttClient;
const seen: Seen[] = [];
let node: SparkplugEdgeNode;
const dir = tempDir('ganzhi-spb-node-');
const profile = ProfileRegistry.builtin().get('eastron-sdm120');

const of = (type: string) => seen.filter((s) => s.topic.split('/')[2] === type);
const value = (m: sparkplug.Metric) => typedValue(m.datatype ?? 0, m.raw);

beforeAll(async () => {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  cfg.allowAnonymous = true;
  broker = await startBroker(cfg, { logger: pino({ level: 'silent' }) });
  url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
  host = await mqtt.connectAsync(url, { clientId: 'fake-primary-host' });
  host.on('message', (topic, payload, packet) => {
    if (topic.startsWith('spBv1.0/STATE/')) return;
    seen.push({ topic, qos: packet.qos, retain: packet.retain, p: decodePayload(payload) });
  });
  await host.subscribeAsync('spBv1.0/Plant A/#', { qos: 1 });
  if (!profile) throw new Error('eastron-sdm120 profile missing');
  node = new SparkplugEdgeNode(
    {
      group: 'Plant A',
      node: 'gw-1',
      primaryHostId: 'hub',
      url,
      mqtt: { clientId: 'gw-1-spb', reconnectPeriod: 100 },
      devices: [{ id: 'meter-1', profile }],
      agentVersion: '0.1.0',
    },
    {
      log: createMemoryLog(),
      bdSeq: new BdSeq(dir),
      clock: systemClock,
      logger: pino({ level: 'silent' }),
      connect: mqtt.connect,
    },
  );
  node.start();
});

afterAll(async () => {
  await host?.endAsync();
  await broker?.close();
});

describe('Sparkplug edge node on the wire', () => {
  it('waits for the primary host STATE before its births (tck-id-message-flow-edge-node-birth-publish-phid-wait)', async () => {
    node.write('meter-1', [
      {
        device: 'meter-1',
        point: 'voltage',
        value: 230.5,
        unit: 'V',
        ts: Date.now() - 5000,
        quality: 'good',
      },
    ]);
    await new Promise((r) => setTimeout(r, 500));
    expect(seen).toEqual([]);
    // another host's STATE does not count (…-phid-wait-id)
    await host.publishAsync('spBv1.0/STATE/other', encodeHostState({ online: true, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await new Promise((r) => setTimeout(r, 300));
    expect(seen).toEqual([]);
    await host.publishAsync('spBv1.0/STATE/hub', encodeHostState({ online: true, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await waitFor('births', () => of('DDATA').length > 0 || undefined);
  });

  it('NBIRTH: QoS 0, not retained, seq 0, bdSeq, Node Control/Rebirth false without alias', () => {
    const nb = of('NBIRTH')[0]!;
    expect(nb.topic).toBe('spBv1.0/Plant A/NBIRTH/gw-1');
    expect([nb.qos, nb.retain, nb.p.seq]).toEqual([0, false, 0]);
    expect(typeof nb.p.timestamp).toBe('number');
    const bd = nb.p.metrics.find((m) => m.name === 'bdSeq')!;
    expect([bd.datatype, value(bd)]).toEqual([DataType.Int64, { ok: true, value: 0n }]);
    const rb = nb.p.metrics.find((m) => m.name === 'Node Control/Rebirth')!;
    expect([rb.datatype, rb.alias, value(rb)]).toEqual([
      DataType.Boolean,
      undefined,
      { ok: true, value: false },
    ]);
  });

  it('DBIRTH: seq 1, every point with name, unique alias, datatype, current value and unit', () => {
    const db = of('DBIRTH')[0]!;
    expect(db.topic).toBe('spBv1.0/Plant A/DBIRTH/gw-1/meter-1');
    expect([db.qos, db.retain, db.p.seq]).toEqual([0, false, 1]);
    expect(db.p.metrics.map((m) => m.name)).toEqual(profile!.points.map((p) => p.name));
    const aliases = db.p.metrics.map((m) => m.alias);
    expect(new Set(aliases).size).toBe(aliases.length);
    const v = db.p.metrics.find((m) => m.name === 'voltage')!;
    expect([v.datatype, value(v)]).toEqual([DataType.Double, { ok: true, value: 230.5 }]);
    expect(sparkplug.propertyMap(v.properties).get('engUnit')).toBe('V');
    // never read yet: is_null, Quality STALE
    const other = db.p.metrics.find((m) => m.name !== 'voltage')!;
    expect(other.isNull).toBe(true);
    expect(sparkplug.propertyMap(other.properties).get('Quality')).toBe(500);
  });

  it('DDATA: alias only, no name or datatype, the pre-birth backlog flagged is_historical', () => {
    const dd = of('DDATA')[0]!;
    expect([dd.qos, dd.retain, dd.p.seq]).toEqual([0, false, 2]);
    const m = dd.p.metrics[0]!;
    expect(m.name).toBeUndefined();
    expect(m.datatype).toBeUndefined();
    expect(m.alias).toBe(of('DBIRTH')[0]!.p.metrics.find((x) => x.name === 'voltage')!.alias);
    expect(m.isHistorical).toBe(true);
    expect(typedValue(DataType.Double, m.raw)).toEqual({ ok: true, value: 230.5 });
  });

  it('seq goes up by one per message and wraps 255 → 0; live data is not historical', async () => {
    const t = Date.now();
    for (let i = 0; i < 300; i++)
      node.write('meter-1', [
        { device: 'meter-1', point: 'voltage', value: i, unit: 'V', ts: t + i, quality: 'good' },
      ]);
    await waitFor('300 DDATA', () => of('DDATA').length >= 301 || undefined);
    const seqs = seen.map((s) => s.p.seq);
    for (let i = 1; i < seqs.length; i++) expect(seqs[i]).toBe(((seqs[i - 1] as number) + 1) % 256);
    expect(seqs).toContain(255);
    expect(of('DDATA').at(-1)?.p.metrics[0]?.isHistorical).toBeUndefined();
  });

  it('NCMD Node Control/Rebirth: the births again, same bdSeq, seq from 0', async () => {
    const before = of('NBIRTH').length;
    await host.publishAsync(
      'spBv1.0/Plant A/NCMD/gw-1',
      Buffer.from(
        encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: 'Node Control/Rebirth', datatype: DataType.Boolean, value: true }],
        }),
      ),
      { qos: 0 },
    );
    await waitFor('rebirth', () => of('NBIRTH').length > before || undefined);
    const nb = of('NBIRTH').at(-1)!;
    expect(nb.p.seq).toBe(0);
    expect(value(nb.p.metrics.find((m) => m.name === 'bdSeq')!)).toEqual({ ok: true, value: 0n });
  });

  it('a device going down: DDEATH with the next seq; back up: DBIRTH', async () => {
    node.deviceState('meter-1', false);
    await waitFor('DDEATH', () => of('DDEATH').length > 0 || undefined);
    const last = seen.at(-2)!;
    expect(of('DDEATH')[0]!.p.seq).toBe(((last.p.seq as number) + 1) % 256);
    const births = of('DBIRTH').length;
    node.deviceState('meter-1', true);
    await waitFor('DBIRTH', () => of('DBIRTH').length > births || undefined);
  });

  it('the will: NDEATH at QoS 1, not retained, only bdSeq and no seq; the next CONNECT uses bdSeq 1', async () => {
    const births = of('NBIRTH').length;
    (node as unknown as { client: MqttClient }).client.stream.destroy();
    await waitFor('NDEATH will', () => of('NDEATH').length > 0 || undefined);
    const nd = of('NDEATH')[0]!;
    expect([nd.qos, nd.retain, nd.p.seq]).toEqual([1, false, undefined]);
    expect(nd.p.metrics.map((m) => [m.name, value(m)])).toEqual([['bdSeq', { ok: true, value: 0n }]]);
    await waitFor('rebirth after reconnect', () => of('NBIRTH').length > births || undefined);
    expect(
      value(
        of('NBIRTH')
          .at(-1)!
          .p.metrics.find((m) => m.name === 'bdSeq')!,
      ),
    ).toEqual({ ok: true, value: 1n });
  });

  it('the primary host going offline: NDEATH, reconnect, births only when it is back', async () => {
    const deaths = of('NDEATH').length;
    const births = of('NBIRTH').length;
    await host.publishAsync('spBv1.0/STATE/hub', encodeHostState({ online: false, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await waitFor('NDEATH', () => of('NDEATH').length > deaths || undefined);
    await new Promise((r) => setTimeout(r, 500));
    expect(of('NBIRTH').length).toBe(births);
    await host.publishAsync('spBv1.0/STATE/hub', encodeHostState({ online: true, timestamp: Date.now() }), {
      qos: 1,
      retain: true,
    });
    await waitFor('births again', () => of('NBIRTH').length > births || undefined);
    expect(
      value(
        of('NBIRTH')
          .at(-1)!
          .p.metrics.find((m) => m.name === 'bdSeq')!,
      ),
    ).toEqual({ ok: true, value: 2n });
  });

  it('stop: NDEATH with the current bdSeq, then DISCONNECT', async () => {
    const deaths = of('NDEATH').length;
    await node.stop();
    await waitFor('NDEATH on stop', () => of('NDEATH').length > deaths || undefined);
    expect(value(of('NDEATH').at(-1)!.p.metrics[0]!)).toEqual({ ok: true, value: 2n });
  });
});
