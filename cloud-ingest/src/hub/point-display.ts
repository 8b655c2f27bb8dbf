/**
 * How the hub shows a device's points: the unit's symbol (`°C` for `Cel`) and the decimals of
 * the point's resolution. The meta message names the profile; when the hub knows that profile
 * (the builtin library) the point's scale, format and range decide, as on the gateway's own
 * status page. A profile the hub does not have (a gateway's own `profileDirs`) gets the
 * symbol of its UCUM unit and 0 decimals for integers, 2 for floats.
 */
import {
  DEFAULT_DECIMALS,
  type Profile,
  ProfileRegistry,
  pointDecimals,
  pointUnitSymbol,
  unitSymbol,
} from '@ganzhi/device-profiles';
import type { HubPoint } from './source.js';

export type ProfileLookup = (id: string) => Profile | undefined;

let builtin: ProfileRegistry | undefined;
export const builtinProfiles: ProfileLookup = (id) => {
  builtin ??= ProfileRegistry.builtin();
  return builtin.get(id);
};

export function displayOf(
  point: { name: string; type: string; unit: string },
  profile: Profile | undefined,
): Pick<HubPoint, 'symbol' | 'decimals'> {
  const p = profile?.points.find((x) => x.name === point.name);
  if (p) return { symbol: pointUnitSymbol(p), decimals: pointDecimals(p) ?? null };
  if (point.type === 'boolean' || point.type === 'string') return { symbol: '', decimals: null };
  return {
    symbol: unitSymbol(point.unit),
    decimals: point.type === 'integer' ? 0 : DEFAULT_DECIMALS,
  };
}
