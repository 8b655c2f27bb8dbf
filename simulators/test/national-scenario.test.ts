/**
 * DL/T 645 and CJ/T 188 meter buses and HJ 212 data loggers in scenario files and the
 * ganzhi-sim CLI: addresses and MNs per device (counting up with `repeat`), one bus per
 * endpoint, a logger per device connecting out to the platform, and every mistake named.
 */
import { connect, createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { dlt645, hj212, toEngineering } from '@ganzhi/device-profiles';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort, type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { nthId, parseScenario } from '../src/scenario/load.js';
import { Simulation } from '../src/scenario/simulation.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const stops: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s();
});

/** One DL/T 645 request on a fresh connection; resolves with the decoded reply. */
function ask(port: number, req: Uint8Array): Promise<dlt645.Frame> {
  return new Promise((resolve, reject) => {
    const d = new dlt645.Dlt645Deframer();
    const s = connect(port, '127.0.0.1', () => s.write(req));
    s.on('error', reject);
    s.on('data', (c) => {
      for (const r of d.push(c)) {
        s.destroy();
        if (r.ok) resolve(r.frame);
        else reject(new Error(r.reason));
      }
    });
  });
}

describe('national protocols in scenario files', () => {
  it('counts addresses and MNs up with repeat', () => {
    expect(nthId('000000000161', 2)).toBe('000000000163');
    expect(nthId('000000000199', 1)).toBe('000000000200');
    expect(nthId('88888880000001', 10)).toBe('88888880000011');
    expect(nthId('AQ-STATION', 1)).toBe('AQ-STATION1');
  });

  it('runs a DL/T 645 bus of three meters, a CJ/T 188 bus and an HJ 212 logger', async () => {
    const platform = createServer();
    const packets: hj212.Segment[] = [];
    platform.on('connection', (s) => {
      const d = new hj212.Hj212Deframer();
      s.on('data', (c) => {
        for (const r of d.push(c)) {
          const seg = r.ok ? hj212.parseSegment(r.frame.segment) : undefined;
          if (seg?.ok) packets.push(seg.segment);
        }
      });
    });
    await new Promise<void>((r) => platform.listen(0, '127.0.0.1', () => r()));
    stops.push(() => new Promise((r) => platform.close(r)));
    const platformPort = (platform.address() as { port: number }).port;
    const { loaded, problems } = parseScenario(
      `devices:
  - { id: em, profile: dlt645-single-phase-meter, endpoint: { protocol: dlt645-tcp, port: 0 }, address: "000000000161", repeat: { count: 3 } }
  - { id: wm, profile: cjt188-water-meter, endpoint: { protocol: cjt188-tcp, port: 0 }, address: "78330011223344" }
  - { id: aq, profile: hj212-air-quality-station, endpoint: { protocol: hj212, port: ${platformPort} }, mn: "88888880000001", pw: "123456", intervalMs: 1000 }
`,
      'national.yaml',
    );
    expect(problems).toEqual([]);
    const sim = await Simulation.start({ loaded: loaded! });
    stops.push(() => sim.stop());
    expect(sim.describe('em-002')).toMatchObject({ protocol: 'dlt645-tcp', meterAddress: '000000000162' });
    expect(sim.describe('aq')).toMatchObject({ protocol: 'hj212', mn: '88888880000001' });
    const bus = sim.endpoints().find((e) => e.protocol === 'dlt645-tcp')!;
    expect(bus.devices).toEqual(['em-001', 'em-002', 'em-003']);
    const f = await ask(bus.port!, dlt645.readDataRequest('000000000163', '02010100'));
    const v = dlt645.parseReadReply(f, { address: '000000000163', dataId: '02010100' });
    const point = sim.devices.get('em-003')!.profile.points[1]!;
    expect(v.ok && toEngineering(point, v.value)).toBe(
      sim.devices.get('em-003')!.truth().voltage?.last?.value,
    );
    await waitFor('a logger packet', () => packets.length > 0 || undefined, 10_000);
    expect(packets[0]).toMatchObject({ mn: '88888880000001', pw: '123456', cn: '2011', st: '22' });
    expect(sim.loggers.get('aq')?.journal.length).toBeGreaterThan(0);
  });

  it('names every mistake', () => {
    const { problems } = parseScenario(
      `devices:
  - { id: a, profile: dlt645-single-phase-meter, endpoint: { protocol: dlt645-tcp, port: 15500 } }
  - { id: b, profile: dlt645-single-phase-meter, endpoint: { protocol: dlt645-tcp, port: 15500 }, address: "000000000001" }
  - { id: c, profile: dlt645-single-phase-meter, endpoint: { protocol: dlt645-tcp, port: 15500 }, address: "000000000001" }
  - { id: d, profile: cjt188-water-meter, endpoint: { protocol: cjt188-tcp, port: 15501 }, address: "000000000001" }
  - { id: e, profile: hj212-air-quality-station, endpoint: { protocol: hj212, port: 9100 }, mn: "X" }
  - { id: f, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 15502 }, address: "000000000001" }
  - { id: g, profile: eastron-sdm120, endpoint: { protocol: dlt645-tcp, port: 15503 }, address: "000000000009" }
`,
      'bad.yaml',
    );
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '2 devices[0]: a dlt645-tcp meter needs address (12 digits)',
      '4 devices[2].address: 000000000001 already used on dlt645-tcp:127.0.0.1:15500',
      '5 devices[3].address: cjt188-tcp addresses have 14 digits',
      '6 devices[4]: an hj212 logger needs mn and pw',
      '7 devices[5].address: address is for dlt645/cjt188 meters',
      '8 devices[6].endpoint.protocol: dlt645-tcp cannot serve eastron-sdm120, a modbus profile',
    ]);
  });
});

