import { Type } from '@sinclair/typebox';
import { describe, expect, it } from 'vitest';
import { Point } from '../profile-schema.js';
import { formatPath, formatProblem } from './problem.js';
import { validateAgainst } from './validate.js';
import { parseYamlDocument } from './yaml-document.js';

function check(schema: Parameters<typeof validateAgainst>[0], text: string): string[] {
  const doc = parseYamlDocument(text, 'c.yaml');
  expect(doc.problems).toEqual([]);
  return validateAgainst(schema, doc.value, 'c.yaml', doc.locate).map(formatProblem);
}

const Points = Type.Object({ points: Type.Array(Point) }, { additionalProperties: false });

describe('validateAgainst', () => {
  it('names the allowed literals of a union and where the bad one is', () => {
    const out = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    modbus: { table: input, address: 0, type: float33 }\n',
    );
    expect(out).toEqual([
      'c.yaml:5:47 points[0].modbus.type: expected one of bool, int16, uint16, int32, uint32, int64, uint64, float32, float64, string, bit, got "float33"',
    ]);
  });

  it('picks the binding branch by its key, so nested errors stay precise', () => {
    const out = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    opcua: { nodeId: "x=1", samplingInterval: -1 }\n',
    );
    expect(out).toHaveLength(2);
    expect(out[0]).toMatch(/^c\.yaml:5:22 points\[0\]\.opcua\.nodeId: expected a string matching/);
    expect(out[1]).toBe('c.yaml:5:47 points[0].opcua.samplingInterval: expected a value >= 0, got -1');
  });

  it('reports a point with no binding or several bindings as one clear problem', () => {
    const none = check(Points, 'points:\n  - name: a\n    unit: V\n    type: float\n');
    expect(none).toEqual([
      'c.yaml:2:5 points[0]: needs exactly one of modbus, opcua, serial, dlt645, cjt188 or hj212',
    ]);
    const two = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    opcua: { nodeId: "ns=1;i=1" }\n    serial: { select: { kind: column, index: 1 } }\n',
    );
    expect(two).toEqual([
      'c.yaml:2:5 points[0]: has 2 of modbus, opcua, serial, dlt645, cjt188 or hj212; exactly one is allowed',
    ]);
  });

  it('picks a discriminated branch by its literal (serial selector kind)', () => {
    const bad = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    serial: { select: { kind: nmea, sentence: gga, field: 0 } }\n',
    );
    expect(bad).toHaveLength(2);
    expect(bad[0]).toMatch(
      /points\[0\]\.serial\.select\.sentence: expected a string matching \^\[A-Z\]\{3\}\$/,
    );
    expect(bad[1]).toMatch(/points\[0\]\.serial\.select\.field: expected a value >= 1, got 0$/);
    const kind = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    serial: { select: { kind: csv, index: 1 } }\n',
    );
    expect(kind).toEqual([
      'c.yaml:5:31 points[0].serial.select.kind: expected one of nmea, regex, column, got "csv"',
    ]);
  });

  it('points unknown properties at their key and lists what is allowed', () => {
    const out = check(
      Points,
      'points:\n  - name: a\n    unit: V\n    type: float\n    units: V\n    opcua: { nodeId: "ns=1;i=1" }\n',
    );
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^c\.yaml:5:5 points\[0\]\.units: unknown property units \(expected one of name, description, unit, /,
    );
  });

  it('reports a missing property once, at its parent', () => {
    const out = check(Points, 'points:\n  - name: a\n    type: float\n    opcua: { nodeId: "ns=1;i=1" }\n');
    expect(out).toEqual([
      'c.yaml:2:5 points[0].unit: missing required property unit (UCUM-style or SI symbol (V, A, kW, kW.h, Cel, %, ug/m3); "1" if dimensionless)',
    ]);
  });

  it('suggests quoting when a number is written where a string is expected', () => {
    const out = check(
      Points,
      'points:\n  - name: a\n    unit: 1\n    type: float\n    opcua: { nodeId: "ns=1;i=1" }\n',
    );
    expect(out).toEqual(['c.yaml:3:11 points[0].unit: expected a string, got 1 (quote it: "1")']);
  });

  it('reports a wrong top-level type', () => {
    expect(check(Points, '- 1\n')).toEqual(['c.yaml:1:1: expected a mapping, got a list']);
  });
});

describe('formatPath', () => {
  it('renders indices, identifiers and odd keys', () => {
    expect(formatPath(['devices', 3, 'points', 7, 'type'])).toBe('devices[3].points[7].type');
    expect(formatPath(['enum', '0'])).toBe('enum["0"]');
    expect(formatPath([])).toBe('');
  });
});
