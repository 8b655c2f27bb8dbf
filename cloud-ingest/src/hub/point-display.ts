/**
 * How the hub shows a device's points: the unit's symbol (`°C` for `Cel`) and the decimals of
 * the point's resolution. The meta message names the profile; when the hub knows that profile
 * (the builtin library) the point's scale, format and range decide, as on the gateway's own
 * status page. A profile the hub does not have (a gateway's own `profileDirs`) gets the
 * symbol of its UCUM unit and 0 decimals for integers, 2 for floats.
 *
 * Whether the page offers a control for a point (issue 15) is `controlOf`: the hub's own copy of
 * the profile decides `access` and `range` when it has it; else the meta's `access` stands and
 * there is no range (the gateway checks it).
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

/** Whether a point is writable and its range: from the hub's copy of the profile when it has one. */
export function controlOf(
  point: { name: string; access: string },
  profile: Profile | undefined,
): Pick<HubPoint, 'access' | 'range'> {
  const p = profile?.points.find((x) => x.name === point.name);
  if (!p) return { access: point.access, range: null };
  return { access: p.access ?? 'read', range: p.range ? { min: p.range.min, max: p.range.max } : null };
}
