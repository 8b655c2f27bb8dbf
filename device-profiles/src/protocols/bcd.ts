/**
 * Packed BCD as the Chinese metering standards (DL/T 645, CJ/T 188) put it on the wire:
 * multi-byte numbers least significant byte first, two decimal digits per byte, high nibble
 * the more significant digit. Decoding never guesses: a nibble above 9 is an error that
 * names the byte, so a corrupted digit can never become a plausible value.
 */

export type BcdResult = { ok: true; value: number; digits: string } | { ok: false; reason: string };

/**
 * Decodes `bytes` (LSB first) with `decimals` digits after the point. With `signed`, bit 7
 * of the most significant byte (the last one) is the sign (DL/T 645-2007 §4.3 / Appendix A:
 * "最高位为符号位"), and the remaining 3 bits of that nibble must still be a digit.
 */
export function decodeBcd(bytes: Uint8Array, decimals: number, signed = false): BcdResult {
  let digits = '';
  let negative = false;
  for (let i = bytes.length - 1; i >= 0; i--) {
    let b = bytes[i]!;
    if (signed && i === bytes.length - 1) {
      negative = (b & 0x80) !== 0;
      b &= 0x7f;
    }
    const hi = b >> 4;
    const lo = b & 0x0f;
    if (hi > 9 || lo > 9) {
      return {
        ok: false,
        reason: `BCD digit > 9 in byte ${i} (0x${bytes[i]!.toString(16).padStart(2, '0')})`,
      };
    }
    digits += `${hi}${lo}`;
  }
  const int = Number(digits);
  const magnitude = decimals > 0 ? int / 10 ** decimals : int;
  // -0 is reported as 0: a meter that sets only the sign bit of a zero means zero
  const value = negative && magnitude !== 0 ? -magnitude : magnitude;
  return { ok: true, value, digits };
}

/**
 * Encodes a value into `length` BCD bytes (LSB first), rounding to `decimals`. Returns
 * undefined when the value does not fit (too large, negative for an unsigned field, NaN).
 */
export function encodeBcd(
  value: number,
  length: number,
  decimals: number,
  signed = false,
): Uint8Array | undefined {
  if (!Number.isFinite(value)) return undefined;
  if (value < 0 && !signed) return undefined;
  const scaled = Math.round(Math.abs(value) * 10 ** decimals);
  const maxDigits = length * 2;
  const text = String(scaled);
  if (text.length > maxDigits || /e/i.test(text)) return undefined;
  const padded = text.padStart(maxDigits, '0');
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const pos = maxDigits - 2 * (i + 1);
    out[i] = (Number(padded[pos]) << 4) | Number(padded[pos + 1]);
  }
  if (signed) {
    if (out[length - 1]! & 0x80) return undefined; // the top digit would collide with the sign bit
    if (value < 0 && scaled !== 0) out[length - 1]! |= 0x80;
  }
  return out;
}

/** Digits of a BCD string (LSB-first bytes) as text, e.g. an address; letters A-F kept as is. */
export function bcdText(bytes: Uint8Array): string {
  let s = '';
  for (let i = bytes.length - 1; i >= 0; i--) s += bytes[i]!.toString(16).padStart(2, '0');
  return s.toUpperCase();
}

/** The inverse of bcdText: 2·n hex characters (most significant first) into n bytes LSB first. */
export function textBcd(text: string, length: number): Uint8Array | undefined {
  if (text.length !== length * 2 || !/^[0-9A-Fa-f]+$/.test(text)) return undefined;
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i++) {
    const pos = text.length - 2 * (i + 1);
    out[i] = Number.parseInt(text.slice(pos, pos + 2), 16);
  }
  return out;
}

/** Byte sum modulo 256, the checksum of DL/T 645 and CJ/T 188 frames. */
export function sum8(bytes: Uint8Array, from = 0, to = bytes.length): number {
  let s = 0;
  for (let i = from; i < to; i++) s = (s + bytes[i]!) & 0xff;
  return s;
}

export const hex = (bytes: Uint8Array): string =>
  Array.from(bytes, (b) => b.toString(16).padStart(2, '0').toUpperCase()).join(' ');
