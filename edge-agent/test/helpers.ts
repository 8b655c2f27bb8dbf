/** Shared by the edge-agent tests: a test profile, device specs, a silent logger. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Profile } from '@ganzhi/device-profiles';
import { systemClock } from '@ganzhi/runtime';
import pino from 'pino';
import { parse } from 'yaml';
import type { DeviceSpecBase, DriverContext } from '../src/drivers/driver.js';
import { createLineRegistry } from '../src/drivers/lines.js';
import { parseModbusEndpoint } from '../src/drivers/modbus/endpoint.js';
import type { ModbusDeviceSpec } from '../src/drivers/modbus/options.js';
import { parseOpcuaEndpoint } from '../src/drivers/opcua/endpoint.js';
import type { OpcuaDeviceSpec, OpcuaSettings } from '../src/drivers/opcua/options.js';
import { parseSerialEndpoint } from '../src/drivers/serial/endpoint.js';
import type { SerialDeviceSpec } from '../src/drivers/serial/options.js';

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const logger = pino({ level: process.env.GZ_TEST_LOG ?? 'silent' });

export function testProfile(name = 'test-meter'): Profile {
  const file = `${fixtures}profiles/${name}.yaml`;
  return parse(readFileSync(file, 'utf8')) as Profile;
}

type Common = Omit<DeviceSpecBase, 'protocol' | 'endpoint'>;

function common(over: Partial<Common>): Common {
  const profile = over.profile ?? testProfile();
  return {
    id: 'dev-1',
    profile,
    points: profile.points,
    timeoutMs: 300,
    retries: 0,
    pollIntervalMs: 1000,
    backoff: { failures: 3, initialMs: 2000, maxMs: 10_000 },
    ...over,
  };
}

/** A Modbus device (modbus-tcp://, modbus-rtu://, modbus-rtutcp://), unit 1 unless told. */
export function modbusSpec(
  endpoint: string,
  over: Partial<Omit<ModbusDeviceSpec, 'protocol' | 'endpoint'>> = {},
): ModbusDeviceSpec {
  const { unitId = 1, ...rest } = over;
  return { ...common(rest), protocol: 'modbus', endpoint: parseModbusEndpoint(endpoint, 9600), unitId };
}

/** A talking serial device (serial://, serial-tcp://). */
export function serialSpec(
  endpoint: string,
  over: Partial<Omit<SerialDeviceSpec, 'protocol' | 'endpoint'>> = {},
): SerialDeviceSpec {
  return { ...common(over), protocol: 'serial', endpoint: parseSerialEndpoint(endpoint, 9600) };
}

/**
 * An OPC UA device. `trust` is auto-accept unless told: these tests are about other things
 * (trust modes are tested in opcua-trust.test.ts against servers with chosen certificates).
 */
export function opcuaSpec(
  endpoint: string,
  opcua: Partial<OpcuaSettings> & Pick<OpcuaSettings, 'pkiDir'>,
  over: Partial<Omit<OpcuaDeviceSpec, 'protocol' | 'endpoint' | 'opcua'>> = {},
): OpcuaDeviceSpec {
  return {
    ...common(over),
    protocol: 'opcua',
    endpoint: parseOpcuaEndpoint(endpoint),
    opcua: { trust: 'auto-accept', ...opcua },
  };
}

export function context(over: Partial<DriverContext> = {}): DriverContext {
  return { logger, clock: systemClock, random: () => 0.5, lines: createLineRegistry(logger), ...over };
}

/** float32 big-endian as two registers */
export function f32(x: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(x);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}
