/**
 * Sparkplug names → contract ids. Sparkplug ids and metric names are free UTF-8 ("Plant A",
 * "Inputs/Temperature"); the contract's tags and fields are `[a-z0-9][a-z0-9_-]{0,63}` ids and
 * `[a-z][a-z0-9_]{0,62}` point names, so that tag values are bounded and need no escaping.
 * The mapping is deterministic: lower-case, every other character becomes a separator,
 * separators collapse, and a point that would still be invalid gets a prefix.
 */
import { REASON_SUFFIX, RESERVED_DEVICE_IDS } from '@ganzhi/device-profiles';

/** An edge node or device id → a contract id, or undefined when nothing usable is left. */
export function toContractId(name: string): string | undefined {
  const s = name
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9_-]+/g, '-')
    .replace(/-{2,}/g, '-')
    .replace(/^[-_]+/, '')
    .slice(0, 64)
    .replace(/[-_]+$/, '');
  return s.length > 0 ? s : undefined;
}

/** A metric name → a contract point name (`Inputs/Temperature` → `inputs_temperature`). */
export function toPointName(metric: string): string {
  let s = metric
    .normalize('NFKD')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '');
  if (!/^[a-z]/.test(s)) s = `m_${s}`;
  s = s.slice(0, 63).replace(/_+$/, '');
  if (s.endsWith(REASON_SUFFIX)) s = `${s.slice(0, 60)}_x`;
  return s;
}

/**
 * Assigns contract names to Sparkplug names within one scope (the devices of a node, the points
 * of a device), keeping them unique: a second name that maps to a taken id gets `-2`, `-3`…
 * (points `_2`…). Stable for the life of the scope.
 */
export class NameMap {
  private readonly byName = new Map<string, string>();
  private readonly taken = new Set<string>();
  constructor(
    private readonly map: (name: string) => string | undefined,
    private readonly sep: '-' | '_',
    reserved: Iterable<string> = [],
  ) {
    for (const r of reserved) this.taken.add(r);
  }

  get(name: string): string | undefined {
    const known = this.byName.get(name);
    if (known !== undefined) return known;
    const base = this.map(name);
    if (base === undefined) return undefined;
    let id = base;
    for (let n = 2; this.taken.has(id); n++) id = `${base.slice(0, 60)}${this.sep}${n}`;
    this.byName.set(name, id);
    this.taken.add(id);
    return id;
  }
}

export const deviceNameMap = (nodeDevice: string): NameMap =>
  new NameMap(toContractId, '-', [nodeDevice, ...RESERVED_DEVICE_IDS]);
export const pointNameMap = (): NameMap => new NameMap(toPointName, '_');
