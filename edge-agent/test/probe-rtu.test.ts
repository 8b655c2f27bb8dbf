/**
 * `ganzhi-agent probe modbus rtu://…` as a field engineer runs it: the built CLI, spawned,
 * against the simulator's Modbus RTU front-end on one end of a socat pty pair. The
 * simulated meter's clock stands still, so its ground truth is exactly what must print.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import {
  encodeModbusValue,
  ManualClock,
  type SerialEndpoint,
  SimDevice,
  startModbusRtuSerialServer,
} from '@ganzhi/simulators';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type PtyPair, ptyPair, socatPeer } from '../../test-support/socat.js';
import { formatFloat } from '../src/probe/decodings.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const socat = socatPeer();
const profile = ProfileRegistry.builtin().get('eastron-sdm120')!;
const T0 = Date.parse('2026-05-01T08:00:00Z');

/** Runs the CLI without blocking this process (the simulator answers from here). */
async function probe(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  try {
    const r = await promisify(execFile)(process.execPath, [cli, 'probe', 'modbus', ...args], {
      encoding: 'utf8',
      timeout: 20_000,
    });
    return { code: 0, out: r.stdout, err: r.stderr };
  } catch (e) {
    const x = e as { code?: number; stdout?: string; stderr?: string };
    return { code: typeof x.code === 'number' ? x.code : -1, out: x.stdout ?? '', err: x.stderr ?? '' };
  }
}

describe.skipIf(!socat.ok)('ganzhi-agent probe modbus rtu:// on a pty pair', () => {
  let pty: PtyPair;
  let sim: SerialEndpoint;
  const meter = new SimDevice({ id: 'meter-3', profile, unitId: 3, clock: new ManualClock(T0) });
  const truth = meter.truth(T0);

  beforeAll(async () => {
    pty = await ptyPair();
    sim = await startModbusRtuSerialServer({ path: pty.b, baudRate: 9600, units: new Map([[3, meter]]) });
  });
  afterAll(async () => {
    await sim?.close();
    await pty?.close();
  });

  it('--profile prints every point with the value the meter holds, and exits 0', async () => {
    const r = await probe(`rtu://${pty.a}?baud=9600&parity=N`, '--unit', '3', '--profile', profile.id);
    expect(r.code, r.out + r.err).toBe(0);
    expect(r.out).toContain(`unit 3 profile eastron-sdm120 ${profile.version}`);
    for (const p of profile.points) {
      const v = truth[p.name]!.value as number;
      // name, table, address, type, raw words, value with unit — no flag
      const row = new RegExp(
        `^${p.name} +\\w+ +\\d+ +\\w+ +[0-9a-f ]+ +${formatFloat(v).replace(/[.+-]/g, '\\$&')} ${p.unit.replace(/[.^$]/g, '\\$&')}$`,
        'm',
      );
      expect(r.out, p.name).toMatch(row);
    }
    expect(r.out).toContain(`${profile.points.length} plausible, 0 flagged`);
  });

  it('a register range shows the raw words the meter sends with the right decoding beside them', async () => {
    const r = await probe(`rtu://${pty.a}`, '--unit', '3', '--table', 'input', '--range', '0:2');
    expect(r.code, r.out + r.err).toBe(0);
    const voltage = profile.points.find((p) => p.name === 'voltage')!;
    const { words, value } = encodeModbusValue(voltage as never, truth.voltage!.value, 'ABCD');
    const hex = `0x${words[0]!.toString(16).padStart(4, '0')}`;
    expect(r.out).toMatch(
      new RegExp(`^\\s+0\\s+${hex}\\s+${words[0]}\\s.*\\| ABCD ${formatFloat(value as number)} /`, 'm'),
    );
  });

  it('a wrong unit id gets no answer: exit 1 and a message that says what to check', async () => {
    const range = await probe(
      `rtu://${pty.a}`,
      '--unit',
      '7',
      '--table',
      'input',
      '--range',
      '0:2',
      '--timeout',
      '300',
    );
    expect(range.code).toBe(1);
    expect(range.out).toMatch(/^error: no answer from unit 7 within 300 ms/m);
    expect(range.out).toMatch(/unit id/);
    const prof = await probe(`rtu://${pty.a}`, '--unit', '7', '--profile', profile.id, '--timeout', '300');
    expect(prof.code).toBe(1);
    expect(prof.out).toMatch(/^error: no answer from unit 7 within 300 ms/m);
    expect(prof.out).toContain(`0 plausible, ${profile.points.length} flagged`);
  });

  it('a serial port that does not exist: exit 1 naming the port', async () => {
    const r = await probe('rtu:///dev/ttyGANZHI-missing?baud=9600', '--unit', '3', '--timeout', '300');
    expect(r.code).toBe(1);
    expect(r.out + r.err).toContain('/dev/ttyGANZHI-missing');
  });

  it('a unit id that cannot exist is refused before the line is touched', async () => {
    const r = await probe(`rtu://${pty.a}`, '--unit', '300');
    expect(r.code).toBe(1);
    expect(r.err).toContain('--unit: a Modbus unit id 0..255');
  });
});
