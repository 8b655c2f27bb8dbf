/**
 * What a simulated device does with a Modbus write (functions 5, 6, 15, 16), decided before
 * anything changes: every point touched must be `read-write` and written whole, and each value
 * must be one the point can take. A refused write changes nothing (all or nothing).
 *
 * Exception codes (MODBUS Application Protocol Specification V1.1b3):
 * - 02 ILLEGAL DATA ADDRESS (§7; the state diagrams of §6.5, §6.6, §6.11, §6.12 answer 02 when
 *   "the combination of reference number and transfer length is invalid"): an address outside
 *   the device's map or in a `forbidden` range, a register or coil of a read-only point, a
 *   register no point maps (in a multi-register write), a bit inside a register, and a
 *   multi-register value written in part — e.g. function 6 to one half of a float32. A device
 *   that took half a value now and the other half later would apply a mix of two commands
 *   (or of a command and the old value) in between; devices that document it refuse the
 *   partial write with 02 instead ("query preset of a subset of a numerical register group",
 *   Basler DECS-250 manual, table of exception codes), and so does this simulator. Write such
 *   values with function 16, both registers in one request.
 * - 03 ILLEGAL DATA VALUE: a coil value other than 0x0000/0xFF00 (§6.5, checked in pdu.ts), a
 *   malformed request (pdu.ts), and a value the point cannot take: outside its profile `range`,
 *   a code missing from its `enum`, a float that is NaN or infinite. §7 says 03 "specifically
 *   does NOT mean" a value outside the application's expectation; real devices answer 03 for
 *   it all the same (ABB REX640 Modbus manual: "A value contained in the query data field is
 *   out of range"; Basler DECS-250: "one or more data values out of range"), and a gateway
 *   must report it as the device's refusal, which 03 is.
 */
import type { ModbusTable, Profile, Value } from '@ganzhi/device-profiles';
import { EXCEPTION } from '../modbus/pdu.js';
import { decodeRaw, toEngineering } from './codec.js';
import { type RegisterMap, rejects } from './register-map.js';
import type { WrittenPoint } from './write-log.js';

export type WritePlan =
  | { ok: true; points: WrittenPoint[] }
  | { ok: false; exception: number; reason: string; points: WrittenPoint[] };

export function planModbusWrite(
  profile: Profile,
  map: RegisterMap,
  table: Extract<ModbusTable, 'coil' | 'holding'>,
  address: number,
  values: number[],
  strict: boolean,
): WritePlan {
  const end = address + values.length;
  const what = table === 'coil' ? 'coil' : 'register';
  const refuse = (exception: number, reason: string, points: WrittenPoint[] = []): WritePlan => ({
    ok: false,
    exception,
    reason,
    points,
  });
  if (rejects(profile, map, table, address, values.length, strict)) {
    return refuse(
      EXCEPTION.illegalDataAddress,
      `${what}s ${address}..${end - 1} are outside the device's map or in a forbidden range`,
    );
  }
  const hits = map[table].entries.filter((e) => e.address < end && e.address + e.count > address);
  const points: WrittenPoint[] = [];
  let covered = 0;
  for (const e of hits) {
    const p = e.point;
    if ((p.access ?? 'read') !== 'read-write') {
      return refuse(EXCEPTION.illegalDataAddress, `${p.name} (${what} ${e.address}) is read-only`);
    }
    if (p.modbus.type === 'bit') {
      return refuse(
        EXCEPTION.illegalDataAddress,
        `${p.name} is bit ${p.modbus.bit ?? 0} of register ${e.address}: bits inside a register cannot be written`,
      );
    }
    if (e.address < address || e.address + e.count > end) {
      return refuse(
        EXCEPTION.illegalDataAddress,
        `${p.name} occupies registers ${e.address}..${e.address + e.count - 1}: a ${p.modbus.type} is written whole, in one request (function 16), not in part`,
      );
    }
    covered += e.count;
  }
  if (covered !== values.length) {
    const mapped = new Set(hits.flatMap((e) => Array.from({ length: e.count }, (_, k) => e.address + k)));
    const gap = Array.from({ length: values.length }, (_, k) => address + k).find((a) => !mapped.has(a));
    return refuse(EXCEPTION.illegalDataAddress, `${what} ${gap} is not mapped to a writable point`);
  }
  for (const e of hits) {
    const words = values.slice(e.address - address, e.address - address + e.count);
    const p = e.point;
    let v: Value;
    try {
      v = toEngineering(p, decodeRaw(p.modbus, words, profile.modbus?.defaultOrder));
    } catch (err) {
      return refuse(EXCEPTION.illegalDataValue, `${p.name}: ${(err as Error).message}`, points);
    }
    points.push({ point: p.name, value: v });
    const bad = invalidValue(p, v);
    if (bad) return refuse(EXCEPTION.illegalDataValue, `${p.name}: ${bad}`, points);
  }
  return { ok: true, points };
}

/** Why a decoded value cannot be taken by the point, or undefined. Shared with OPC UA writes. */
export function invalidValue(p: Profile['points'][number], v: Value): string | undefined {
  if (v === null) return 'no value';
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return `${v} is not a number the point can hold`;
    if (p.enum && !(String(v) in p.enum)) {
      return `code ${v} is not one of ${Object.entries(p.enum)
        .map(([k, l]) => `${k} (${l})`)
        .join(', ')}`;
    }
    if (p.range && (v < p.range.min || v > p.range.max)) {
      return `${v} is outside the range ${p.range.min}..${p.range.max}`;
    }
  }
  if (typeof v === 'string' && p.enum && !Object.values(p.enum).includes(v)) {
    return `"${v}" is not one of ${Object.values(p.enum).join(', ')}`;
  }
  return undefined;
}
