/**
 * Every plausible reading of raw registers, for the probe: 16-bit as int16/uint16 and,
 * starting at each address, 32-bit as int32/uint32/float32 in all four byte orders.
 */
import { BYTE_ORDERS, type ByteOrder, decodeRaw, type ModbusType } from '@ganzhi/device-profiles';

export interface Decoding32 {
  order: ByteOrder;
  int32: number;
  uint32: number;
  float32: number;
}

export interface RegisterDecodings {
  address: number;
  word: number;
  int16: number;
  uint16: number;
  /** absent on the last register of the range */
  wide?: Decoding32[];
}

function dec(type: ModbusType, words: number[], order: ByteOrder): number {
  return Number(decodeRaw({ table: 'holding', address: 0, type, order }, words));
}

export function decodings(from: number, words: readonly number[]): RegisterDecodings[] {
  return words.map((w, i) => {
    const r: RegisterDecodings = {
      address: from + i,
      word: w,
      uint16: dec('uint16', [w], 'ABCD'),
      int16: dec('int16', [w], 'ABCD'),
    };
    const next = words[i + 1];
    if (next !== undefined) {
      r.wide = BYTE_ORDERS.map((order) => ({
        order,
        int32: dec('int32', [w, next], order),
        uint32: dec('uint32', [w, next], order),
        float32: dec('float32', [w, next], order),
      }));
    }
    return r;
  });
}

/** A float that looks like a measurement: finite, zero or between 1e-4 and 1e7 in magnitude, few digits. */
export function plausibleFloat(x: number): boolean {
  if (!Number.isFinite(x)) return false;
  if (x === 0) return true;
  const a = Math.abs(x);
  return a >= 1e-4 && a < 1e7;
}

export function formatFloat(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  return Number(x.toPrecision(7)).toString();
}

export function renderDecodings(rows: RegisterDecodings[]): string[] {
  const out: string[] = [];
  out.push('address  hex     uint16   int16   | 32-bit from this address: order float32 / int32 / uint32');
  for (const r of rows) {
    const head = `${String(r.address).padStart(7)}  0x${r.word.toString(16).padStart(4, '0')}  ${String(r.uint16).padStart(6)}  ${String(r.int16).padStart(6)}`;
    if (!r.wide) {
      out.push(head);
      continue;
    }
    const parts = r.wide.map(
      (d) =>
        `${d.order} ${plausibleFloat(d.float32) ? formatFloat(d.float32) : '—'} / ${d.int32} / ${d.uint32}`,
    );
    out.push(`${head}   | ${parts[0]}`);
    for (const p of parts.slice(1)) out.push(`${' '.repeat(head.length)}   | ${p}`);
  }
  return out;
}
