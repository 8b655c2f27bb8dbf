import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../config/problem.js';
import { loadProfileFile, parseProfile } from './load-profile.js';

function head(protocol: string, extra = ''): string {
  return `id: test-device
version: 1.0.0
manufacturer: Test
model: T-1
description: test
source: { document: test sheet }
measurement: test
protocol: ${protocol}
${extra}points:
`;
}

const mb = (name: string, binding: string, more = '', type = 'float') =>
  `  - { name: ${name}, unit: V, type: ${type}${more}, modbus: { ${binding} } }\n`;

function problemsOf(text: string): string[] {
  return parseProfile(text, 't.yaml').problems.map((p) => `${p.path}: ${p.message}`);
}

describe('parseProfile', () => {
  it('returns the profile when there is no problem', () => {
    const r = parseProfile(head('modbus') + mb('a', 'table: input, address: 0, type: float32'), 't.yaml');
    expect(r.problems).toEqual([]);
    expect(r.profile?.points[0]?.name).toBe('a');
  });

  it('reports schema and cross-check problems together, sorted by line', () => {
    const text =
      head('modbus') +
      mb('a', 'table: input, address: 0, type: float33') +
      mb('b', 'table: input, address: 2, type: float32') +
      mb('c', 'table: input, address: 3, type: float32') +
      mb('b', 'table: input, address: 10, type: int16');
    const r = parseProfile(text, 'x.yaml');
    expect(r.profile).toBeUndefined();
    expect(r.problems.map(formatProblem)).toEqual([
      'x.yaml:10:80 points[0].modbus.type: expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bit, got "float33"',
      'x.yaml:12:71 points[2].modbus.address: input 3-4 overlaps points[1] b (input 2-3)',
      'x.yaml:13:13 points[3].name: duplicate point name b (also points[1])',
    ]);
  });

  const cases: [string, string, string][] = [
    [
      'string without length',
      head('modbus') + mb('s', 'table: holding, address: 0, type: string', '', 'string'),
      'points[0].modbus.length: type string needs length',
    ],
    [
      'length on a number',
      head('modbus') + mb('s', 'table: holding, address: 0, type: int16, length: 2'),
      'points[0].modbus.length: length applies only to type string',
    ],
    [
      'bit without bit',
      head('modbus') + mb('s', 'table: holding, address: 0, type: bit', '', 'boolean'),
      'points[0].modbus.bit: type bit needs bit',
    ],
    [
      'bit on a number',
      head('modbus') + mb('s', 'table: holding, address: 0, type: int16, bit: 3'),
      'points[0].modbus.bit: bit applies only to type bit',
    ],
    [
      'int16 in a coil',
      head('modbus') + mb('s', 'table: coil, address: 0, type: int16', '', 'boolean'),
      'points[0].modbus.type: a coil holds one bit: type must be bool',
    ],
    [
      'order on a coil',
      head('modbus') + mb('s', 'table: coil, address: 0, type: bool, order: CDAB', '', 'boolean'),
      'points[0].modbus.order: order has no meaning for a coil',
    ],
    [
      'writable input register',
      head('modbus') + mb('s', 'table: input, address: 0, type: int16', ', access: read-write'),
      'points[0].access: input registers are read-only',
    ],
    [
      'same bit twice',
      head('modbus') +
        mb('a', 'table: holding, address: 4, type: bit, bit: 1', '', 'boolean') +
        mb('b', 'table: holding, address: 4, type: bit, bit: 1', '', 'boolean'),
      'points[1].modbus.address: bit 1 of holding 4 is also used by points[0] a',
    ],
    [
      'bit inside a uint16',
      head('modbus') +
        mb('a', 'table: holding, address: 4, type: uint16') +
        mb('b', 'table: holding, address: 4, type: bit, bit: 1', '', 'boolean'),
      'points[1].modbus.address: holding 4-4 overlaps points[0] a (holding 4-4)',
    ],
    [
      'past 65535',
      head('modbus') + mb('a', 'table: holding, address: 65535, type: float32'),
      'points[0].modbus.address: 2 registers from 65535 run past address 65535',
    ],
    [
      'boolean from a float',
      head('modbus') + mb('a', 'table: holding, address: 0, type: float32', '', 'boolean'),
      'points[0].type: point type boolean does not fit modbus type float32: expected float (integer only with a scale)',
    ],
    [
      'integer from a float without scale',
      head('modbus') + mb('a', 'table: holding, address: 0, type: float32', '', 'integer'),
      'points[0].type: point type integer does not fit modbus type float32',
    ],
    [
      'fractional scale on an integer',
      head('modbus') + mb('a', 'table: holding, address: 0, type: int16', ', scale: 0.1', 'integer'),
      'points[0].scale: scale 0.1 makes fractions of an integer point: use type float',
    ],
    [
      'scale 0',
      head('modbus') + mb('a', 'table: holding, address: 0, type: int16', ', scale: 0'),
      'points[0].scale: scale must not be 0',
    ],
    [
      'scale on a boolean',
      head('modbus') + mb('a', 'table: coil, address: 0, type: bool', ', scale: 2', 'boolean'),
      'points[0].scale: scale applies only to integer and float points, not boolean',
    ],
    [
      'range min >= max',
      head('modbus') + mb('a', 'table: holding, address: 0, type: int16', ', range: { min: 5, max: 5 }'),
      'points[0].range: range.min (5) must be less than range.max (5)',
    ],
    [
      'enum on a float point',
      head('modbus') + mb('a', 'table: holding, address: 0, type: int16', ', enum: { "0": off }'),
      'points[0].type: a point with enum labels reads as its label: use type string, not float',
    ],
    [
      'enum on a float encoding',
      head('modbus') + mb('a', 'table: holding, address: 0, type: float32', ', enum: { "0": off }', 'string'),
      'points[0].enum: enum labels need an integer encoding, not modbus type float32',
    ],
    [
      'enum key not an integer',
      head('modbus') + mb('a', 'table: holding, address: 0, type: int16', ', enum: { "on": x }', 'string'),
      'points[0].enum.on: enum key on is not an integer raw value',
    ],
    [
      'forbidden from > to',
      head('modbus', 'modbus: { forbidden: [{ table: holding, from: 9, to: 3 }] }\n') +
        mb('a', 'table: holding, address: 0, type: int16'),
      'modbus.forbidden[0]: from (9) must not be greater than to (3)',
    ],
    [
      'point in a forbidden range',
      head('modbus', 'modbus: { forbidden: [{ table: holding, from: 1, to: 3 }] }\n') +
        mb('a', 'table: holding, address: 0, type: int32'),
      'points[0].modbus.address: holding 0-1 lies in forbidden range modbus.forbidden[0] (1-3)',
    ],
    [
      'point wider than a read',
      head('modbus', 'modbus: { maxRegistersPerRead: 2 }\n') +
        mb('a', 'table: holding, address: 0, type: float64'),
      'points[0].modbus.type: needs 4 registers in one read but modbus.maxRegistersPerRead is 2',
    ],
    [
      'binding against protocol',
      head('opcua') + mb('a', 'table: holding, address: 0, type: int16'),
      'points[0].modbus: modbus binding in a profile with protocol opcua',
    ],
    [
      'modbus section on opcua',
      head('opcua', 'modbus: { maxGap: 2 }\n') +
        '  - { name: a, unit: V, type: float, opcua: { nodeId: "ns=2;i=5" } }\n',
      'modbus: modbus settings do not apply to protocol opcua',
    ],
    [
      'serial without serial section',
      head('serial') +
        '  - { name: a, unit: V, type: float, serial: { select: { kind: column, index: 1 } } }\n',
      'serial: a serial profile needs a serial section',
    ],
    [
      'nsu against namespaceUri',
      head('opcua', 'opcua: { namespaceUri: "urn:a" }\n') +
        '  - { name: a, unit: V, type: float, opcua: { nodeId: "nsu=urn:b;s=X" } }\n',
      'points[0].opcua.nodeId: namespace urn:b differs from opcua.namespaceUri urn:a',
    ],
    [
      'same node twice',
      head('opcua') +
        '  - { name: a, unit: V, type: float, opcua: { nodeId: "ns=2;i=5" } }\n  - { name: b, unit: V, type: float, opcua: { nodeId: "ns=2;i=5" } }\n',
      'points[1].opcua.nodeId: node id also read by points[0]',
    ],
    [
      'OPC UA Boolean into float',
      head('opcua') +
        '  - { name: a, unit: V, type: float, opcua: { nodeId: "ns=2;i=5", dataType: Boolean } }\n',
      'points[0].type: point type float does not fit OPC UA data type Boolean: expected boolean',
    ],
    [
      'bad regex',
      head('serial', 'serial: { framing: { kind: line }, checksum: none }\n') +
        '  - { name: a, unit: V, type: float, serial: { select: { kind: regex, pattern: "T=(\\\\d+", group: 1 } } }\n',
      'points[0].serial.select.pattern: invalid regular expression',
    ],
    [
      'missing regex group',
      head('serial', 'serial: { framing: { kind: line }, checksum: none }\n') +
        '  - { name: a, unit: V, type: float, serial: { select: { kind: regex, pattern: "T=(\\\\d+)", group: 2 } } }\n',
      'points[0].serial.select.group: group 2 does not exist: the pattern has 1',
    ],
    [
      'missing named group',
      head('serial', 'serial: { framing: { kind: line }, checksum: none }\n') +
        '  - { name: a, unit: V, type: float, serial: { select: { kind: regex, pattern: "T=(?<t>\\\\d+)", group: temp } } }\n',
      'points[0].serial.select.group: the pattern has no group named temp',
    ],
    [
      'same column twice',
      head('serial', 'serial: { framing: { kind: line }, checksum: none }\n') +
        '  - { name: a, unit: V, type: float, serial: { select: { kind: column, index: 1 } } }\n  - { name: b, unit: V, type: float, serial: { select: { kind: column, index: 1 } } }\n',
      'points[1].serial.select: column 1 is also read by points[0]',
    ],
    [
      'latitude into a string',
      head('serial', 'serial: { framing: { kind: line }, checksum: nmea }\n') +
        '  - { name: a, unit: deg, type: string, serial: { select: { kind: nmea, sentence: GGA, field: 2, decode: latitude } } }\n',
      'points[0].type: point type string does not fit NMEA decode latitude: expected float',
    ],
  ];

  it.each(cases)('%s', (_name, text, expected) => {
    const problems = problemsOf(text);
    expect(
      problems.some((p) => p.startsWith(expected)),
      `${expected}\n  not in\n${problems.join('\n')}`,
    ).toBe(true);
  });

  it('accepts bit points on distinct bits of one register and a regex with its group', () => {
    const ok =
      head('modbus') +
      mb('a', 'table: holding, address: 4, type: bit, bit: 0', '', 'boolean') +
      mb('b', 'table: holding, address: 4, type: bit, bit: 15', '', 'boolean') +
      mb('c', 'table: holding, address: 5, type: string, length: 4', '', 'string') +
      mb('d', 'table: holding, address: 9, type: int16', ', enum: { "0": off, "1": on }', 'string');
    expect(problemsOf(ok)).toEqual([]);
    const serial =
      head('serial', 'serial: { framing: { kind: line }, checksum: none }\n') +
      '  - { name: a, unit: Cel, type: float, serial: { select: { kind: regex, pattern: "Ta=(?<t>-?[0-9.]+)C", group: t } } }\n';
    expect(problemsOf(serial)).toEqual([]);
  });

  it('says so for an empty file', () => {
    expect(parseProfile('', 'e.yaml').problems).toEqual([
      { file: 'e.yaml', path: '', message: 'empty file' },
    ]);
  });
});

describe('loadProfileFile', () => {
  it('reads YAML and JSON files and reports a missing file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gz-profile-'));
    try {
      const json = {
        id: 'json-device',
        version: '1.0.0',
        manufacturer: 'T',
        model: 'J',
        description: '',
        source: { document: 'sheet' },
        measurement: 'test',
        protocol: 'opcua',
        points: [{ name: 'a', unit: 'V', type: 'float', opcua: { nodeId: 'ns=2;s=A', dataType: 'Bool' } }],
      };
      writeFileSync(join(dir, 'j.json'), JSON.stringify(json, null, 2));
      const r = loadProfileFile(join(dir, 'j.json'));
      expect(r.problems.map(formatProblem)).toEqual([
        `${join(dir, 'j.json')}:19:21 points[0].opcua.dataType: expected one of Boolean, SByte, Byte, Int16, UInt16, Int32, UInt32, Int64, UInt64, Float, Double, String, got "Bool"`,
      ]);
      expect(loadProfileFile(join(dir, 'nope.yaml')).problems).toEqual([
        { file: join(dir, 'nope.yaml'), path: '', message: 'cannot read profile: no such file' },
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
