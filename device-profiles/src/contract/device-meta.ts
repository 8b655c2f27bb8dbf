import type { Profile } from '../profile-schema.js';
import type { DeviceMeta } from './envelopes.js';

/** The retained meta envelope of a device, derived from its profile (the one mapping for all). */
export function deviceMetaOf(p: Profile): DeviceMeta {
  return {
    v: 1,
    profile: p.id,
    profileVersion: p.version,
    model: p.model,
    manufacturer: p.manufacturer,
    measurement: p.measurement,
    points: p.points.map((pt) => ({
      name: pt.name,
      type: pt.type,
      unit: pt.unit,
      access: pt.access ?? 'read',
    })),
  };
}
