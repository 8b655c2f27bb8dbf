/** The probe as a field engineer runs it: the built CLI against live servers. */
import { execFile } from 'node:child_process';
import { createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { nmeaChecksum, stxEtxChecksum } from '../src/drivers/serial/frame-parser.js';
import { fixtures } from './helpers.js';
import { startTestServer, type TestServer } from './support/tcp-server.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const run = async (...args: string[]) => {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, 'probe', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: 0, out: r.stdout };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, out: `${e.stdout ?? ''}${e.stderr ?? ''}` };
  }
};

describe('ganzhi-agent probe modbus', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('prints raw registers with every plausible decoding beside them', async () => {
    const r = await run(
      'modbus',
      `tcp://127.0.0.1:${server.port}`,
      '--unit',
      '1',
      '--table',
      'input',
      '--range',
      '0:4',
    );
    expect(r.code, r.out).toBe(0);
    expect(r.out).toMatch(/^\s+0\s+0x4366\s+17254\s+17254\s+\| ABCD 230\.5 \//m);
    expect(r.out).toMatch(/CDAB 5\.25 \//); // address 2, words swapped
  });

  it('--profile decodes the points and flags the implausible ones', async () => {
    server.input.set(0, 0x4580).set(1, 0x0000); // voltage 4096 V: outside its 0..500 range
    try {
      const r = await run(
        'modbus',
        `tcp://127.0.0.1:${server.port}`,
        '--profile',
        'test-meter',
        '--profile-dir',
        `${fixtures}profiles`,
      );
      expect(r.code, r.out).toBe(1);
      expect(r.out).toMatch(/^voltage .* 4580 0000\s+4096 V\s+IMPLAUSIBLE out of range \[0\.\.500\]$/m);
      expect(r.out).toMatch(/^energy .* 0001 e240\s+1234\.56 kW\.h\s*$/m);
      expect(r.out).toContain('4 plausible, 1 flagged');
    } finally {
      server.input.set(0, 0x4366).set(1, 0x8000);
    }
  });

  it('says what to check when nothing accepts the connection (ECONNREFUSED)', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', () => r()));
    const port = (closed.address() as { port: number }).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const r = await run('modbus', `tcp://127.0.0.1:${port}`, '--unit', '1', '--timeout', '500');
    expect(r.code).toBe(1);
    expect(r.out).toContain(
      `error: connection: ECONNREFUSED — nothing accepts connections at 127.0.0.1:${port}: is the device (or its serial server) switched on`,
    );
    expect(r.out).toMatch(/is the port right \(Modbus TCP 502, .*firewall/);
  });

  it('names the profiles it knows when --profile is not one of them', async () => {
    const r = await run('modbus', `tcp://127.0.0.1:${server.port}`, '--profile', 'eastron-sdm360');
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(
      /unknown profile "eastron-sdm360" \(known: [a-z0-9-, ]*eastron-sdm120, eastron-sdm630, /,
    );
    expect(r.out).toContain('your own with --profile-dir DIR');
  });

  it('names the fault when the device answers with an exception', async () => {
    const r = await run(
      'modbus',
      `tcp://127.0.0.1:${server.port}`,
      '--table',
      'holding',
      '--range',
      '200:202',
    );
    expect(r.code).toBe(1);
    expect(r.out).toContain('error: modbus exception 02 (illegal data address)');
  });
});

describe('ganzhi-agent probe serial', () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    const body = 'GPGGA,123519,3954.4440,N,11623.4680,E,1,09,0.9,44.0,M,-8.0,M,,';
    server = createServer((s) => {
      s.on('error', () => undefined);
      s.write(`$${body}*${nmeaChecksum(body)}\r\n`);
      s.write(`$${body}*00\r\n`);
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('prints framed sentences with their checksum status and decoded points', async () => {
    const r = await run(
      'serial',
      `serial-tcp://127.0.0.1:${port}`,
      '--profile',
      'gps-nmea',
      '--seconds',
      '3',
    );
    expect(r.out).toMatch(/^\[ {2}ok {2}\] \$GPGGA/m);
    expect(r.out).toMatch(/^\[ checksum\] \$GPGGA/m);
    expect(r.out).toMatch(/altitude = 44 m/);
    expect(r.out).toContain('2 frames, 1 failed checks');
  });
});

describe('ganzhi-agent probe serial, STX/ETX weather lines', () => {
  let server: Server;
  let port: number;
  const body = 'Q,021,000.01,090,1015.3,041,+022.0,+008.5,+05.1,0004,';
  beforeAll(async () => {
    server = createServer((s) => {
      s.on('error', () => undefined);
      s.write(`\x02${body}\x03${stxEtxChecksum(body)}\r\n`);
      s.write(`\x02${body.replace('1015.3', '1016.3')}\x03${stxEtxChecksum(body)}\r\n`); // altered in transit
      s.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    port = (server.address() as { port: number }).port;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  it('checks the XOR checksum with the weather-ascii profile and shows the values of good lines only', async () => {
    const r = await run(
      'serial',
      `serial-tcp://127.0.0.1:${port}`,
      '--profile',
      'weather-ascii',
      '--seconds',
      '3',
    );
    expect(r.out).toMatch(/^\[ {2}ok {2}\] \\x02Q,021/m);
    expect(r.out).toMatch(/^\[ checksum\] \\x02Q,021,000\.01,090,1016\.3/m);
    expect(r.out).toMatch(/pressure = 1015\.3 hPa/);
    expect(r.out).not.toMatch(/pressure = 1016\.3/);
    expect(r.out).toContain('2 frames, 1 failed checks');
  });

  it('recognises STX/ETX lines without a profile', async () => {
    const r = await run('serial', `serial-tcp://127.0.0.1:${port}`, '--seconds', '3');
    expect(r.out).toContain('2 frames, 1 failed checks');
  });
});
