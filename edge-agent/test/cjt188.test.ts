/**
 * The CJ/T 188 driver against the simulated meter bus (simulators/src/cjt188, real TCP): a
 * water and a heat meter on one socket, every point equal to the simulator's ground truth in
 * the point's unit, status bits, and faults refused with their reason.
 */
import { type Cjt188Bus, startCjt188TcpBus } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/process.js';
import { createCjt188Driver } from '../src/drivers/cjt188/index.js';
import { driverContract } from './driver-contract.js';
import { context } from './helpers.js';
import { cjt188Spec, simDevice } from './support/national.js';

describe('CJ/T 188 driver on a raw-TCP bus', () => {
  const water = simDevice('w1', 'cjt188-water-meter', 2);
  const heat = simDevice('h1', 'cjt188-heat-meter', 3);
  let bus: Cjt188Bus;
  let url: string;

  beforeAll(async () => {
    water.setSignal('valve', { kind: 'constant', value: 'closed' });
    water.setSignal('battery_low', { kind: 'constant', value: true });
    bus = await startCjt188TcpBus({
      port: 0,
      meters: [
        { address: '78330011223344', device: water },
        { address: '11110017312151', device: heat },
      ],
    });
    url = `cjt188-tcp://127.0.0.1:${bus.port}`;
  });
  afterAll(async () => bus?.close());

  it('reads a water and a heat meter with one request each; every point equals the ground truth', async () => {
    const ctx = context();
    const w = createCjt188Driver(cjt188Spec(url, '78330011223344', { id: 'w1' }), ctx);
    const h = createCjt188Driver(
      cjt188Spec(url, '11110017312151', { id: 'h1', profileId: 'cjt188-heat-meter' }),
      ctx,
    );
    try {
      for (const [d, sim] of [
        [w, water],
        [h, heat],
      ] as const) {
        const rs = await d.read();
        expect(rs).toHaveLength(sim.profile.points.length);
        const truth = sim.truth();
        for (const r of rs) {
          expect(r.quality, `${d.device} ${r.point} ${r.reason}`).not.toBe('bad');
          expect(r.value, `${d.device} ${r.point}`).toBe(truth[r.point]?.last?.value);
        }
        expect(d.status()).toMatchObject({ state: 'up', counters: { requests: 1, errors: 0 } });
      }
      // the status byte: valve closed (ST1 D0-D1 = 01), battery low (D2)
      const last = water.truth();
      expect([last.valve?.last?.value, last.battery_low?.last?.value]).toEqual(['closed', true]);
    } finally {
      await w.close();
      await h.close();
    }
  });

  it('a damaged reply is retried while the meter is healthy and refused with its reason', async () => {
    water.faults.add({ id: 'crc', kind: 'bad-crc' });
    const d = createCjt188Driver(cjt188Spec(url, '78330011223344', { retries: 1 }), context());
    try {
      const rs = await d.read();
      expect(rs.every((r) => r.quality === 'bad' && r.value === null && r.reason === 'checksum')).toBe(true);
      expect(d.status().counters).toMatchObject({ requests: 2, framesRefused: 2 });
      water.faults.clear();
      expect((await d.read()).every((r) => r.quality !== 'bad')).toBe(true);
    } finally {
      water.faults.clear();
      await d.close();
    }
  });

  it('a silent meter times out and is backed off; the other meter is not held up', async () => {
    heat.faults.add({ id: 'dead', kind: 'timeout' });
    const ctx = context();
    const h = createCjt188Driver(
      cjt188Spec(url, '11110017312151', {
        id: 'h1',
        profileId: 'cjt188-heat-meter',
        timeoutMs: 100,
        backoff: { failures: 1, initialMs: 60_000, maxMs: 60_000 },
      }),
      ctx,
    );
    const w = createCjt188Driver(cjt188Spec(url, '78330011223344', { id: 'w1' }), ctx);
    try {
      expect((await h.read()).every((r) => r.reason === 'timeout')).toBe(true);
      expect((await h.read()).every((r) => r.reason === 'backoff')).toBe(true);
      expect(h.status()).toMatchObject({ state: 'down', counters: { requests: 1, skipped: 1 } });
      expect((await w.read()).every((r) => r.quality !== 'bad')).toBe(true);
    } finally {
      heat.faults.clear();
      await h.close();
      await w.close();
    }
  });

  it('a meter address nobody has: timeout, never another meter’s values', async () => {
    const d = createCjt188Driver(cjt188Spec(url, '78330011223345', { timeoutMs: 100 }), context());
    try {
      expect((await d.read()).every((r) => r.quality === 'bad' && r.reason === 'timeout')).toBe(true);
    } finally {
      await d.close();
    }
  });
});

const contractMeter = simDevice('contract', 'cjt188-water-meter', 9);
let contractBus: Cjt188Bus | undefined;
let deadPort = 0;
beforeAll(async () => {
  contractBus = await startCjt188TcpBus({
    port: 0,
    meters: [{ address: '00000000000001', device: contractMeter }],
  });
  deadPort = await freePort();
});
afterAll(async () => contractBus?.close());
driverContract('cjt188-tcp', () => ({
  units: Object.fromEntries(contractMeter.profile.points.map((p) => [p.name, p.unit])),
  live: async () =>
    createCjt188Driver(
      cjt188Spec(`cjt188-tcp://127.0.0.1:${contractBus?.port}`, '00000000000001'),
      context(),
    ),
  dead: async () =>
    createCjt188Driver(
      cjt188Spec(`cjt188-tcp://127.0.0.1:${deadPort}`, '00000000000001', {
        backoff: { failures: 1, initialMs: 1000, maxMs: 1000 },
      }),
      context(),
    ),
}));
