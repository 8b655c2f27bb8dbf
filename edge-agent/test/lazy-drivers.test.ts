/** node-opcua (~130 MB) is loaded only when a config has an opc.tcp:// device. */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const dist = fileURLToPath(new URL('../dist/index.js', import.meta.url));

function loadsOpcua(scheme: string): boolean {
  const script = `
    import { createRequire } from 'node:module';
    const { DriverRegistry } = await import(${JSON.stringify(dist)});
    await new DriverRegistry().load(${JSON.stringify(scheme)});
    const cache = Object.keys(createRequire(import.meta.url).cache);
    process.stderr.write('RESULT=' + cache.some((k) => k.includes('/node-opcua')));
  `;
  const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8' });
  return /RESULT=true/.test(r.stderr);
}

describe('lazy driver loading', () => {
  it('Modbus and serial configs never load node-opcua; an OPC UA one does', () => {
    expect(loadsOpcua('modbus-tcp')).toBe(false);
    expect(loadsOpcua('serial')).toBe(false);
    expect(loadsOpcua('opc.tcp')).toBe(true);
  });
});
