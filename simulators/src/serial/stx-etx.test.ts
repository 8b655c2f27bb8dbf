import { ProfileRegistry } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import { describe, expect, it } from 'vitest';
import { SimDevice } from '../device/sim-device.js';
import { serialFrames } from './frames.js';
import { stxEtxChecksum, stxEtxFrame } from './stx-etx.js';

const T0 = Date.UTC(2026, 5, 1, 8, 30, 15);
const noise = () => 0.37;

/** `<STX>body<ETX>HH\r\n` → [line, body, HH], or null when the shape is wrong */
function split(line: string): [string, string, string] | null {
  const etx = line.indexOf('\x03');
  if (!line.startsWith('\x02') || etx < 0 || !line.endsWith('\r\n')) return null;
  const body = line.slice(1, etx);
  const hh = line.slice(etx + 1, -2);
  if (body.includes('\x02') || !/^[0-9A-F]{2}$/.test(hh)) return null;
  return [line, body, hh];
}

describe('STX/ETX XOR checksum', () => {
  it('matches golden lines checked by hand', () => {
    // Gill WindSonic manual, Gill polar continuous format: <STX>Q,229,002.74,M,00,<ETX>16
    expect(stxEtxChecksum('Q,229,002.74,M,00,')).toBe('16');
    // MetSENS500 factory string; the manual prints the placeholder 36, the XOR is 0x51
    expect(stxEtxChecksum('Q,021,000.01,090,1015.3,041,+022.0,+008.5,+05.1,0004,')).toBe('51');
    expect(stxEtxFrame('Q,229,002.74,M,00,')).toBe('\x02Q,229,002.74,M,00,\x0316');
    expect(stxEtxFrame('Q,229,002.74,M,00,', true)).not.toBe('\x02Q,229,002.74,M,00,\x0316');
  });
});

describe('weather-ascii (MetSENS500) lines from the simulator', () => {
  const profile = ProfileRegistry.builtin().get('weather-ascii')!;
  const device = () =>
    new SimDevice({
      id: 'wx',
      profile,
      clock: new ManualClock(T0),
      signals: {
        pressure: { kind: 'constant', value: 1015.3 },
        temperature: { kind: 'constant', value: -4.5 },
        status: { kind: 'constant', value: 4 },
      },
    });

  it('frames each line as <STX>Q,…,<ETX>HH<CR><LF> with the XOR of the bytes between STX and ETX', () => {
    const d = device();
    const line = serialFrames(d).emit(T0, noise).toString('latin1');
    const m = split(line);
    expect(m, JSON.stringify(line)).not.toBeNull();
    const body = m![1]!;
    expect(m![2]).toBe(stxEtxChecksum(body));
    const cols = body.split(',');
    // node letter, nine values, and the empty column after the trailing comma
    expect(cols.length).toBe(11);
    expect(cols[0]).toBe('Q');
    expect(cols[10]).toBe('');
    expect(Number(cols[4])).toBe(1015.3);
    expect(Number(cols[6])).toBe(-4.5);
    expect(Number(cols[9])).toBe(4);
    expect(d.truth(T0).pressure!.served).toBe(1);
  });

  it('fault bad-checksum: the same framing with a checksum that does not match, not counted as served', () => {
    const d = device();
    d.faults.add({ id: 'c', kind: 'bad-checksum' }, T0);
    const line = serialFrames(d).emit(T0, noise).toString('latin1');
    const m = split(line);
    expect(m, JSON.stringify(line)).not.toBeNull();
    expect(m![2]).not.toBe(stxEtxChecksum(m![1]!));
    expect(d.truth(T0).pressure!.served).toBe(0);
  });
});
