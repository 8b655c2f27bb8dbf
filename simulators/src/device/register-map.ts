/**
 * Where a profile's Modbus points sit in the four tables, and which addresses the
 * simulated device accepts: reads inside a table's mapped span (first to last mapped
 * address) succeed, unmapped registers inside the span read 0 (so a gateway may bridge
 * small gaps), anything outside the span or touching a `forbidden` range gets
 * exception 02. `strict` makes every unmapped address an exception 02.
 */
import { isModbusPoint, type ModbusPoint, type ModbusTable, type Profile } from '@ganzhi/device-profiles';
import { registerCount } from './codec.js';

export interface MappedPoint {
  point: ModbusPoint;
  address: number;
  count: number;
}

export interface TableMap {
  entries: MappedPoint[];
  /** first mapped address and one past the last */
  from: number;
  to: number;
  /** per-address: true when some point covers it */
  covered: Set<number>;
}

export type RegisterMap = Record<ModbusTable, TableMap>;

export function buildRegisterMap(profile: Profile): RegisterMap {
  const map = {} as RegisterMap;
  for (const t of ['coil', 'discrete', 'input', 'holding'] as const) {
    map[t] = { entries: [], from: Number.POSITIVE_INFINITY, to: 0, covered: new Set() };
  }
  for (const p of profile.points) {
    if (!isModbusPoint(p)) continue;
    const m = map[p.modbus.table];
    const count = registerCount(p.modbus);
    m.entries.push({ point: p, address: p.modbus.address, count });
    m.from = Math.min(m.from, p.modbus.address);
    m.to = Math.max(m.to, p.modbus.address + count);
    for (let a = p.modbus.address; a < p.modbus.address + count; a++) m.covered.add(a);
  }
  for (const m of Object.values(map)) m.entries.sort((a, b) => a.address - b.address);
  return map;
}

/** True when the device rejects the read/write with exception 02. */
export function rejects(
  profile: Profile,
  map: RegisterMap,
  table: ModbusTable,
  address: number,
  count: number,
  strict: boolean,
): boolean {
  const m = map[table];
  if (m.entries.length === 0 || address < m.from || address + count > m.to) return true;
  for (const f of profile.modbus?.forbidden ?? []) {
    if (f.table === table && address <= f.to && address + count - 1 >= f.from) return true;
  }
  if (strict) {
    for (let a = address; a < address + count; a++) if (!m.covered.has(a)) return true;
  }
  return false;
}
