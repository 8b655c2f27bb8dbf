/**
 * Drivers' libraries are loaded only when a config needs them: node-opcua (~130 MB) only for an
 * opc.tcp:// device, modbus-serial only for Modbus. Loading the agent and checking a config (the
 * protocol table, the schemas) loads none of them.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

const LIBRARIES = { opcua: '/node-opcua', modbus: '/modbus-serial/', serialport: '/serialport/' };

/** Which driver libraries a fresh process has loaded after loading the agent and, optionally, one scheme's driver. */
function loaded(scheme?: string): Record<keyof typeof LIBRARIES, boolean> {
  const script = `
    import { createRequire } from 'node:module';
    const { DriverRegistry, parseConfig } = await import(${JSON.stringify(dist)});
    parseConfig('gateway: g\\ndistrict: d\\ndevices: []\\n', '/tmp/x.yaml', { env: {} });
    ${scheme ? `await new DriverRegistry().load(${JSON.stringify(scheme)});` : ''}
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stderr.write('RESULT=' + JSON.stringify(Object.fromEntries(
      Object.entries(${JSON.stringify(LIBRARIES)}).map(([k, v]) => [k, cache.some((f) => f.includes(v))]))));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  const m = /RESULT=(\{.*\})/.exec(r.stderr);
  if (!m) throw new Error(`child failed: ${r.stderr}`);
  return JSON.parse(m[1]!);
}

describe('lazy driver loading', () => {
  it('loading the agent and checking a config loads no driver library', () => {
    expect(loaded()).toEqual({ opcua: false, modbus: false, serialport: false });
  });

  it('Modbus and serial configs never load node-opcua; an OPC UA one does', () => {
    expect(loaded('modbus-tcp')).toMatchObject({ opcua: false, modbus: true });
    expect(loaded('serial')).toEqual({ opcua: false, modbus: false, serialport: true });
    expect(loaded('opc.tcp')).toMatchObject({ opcua: true, modbus: false });
  });
});
