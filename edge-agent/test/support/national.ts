/** Shared by the DL/T 645, CJ/T 188 and HJ 212 tests: device specs and simulated devices. */
import { type Profile, ProfileRegistry } from '@ganzhi/device-profiles';
import { type Clock, systemClock } from '@ganzhi/runtime';
import { SimDevice } from '@ganzhi/simulators';
import { parseCjt188Endpoint } from '../../src/drivers/cjt188/endpoint.js';
import type { Cjt188DeviceSpec } from '../../src/drivers/cjt188/options.js';
import { parseDlt645Endpoint } from '../../src/drivers/dlt645/endpoint.js';
import type { Dlt645DeviceSpec } from '../../src/drivers/dlt645/options.js';
import type { DeviceSpecBase } from '../../src/drivers/driver.js';
import { parseHj212Endpoint } from '../../src/drivers/hj212/endpoint.js';
import type { Hj212DeviceSpec } from '../../src/drivers/hj212/options.js';

const profiles = ProfileRegistry.builtin();
export const profile = (id: string): Profile => profiles.require(id);

/** A simulated device of a builtin profile (the ground truth of the simulators). */
export const simDevice = (id: string, profileId: string, seed = 1, clock: Clock = systemClock) =>
  new SimDevice({ id, profile: profile(profileId), clock, seed });

type Common = Omit<DeviceSpecBase, 'protocol' | 'endpoint'>;

function common(profileId: string, over: Partial<Common>): Common {
  const p = over.profile ?? profile(profileId);
  return {
    id: 'dev-1',
    profile: p,
    points: p.points,
    timeoutMs: 300,
    retries: 0,
    pollIntervalMs: 1000,
    backoff: { failures: 3, initialMs: 2000, maxMs: 10_000 },
    ...over,
  };
}

export function dlt645Spec(
  endpoint: string,
  address: string,
  over: Partial<Common> & { profileId?: string; preamble?: number } = {},
): Dlt645DeviceSpec {
  const { profileId = 'dlt645-single-phase-meter', preamble = 4, ...rest } = over;
  return {
    ...common(profileId, rest),
    protocol: 'dlt645',
    endpoint: parseDlt645Endpoint(endpoint, 2400),
    address,
    preamble,
  };
}

export function cjt188Spec(
  endpoint: string,
  address: string,
  over: Partial<Common> & { profileId?: string; meterType?: number } = {},
): Cjt188DeviceSpec {
  const { profileId = 'cjt188-water-meter', meterType, ...rest } = over;
  const c = common(profileId, rest);
  return {
    ...c,
    protocol: 'cjt188',
    endpoint: parseCjt188Endpoint(endpoint, 2400),
    address,
    meterType: meterType ?? c.profile.cjt188?.meterType ?? 0x10,
    preamble: 2,
  };
}

export function hj212Spec(
  endpoint: string,
  mn: string,
  password: string,
  over: Partial<Common> & { profileId?: string; tzOffsetMinutes?: number; maxClockSkewMs?: number } = {},
): Hj212DeviceSpec {
  const {
    profileId = 'hj212-air-quality-station',
    tzOffsetMinutes = 480,
    maxClockSkewMs = 300_000,
    ...rest
  } = over;
  return {
    ...common(profileId, rest),
    protocol: 'hj212',
    endpoint: parseHj212Endpoint(endpoint),
    mn,
    password,
    tzOffsetMinutes,
    maxClockSkewMs,
  };
}
