/**
 * The DL/T 645 driver against the simulated meter bus (simulators/src/dlt645, real TCP and a
 * socat pty pair): values equal to the simulator's ground truth, the raw BCD digits beside
 * them, each fault refused with its reason (abnormal reply = meter alive, silence = timeout,
 * damaged replies = checksum / bad frame), dead-meter backoff, and one dead meter on a shared
 * bus not stalling the others.
 */
import { type Dlt645Bus, startDlt645SerialBus, startDlt645TcpBus } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/process.js';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { MemorySink } from '../src/acquisition/sink.js';
import { Agent } from '../src/agent.js';
import { createDlt645Driver } from '../src/drivers/dlt645/index.js';
import type { DriverReading } from '../src/drivers/driver.js';
import { driverContract } from './driver-contract.js';
import { context, logger } from './helpers.js';
import { dlt645Spec, profile, simDevice } from './support/national.js';

const byPoint = (rs: DriverReading[]) => Object.fromEntries(rs.map((r) => [r.point, r]));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('DL/T 645 driver on a raw-TCP bus', () => {
  const three = simDevice('m3', 'dlt645-three-phase-meter', 3);
  const single = simDevice('m1', 'dlt645-single-phase-meter', 4);
  let bus: Dlt645Bus;
  let url: string;

  beforeAll(async () => {
    bus = await startDlt645TcpBus({
      port: 0,
      meters: [
        { address: '000000000161', device: three },
        { address: '201700000001', device: single },
      ],
    });
    url = `dlt645-tcp://127.0.0.1:${bus.port}`;
  });
  afterAll(async () => bus?.close());

  it('reads every point of two meters on one socket; each value is what the meter served', async () => {
    const ctx = context();
    const d3 = createDlt645Driver(
      dlt645Spec(url, '000000000161', { id: 'm3', profileId: 'dlt645-three-phase-meter' }),
      ctx,
    );
    const d1 = createDlt645Driver(dlt645Spec(url, '201700000001', { id: 'm1' }), ctx);
    try {
      for (const [d, sim] of [
        [d3, three],
        [d1, single],
      ] as const) {
        const rs = await d.read();
        expect(rs).toHaveLength(sim.profile.points.length);
        const truth = sim.truth();
        for (const r of rs) {
          expect(r.quality, `${d.device} ${r.point} ${r.reason}`).not.toBe('bad');
          expect(r.value, `${d.device} ${r.point}`).toBe(truth[r.point]?.last?.value);
        }
        expect(d.status()).toMatchObject({ state: 'up', counters: { cycles: 1, errors: 0 } });
      }
    } finally {
      await d3.close();
      await d1.close();
    }
  });

  it('shows the BCD digits as raw words: the voltage XXX.X of 230.1 V reads 2301', async () => {
    const d = createDlt645Driver(
      dlt645Spec(url, '201700000001', { points: [profile('dlt645-single-phase-meter').points[1]!] }),
      context(),
    );
    try {
      const [v] = await d.read();
      expect(v?.point).toBe('voltage');
      const digits = (v?.raw ?? []).map((w) => w.toString(16).padStart(4, '0')).join('');
      expect(Number(digits) / 10).toBe(v?.value);
    } finally {
      await d.close();
    }
  });

  it('an abnormal reply is the meter alive: bad with its error word, no retry, no backoff', async () => {
    single.faults.add({ id: 'err', kind: 'exception', code: 0x04 });
    const d = createDlt645Driver(
      dlt645Spec(url, '201700000001', {
        retries: 2,
        backoff: { failures: 1, initialMs: 60_000, maxMs: 60_000 },
      }),
      context(),
    );
    try {
      for (let i = 0; i < 3; i++) {
        const rs = await d.read();
        expect(
          rs.every(
            (r) => r.quality === 'bad' && r.reason === 'meter error 04: password wrong / unauthorised',
          ),
        ).toBe(true);
      }
      expect(d.status()).toMatchObject({
        state: 'degraded',
        counters: { requests: 15, abnormal: 15, skipped: 0, timeouts: 0 },
      });
    } finally {
      single.faults.clear();
      await d.close();
    }
  });

  it('an identifier the meter does not have: error word 02 for that point, the others good', async () => {
    const p = profile('dlt645-single-phase-meter');
    const extra = { ...p.points[1]!, name: 'voltage_b', dlt645: { dataId: '02010200' } };
    const d = createDlt645Driver(
      dlt645Spec(url, '201700000001', {
        profile: { ...p, points: [...p.points, extra] },
        points: [...p.points, extra],
      }),
      context(),
    );
    try {
      const r = byPoint(await d.read());
      expect(r.voltage_b).toMatchObject({ quality: 'bad', reason: 'meter error 02: no requested data' });
      expect(r.voltage?.quality).toBe('good');
      expect(d.status().state).toBe('degraded');
    } finally {
      await d.close();
    }
  });

  it.each([
    ['bad-crc', 'checksum'],
    ['garbled', /^bad frame: /],
    ['truncated', 'bad frame: truncated'],
  ] as const)('a %s reply is refused with reason %s and never decoded', async (kind, reason) => {
    single.faults.add({ id: kind, kind });
    const d = createDlt645Driver(dlt645Spec(url, '201700000001', { retries: 1 }), context());
    try {
      const rs = await d.read();
      for (const r of rs) {
        expect(r.quality).toBe('bad');
        expect(r.value).toBeNull();
        expect(r.reason).toMatch(reason);
      }
      expect(d.status().counters).toMatchObject({ framesRefused: rs.length * 2, requests: rs.length * 2 });
    } finally {
      single.faults.clear();
      await d.close();
    }
  });

  it('a silent meter: one timeout ends its cycle, then backoff; it comes back when it answers', async () => {
    single.faults.add({ id: 'dead', kind: 'timeout' });
    const d = createDlt645Driver(
      dlt645Spec(url, '201700000001', {
        timeoutMs: 100,
        retries: 2,
        backoff: { failures: 2, initialMs: 300, maxMs: 300 },
      }),
      context(),
    );
    try {
      const first = await d.read();
      expect(first.every((r) => r.quality === 'bad' && r.reason === 'timeout')).toBe(true);
      // healthy meter: retries on the first point only (3 requests), the rest of the cycle not asked
      expect(d.status().counters).toMatchObject({ requests: 3, timeouts: 3 });
      await d.read(); // one attempt now it has failed a cycle
      expect(d.status()).toMatchObject({ state: 'down', lastError: 'timeout', counters: { requests: 4 } });
      const skipped = await d.read();
      expect(skipped.every((r) => r.reason === 'backoff')).toBe(true);
      expect(d.status().counters).toMatchObject({ requests: 4, skipped: 1 });
      single.faults.clear();
      await sleep(400);
      expect((await d.read()).every((r) => r.quality !== 'bad')).toBe(true);
      expect(d.status().state).toBe('up');
    } finally {
      single.faults.clear();
      await d.close();
    }
  });

  it('a bus that cannot be reached: bad "connection: ECONNREFUSED", the line waits before retrying', async () => {
    const port = await freePort();
    const d = createDlt645Driver(dlt645Spec(`dlt645-tcp://127.0.0.1:${port}`, '201700000001'), context());
    try {
      const rs = await d.read();
      expect(rs.every((r) => r.reason === 'connection: ECONNREFUSED')).toBe(true);
      const again = await d.read();
      expect(
        again.every((r) => /^connection: ECONNREFUSED \(reconnecting in \d+ s\)$/.test(r.reason ?? '')),
      ).toBe(true);
      expect(d.status().state).toBe('down');
    } finally {
      await d.close();
    }
  });
});

