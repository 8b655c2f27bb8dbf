/** The built CLI (`dist/cli.js`; run `npx tsc -b` first): --check, and bad configurations. */
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function run(args: string[], env: NodeJS.ProcessEnv = {}) {
  if (!existsSync(CLI)) throw new Error(`${CLI} missing: run npx tsc -b first`);
  return spawnSync(process.execPath, [CLI, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 20_000,
  });
}

describe('ganzhi-ingest CLI', () => {
  it('--check accepts the sample configuration', () => {
    const r = run(['--check', '--config', fileURLToPath(new URL('../config.sample.yaml', import.meta.url))]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toMatch(/configuration ok: store sqlite, broker mqtt:\/\/127\.0\.0\.1:1883/);
    expect(r.status).toBe(0);
  });

  it('names every problem with file:line and exits 2, without echoing secrets', () => {
    const dir = tempDir('ganzhi-cli-');
    const file = join(dir, 'ingest.yaml');
    writeFileSync(
      file,
      [
        'store:',
        '  type: influxdb-v2',
        '  url: http://influx:8086',
        '  token: super-secret-token',
        'batch:',
        '  lines: -1',
        'partition: { by: district, districts: [North] }',
      ].join('\n'),
    );
    const r = run(['--check', '--config', file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(
      new RegExp(`${file}:7:\\d+ partition\\.districts\\[0\\]: "North" is not a valid district id`),
    );
    expect(r.stderr).toMatch(/store\.org/);
    expect(r.stderr).toMatch(new RegExp(`${file}:6:\\d+ batch\\.lines`));
    expect(r.stderr).not.toContain('super-secret-token');
  });

  it('without a config file, takes the store from the environment', () => {
    const r = run(['--check'], {
      INFLUX_V1_URL: 'http://influx:8086',
      INFLUX_DB: 'city',
      INFLUX_PASSWORD: 'pw',
    });
    expect(r.stdout).toMatch(/store influxdb-v1/);
    expect(r.status).toBe(0);
  });
});