describe('ganzhi-sim dlt645 | hj212', () => {
  const running: Spawned[] = [];
  afterEach(async () => {
    await Promise.all(running.splice(0).map((s) => s.stop(3000)));
  });

  it('dlt645: one meter on a raw TCP port, answering at its address', async () => {
    const s = spawnLogged(
      process.execPath,
      [cli, 'dlt645', '--profile', 'dlt645-three-phase-meter', '--port', '0', '--address', '000000000161'],
      { dir: tempDir('ganzhi-sim-dlt-'), name: 'sim' },
    );
    running.push(s);
    await waitFor('ready', () => /^ready/m.test(s.log()) || undefined, 20_000);
    const port = Number(/listening dlt645-tcp 127\.0\.0\.1:(\d+)/.exec(s.log())![1]);
    const f = await ask(port, dlt645.readAddressRequest());
    expect(dlt645.parseAddressReply(f)).toEqual({ ok: true, address: '000000000161' });
  });

  it('hj212: a logger connecting out to the platform with its MN and PW', async () => {
    const port = await freePort();
    const got: string[] = [];
    const platform = createServer((sock) => {
      const d = new hj212.Hj212Deframer();
      sock.on('data', (c) => {
        for (const r of d.push(c)) if (r.ok) got.push(r.frame.segment);
      });
    });
    await new Promise<void>((r) => platform.listen(port, '127.0.0.1', () => r()));
    stops.push(() => new Promise((r) => platform.close(r)));
    const s = spawnLogged(
      process.execPath,
      [
        cli,
        'hj212',
        '--profile',
        'hj212-water-quality-station',
        '--port',
        String(port),
        '--mn',
        'W001',
        '--pw',
        'pw1',
        '--interval-ms',
        '1000',
      ],
      { dir: tempDir('ganzhi-sim-hj-'), name: 'sim' },
    );
    running.push(s);
    await waitFor('ready', () => /^ready/m.test(s.log()) || undefined, 20_000);
    expect(s.log()).toMatch(/connecting hj212 data loggers to 127\.0\.0\.1:\d+ hj212-water-quality-station/);
    await waitFor('a packet', () => got.length > 0 || undefined, 10_000);
    expect(got[0]).toMatch(/;ST=21;CN=2011;PW=pw1;MN=W001;Flag=5;CP=&&DataTime=\d{14};w01018-Rtd=/);
  });
});
