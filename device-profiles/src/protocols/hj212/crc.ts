/**
 * The CRC16 of HJ 212-2017, Appendix A (normative), exactly as its steps say: register
 * 0xFFFF; for each byte, XOR the byte into the register's HIGH byte — the register becomes
 * (register >> 8) XOR byte — then 8 times: shift right, XOR 0xA001 if the bit shifted out
 * was 1. The result is sent as 4 hex digits, high byte first.
 *
 * This is not CRC-16/MODBUS (which XORs the byte into the LOW byte and keeps all 16 bits);
 * code that circulates online often uses that one by mistake. Because the register is
 * reduced to 8 bits before each byte, the standard's CRC has only 256 possible values:
 * it is a weak check, and a frame is also refused for a wrong length or terminator.
 * Pinned by the standard's own example (A.4): the data segment of
 * `##0101QN=20160801085857223;…;CP=&&RtdInterval=30&&1C80\r\n` gives 1C80.
 */
export function hj212Crc16(bytes: Uint8Array): number {
  let reg = 0xffff;
  for (const b of bytes) {
    reg = (reg >> 8) ^ b;
    for (let j = 0; j < 8; j++) {
      const out = reg & 1;
      reg >>= 1;
      if (out) reg ^= 0xa001;
    }
  }
  return reg;
}

export const crcHex = (crc: number): string => crc.toString(16).toUpperCase().padStart(4, '0');
