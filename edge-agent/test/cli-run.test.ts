/** `ganzhi-agent run --config FILE --stdout` as a field engineer runs it: JSON lines out, SIGTERM stops it cleanly. */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { fixtures } from './helpers.js';
import { startTestServer, type TestServer } from './support/tcp-server.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

describe('ganzhi-agent run --stdout', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.close();
  });

  it('prints readings and status as JSON lines and exits 0 on SIGTERM', async () => {
    const dir = tempDir('ganzhi-agent-run-');
    const cfg = join(dir, 'gw.yaml');
    writeFileSync(
      cfg,
      `gateway: gw-1
district: test
profileDirs: [${fixtures}profiles]
devices:
  - id: meter-1
    profile: test-meter
    endpoint: modbus-tcp://127.0.0.1:${server.port}
    pollIntervalMs: 100
  - id: meter-dead
    profile: test-meter
    endpoint: modbus-tcp://127.0.0.1:1
    pollIntervalMs: 100
`,
    );
    const child = spawn(process.execPath, [cli, 'run', '--config', cfg, '--stdout', '--log-level', 'warn'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => {
      out += d;
    });
    child.stderr.on('data', (d) => {
      err += d;
    });
    const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
    try {
      await waitFor(
        'readings from both devices, and the dead one backed off',
        () =>
          out.includes('"meter-1"') &&
          out.includes('"meter-dead"') &&
          out.split('\n').length > 20 &&
          err.includes('device not answering'),
        15_000,
      );
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited, err).toBe(0);
    const lines = out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    const voltage = lines.find(
      (l) => l.type === 'reading' && l.device === 'meter-1' && l.point === 'voltage',
    );
    expect(voltage).toMatchObject({ value: 230.5, quality: 'good', unit: 'V', raw: [0x4366, 0x8000] });
    const dead = lines.find((l) => l.type === 'reading' && l.device === 'meter-dead');
    expect(dead).toMatchObject({ quality: 'bad', value: null });
    expect(dead.reason).toMatch(/^connection: ECONNREFUSED/);
    expect(lines.find((l) => l.type === 'status' && l.device === 'meter-dead')).toMatchObject({
      state: 'down',
    });
    // each log line names its device (or line) once: the key is not repeated (issue 20)
    const logs = err.trim().split('\n');
    const backoff = logs.find((l) => l.includes('device not answering'));
    expect(JSON.parse(backoff!)).toMatchObject({ device: 'meter-dead', level: 40 });
    for (const l of logs) {
      for (const key of ['device', 'line', 'component']) {
        expect(l.split(`"${key}":`).length, l).toBeLessThanOrEqual(2);
      }
    }
  });
});