describe.skipIf(!socatPeer().ok)('DL/T 645 on a serial line (socat pty): one dead meter among four', () => {
  let pty: PtyPair;
  let bus: Dlt645Bus;
  const sims = [1, 2, 3, 4].map((i) => simDevice(`s${i}`, 'dlt645-single-phase-meter', 10 + i));
  const address = (i: number) => `30000000000${i}`;

  beforeAll(async () => {
    pty = await ptyPair();
    bus = await startDlt645SerialBus({
      path: pty.b,
      meters: sims.map((device, i) => ({ address: address(i + 1), device })),
    });
  });
  afterAll(async () => {
    await bus?.close();
    await pty?.close();
  });

  it('the three healthy meters keep their poll rate; the dead one costs one timeout per cycle', async () => {
    const intervalMs = 300;
    const windowMs = 4500;
    sims[2]!.faults.add({ id: 'dead', kind: 'timeout' });
    const sink = new MemorySink();
    const devices = sims.map((_, i) =>
      dlt645Spec(`dlt645://${pty.a}?baud=2400`, address(i + 1), {
        id: `meter-${i + 1}`,
        timeoutMs: 100,
        retries: 2,
        pollIntervalMs: intervalMs,
        backoff: { failures: 1000, initialMs: 1000, maxMs: 1000 }, // no backoff: the worst case every cycle
      }),
    );
    const agent = await Agent.create({ devices, sink, logger });
    try {
      await agent.start();
      await sleep(windowMs);
    } finally {
      await agent.stop();
      sims[2]!.faults.clear();
    }
    const expected = windowMs / intervalMs;
    for (const rt of agent.devices) {
      const batches = sink.batches.filter((b) => b.device === rt.spec.id);
      if (rt.spec.id === 'meter-3') {
        expect(
          batches.every((b) => b.readings.every((r) => r.quality === 'bad' && r.reason === 'timeout')),
        ).toBe(true);
        const { requests, cycles } = rt.driver.status().counters;
        expect(requests).toBeLessThanOrEqual(cycles + 2);
        continue;
      }
      const good = batches.filter((b) => b.readings.every((r) => r.quality === 'good')).length;
      // Were the dead meter to cost every point × retries × timeout (1.5 s) per cycle, the
      // others would get about a fifth of their polls; the margin absorbs a loaded machine.
      expect(good, rt.spec.id).toBeGreaterThanOrEqual(Math.floor(expected * 0.7));
    }
  });
});

const single = simDevice('contract', 'dlt645-single-phase-meter', 7);
let contractBus: Dlt645Bus | undefined;
let deadPort = 0;
beforeAll(async () => {
  contractBus = await startDlt645TcpBus({ port: 0, meters: [{ address: '000000000001', device: single }] });
  deadPort = await freePort();
});
afterAll(async () => contractBus?.close());
driverContract('dlt645-tcp', () => ({
  units: Object.fromEntries(single.profile.points.map((p) => [p.name, p.unit])),
  live: async () =>
    createDlt645Driver(dlt645Spec(`dlt645-tcp://127.0.0.1:${contractBus?.port}`, '000000000001'), context()),
  dead: async () =>
    createDlt645Driver(
      dlt645Spec(`dlt645-tcp://127.0.0.1:${deadPort}`, '000000000001', {
        backoff: { failures: 1, initialMs: 1000, maxMs: 1000 },
      }),
      context(),
    ),
}));
