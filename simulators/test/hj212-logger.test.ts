/**
 * The HJ 212 data logger against a platform listener written here with the shared codec
 * (real TCP): packets pass the Appendix A CRC, carry MN/PW and the ground-truth values,
 * a missing 9014 makes the logger send the same QN again, an outage is followed by the
 * history (older DataTime, oldest first), and the faults show on the wire.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { hj212, ProfileRegistry } from '@ganzhi/device-profiles';
import { type Clock, ManualClock, systemClock } from '@ganzhi/runtime';
import { afterEach, describe, expect, it } from 'vitest';
import { SimDevice } from '../src/device/sim-device.js';
import { type Hj212DataLogger, startHj212Logger } from '../src/hj212/data-logger.js';

interface Received {
  segment: hj212.Segment;
  data?: hj212.MonitoringData;
  at: number;
}

class Platform {
  readonly got: Received[] = [];
  readonly refused: string[] = [];
  server!: Server;
  port = 0;
  private readonly socks = new Set<Socket>();
  /** return false to leave a packet unacknowledged */
  ack: (s: hj212.Segment, n: number) => boolean = () => true;

  async start(): Promise<void> {
    this.server = createServer((sock) => {
      this.socks.add(sock);
      sock.on('close', () => this.socks.delete(sock));
      sock.on('error', () => {});
      const d = new hj212.Hj212Deframer();
      sock.on('data', (c) => {
        for (const r of d.push(c)) {
          if (!r.ok) {
            this.refused.push(r.reason);
            continue;
          }
          const s = hj212.parseSegment(r.frame.segment);
          if (!s.ok) {
            this.refused.push(s.reason);
            continue;
          }
          const m = hj212.parseMonitoringData(s.segment.cp);
          this.got.push({ segment: s.segment, ...(m.ok ? { data: m.data } : {}), at: Date.now() });
          if (hj212.flagBits(s.segment.flag).ackRequested && this.ack(s.segment, this.got.length)) {
            sock.write(hj212.encodePacket(hj212.buildAckSegment(s.segment)));
          }
        }
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }

  async stop(): Promise<void> {
    for (const s of this.socks) s.destroy();
    await new Promise((r) => this.server.close(r));
  }
}

async function until(what: string, fn: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!fn()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const air = ProfileRegistry.builtin().require('hj212-air-quality-station');
const constants = {
  pm25: { kind: 'constant', value: 35.1234 },
  pm10: { kind: 'constant', value: 61.5 },
  so2: { kind: 'constant', value: 7 },
  no2: { kind: 'constant', value: 22.25 },
  co: { kind: 'constant', value: 0.427 },
  o3: { kind: 'constant', value: 63 },
  pm25_1min: { kind: 'constant', value: 33.3 },
  pm10_1min: { kind: 'constant', value: 60 },
} as const;

let platform: Platform;
let logger: Hj212DataLogger | undefined;

function airLogger(clock: Clock = systemClock, extra: Partial<Parameters<typeof startHj212Logger>[0]> = {}) {
  const device = new SimDevice({ id: 'aq-1', profile: air, clock, signals: constants });
  logger = startHj212Logger({
    device,
    port: platform.port,
    mn: 'AQ0000000001',
    pw: '123456',
    intervalMs: 200,
    ackTimeoutMs: 400,
    reconnectMs: 100,
    ...extra,
  });
  return device;
}

afterEach(async () => {
  await logger?.stop();
  logger = undefined;
  await platform?.stop();
});

describe('HJ 212 data logger', () => {
  it('sends real-time data with a valid CRC, its MN and PW, values equal to the ground truth', async () => {
    platform = new Platform();
    await platform.start();
    const t0 = Date.now();
    const device = airLogger();
    await until(
      'two real-time packets',
      () => platform.got.filter((g) => g.segment.cn === '2011').length >= 2,
    );
    expect(platform.refused).toEqual([]);
    const p = platform.got[0]!;
    expect(p.segment).toMatchObject({ st: '22', cn: '2011', mn: 'AQ0000000001', pw: '123456', flag: 5 });
    expect(p.data?.ts).toBeGreaterThanOrEqual(Math.floor(t0 / 1000) * 1000);
    expect(p.data?.ts).toBeLessThanOrEqual(Date.now());
    const truth = device.truth();
    const byCode = Object.fromEntries(p.data!.values.map((v) => [v.code, v]));
    for (const [name, code] of [
      ['pm25', 'a34004'],
      ['pm10', 'a34002'],
      ['so2', 'a21026'],
      ['no2', 'a21004'],
      ['co', 'a21005'],
      ['o3', 'a05024'],
    ] as const) {
      expect(byCode[code]).toMatchObject({ field: 'Rtd', quality: 'good', value: truth[name]?.last?.value });
    }
    expect(byCode.a34004?.value).toBe(35.123); // three decimals on the wire
  });

  it('without a 9014 the same packet (same QN) comes again', async () => {
    platform = new Platform();
    platform.ack = (_s, n) => n > 1; // the first packet is not acknowledged
    await platform.start();
    airLogger();
    await until(
      'the first QN twice',
      () => platform.got.filter((g) => g.segment.qn === platform.got[0]?.segment.qn).length >= 2,
    );
    expect(logger!.counts.resent).toBeGreaterThanOrEqual(1);
  });

  it('minute data (2051) when the logger clock crosses a minute, DataTime = the minute start', async () => {
    platform = new Platform();
    await platform.start();
    const minute = Date.UTC(2026, 11, 6, 5, 30, 0);
    const clock = new ManualClock(minute - 300);
    airLogger(clock);
    await until('a first real-time packet', () => platform.got.length >= 1);
    clock.set(minute + 60_000 + 100); // one whole minute later
    await until('minute data', () => platform.got.some((g) => g.segment.cn === '2051'));
    const m = platform.got.find((g) => g.segment.cn === '2051')!;
    expect(m.data?.dataTime).toBe('20261206133000'); // 05:30 UTC = 13:30 China Standard Time
    expect(m.data?.values.map((v) => [v.code, v.field, v.value]).sort()).toEqual([
      ['a34002', 'Avg', 60],
      ['a34004', 'Avg', 33.3],
    ]);
  });

  it('a link outage (drop fault) is followed by the history, oldest first, with its own DataTime', async () => {
    platform = new Platform();
    await platform.start();
    const device = airLogger();
    await until('first packet', () => platform.got.length >= 1);
    device.faults.add({ id: 'outage', kind: 'drop', for: 1_500 }, device.now());
    const cut = Date.now();
    await until(
      'reconnected with history',
      () =>
        logger!.counts.connects >= 2 &&
        logger!.counts.backlog === 0 &&
        platform.got.some((g) => g.at > cut + 1_500),
    );
    const after = platform.got.filter((g) => g.at > cut);
    const history = after.filter((g) => (g.data?.ts ?? 0) < cut + 1_000 && g.data !== undefined);
    expect(history.length).toBeGreaterThanOrEqual(2);
    const times = history.map((g) => g.segment.qn!);
    expect([...times].sort()).toEqual(times); // oldest first
  });

  it('faults on the wire: bad CRC refused by the platform; clock skew moves DataTime; a wrong password is carried as sent', async () => {
    platform = new Platform();
    await platform.start();
    const device = airLogger(systemClock, { pw: 'wrong!' });
    device.faults.add({ id: 'crc', kind: 'bad-crc', for: 500 }, device.now());
    await until('a refused packet', () => platform.refused.length >= 1);
    expect(platform.refused[0]).toMatch(/^CRC: computed /);
    device.faults.clear();
    device.faults.add({ id: 'skew', kind: 'clock-skew', ms: 3_600_000 }, device.now());
    const mark = platform.got.length;
    await until('a skewed packet', () =>
      platform.got.slice(mark).some((g) => (g.data?.ts ?? 0) > Date.now() + 3_000_000),
    );
    expect(platform.got.at(-1)?.segment.pw).toBe('wrong!');
  });
});
