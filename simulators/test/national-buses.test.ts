/**
 * DL/T 645 and CJ/T 188 meter buses (real TCP sockets; DL/T 645 also on a socat pty pair)
 * read with the shared codecs: every value decoded equals the simulator's ground truth
 * (`truth().points[x].last`), faults are refused by the deframer with their reason, and a
 * silent meter does not hold up the next one on the same line.
 */
import { connect, type Socket } from 'node:net';
import { cjt188, dlt645, type Profile, ProfileRegistry, toEngineering } from '@ganzhi/device-profiles';
import { systemClock } from '@ganzhi/runtime';
import { SerialPort } from 'serialport';
import { afterAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { startCjt188TcpBus } from '../src/cjt188/meter-bus.js';
import { SimDevice } from '../src/device/sim-device.js';
import { startDlt645SerialBus, startDlt645TcpBus } from '../src/dlt645/meter-bus.js';

const profiles = ProfileRegistry.builtin();
const profile = (id: string): Profile => profiles.require(id);
const device = (id: string, p: string, seed = 1) =>
  new SimDevice({ id, profile: profile(p), clock: systemClock, seed });

/** A master on one connection: writes a request, resolves with the next deframed result. */
class Master {
  private readonly waiting: ((r: { ok: boolean; frame?: unknown; reason?: string }) => void)[] = [];
  constructor(
    private readonly write: (b: Uint8Array) => void,
    private readonly deframer: { push(c: Uint8Array): { ok: boolean; frame?: unknown; reason?: string }[] },
  ) {}
  data(chunk: Uint8Array): void {
    for (const r of this.deframer.push(chunk)) this.waiting.shift()?.(r);
  }
  ask<F>(req: Uint8Array): Promise<{ ok: true; frame: F } | { ok: false; reason: string }> {
    return new Promise((resolve) => {
      this.waiting.push(resolve as never);
      this.write(req);
    });
  }
}

function tcpMaster(
  port: number,
  deframer: ConstructorParameters<typeof Master>[1],
): Promise<{ m: Master; sock: Socket }> {
  return new Promise((resolve) => {
    const sock = connect(port, '127.0.0.1', () => resolve({ m, sock }));
    const m = new Master((b) => sock.write(b), deframer);
    sock.on('data', (c) => m.data(c));
  });
}

const value = (d: SimDevice, point: string) => d.truth()[point];

describe('DL/T 645 meter bus over raw TCP', () => {
  const three = device('m3p', 'dlt645-three-phase-meter', 3);
  const single1 = device('m1a', 'dlt645-single-phase-meter', 4);
  const single2 = device('m1b', 'dlt645-single-phase-meter', 5);
  const meters = [
    { address: '000000000161', device: three },
    { address: '201700000001', device: single1 },
    { address: '201700000002', device: single2 },
  ];
  let bus: Awaited<ReturnType<typeof startDlt645TcpBus>>;
  let master: Master;
  let sock: Socket;
  afterAll(async () => {
    sock?.destroy();
    await bus?.close();
  });

  it('every point of every meter reads back as the ground truth', async () => {
    bus = await startDlt645TcpBus({ port: 0, meters });
    ({ m: master, sock } = await tcpMaster(bus.port!, new dlt645.Dlt645Deframer()));
    let checked = 0;
    for (const { address, device: d } of meters) {
      for (const p of d.profile.points) {
        if (!('dlt645' in p)) continue;
        const r = await master.ask<dlt645.Frame>(dlt645.readDataRequest(address, p.dlt645.dataId));
        expect(r.ok, `${address} ${p.name}`).toBe(true);
        if (!r.ok) continue;
        const v = dlt645.parseReadReply(r.frame, { address, dataId: p.dlt645.dataId });
        expect(v.ok, JSON.stringify(v)).toBe(true);
        if (!v.ok) continue;
        const want = value(d, p.name)?.last?.value;
        expect(toEngineering(p, v.value), `${address} ${p.name}`).toBe(want);
        checked++;
      }
    }
    expect(checked).toBe(16 + 5 + 5);
  });

  it('an identifier the meter does not have gets an abnormal reply (02: no requested data)', async () => {
    const r = await master.ask<dlt645.Frame>(dlt645.readDataRequest('201700000001', '02010200'));
    expect(r.ok && dlt645.parseReadReply(r.frame, { dataId: '02010200' })).toMatchObject({
      ok: false,
      error: 'abnormal',
      errorWord: 2,
    });
  });

  it('faults: bad checksum and garbled replies are refused with their reason; a silent meter does not stall the next', async () => {
    single1.faults.add({ id: 'crc', kind: 'bad-crc' });
    const crc = await master.ask<dlt645.Frame>(dlt645.readDataRequest('201700000001', '02010100'));
    expect(crc).toMatchObject({ ok: false, reason: expect.stringMatching(/^checksum: /) });
    single1.faults.clear();
    single1.faults.add({ id: 'g', kind: 'garbled' });
    const g = await master.ask<dlt645.Frame>(dlt645.readDataRequest('201700000001', '02010100'));
    expect(g.ok).toBe(false);
    single1.faults.clear();
    const servedBefore = single2.truth().voltage?.served ?? 0;
    single2.faults.add({ id: 'dead', kind: 'timeout' });
    // the dead meter stays silent; the request after it is answered by its neighbour
    sock.write(dlt645.readDataRequest('201700000002', '02010100'));
    const r = await master.ask<dlt645.Frame>(dlt645.readDataRequest('201700000001', '02010100'));
    expect(r.ok && r.frame.address).toBe('201700000001');
    expect(bus.stats().silent).toBe(1);
    expect(single2.truth().voltage?.served).toBe(servedBefore);
    single2.faults.clear();
  });

  it('broadcast time sync reaches every meter and gets no answer', async () => {
    const t = { year: 2026, month: 12, day: 6, hour: 13, minute: 5, second: 9 };
    sock.write(dlt645.broadcastTimeSync(t));
    const r = await master.ask<dlt645.Frame>(dlt645.readDataRequest('000000000161', '02800002'));
    expect(r.ok).toBe(true); // the first frame back is this answer: the sync was not answered
    expect([...bus.timeSyncs().values()]).toEqual([t, t, t]);
  });
});

describe('DL/T 645 read address on a one-meter bus', () => {
  it('answers 93 with its address; on a shared bus the answers collide', async () => {
    const alone = await startDlt645TcpBus({
      port: 0,
      meters: [{ address: '000000193600', device: device('x', 'dlt645-single-phase-meter') }],
    });
    const { m, sock } = await tcpMaster(alone.port!, new dlt645.Dlt645Deframer());
    try {
      const r = await m.ask<dlt645.Frame>(dlt645.readAddressRequest({ preamble: 1 }));
      expect(r.ok && dlt645.parseAddressReply(r.frame)).toEqual({ ok: true, address: '000000193600' });
    } finally {
      sock.destroy();
      await alone.close();
    }
  });
});

describe.skipIf(!socatPeer().ok)('DL/T 645 meter bus on a serial line (socat pty)', () => {
  let pty: PtyPair;
  afterAll(async () => pty?.close());
  it('reads the three-phase meter through the pty; values equal the truth', async () => {
    pty = await ptyPair();
    const d = device('pty-meter', 'dlt645-three-phase-meter', 9);
    const bus = await startDlt645SerialBus({ path: pty.a, meters: [{ address: '123456789012', device: d }] });
    const port = new SerialPort({ path: pty.b, baudRate: 2400 });
    await new Promise((r) => port.once('open', r));
    const m = new Master((b) => port.write(b), new dlt645.Dlt645Deframer());
    port.on('data', (c: Buffer) => m.data(c));
    try {
      for (const di of ['00000000', '02010100', '02020100', '02030000']) {
        const r = await m.ask<dlt645.Frame>(dlt645.readDataRequest('123456789012', di));
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const v = dlt645.parseReadReply(r.frame, { address: '123456789012', dataId: di });
        const point = d.profile.points.find((p) => 'dlt645' in p && p.dlt645.dataId === di)!;
        expect(v.ok && v.value).toBe(d.truth()[point.name]?.last?.value);
      }
    } finally {
      await new Promise((r) => port.close(r));
      await bus.close();
    }
  });
});

describe('CJ/T 188 meter bus over raw TCP', () => {
  it('a water and a heat meter: every item equals the ground truth in the point unit', async () => {
    const water = device('w1', 'cjt188-water-meter', 2);
    const heat = device('h1', 'cjt188-heat-meter', 3);
    const bus = await startCjt188TcpBus({
      port: 0,
      meters: [
        { address: '78330011223344', device: water },
        { address: '11110017312151', device: heat },
      ],
    });
    const { m, sock } = await tcpMaster(bus.port!, new cjt188.Cjt188Deframer());
    try {
      for (const [type, address, d] of [
        [0x10, '78330011223344', water],
        [0x20, '11110017312151', heat],
      ] as const) {
        const r = await m.ask<cjt188.Frame>(cjt188.readDataRequest(type, address, 7));
        expect(r.ok).toBe(true);
        if (!r.ok) continue;
        const rep = cjt188.parseReadDataReply(r.frame);
        expect(rep.ok, JSON.stringify(rep)).toBe(true);
        if (!rep.ok) continue;
        expect(rep.value.ser).toBe(7);
        const t = d.truth();
        for (const p of d.profile.points) {
          if (!('cjt188' in p)) continue;
          const f = p.cjt188.field;
          const got =
            f === 'valve'
              ? rep.value.status.valve
              : f === 'battery-low'
                ? rep.value.status.batteryLow
                : (() => {
                    const key = f.replace(/-(\w)/g, (_, c: string) =>
                      c.toUpperCase(),
                    ) as keyof cjt188.ReadDataReply;
                    const item = rep.value[key];
                    return typeof item === 'number'
                      ? item
                      : cjt188.convertQuantity(item as cjt188.Quantity, p.unit);
                  })();
          expect(got, `${d.id} ${p.name}`).toBe(t[p.name]?.last?.value);
        }
      }
      water.faults.add({ kind: 'bad-crc' });
      const bad = await m.ask<cjt188.Frame>(cjt188.readDataRequest(0x10, '78330011223344'));
      expect(bad).toMatchObject({ ok: false, reason: expect.stringMatching(/^checksum: /) });
    } finally {
      sock.destroy();
      await bus.close();
    }
  });
});
