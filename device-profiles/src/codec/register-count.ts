import type { ModbusBinding } from '../profile-schema.js';

/** Modbus protocol limits (Modbus Application Protocol Specification V1.1b3, §6.1–6.4). */
export const MAX_REGISTERS_PER_READ = 125;
export const MAX_BITS_PER_READ = 2000;

/** How many registers (or, for coil/discrete tables, bits) one binding occupies. */
export function registerCount(b: Pick<ModbusBinding, 'table' | 'type' | 'length'>): number {
  if (b.table === 'coil' || b.table === 'discrete') return 1;
  switch (b.type) {
    case 'bool':
    case 'bit':
    case 'int16':
    case 'uint16':
      return 1;
    case 'int32':
    case 'uint32':
    case 'float32':
      return 2;
    case 'int64':
    case 'uint64':
    case 'float64':
      return 4;
    case 'string':
      return b.length ?? 1;
  }
}
