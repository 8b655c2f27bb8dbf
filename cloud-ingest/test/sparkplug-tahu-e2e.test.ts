/**
 * End to end with a third-party edge node (issue 18): Eclipse Tahu's npm `sparkplug-client` →
 * our broker (startBroker, real ACL: the node's credential carries its Sparkplug group/node,
 * the ingest's its host id and groups) → the real ingest as Sparkplug host → SQLite.
 *
 * Proves: every scalar data type lands with its exact value, unit and source timestamp; a
 * seq gap is counted in completeness and forces a Rebirth that Tahu answers; node death and
 * rebirth show on the hub page API; the host's STATE is retained with its will.
 *
 * What differs in Tahu's client (3.2.4) and how the host handles it, per the spec:
 * - its bdSeq never increments (0 on every CONNECT): a late will of an older connection would
 *   carry the current bdSeq and be taken as the death of the current session; the next NDATA is
 *   then DATA before BIRTH and the host requests a Rebirth (self-healing, shown below);
 * - its NDEATH will is QoS 0 (the spec says 1): a host that is disconnected at that moment
 *   misses it — with a clean-session host that is no different from QoS 1;
 * - it subscribes `…/NCMD/{node}/#` at QoS 0 (the ACL grants the `/#` form);
 * - it does not answer NCMD Rebirth itself: the application does (here, the 'ncmd' handler).
 * The seq gap is fault injection (QoS 0 loss cannot be produced on loopback): the test bumps
 * the client's internal `seq` counter, which is what a lost message looks like to the host.
 */
import { join } from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import pino from 'pino';
import { newClient } from 'sparkplug-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
} from '../../broker/src/index.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { parseConfig } from '../src/config.js';
import { type Ingest, startIngest } from '../src/ingest.js';

type TahuClient = ReturnType<typeof newClient>;
type TahuMetric = {
  name?: string;
  alias?: number;
  type: string;
  value: unknown;
  timestamp?: number;
  properties?: unknown;
};

const GROUP = 'Plant A';
const NODE = 'Tahu Edge';
const DEVICE = 'Meter 7';
const CHEAP = { N: 1024, r: 8, p: 1 };

/** Every scalar type, with its alias, the value Tahu sends and the row SQLite must hold. */
const METRICS: [
  name: string,
  alias: number,
  type: string,
  value: unknown,
  expected: { value: number | null; text?: string },
][] = [
  ['Int8', 101, 'Int8', -128, { value: -128 }],
  ['Int16', 102, 'Int16', -32768, { value: -32768 }],
  ['Int32', 103, 'Int32', 2147483647, { value: 2147483647 }],
  ['Int64', 104, 'Int64', -9007199254740991, { value: -9007199254740991 }],
  ['UInt8', 105, 'UInt8', 255, { value: 255 }],
  ['UInt16', 106, 'UInt16', 65535, { value: 65535 }],
  ['UInt32', 107, 'UInt32', 4294967295, { value: 4294967295 }],
  ['UInt64', 108, 'UInt64', 9007199254740991, { value: 9007199254740991 }],
  ['Float', 109, 'Float', 12.1, { value: Math.fround(12.1) }],
  ['Double', 110, 'Double', 229.123456789, { value: 229.123456789 }],
  ['Boolean', 111, 'Boolean', true, { value: 1 }],
  ['String', 112, 'String', 'pump room 3 ✓', { value: null, text: 'pump room 3 ✓' }],
  ['DateTime', 113, 'DateTime', 1_767_225_600_000, { value: 1_767_225_600_000 }],
  ['Null Double', 114, 'Double', null, { value: null }],
];

