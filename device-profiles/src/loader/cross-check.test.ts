/** Cross-checks of the serial `checksum: xor-stx-etx` kind against framing, prefix and columns. */
import { describe, expect, it } from 'vitest';
import { ProfileRegistry } from '../profiles/registry.js';
import { parseProfile } from './load-profile.js';

function serialProfile(serial: string): string {
  return `id: test-station
version: 1.0.0
manufacturer: Test
model: T-1
description: test
source: { document: test sheet }
measurement: weather
protocol: serial
serial: ${serial}
points:
  - { name: wind_speed, unit: m/s, type: float, serial: { select: { kind: column, index: 2 } } }
`;
}

const problemsOf = (serial: string) =>
  parseProfile(serialProfile(serial), 't.yaml').problems.map((p) => `${p.path}: ${p.message}`);

describe('checksum xor-stx-etx', () => {
  it('is accepted with line framing and a prefix after STX', () => {
    expect(problemsOf('{ framing: { kind: line }, checksum: xor-stx-etx, prefix: "Q" }')).toEqual([]);
    expect(problemsOf('{ framing: { kind: delimiter, delimiter: "\\r" }, checksum: xor-stx-etx }')).toEqual(
      [],
    );
  });

  it('is an unknown kind nowhere: the schema lists it', () => {
    expect(problemsOf('{ framing: { kind: line }, checksum: xor-stx-etc }').join('\n')).toMatch(
      /serial\.checksum: expected one of none, nmea, sum8-hex, xor-stx-etx/,
    );
  });

  const cases: [string, string, string][] = [
    [
      'a prefix that still holds STX',
      '{ framing: { kind: line }, checksum: xor-stx-etx, prefix: "\\x02Q" }',
      'serial.prefix: with checksum xor-stx-etx the prefix is matched after STX: leave STX (\\x02) and ETX (\\x03) out, e.g. "Q"',
    ],
    [
      'fixed-length framing',
      '{ framing: { kind: fixed, length: 64 }, checksum: xor-stx-etx }',
      'serial.framing.kind: checksum xor-stx-etx needs line or delimiter framing: the two hex digits after ETX end the frame',
    ],
    [
      'frames cut at ETX',
      '{ framing: { kind: delimiter, delimiter: "\\x03" }, checksum: xor-stx-etx }',
      'serial.framing.delimiter: with checksum xor-stx-etx the frame delimiter must not contain STX (\\x02) or ETX (\\x03)',
    ],
    [
      'columns split at STX',
      '{ framing: { kind: line }, checksum: xor-stx-etx, columnDelimiter: "\\x02" }',
      'serial.columnDelimiter: with checksum xor-stx-etx the column delimiter must not contain STX (\\x02) or ETX (\\x03)',
    ],
  ];
  it.each(cases)('refuses %s', (_name, serial, problem) => {
    expect(problemsOf(serial)).toEqual([problem]);
  });

  it('does not constrain the other kinds (a sum8-hex device may well use an STX prefix)', () => {
    expect(problemsOf('{ framing: { kind: line }, checksum: sum8-hex, prefix: "\\x02Q" }')).toEqual([]);
  });

  it('the builtin weather-ascii profile (MetSENS500) uses it, with the node letter as prefix', () => {
    const p = ProfileRegistry.builtin().get('weather-ascii');
    expect(p?.serial).toMatchObject({ checksum: 'xor-stx-etx', prefix: 'Q', framing: { kind: 'line' } });
  });
});
