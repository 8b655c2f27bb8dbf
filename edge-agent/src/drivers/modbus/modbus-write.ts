/**
 * Modbus writes (commands, issue 15): which function carries a point's value, and whether a
 * value read back matches what was written.
 *
 * Function choice (MODBUS Application Protocol Specification V1.1b3):
 * - coil: one coil by 05 Write Single Coil (§6.5: FF 00 = ON, 00 00 = OFF), or by 15 Write
 *   Multiple Coils (§6.11) when the device's `writeMultiple` is set.
 * - holding register: a value of one register by 06 Write Single Register (§6.6); anything of
 *   more than one register (int32/uint32/float32/64-bit/strings) ALWAYS in one 16 Write
 *   Multiple Registers (§6.12), never cut into several 06 writes; `writeMultiple` forces 16
 *   for single registers too (devices that refuse 06).
 * - input registers and discrete inputs are read-only tables: never written.
 * - a `bit` inside a holding register is not written (it would need a read-modify-write of the
 *   whole register, which can undo a concurrent change): refused with the reason.
 *
 * Engineering → raw is the codec's encodePoint (scale/offset inverted, rounded half away from
 * zero for integer encodings, range-checked, the point's own byte/word order or the profile's
 * `defaultOrder`).
 */
import {
  encodePoint,
  isCodecError,
  type ModbusPoint,
  type Point,
  registerCount,
  type Value,
} from '@ganzhi/device-profiles';

export type WritePlan =
  | { ok: true; fc: 5 | 6 | 15 | 16; table: 'coil' | 'holding'; address: number; words: number[] }
  | { ok: false; reason: string };

export interface WritePlanOptions {
  /** force 15/16 for single coils and registers */
  writeMultiple?: boolean;
  defaultOrder?: ModbusPoint['modbus']['order'];
}

/** The function, address and words that write `value` to `point`, or why it cannot be written. */
export function planWrite(point: Point, value: Value, opts: WritePlanOptions = {}): WritePlan {
  if (!('modbus' in point)) return { ok: false, reason: `point ${point.name} has no Modbus binding` };
  const b = point.modbus;
  if (b.table === 'input' || b.table === 'discrete') {
    const what = b.table === 'input' ? 'input registers' : 'discrete inputs';
    return { ok: false, reason: `point ${point.name} is in the ${what} table, which is read-only` };
  }
  if (b.type === 'bit' && b.table === 'holding') {
    return {
      ok: false,
      reason: `point ${point.name} is bit ${b.bit ?? 0} of a register: bit writes are not supported`,
    };
  }
  let words: number[];
  try {
    words = encodePoint(point, value, opts.defaultOrder);
  } catch (err) {
    if (isCodecError(err)) return { ok: false, reason: err.message };
    throw err;
  }
  if (b.table === 'coil') {
    return { ok: true, fc: opts.writeMultiple ? 15 : 5, table: 'coil', address: b.address, words };
  }
  if (words.length !== registerCount(b)) {
    return {
      ok: false,
      reason: `point ${point.name}: encoded ${words.length} registers, expected ${registerCount(b)}`,
    };
  }
  const fc = words.length === 1 && !opts.writeMultiple ? 6 : 16;
  return { ok: true, fc, table: 'holding', address: b.address, words };
}

/**
 * Whether a value read back matches the value requested, within the point's resolution:
 * - integer encodings: half a raw step (|scale|/2, 0.5 without scale) — the write rounded the
 *   value to the nearest step, so what is read back differs from the request by at most that;
 *   a device holding the next step is a mismatch;
 * - float32: the float32 precision (relative 2^-23) plus one |scale| step when scaled;
 * - float64: relative 1e-12;
 * - booleans, strings, enum labels: equal.
 */
export function readbackMatches(point: ModbusPoint, requested: Value, read: Value): boolean {
  if (typeof read === 'number' && typeof requested !== 'boolean') {
    const want = typeof requested === 'number' ? requested : Number(requested);
    if (!Number.isFinite(want)) return false;
    const t = point.modbus.type;
    const step = Math.abs(point.scale ?? 1);
    let tol: number;
    if (t === 'float32') tol = Math.abs(want) * 2 ** -23 + (point.scale !== undefined ? step : 0);
    else if (t === 'float64') tol = Math.abs(want) * 1e-12;
    else tol = (step / 2) * (1 + 1e-9);
    return Math.abs(read - want) <= tol;
  }
  if (typeof read === 'boolean') {
    const want =
      typeof requested === 'boolean'
        ? requested
        : typeof requested === 'number'
          ? requested !== 0
          : /^(1|true|on)$/i.test(String(requested).trim());
    return read === want;
  }
  return String(read) === String(requested);
}
