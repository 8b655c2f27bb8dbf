/** Shared by the edge-agent tests: a test profile, device specs, a silent logger. */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Profile } from '@ganzhi/device-profiles';
import pino from 'pino';
import { parse } from 'yaml';
import { systemClock } from '../src/clock.js';
import { parseEndpoint } from '../src/config/endpoint.js';
import { createLineRegistry, type DeviceSpec, type DriverContext } from '../src/drivers/driver.js';

export const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

export const logger = pino({ level: process.env.GZ_TEST_LOG ?? 'silent' });

export function testProfile(name = 'test-meter'): Profile {
  const file = `${fixtures}profiles/${name}.yaml`;
  return parse(readFileSync(file, 'utf8')) as Profile;
}

export function spec(endpoint: string, over: Partial<DeviceSpec> = {}): DeviceSpec {
  const profile = over.profile ?? testProfile();
  return {
    id: 'dev-1',
    profile,
    points: profile.points,
    endpoint: parseEndpoint(endpoint),
    unitId: 1,
    timeoutMs: 300,
    retries: 0,
    pollIntervalMs: 1000,
    backoff: { failures: 3, initialMs: 2000, maxMs: 10_000 },
    options: {},
    ...over,
  };
}

export function context(over: Partial<DriverContext> = {}): DriverContext {
  return { logger, clock: systemClock, random: () => 0.5, lines: createLineRegistry(), ...over };
}

/** float32 big-endian as two registers */
export function f32(x: number): [number, number] {
  const b = Buffer.alloc(4);
  b.writeFloatBE(x);
  return [b.readUInt16BE(0), b.readUInt16BE(2)];
}