describe('Tahu sparkplug-client → broker → ingest (Sparkplug host) → SQLite', () => {
  let broker: RunningBroker;
  let ingest: Ingest;
  let db: Database.Database;
  let node: TahuClient;
  let dir: string;
  const births: number[] = [];
  const ncmds: unknown[] = [];

  function publishBirths(): void {
    const ts = Date.now();
    node.publishNodeBirth({
      timestamp: ts,
      metrics: [
        { name: 'Node Control/Rebirth', type: 'Boolean', value: false, timestamp: ts },
        { name: 'Supply Voltage', alias: 1, type: 'Float', value: 24.5, timestamp: ts },
      ],
    } as never);
    node.publishDeviceBirth(DEVICE, {
      timestamp: ts,
      metrics: METRICS.map(([name, alias, type, value]) => ({
        name,
        alias,
        type,
        value: value === null ? 0 : value,
        timestamp: ts,
        ...(name === 'Double' ? { properties: { engUnit: { type: 'String', value: 'V' } } } : {}),
      })),
    } as never);
    births.push(ts);
  }

  beforeAll(async () => {
    dir = tempDir('ganzhi-spb-tahu-');
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    const users = {
      users: {
        'tahu-node': {
          role: 'gateway' as const,
          district: 'north',
          gateway: 'gw-tahu',
          sparkplug: { group: GROUP, node: NODE },
          hash: await hashPassword('tahu-node-password', CHEAP),
        },
        hub: {
          role: 'ingest' as const,
          sparkplug: { hostId: 'ganzhi-hub', groups: [GROUP] },
          hash: await hashPassword('hub-password', CHEAP),
        },
      },
    };
    broker = await startBroker(cfg, {
      logger: pino({ level: 'silent' }),
      credentials: new FileCredentialStore(users),
    });
    const url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
    ingest = await startIngest(
      parseConfig(
        JSON.stringify({
          mqtt: { url, clientId: 'ganzhi-ingest-spb-e2e', username: 'hub', password: 'hub-password' },
          store: { type: 'sqlite', file: join(dir, 'ingest.db') },
          batch: { lines: 500, flushMs: 50 },
          log: { dir: join(dir, 'log'), fsyncIntervalMs: 0 },
          deadLetterFile: join(dir, 'dead-letters.jsonl'),
          completeness: { file: join(dir, 'completeness.json'), writeEveryMs: 0 },
          http: { port: 0 },
          logLevel: 'warn',
          sparkplug: {
            hostId: 'ganzhi-hub',
            groups: [{ group: GROUP, district: 'north', nodes: { [NODE]: 'gw-tahu' }, measurement: 'plant' }],
            reorderTimeoutMs: 300,
            rebirthMinIntervalMs: 0,
          },
        }),
        join(dir, 'ingest.json'),
        {},
      ),
      { logger: pino({ level: 'silent' }) },
    );
    await ingest.sparkplug?.ready();
    db = new Database(join(dir, 'ingest.db'), { readonly: true });

    node = newClient({
      serverUrl: url,
      username: 'tahu-node',
      password: 'tahu-node-password',
      groupId: GROUP,
      edgeNode: NODE,
      clientId: 'tahu-node',
      version: 'spBv1.0',
      publishDeath: true,
    });
    node.on('birth', publishBirths);
    node.on('ncmd', (payload) => {
      ncmds.push(payload);
      const rebirth = payload.metrics?.find((m) => m.name === 'Node Control/Rebirth');
      if (rebirth?.value === true) publishBirths();
    });
  });

  afterAll(async () => {
    node?.stop();
    db?.close();
    await ingest?.close();
    await broker?.close();
  });

  const rows = (ts: number) =>
    db
      .prepare(
        `SELECT point, value, text, quality, reason FROM readings_v
          WHERE district = 'north' AND gateway = 'gw-tahu' AND device = 'meter-7' AND ts = ? ORDER BY point`,
      )
      .all(ts) as {
      point: string;
      value: number | null;
      text: string | null;
      quality: string;
      reason: string | null;
    }[];

  const hubGateway = async () => {
    const r = await fetch(`${ingest.httpUrl}/api/hub/overview`);
    const o = (await r.json()) as {
      districts: { district: string; gateways: { gateway: string; state: string; since: number | null }[] }[];
    };
    return o.districts.find((d) => d.district === 'north')?.gateways.find((g) => g.gateway === 'gw-tahu');
  };

  it('stores every data type exactly, by alias, with source timestamps and units', async () => {
    await waitFor(
      'NBIRTH and DBIRTH stored',
      () => (births.length > 0 && rows(births[0]!).length === METRICS.length) || undefined,
    );
    const ts = births[0]! + 1000;
    node.publishDeviceData(DEVICE, {
      timestamp: Date.now(),
      metrics: METRICS.map(([, alias, type, value]) => ({
        alias,
        type,
        value,
        timestamp: ts,
      })) as TahuMetric[],
    } as never);
    const got = await waitFor('DDATA stored', () =>
      rows(ts).length === METRICS.length ? rows(ts) : undefined,
    );
    const byPoint = new Map(got.map((r) => [r.point, r]));
    for (const [name, , , value, expected] of METRICS) {
      const point = name.toLowerCase().replace(/ /g, '_');
      const r = byPoint.get(point);
      expect(r, point).toBeDefined();
      expect(r?.value, point).toBe(expected.value);
      expect(r?.text ?? undefined, point).toBe(expected.text);
      expect(r?.quality, point).toBe(value === null ? 'bad' : 'good');
      if (value === null) expect(r?.reason).toBe('is_null');
    }
    // the unit from the DBIRTH property is on the hub page's point list
    const pts = (await (
      await fetch(`${ingest.httpUrl}/api/hub/points?district=north&gateway=gw-tahu&device=meter-7`)
    ).json()) as { measurement: string; points: { name: string; unit: string }[] };
    expect(pts.measurement).toBe('plant');
    expect(pts.points.find((p) => p.name === 'double')?.unit).toBe('V');
    // the node's own metric (NBIRTH) under device "node"
    const nodeRow = db
      .prepare(
        `SELECT value FROM readings_v WHERE gateway = 'gw-tahu' AND device = 'node' AND point = 'supply_voltage'`,
      )
      .get() as { value: number } | undefined;
    expect(nodeRow?.value).toBe(24.5);
    expect((await hubGateway())?.state).toBe('online');
  });

  it('the primary host STATE is retained, online, with the timestamp of its will', async () => {
    const url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
    const probe = mqtt.connect(url, {
      username: 'hub',
      password: 'hub-password',
      clientId: 'hub.state-probe',
      reconnectPeriod: 0,
    });
    const msg = await new Promise<{ payload: string; retain: boolean }>((resolve, reject) => {
      probe.on('error', reject);
      probe.on('message', (_t, p, packet) => resolve({ payload: p.toString(), retain: packet.retain }));
      probe.on('connect', () => probe.subscribe('spBv1.0/STATE/ganzhi-hub', { qos: 1 }));
    });
    await probe.endAsync();
    expect(msg.retain).toBe(true);
    expect(JSON.parse(msg.payload)).toEqual({ online: true, timestamp: expect.any(Number) });
  });

  it('a seq gap is counted in completeness and forces a Rebirth that Tahu answers', async () => {
    const before = births.length;
    const gapsBefore = ingest.tracker.figures().find((g) => g.gateway === 'gw-tahu')?.missing ?? 0;
    // fault injection: three Sparkplug messages "lost" (the client's counter skips them)
    (node as unknown as { seq: number }).seq += 3;
    const ts = Date.now();
    node.publishDeviceData(DEVICE, {
      timestamp: ts,
      metrics: [{ alias: 110, type: 'Double', value: 1.5, timestamp: ts }],
    } as never);
    await waitFor('Rebirth requested and births republished', () => births.length > before || undefined);
    expect(ncmds.length).toBeGreaterThan(0);
    expect(ingest.sparkplug?.counters.seqGaps).toBe(1);
    await waitFor('gap counted', () => {
      const g = ingest.tracker.figures().find((x) => x.gateway === 'gw-tahu');
      return g && g.missing - gapsBefore === 3 ? g : undefined;
    });
    // the data after the gap was stored too (aliases still known)
    await waitFor('post-gap DDATA stored', () => rows(ts).length === 1 || undefined);
    expect(rows(ts)[0]).toMatchObject({ point: 'double', value: 1.5 });
  });

  it('node death and rebirth appear on the hub page', async () => {
    const before = births.length;
    const online = await hubGateway();
    expect(online?.state).toBe('online');
    // the node's link dies: no DISCONNECT, the broker publishes its NDEATH will
    (node as unknown as { client: { stream: { destroy(): void } } }).client.stream.destroy();
    await waitFor(
      'gateway offline on the hub page',
      async () => (await hubGateway())?.state === 'offline' || undefined,
    );
    expect(ingest.sparkplug?.counters.deaths).toBeGreaterThanOrEqual(1);
    // MQTT.js reconnects, Tahu emits 'birth' again: NBIRTH (bdSeq still 0) → online again
    await waitFor('gateway online again', async () => {
      const g = await hubGateway();
      return births.length > before && g?.state === 'online' ? g : undefined;
    });
  });

  it('DATA after a death is not stored blindly: Rebirth first', async () => {
    // a late NDEATH (will of an older connection) with the current bdSeq — Tahu's bdSeq never
    // changes — takes the node offline; the next DDATA triggers a Rebirth, not a store
    const stale = mqtt.connect(`mqtt://127.0.0.1:${broker.addresses.tcp?.port}`, {
      username: 'tahu-node',
      password: 'tahu-node-password',
      clientId: 'tahu-node.ghost',
      reconnectPeriod: 0,
    });
    await new Promise<void>((r) => stale.on('connect', () => r()));
    const { sparkplug } = await import('@ganzhi/device-profiles');
    await stale.publishAsync(
      `spBv1.0/${GROUP}/NDEATH/${NODE}`,
      Buffer.from(
        sparkplug.encodePayload({
          timestamp: Date.now(),
          metrics: [{ name: 'bdSeq', datatype: sparkplug.DataType.UInt64, value: 0 }],
        }),
      ),
    );
    await stale.endAsync();
    await waitFor('offline', async () => (await hubGateway())?.state === 'offline' || undefined);
    const before = births.length;
    const beforeDbb = ingest.sparkplug?.counters.dataBeforeBirth ?? 0;
    const ts = Date.now();
    node.publishDeviceData(DEVICE, {
      timestamp: ts,
      metrics: [{ alias: 110, type: 'Double', value: 7.25, timestamp: ts }],
    } as never);
    await waitFor(
      'rebirth answered',
      async () => (births.length > before && (await hubGateway())?.state === 'online') || undefined,
    );
    expect((ingest.sparkplug?.counters.dataBeforeBirth ?? 0) - beforeDbb).toBe(1);
    expect(rows(ts)).toEqual([]);
  });
});
