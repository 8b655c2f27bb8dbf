/**
 * `ganzhi-agent probe dlt645 | cjt188 | hj212` as a field engineer runs it (the built CLI)
 * against the simulators: raw frames beside their decoding, the meter's address read by
 * broadcast, the values equal to the simulator's ground truth, HJ 212 packets with their CRC
 * status and the PW never shown.
 */
import { execFile } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { hj212 } from '@ganzhi/device-profiles';
import { startCjt188TcpBus, startDlt645TcpBus, startHj212Logger } from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../test-support/process.js';
import { simDevice } from './support/national.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = async (args: string[], env: Record<string, string> = {}) => {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, 'probe', ...args], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, ...env },
    });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
};

describe('probe dlt645', () => {
  const three = simDevice('m3', 'dlt645-three-phase-meter', 3);
  const other = simDevice('m1', 'dlt645-single-phase-meter', 4);
  let alone: Awaited<ReturnType<typeof startDlt645TcpBus>>;
  let shared: Awaited<ReturnType<typeof startDlt645TcpBus>>;
  beforeAll(async () => {
    alone = await startDlt645TcpBus({ port: 0, meters: [{ address: '000000000161', device: three }] });
    shared = await startDlt645TcpBus({
      port: 0,
      meters: [
        { address: '000000000161', device: simDevice('a', 'dlt645-single-phase-meter') },
        { address: '000000000162', device: other },
      ],
    });
  });
  afterAll(async () => {
    await alone?.close();
    await shared?.close();
  });

  it('reads the address of the one meter on the line by broadcast', async () => {
    const r = await run(['dlt645', `dlt645-tcp://127.0.0.1:${alone.port}`]);
    expect(r.out).toContain('TX FE FE FE FE 68 AA AA AA AA AA AA 68 13 00 DF 16');
    expect(r.out).toMatch(/^RX 68 61 01 00 00 00 00 68 93 06 94 34 33 33 33 33 [0-9A-F]{2} 16$/m);
    expect(r.out).toContain('address 000000000161   (config: dlt645: { address: "000000000161" })');
    expect(r.code).toBe(0);
  });

  it('says why read address fails when several meters answer at once', async () => {
    const r = await run(['dlt645', `dlt645-tcp://127.0.0.1:${shared.port}`, '--timeout', '300']);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/error: (the answer was damaged|no answer)/);
  });

  it('shows a data identifier’s request and reply bytes beside the decoded value', async () => {
    const r = await run([
      'dlt645',
      `dlt645-tcp://127.0.0.1:${alone.port}`,
      '--address',
      '000000000161',
      '--di',
      '02010100',
    ]);
    // hand-worked (DL/T 645-2007 §4): address 61 01 00 00 00 00, C 11, L 04, DI 00 01 01 02 + 33h,
    // CS = (68+61+01+68+11+04+33+34+34+35) mod 256 = 17
    expect(r.out).toContain('TX FE FE FE FE 68 61 01 00 00 00 00 68 11 04 33 34 34 35 17 16');
    const volts = three.truth().voltage_l1?.last?.value;
    expect(r.out).toContain(`   = ${volts} V   (BCD digits`);
    expect(r.code).toBe(0);
  });

  it('reads every point of a profile; an identifier the meter lacks is shown as its error word', async () => {
    const p = await run([
      'dlt645',
      `dlt645-tcp://127.0.0.1:${alone.port}`,
      '--address',
      '000000000161',
      '--profile',
      'dlt645-three-phase-meter',
    ]);
    expect(p.code, p.out).toBe(0);
    expect(p.out.match(/^ {3}= /gm)).toHaveLength(16);
    const missing = await run([
      'dlt645',
      `dlt645-tcp://127.0.0.1:${shared.port}`,
      '--address',
      '000000000162',
      '--di',
      '02010200',
    ]);
    expect(missing.out).toContain('ABNORMAL meter error 02: no requested data');
    expect(missing.code).toBe(1);
  });

  it('a meter that does not answer: one line saying what to check, exit 1', async () => {
    const r = await run([
      'dlt645',
      `dlt645-tcp://127.0.0.1:${alone.port}`,
      '--address',
      '999999999990',
      '--di',
      '02010100',
      '--timeout',
      '200',
    ]);
    expect(r.code).toBe(1);
    expect(r.out).toContain('error: meter 999999999990 did not answer: check the address');
  });

  it('refuses bad arguments before touching the line', async () => {
    expect((await run(['dlt645', 'dlt645-tcp://127.0.0.1:1', '--address', '123'])).out).toMatch(
      /--address: 12 digits/,
    );
    expect(
      (await run(['dlt645', 'dlt645-tcp://127.0.0.1:1', '--address', '000000000161', '--di', 'xyz'])).out,
    ).toMatch(/--di: 8 hex digits/);
  });
});

