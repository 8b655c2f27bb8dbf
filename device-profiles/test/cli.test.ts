/**
 * The ganzhi-profiles CLI as a user runs it: `node device-profiles/dist/cli.js …` from the
 * repository root. dist/ is rebuilt first when it is older than the sources.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const cli = join(root, 'device-profiles/dist/cli.js');

function newestSource(dir: string): number {
  let newest = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) newest = Math.max(newest, newestSource(p));
    else if (e.name.endsWith('.ts') && !e.name.endsWith('.test.ts'))
      newest = Math.max(newest, statSync(p).mtimeMs);
  }
  return newest;
}

function run(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [cli, ...args], { cwd: root, encoding: 'utf8', timeout: 20_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

beforeAll(() => {
  if (!existsSync(cli) || statSync(cli).mtimeMs < newestSource(join(root, 'device-profiles/src'))) {
    const tsc = spawnSync(
      process.execPath,
      [join(root, 'node_modules/typescript/bin/tsc'), '-b', 'device-profiles'],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 120_000,
      },
    );
    if (tsc.status !== 0) throw new Error(`tsc -b device-profiles failed:\n${tsc.stdout}${tsc.stderr}`);
  }
});

describe('ganzhi-profiles', () => {
  it('validate passes on the whole profiles library', () => {
    const files = readdirSync(join(root, 'device-profiles/profiles')).map(
      (f) => `device-profiles/profiles/${f}`,
    );
    const r = run('validate', ...files);
    expect(r.stdout).toBe(`${files.length} profiles valid\n`);
    expect(r.code).toBe(0);
  });

  it('validate prints a bad type, an overlapping address and a YAML syntax error with file:line and path, exit 1', () => {
    const r = run(
      'validate',
      'device-profiles/test/profiles-bad/bad-type-and-overlap.yaml',
      'device-profiles/test/profiles-bad/yaml-syntax-error.yaml',
    );
    expect(r.code).toBe(1);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(4);
    expect(lines[0]).toMatch(
      /^device-profiles\/test\/profiles-bad\/bad-type-and-overlap\.yaml:15:47 points\[0\]\.modbus\.type: expected one of bool, int16, .*got "flaot32"$/,
    );
    expect(lines[1]).toBe(
      'device-profiles/test/profiles-bad/bad-type-and-overlap.yaml:23:38 points[2].modbus.address: input 3-4 overlaps points[1] current (input 2-3)',
    );
    expect(lines[2]).toMatch(
      /^device-profiles\/test\/profiles-bad\/yaml-syntax-error\.yaml:15:13: YAML syntax error: /,
    );
    expect(lines[3]).toBe('3 problems in 2 of 2 files');
  });

  it('validate accepts a directory and reports a missing file', () => {
    expect(run('validate', 'device-profiles/profiles').stdout).toMatch(/^\d+ profiles valid\n$/);
    const r = run('validate', 'device-profiles/profiles/no-such.yaml');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('device-profiles/profiles/no-such.yaml: cannot read profile: no such file');
  });

  it('list shows every builtin profile with protocol and point count', () => {
    const r = run('list');
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')[0]).toMatch(/^ID\s+VERSION\s+PROTOCOL\s+MANUFACTURER MODEL\s+POINTS$/);
    expect(r.stdout).toMatch(/^eastron-sdm630\s+1\.0\.0\s+modbus\s+Eastron SDM630-Modbus V2\s+30$/m);
    expect(r.stdout).toMatch(/^pump-station-opcua\s+\S+\s+opcua\s/m);
    expect(r.stdout).toMatch(/^gps-nmea\s+\S+\s+serial\s/m);
  });

  it('show prints the points table with addresses and units, and fails on an unknown id', () => {
    const r = run('show', 'eastron-sdm630');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^voltage_l1\s+float\s+V\s+read\s+input 0 \(30001\) float32\s*$/m);
    expect(r.stdout).toMatch(/^energy_total\s+float\s+kW\.h\s+read\s+input 342 \(30343\) float32\s*$/m);
    const bad = run('show', 'no-such-device');
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('unknown profile no-such-device; known: air-quality-rs485');
  });

  it('is installed as an executable launcher that npm can link before dist/ exists', () => {
    const bin = join(root, 'device-profiles/bin/ganzhi-profiles.js');
    expect(statSync(bin).mode & 0o111).not.toBe(0);
    const r = spawnSync(bin, ['validate', 'device-profiles/profiles/eastron-sdm630.yaml'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 20_000,
    });
    expect(r.stdout).toBe('1 profile valid\n');
    expect(r.status).toBe(0);
  });

  it('the launcher says to build first when dist/ is missing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gz-bin-'));
    try {
      mkdirSync(join(dir, 'bin'));
      copyFileSync(join(root, 'device-profiles/bin/ganzhi-profiles.js'), join(dir, 'bin/ganzhi-profiles.js'));
      const r = spawnSync(process.execPath, [join(dir, 'bin/ganzhi-profiles.js'), 'list'], {
        encoding: 'utf8',
      });
      expect(r.status).toBe(2);
      expect(r.stderr).toContain('not built yet; run `npx tsc -b`');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('--help explains the commands; a wrong command is a usage error', () => {
    const help = run('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('ganzhi-profiles validate FILE|DIR...');
    const bad = run('frobnicate');
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('unknown command frobnicate');
  });
});
