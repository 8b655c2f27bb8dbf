/**
 * Whether a value may be written to a profile point, by the point's type, enum and range —
 * the one rule the hub's command API (before publishing) and the gateway's executor (before
 * the wire) both apply, so the hub never accepts what the gateway would refuse. Whether the
 * point exists and is `access: read-write` is the caller's own wording (it names the profile
 * or the device); this only looks at the value.
 */
import type { Point } from './profile-schema.js';

/** Why `value` cannot be written to `p`, starting with the point's name; undefined when it can. */
export function writeValueProblem(p: Point, value: unknown): string | undefined {
  const name = p.name;
  switch (p.type) {
    case 'boolean':
      if (typeof value !== 'boolean') return `${name} takes a boolean, got ${typeName(value)}`;
      break;
    case 'integer':
      if (typeof value !== 'number' || !Number.isInteger(value))
        return `${name} takes an integer, got ${JSON.stringify(value)}`;
      break;
    case 'float':
      if (typeof value !== 'number') return `${name} takes a number, got ${typeName(value)}`;
      break;
    case 'string': {
      if (typeof value !== 'string') return `${name} takes a string, got ${typeName(value)}`;
      const labels = p.enum ? Object.values(p.enum) : undefined;
      if (labels && !labels.includes(value)) return `${name} takes one of ${labels.join(', ')}`;
      break;
    }
  }
  if (typeof value === 'number' && p.range && (value < p.range.min || value > p.range.max))
    return `${name}: ${value} is outside its range ${p.range.min}..${p.range.max}`;
  return undefined;
}

const typeName = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v);
