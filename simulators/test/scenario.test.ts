import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { loadScenarioFile, parseScenario } from '../src/scenario/load.js';
import { scenarioJsonSchema } from '../src/scenario/schema.js';
import { gpsProfile, meterProfile } from './fixtures/profiles.js';

const registry = ProfileRegistry.of([meterProfile, gpsProfile]);

describe('scenario files', () => {
  it('a bad scenario names the offending path and line, all problems at once', () => {
    const text = [
      'devices:', // 1
      '  - id: a', // 2
      '    profile: test-meter', // 3
      '    endpoint: { protocol: modbus-tcp, port: 70000 }', // 4
      '  - id: b', // 5
      '    profile: test-meter', // 6
      '    endpoint: { protocol: modbus-tcp, port: 502 }', // 7
      '    signals:', // 8
      '      voltage: { kind: sine, min: 1, max: 2 }', // 9
      '    faults: [{ kind: timeout, at: "yesterday" }]', // 10
    ].join('\n');
    const { loaded, problems } = parseScenario(text, 'bad.yaml', { registry });
    expect(loaded).toBeUndefined();
    const where = problems.map((p) => `${p.line} ${p.path}`);
    expect(where).toContain('4 devices[0].endpoint.port');
    expect(where.some((w) => w.startsWith('9 devices[1].signals.voltage'))).toBe(true);
    expect(where).toContain('10 devices[1].faults[0].at');
  });

  it('semantic checks: unknown profile, point, protocol mismatch, duplicate unit', () => {
    const text = `
devices:
  - id: a
    profile: nope
    endpoint: { protocol: modbus-tcp, port: 1502 }
  - id: b
    profile: test-gps
    endpoint: { protocol: modbus-tcp, port: 1502 }
  - id: c
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 1502 }
    signals: { nothing: { kind: constant, value: 1 } }
  - id: d
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 1502 }
`;
    const { problems } = parseScenario(text, 's.yaml', { registry });
    const msgs = problems.map((p) => `${p.line} ${p.path}: ${p.message}`);
    expect(msgs).toEqual([
      expect.stringMatching(/^4 devices\[0\]\.profile: unknown profile nope/),
      expect.stringMatching(/^8 devices\[1\]\.endpoint\.protocol: modbus-tcp cannot serve test-gps/),
      expect.stringMatching(/^12 devices\[2\]\.signals\.nothing: test-meter has no point "nothing"/),
      expect.stringMatching(/^13 devices\[3\]\.id|devices\[3\]\.unit: unit id 1 already used/),
    ]);
  });

  it("a device's relations are checked with the profile's: unknown names, bad params, syntax, by path and line", () => {
    const text = `
devices:
  - id: a
    profile: eastron-sdm630
    endpoint: { protocol: modbus-tcp, port: 1502 }
    relations:
      params: { voltage_l1: 3 }
      derived:
        voltage_avg: avg(voltage_l1, voltag_l2)
        power_total: "power_l1 +"
      checks: [self > 0]
`;
    const { loaded, problems } = parseScenario(text, 'r.yaml', { registry: ProfileRegistry.builtin() });
    expect(loaded).toBeUndefined();
    expect(problems.map((p) => `${p.line} ${p.path}: ${p.message}`)).toEqual([
      '7 devices[0].relations.params.voltage_l1: param "voltage_l1" has the name of a point: rename it',
      '9 devices[0].relations.derived.voltage_avg: unknown name "voltag_l2" (did you mean "voltage_l2"?): not a point of the profile, a param, self, initial or pi',
      '10 devices[0].relations.derived.power_total: expected a value, found end of expression (column 11) in "power_l1 +"',
      '11 devices[0].relations.checks[0]: "self" belongs to a relation, not a check',
    ]);
  });

  it('repeat spreads copies over ports and unit ids', () => {
    const text = `
seed: 9
devices:
  - id: m
    profile: test-meter
    endpoint: { protocol: modbus-tcp, port: 15000 }
    unit: 10
    repeat: { count: 250, perEndpoint: 100 }
`;
    const { loaded, problems } = parseScenario(text, 's.yaml', { registry });
    expect(problems).toEqual([]);
    const d = loaded!.devices;
    expect(d).toHaveLength(250);
    expect([d[0]!.id, d[0]!.unit, d[0]!.endpointKey]).toEqual(['m-001', 10, 'modbus-tcp:127.0.0.1:15000']);
    expect([d[249]!.id, d[249]!.unit, d[249]!.endpointKey]).toEqual([
      'm-250',
      59,
      'modbus-tcp:127.0.0.1:15002',
    ]);
    expect(new Set(d.map((x) => x.seed)).size).toBe(250);
  });

  it('the demo city loads with the builtin profiles: two districts, every protocol, fixed ports', () => {
    const file = fileURLToPath(new URL('../scenarios/demo-city.yaml', import.meta.url));
    const s = loadScenarioFile(file);
    expect(new Set(s.devices.map((d) => d.district))).toEqual(new Set(['dongcheng', 'xicheng']));
    expect(new Set(s.devices.map((d) => d.endpoint.protocol))).toEqual(
      new Set(['modbus-tcp', 'modbus-rtu-tcp', 'serial-tcp', 'opcua', 'dlt645-tcp', 'cjt188-tcp', 'hj212']),
    );
    for (const d of s.devices) expect('port' in d.endpoint && d.endpoint.port).toBeGreaterThan(1024);
    expect(s.scenario.control?.port).toBe(17000);
  });

  it('schema/scenario.schema.json is current (regenerate: ganzhi-sim schema > simulators/schema/scenario.schema.json)', () => {
    const file = fileURLToPath(new URL('../schema/scenario.schema.json', import.meta.url));
    expect(readFileSync(file, 'utf8')).toBe(scenarioJsonSchema());
  });
});