describe('probe cjt188', () => {
  it('reads the metering data and shows every item, the meter clock and the status', async () => {
    const heat = simDevice('h', 'cjt188-heat-meter', 3);
    const bus = await startCjt188TcpBus({ port: 0, meters: [{ address: '11110017312151', device: heat }] });
    try {
      const r = await run([
        'cjt188',
        `cjt188-tcp://127.0.0.1:${bus.port}`,
        '--address',
        '11110017312151',
        '--profile',
        'cjt188-heat-meter',
      ]);
      expect(r.code, r.out).toBe(0);
      expect(r.out).toMatch(/^TX FE FE 68 20 51 21 31 17 00 11 11 01 03 1F 90 01 [0-9A-F]{2} 16$/m);
      expect(r.out).toContain('meter 11110017312151, type 32 (heat meter (heat))');
      expect(r.out).toContain(
        `supply_temperature         ${heat.truth().supply_temperature?.last?.value} Cel`,
      );
      const low = heat.truth().battery_low?.last?.value === true;
      expect(r.out).toMatch(
        new RegExp(`status ST1 ST2 +0${low ? 4 : 0} 00: valve open, battery ${low ? 'LOW' : 'ok'}`),
      );
    } finally {
      await bus.close();
    }
  });
});

describe('probe hj212', () => {
  it('shows each packet with its CRC status, PW masked, authentication and values; acknowledges only with --ack', async () => {
    const port = await freePort();
    const probe = run(
      [
        'hj212',
        `hj212://127.0.0.1:${port}`,
        '--seconds',
        '20',
        '--frames',
        '3',
        '--ack',
        '--mn',
        'MN0001',
        '--password-env',
        'PROBE_PW',
        '--profile',
        'hj212-air-quality-station',
      ],
      { PROBE_PW: 'pw123456' },
    );
    // a damaged packet from another connection
    const bad = hj212.encodePacket(
      'QN=20250601120000000;ST=22;CN=2011;PW=pw123456;MN=MN0001;Flag=5;CP=&&DataTime=20250601120000;a34004-Rtd=1&&',
    );
    bad[bad.length - 3] = (bad[bad.length - 3] ?? 0) ^ 1;
    // first, as soon as the probe listens (a slow start must not let three good packets — the
    // logger's history upload comes in a burst — end the probe before the damaged one arrives)
    for (let sent = false; !sent; ) {
      sent = await new Promise<boolean>((resolve) => {
        const s = connect(port, '127.0.0.1', () => s.end(bad, () => resolve(true)));
        s.on('error', () => setTimeout(() => resolve(false), 50));
      });
    }
    const logger = startHj212Logger({
      device: simDevice('aq', 'hj212-air-quality-station', 2),
      port,
      mn: 'MN0001',
      pw: 'pw123456',
      intervalMs: 1000,
      reconnectMs: 100,
    });
    const r = await probe;
    await logger.stop();
    expect(r.out).toMatch(
      /^\[CRC ok [0-9A-F]{4}\] QN=\d{17};ST=22;CN=2011;PW=\*\*\*;MN=MN0001;Flag=5;CP=&&DataTime=/m,
    );
    expect(r.out).toMatch(/^\[CRC: computed [0-9A-F]{4}, packet has [0-9A-F]{4}\] ##/m);
    expect(r.out).toContain('   auth ok');
    expect(r.out).toMatch(/a34004-Rtd \(pm25\) +\d+(\.\d+)? {2}flag N {2}good/);
    expect(r.out).toMatch(/→ 9014 sent for QN \d{17}/);
    expect(r.out).not.toContain('pw123456');
    expect(logger.counts.acked).toBeGreaterThanOrEqual(1);
  });
});
