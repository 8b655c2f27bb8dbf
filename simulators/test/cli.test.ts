/**
 * The built CLI (dist/cli.js, from `npx tsc -b`) as an operator runs it: prints where it
 * listens, serves, and exits 0 on SIGTERM / SIGINT.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { type Spawned, spawnLogged, tempDir, waitFor } from '../../test-support/process.js';
import { closeClient, ModbusClient } from './helpers.js';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const running: Spawned[] = [];

function start(args: string[]): Spawned {
  const s = spawnLogged(process.execPath, [cli, ...args], { dir: tempDir('ganzhi-sim-cli-'), name: 'sim' });
  running.push(s);
  return s;
}

afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.stop(3000)));
});

describe('ganzhi-sim CLI', () => {
  it('is built', () => {
    expect(existsSync(cli), `${cli} missing: run npx tsc -b`).toBe(true);
  });

  it('modbus: serves a builtin profile on the printed port, control API agrees, exits 0 on SIGTERM', async () => {
    const s = start([
      'modbus',
      '--profile',
      'eastron-sdm630',
      '--port',
      '0',
      '--unit',
      '3',
      '--seed',
      '11',
      '--control-port',
      '0',
    ]);
    await waitFor('ready', () => /^ready/m.test(s.log()) || undefined, 20_000);
    const port = Number(/listening modbus-tcp 127\.0\.0\.1:(\d+)/.exec(s.log())![1]);
    const control = /listening control (http:\/\/[\d.:]+)/.exec(s.log())![1];
    const c = new ModbusClient();
    await c.connectTCP('127.0.0.1', { port });
    c.setID(3);
    const r = await c.readInputRegisters(0, 2);
    await closeClient(c);
    const buf = Buffer.alloc(4);
    buf.writeUInt16BE(r.data[0]!, 0);
    buf.writeUInt16BE(r.data[1]!, 2);
    const truth = (await (await fetch(`${control}/api/devices/eastron-sdm630`)).json()) as {
      points: Record<string, { served: number; last: { value: number } }>;
    };
    expect(truth.points.voltage_l1!.served).toBe(1);
    expect(buf.readFloatBE(0)).toBe(truth.points.voltage_l1!.last.value);
    await s.stop();
    expect(s.child.exitCode).toBe(0);
    expect(s.log()).toMatch(/stopped/);
  });

  it('run: a scenario file with --any-port, stops on SIGINT with exit 0', async () => {
    const dir = tempDir('ganzhi-sim-scn-');
    const file = join(dir, 'two.yaml');
    writeFileSync(
      file,
      `devices:
  - id: aq
    profile: air-quality-rs485
    endpoint: { protocol: modbus-tcp, port: 1502 }
    repeat: { count: 2 }
  - id: wx
    profile: weather-ascii
    endpoint: { protocol: serial-tcp, port: 1503 }
control: { port: 1504 }
`,
    );
    const s = start(['run', '--scenario', file, '--any-port']);
    await waitFor('ready', () => /^ready 3 devices/m.test(s.log()) || undefined, 20_000);
    expect(s.log()).not.toMatch(/:1502\b/);
    const control = /listening control (http:\/\/[\d.:]+)/.exec(s.log())![1];
    const list = (await (await fetch(`${control}/api/devices`)).json()) as { id: string }[];
    expect(list.map((d) => d.id)).toEqual(['aq-001', 'aq-002', 'wx']);
    s.child.kill('SIGINT');
    await waitFor('exit', () => (s.child.exitCode !== null ? true : undefined), 10_000);
    expect(s.child.exitCode).toBe(0);
  });

  it('a bad scenario exits 2 naming the path and line', async () => {
    const dir = tempDir('ganzhi-sim-scn-');
    const file = join(dir, 'bad.yaml');
    writeFileSync(
      file,
      'devices:\n  - id: x\n    profile: eastron-sdm630\n    endpoint: { protocol: modbus-tcp, port: -1 }\n',
    );
    const s = start(['run', '--scenario', file]);
    await waitFor('exit', () => (s.child.exitCode !== null ? true : undefined), 20_000);
    expect(s.child.exitCode).toBe(2);
    expect(s.log()).toMatch(/bad\.yaml:4:\d+ devices\[0\]\.endpoint\.port/);
  });
});
