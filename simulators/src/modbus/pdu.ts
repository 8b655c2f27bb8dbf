/**
 * The Modbus application layer, server side: one request PDU in, one response PDU out
 * (Modbus Application Protocol Specification V1.1b3, §6). Framing (MBAP, RTU) lives in
 * the front-ends; this file knows function codes, quantities and exceptions only.
 */
import type { ModbusTable } from '@ganzhi/device-profiles';

export const FC = {
  readCoils: 1,
  readDiscreteInputs: 2,
  readHoldingRegisters: 3,
  readInputRegisters: 4,
  writeSingleCoil: 5,
  writeSingleRegister: 6,
  writeMultipleCoils: 15,
  writeMultipleRegisters: 16,
} as const;

export const EXCEPTION = {
  illegalFunction: 1,
  illegalDataAddress: 2,
  illegalDataValue: 3,
  serverDeviceFailure: 4,
} as const;

/** Protocol limits per request (§6.1–6.12). */
export const LIMITS = { readBits: 2000, readRegisters: 125, writeBits: 1968, writeRegisters: 123 } as const;

/** Where a write came from, for the device's write log. */
export interface WriteContext {
  /** function code: 5, 6, 15 or 16 */
  fc: number;
  /** the unit id the request was addressed to (0 = RTU broadcast) */
  unit?: number;
}

/** What the PDU layer needs from one unit (a device). Numbers returned are exception codes. */
export interface ModbusUnit {
  readBits(table: 'coil' | 'discrete', address: number, count: number): boolean[] | number;
  readRegisters(table: 'holding' | 'input', address: number, count: number): number[] | number;
  writeBits(address: number, values: boolean[], ctx?: WriteContext): number | undefined;
  writeRegisters(address: number, values: number[], ctx?: WriteContext): number | undefined;
}

export function exceptionPdu(fc: number, code: number): Buffer {
  return Buffer.from([(fc | 0x80) & 0xff, code]);
}

/** Byte length of a request PDU for a known function code, or undefined (unknown/too short). */
export function requestPduLength(
  pdu: Uint8Array,
  offset = 0,
  available = pdu.length - offset,
): number | undefined {
  if (available < 1) return undefined;
  const fc = pdu[offset]!;
  if (fc >= 1 && fc <= 6) return 5;
  if (fc === 15 || fc === 16) {
    if (available < 6) return undefined;
    return 6 + pdu[offset + 5]!;
  }
  return undefined;
}

const tableOf: Record<number, ModbusTable> = { 1: 'coil', 2: 'discrete', 3: 'holding', 4: 'input' };

export function handlePdu(unit: ModbusUnit, pdu: Uint8Array, unitId?: number): Buffer {
  const fc = pdu[0] ?? 0;
  const ctx: WriteContext = unitId === undefined ? { fc } : { fc, unit: unitId };
  const view = Buffer.from(pdu.buffer, pdu.byteOffset, pdu.byteLength);
  switch (fc) {
    case FC.readCoils:
    case FC.readDiscreteInputs: {
      if (view.length !== 5) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const address = view.readUInt16BE(1);
      const count = view.readUInt16BE(3);
      if (count < 1 || count > LIMITS.readBits) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      if (address + count > 0x10000) return exceptionPdu(fc, EXCEPTION.illegalDataAddress);
      const bits = unit.readBits(tableOf[fc] as 'coil' | 'discrete', address, count);
      if (typeof bits === 'number') return exceptionPdu(fc, bits);
      const n = Math.ceil(count / 8);
      const out = Buffer.alloc(2 + n);
      out[0] = fc;
      out[1] = n;
      bits.forEach((b, i) => {
        if (b) out[2 + (i >> 3)]! |= 1 << (i & 7);
      });
      return out;
    }
    case FC.readHoldingRegisters:
    case FC.readInputRegisters: {
      if (view.length !== 5) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const address = view.readUInt16BE(1);
      const count = view.readUInt16BE(3);
      if (count < 1 || count > LIMITS.readRegisters) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      if (address + count > 0x10000) return exceptionPdu(fc, EXCEPTION.illegalDataAddress);
      const words = unit.readRegisters(tableOf[fc] as 'holding' | 'input', address, count);
      if (typeof words === 'number') return exceptionPdu(fc, words);
      const out = Buffer.alloc(2 + 2 * count);
      out[0] = fc;
      out[1] = 2 * count;
      for (let i = 0; i < count; i++) out.writeUInt16BE((words[i] ?? 0) & 0xffff, 2 + 2 * i);
      return out;
    }
    case FC.writeSingleCoil: {
      if (view.length !== 5) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const address = view.readUInt16BE(1);
      const raw = view.readUInt16BE(3);
      if (raw !== 0xff00 && raw !== 0x0000) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const ex = unit.writeBits(address, [raw === 0xff00], ctx);
      return ex ? exceptionPdu(fc, ex) : Buffer.from(view);
    }
    case FC.writeSingleRegister: {
      if (view.length !== 5) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const ex = unit.writeRegisters(view.readUInt16BE(1), [view.readUInt16BE(3)], ctx);
      return ex ? exceptionPdu(fc, ex) : Buffer.from(view);
    }
    case FC.writeMultipleCoils: {
      if (view.length < 6) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const address = view.readUInt16BE(1);
      const count = view.readUInt16BE(3);
      const bytes = view[5]!;
      if (
        count < 1 ||
        count > LIMITS.writeBits ||
        bytes !== Math.ceil(count / 8) ||
        view.length !== 6 + bytes
      ) {
        return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      }
      if (address + count > 0x10000) return exceptionPdu(fc, EXCEPTION.illegalDataAddress);
      const values = Array.from({ length: count }, (_, i) => ((view[6 + (i >> 3)]! >> (i & 7)) & 1) === 1);
      const ex = unit.writeBits(address, values, ctx);
      return ex ? exceptionPdu(fc, ex) : Buffer.from(view.subarray(0, 5));
    }
    case FC.writeMultipleRegisters: {
      if (view.length < 6) return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      const address = view.readUInt16BE(1);
      const count = view.readUInt16BE(3);
      const bytes = view[5]!;
      if (count < 1 || count > LIMITS.writeRegisters || bytes !== 2 * count || view.length !== 6 + bytes) {
        return exceptionPdu(fc, EXCEPTION.illegalDataValue);
      }
      if (address + count > 0x10000) return exceptionPdu(fc, EXCEPTION.illegalDataAddress);
      const values = Array.from({ length: count }, (_, i) => view.readUInt16BE(6 + 2 * i));
      const ex = unit.writeRegisters(address, values, ctx);
      return ex ? exceptionPdu(fc, ex) : Buffer.from(view.subarray(0, 5));
    }
    default:
      return exceptionPdu(fc, EXCEPTION.illegalFunction);
  }
}
