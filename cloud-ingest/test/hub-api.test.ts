/**
 * The hub API over app.inject(), fed with real contract messages (encoded, then parsed
 * and decoded by the contract code) through an in-memory source with a manual clock.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { feedHubSource } from '../src/hub/feed.js';
import { createMemoryHubSource, type MemoryHubSource } from '../src/hub/memory-source.js';
import { hubPlugin } from '../src/hub/plugin.js';
import { City } from './hub-fixtures.js';

const T0 = Date.UTC(2026, 10, 26, 12, 0, 0);
const gw1 = { district: 'dongcheng', gateway: 'gw-01', device: 'meter-1' };

describe('hub API', () => {
  let clock: number;
  let source: MemoryHubSource;
  let city: City;
  let app: FastifyInstance;

  beforeEach(async () => {
    clock = T0;
    source = createMemoryHubSource({ now: () => clock, ringSize: 5 });
    city = new City(source, () => clock);
    city.build();
    app = Fastify();
    await app.register(hubPlugin, { source });
    await app.ready();
  });
  afterEach(async () => {
    await app.close();
  });

  const get = async (url: string) => {
    const r = await app.inject({ method: 'GET', url });
    return { status: r.statusCode, body: r.json() };
  };

  it('gives per district the gateways online/offline and the devices by state', async () => {
    const { status, body } = await get('/api/hub/overview');
    expect(status).toBe(200);
    expect(body.districts.map((d: { district: string }) => d.district)).toEqual(['dongcheng', 'xicheng']);
    const [dc, xc] = body.districts;
    expect(dc.gatewayCounts).toEqual({ online: 1, offline: 1, unknown: 0 });
    expect(dc.deviceCounts).toEqual({ up: 1, degraded: 1, down: 1, unknown: 0 });
    expect(dc.gateways.map((g: { gateway: string; state: string }) => [g.gateway, g.state])).toEqual([
      ['gw-01', 'online'],
      ['gw-02', 'offline'],
    ]);
    expect(dc.gateways[0]).toMatchObject({
      since: T0,
      stream: 's-gw-01',
      agent: 'ganzhi-agent',
      version: '0.1.0',
    });
    expect(xc.gatewayCounts).toEqual({ online: 1, offline: 0, unknown: 0 });
    expect(body.totals.gatewayCounts).toEqual({ online: 2, offline: 1, unknown: 0 });
    expect(body.totals.deviceCounts).toEqual({ up: 2, degraded: 1, down: 1, unknown: 0 });
  });

  it('counts completeness over the last hour from the stream sequence numbers: gaps and duplicates', async () => {
    city.voltage(gw1, 230, clock, 0);
    city.voltage(gw1, 231, clock, 1);
    city.voltage(gw1, 231, clock, 1); // redelivered
    city.voltage(gw1, 232, clock, 4); // 2 and 3 never arrive
    const { body } = await get('/api/hub/overview');
    const gw = body.districts[0].gateways[0];
    expect(gw.completeness).toEqual({
      received: 3,
      expected: 5,
      gaps: 2,
      duplicates: 1,
      late: 0,
      ratio: 0.6,
    });
    expect(body.districts[0].completeness).toMatchObject({ received: 3, expected: 5, gaps: 2 });
    expect(body.districts[1].completeness).toMatchObject({ received: 0, expected: 0, ratio: null });
    // a late arrival fills a hole
    city.voltage(gw1, 232, clock, 2);
    const after = (await get('/api/hub/overview')).body.districts[0].gateways[0].completeness;
    expect(after).toMatchObject({ received: 4, late: 1 });
  });

  it('reports points/s per district over the last whole seconds', async () => {
    for (let i = 0; i < 10; i++) {
      city.voltage(gw1, 230 + i, clock); // 2 readings per batch
      clock += 1000;
    }
    const { body } = await get('/api/hub/overview');
    expect(body.districts[0].pointsPerSecond).toBe(2);
    expect(body.districts[1].pointsPerSecond).toBe(0);
    expect(body.totals.pointsPerSecond).toBe(2);
  });

  it('lists the devices of a gateway and the points of a device from its meta', async () => {
    const devs = await get('/api/hub/devices?district=dongcheng&gateway=gw-01');
    expect(devs.status).toBe(200);
    expect(devs.body.devices.map((d: { device: string; state: string }) => [d.device, d.state])).toEqual([
      ['aq-1', 'degraded'],
      ['meter-1', 'up'],
    ]);
    expect(devs.body.devices[0]).toMatchObject({
      model: 'air-quality-rs485',
      measurement: 'air_quality',
      lastError: 'timeout',
    });
    const pts = await get('/api/hub/points?district=dongcheng&gateway=gw-01&device=meter-1');
    expect(pts.status).toBe(200);
    expect(pts.body.measurement).toBe('energy_meter');
    // UCUM stays in the data; the symbol and the resolution come from the profile
    expect(pts.body.points[0]).toEqual({
      name: 'voltage_l1',
      type: 'float',
      unit: 'V',
      access: 'read',
      range: { min: 0, max: 500 },
      symbol: 'V',
      decimals: 1,
    });
    const aq = (await get('/api/hub/points?district=dongcheng&gateway=gw-01&device=aq-1')).body.points;
    const no2 = aq.find((p: { name: string }) => p.name === 'no2');
    expect(no2).toMatchObject({ unit: '[ppb]', symbol: 'ppb', decimals: 0 });
    const temperature = aq.find((p: { name: string }) => p.name === 'temperature');
    expect(temperature).toMatchObject({ unit: 'Cel', symbol: '°C' });
  });

  it('lists the down and degraded devices of each district, down first, with their last error', async () => {
    city.status('dongcheng', 'gw-01', 'meter-1', 'down');
    const { body } = await get('/api/hub/overview');
    expect(
      body.districts[0].attention.map(
        (a: { gateway: string; device: string; state: string; lastError: string }) => [
          a.gateway,
          a.device,
          a.state,
          a.lastError,
        ],
      ),
    ).toEqual([
      ['gw-01', 'meter-1', 'down', 'timeout'],
      ['gw-02', 'meter-2', 'down', 'timeout'],
      ['gw-01', 'aq-1', 'degraded', 'timeout'],
    ]);
    expect(body.districts[1].attention).toEqual([]);
  });

  it('answers completeness per district and hour over the last 24 h, every hour present', async () => {
    const H = 3_600_000;
    // three hours ago: seqs 0..3; two hours ago: 4, 5, then 8 (6 and 7 lost); now: 9
    clock = T0 - 3 * H;
    for (let s = 0; s < 4; s++) city.voltage(gw1, 230, clock, s);
    clock = T0 - 2 * H;
    for (const s of [4, 5, 8]) city.voltage(gw1, 230, clock, s);
    clock = T0;
    city.voltage(gw1, 230, clock, 9);
    const { status, body } = await get('/api/hub/completeness/hourly');
    expect(status).toBe(200);
    expect(body.hours).toBe(24);
    expect(body.from).toBe(T0 - 23 * H);
    expect(body.districts.map((d: { district: string }) => d.district)).toEqual(['dongcheng', 'xicheng']);
    const dc = body.districts[0];
    expect(dc.buckets).toHaveLength(24);
    const byHour = (t: number) => dc.buckets.find((b: { hour: number }) => b.hour === t);
    expect(byHour(T0 - 3 * H)).toMatchObject({ received: 4, expected: 4, gaps: 0, ratio: 1 });
    expect(byHour(T0 - 2 * H)).toMatchObject({ received: 3, expected: 5, gaps: 2, ratio: 0.6 });
    expect(byHour(T0 - H)).toMatchObject({ received: 0, expected: 0, ratio: null });
    expect(byHour(T0)).toMatchObject({ received: 1, expected: 1, ratio: 1 });
    expect(dc.total).toMatchObject({ received: 8, expected: 10, gaps: 2, ratio: 0.8 });
    // a district with nothing in the window still has its 24 empty hours
    expect(body.districts[1].buckets.every((b: { ratio: unknown }) => b.ratio === null)).toBe(true);
    // narrower windows and one district; bad values refused
    const one = (await get('/api/hub/completeness/hourly?hours=3&district=dongcheng')).body;
    expect(one.districts).toHaveLength(1);
    expect(one.districts[0].buckets.map((b: { received: number }) => b.received)).toEqual([3, 0, 1]);
    for (const q of ['hours=0', 'hours=169', 'hours=x', 'district=Bad%20Id']) {
      const r = await get(`/api/hub/completeness/hourly?${q}`);
      expect([q, r.status, r.body.code]).toEqual([q, 400, 'GZ_QUERY_INVALID']);
    }
  });

  it('serves the recent values of a point, bad readings as null, bounded by the ring', async () => {
    for (let i = 0; i < 7; i++) {
      city.voltage(gw1, 230 + i, clock);
      clock += 1000;
    }
    const q = 'district=dongcheng&gateway=gw-01&device=meter-1';
    const v = await get(`/api/hub/series?${q}&point=voltage_l1`);
    expect(v.status).toBe(200);
    expect(v.body).toMatchObject({
      measurement: 'energy_meter',
      point: 'voltage_l1',
      unit: 'V',
      symbol: 'V',
      decimals: 1,
      every: null,
    });
    // ring of 5: the two oldest are gone
    expect(v.body.samples).toEqual([2, 3, 4, 5, 6].map((i) => ({ ts: T0 + i * 1000, value: 230 + i })));
    const c = await get(`/api/hub/series?${q}&point=current_l1`);
    expect(c.body.samples.map((s: { value: unknown }) => s.value)).toEqual([null, null, null, null, null]);
    const agg = await get(`/api/hub/series?${q}&point=voltage_l1&from=${T0}&every=2000`);
    expect(agg.body.samples).toEqual([
      { ts: T0 + 2000, value: 232.5 },
      { ts: T0 + 4000, value: 234.5 },
      { ts: T0 + 6000, value: 236 },
    ]);
  });

  it('refuses bad queries with a coded 400 and unknown devices with a coded 404', async () => {
    const bad = await get('/api/hub/series?district=Dong%20Cheng&gateway=gw-01&device=meter-1&point=x');
    expect(bad.status).toBe(400);
    expect(bad.body.code).toBe('GZ_QUERY_INVALID');
    const missing = await get('/api/hub/series?district=dongcheng&gateway=gw-01&device=ghost&point=x');
    expect(missing.status).toBe(404);
    expect(missing.body.code).toBe('GZ_HUB_UNKNOWN_DEVICE');
    const reversed = await get(
      `/api/hub/series?${new URLSearchParams({ ...gw1, point: 'x', from: String(T0), to: String(T0 - 1) })}`,
    );
    expect(reversed.status).toBe(400);
    expect((await get('/api/hub/points?district=dongcheng')).status).toBe(400);
  });

  it('refuses a batch whose ids differ from its topic, and keeps it out of the figures', async () => {
    const spoof = feedHubSource(
      source,
      'gz/v1/xicheng/gw-03/meter-3/data',
      JSON.stringify({
        v: 1,
        ...gw1,
        model: 'm',
        measurement: 'energy_meter',
        stream: 's',
        seq: 0,
        sent: clock,
        readings: [{ point: 'voltage_l1', value: 1, ts: clock, quality: 'good' }],
      }),
    );
    expect(spoof.ok).toBe(false);
    expect(feedHubSource(source, 'gz/v1/xicheng/gw-03/state', '{"v":1}').ok).toBe(false);
    const { body } = await get('/api/hub/overview');
    expect(body.totals.completeness.received).toBe(0);
  });

  it('serves one self-contained page with no external assets', async () => {
    const r = await app.inject({ method: 'GET', url: '/hub' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['content-type']).toMatch(/^text\/html/);
    expect(r.headers['content-security-policy']).toContain("default-src 'none'");
    expect(r.body).toContain('<svg id="chart"');
    expect(r.body).not.toMatch(/<(script|link|img)[^>]+(src|href)=/i);
  });
});
