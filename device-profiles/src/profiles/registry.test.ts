import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ProfileError } from '../loader/profile-error.js';
import { builtinProfilesDir } from './builtin-dir.js';
import { listProfileFiles, ProfileRegistry } from './registry.js';

const BUILTIN_IDS = [
  'air-quality-rs485',
  'eastron-sdm120',
  'eastron-sdm630',
  'flow-meter',
  'gps-nmea',
  'pump-station-opcua',
  'streetlight-controller',
  'weather-ascii',
];

const profile = (id: string, unit = 'V') => `id: ${id}
version: 1.0.0
manufacturer: T
model: M
description: ''
source: { document: sheet }
measurement: test
protocol: opcua
points:
  - { name: a, unit: ${unit}, type: float, opcua: { nodeId: "ns=2;s=A" } }
`;

describe('builtin profiles', () => {
  it('resolves the package profiles directory', () => {
    expect(existsSync(join(builtinProfilesDir, 'eastron-sdm630.yaml'))).toBe(true);
  });

  it('loads every builtin profile without a problem, with the ids other components rely on', () => {
    const { registry, problems } = ProfileRegistry.load([builtinProfilesDir]);
    expect(problems).toEqual([]);
    expect(registry.ids()).toEqual(expect.arrayContaining(BUILTIN_IDS));
    expect(ProfileRegistry.builtin().ids()).toEqual(registry.ids());
  });

  it('covers the six protocols and cites a source in each profile', () => {
    const list = ProfileRegistry.builtin().list();
    expect(new Set(list.map((p) => p.protocol))).toEqual(
      new Set(['modbus', 'opcua', 'serial', 'dlt645', 'cjt188', 'hj212']),
    );
    for (const p of list) expect(p.source.document.length).toBeGreaterThan(10);
  });

  it('points editors at the JSON Schema on the first line of every profile file', () => {
    for (const file of listProfileFiles(builtinProfilesDir)) {
      const first = readFileSync(file, 'utf8').split('\n')[0];
      expect(first, file).toBe('# yaml-language-server: $schema=../schema/profile.schema.json');
    }
  });

  it('hands out frozen profiles, so one consumer cannot change another one’s', () => {
    const p = ProfileRegistry.builtin().require('eastron-sdm630');
    expect(Object.isFrozen(p)).toBe(true);
    expect(Object.isFrozen(p.points[0])).toBe(true);
  });
});

describe('ProfileRegistry', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'gz-registry-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('lets a later directory replace a profile of an earlier one', () => {
    mkdirSync(join(dir, 'a'));
    mkdirSync(join(dir, 'b'));
    writeFileSync(join(dir, 'a', 'dev-x.yaml'), profile('dev-x', 'V'));
    writeFileSync(join(dir, 'b', 'dev-x.yaml'), profile('dev-x', 'A'));
    writeFileSync(join(dir, 'a', 'notes.txt'), 'not a profile');
    const reg = ProfileRegistry.fromDirs([join(dir, 'a'), join(dir, 'b')]);
    expect(reg.ids()).toEqual(['dev-x']);
    expect(reg.get('dev-x')?.points[0]?.unit).toBe('A');
    expect(reg.fileOf('dev-x')).toBe(join(dir, 'b', 'dev-x.yaml'));
  });

  it('throws one coded error listing every problem of every file', () => {
    writeFileSync(join(dir, 'dev-x.yaml'), profile('dev-y'));
    writeFileSync(join(dir, 'dev-z.yaml'), 'id: [\n');
    let caught: unknown;
    try {
      ProfileRegistry.fromDirs([dir]);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(ProfileError);
    const e = caught as ProfileError;
    expect(e.code).toBe('GZ_PROFILE_INVALID');
    expect(e.problems).toHaveLength(2);
    expect(e.message).toContain('dev-x.yaml:1 id: profile dev-y must be in a file named dev-y.yaml');
    expect(e.message).toContain('dev-z.yaml:1:5: YAML syntax error');
  });

  it('reports a missing directory and an unknown id by name', () => {
    const { problems } = ProfileRegistry.load([join(dir, 'missing')]);
    expect(problems[0]?.message).toMatch(/^cannot read profile directory/);
    const reg = ProfileRegistry.of([]);
    expect(() => reg.require('nope')).toThrowError(expect.objectContaining({ code: 'GZ_PROFILE_UNKNOWN' }));
  });
});
