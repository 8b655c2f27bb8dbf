/**
 * What a Modbus front-end answers to one request for one unit, faults included. Shared by
 * the TCP (MBAP) and RTU framings; they only wrap the PDU and apply the corruption.
 */
import type { FaultState } from '../faults/fault-state.js';
import { exceptionPdu, handlePdu, type ModbusUnit } from './pdu.js';

export interface ModbusDevice extends ModbusUnit {
  readonly id: string;
  readonly faults: FaultState;
  now(): number;
}

/** unit id → device; one endpoint (port or bus) serves many units */
export type UnitTable = ReadonlyMap<number, ModbusDevice>;

export type Answer =
  | { kind: 'reply'; pdu: Buffer; delayMs: number }
  | { kind: 'corrupt'; pdu: Buffer; mode: 'bad-crc' | 'garbled' | 'truncated'; delayMs: number }
  | { kind: 'silent' }
  | { kind: 'drop' };

/** Byte length a correct response to this request would have (for corrupted answers). */
function responseLength(req: Uint8Array): number {
  const fc = req[0] ?? 0;
  const count = req.length >= 5 ? (req[3]! << 8) | req[4]! : 1;
  if (fc === 1 || fc === 2) return 2 + Math.ceil(Math.min(count, 2000) / 8);
  if (fc === 3 || fc === 4) return 2 + 2 * Math.min(count, 125);
  return 5;
}

/** `unit`: the unit id the request was addressed to (0 for an RTU broadcast), for the write log. */
export function answer(device: ModbusDevice, req: Uint8Array, noise: () => number, unit?: number): Answer {
  const d = device.faults.frame(device.now());
  switch (d.action) {
    case 'refuse':
    case 'drop':
      return { kind: 'drop' };
    case 'timeout':
      return { kind: 'silent' };
    case 'exception':
      return { kind: 'reply', pdu: exceptionPdu(req[0] ?? 0, d.code ?? 4), delayMs: d.delayMs };
    case 'bad-crc':
    case 'garbled':
    case 'truncated': {
      // a plausible-length response of noise; the device's values are not served
      const pdu = Buffer.alloc(responseLength(req));
      for (let i = 0; i < pdu.length; i++) pdu[i] = Math.floor(noise() * 256);
      pdu[0] = req[0] ?? 0;
      if (pdu.length > 1 && pdu[0] >= 1 && pdu[0] <= 4) pdu[1] = pdu.length - 2;
      return { kind: 'corrupt', pdu, mode: d.action, delayMs: d.delayMs };
    }
    default: {
      let pdu: Buffer;
      try {
        pdu = handlePdu(device, req, unit);
      } catch {
        // a value the codec cannot encode must not take the simulator down: the device
        // answers "server device failure", as a real one with an internal fault does
        pdu = exceptionPdu(req[0] ?? 0, 4);
      }
      return { kind: 'reply', pdu, delayMs: d.delayMs };
    }
  }
}

/** Runs `fn` after `ms` (at once when 0), keeping the caller's order for equal delays. */
export function later(ms: number, fn: () => void): void {
  if (ms <= 0) fn();
  else setTimeout(fn, ms);
}
