/**
 * A cursor over a JSON text for the scanner (scan-batch.ts): reads strings, point names,
 * integers and numbers in place, checking them as it goes, and returns a failure value
 * (undefined, -1, false) instead of throwing for anything it does not take.
 */

/** Integers of at most this many digits are exact and parsed here (ms timestamps have 13). */
const MAX_INT_DIGITS = 15;

const QUOTE = 34;
export const COMMA = 44;
export const COLON = 58;
const MINUS = 45;
const DOT = 46;
const D0 = 48;
const D9 = 57;
const LOW_A = 97;
const LOW_Z = 122;
const UNDERSCORE = 95;
const BACKSLASH = 92;
const POW10 = Array.from({ length: 16 }, (_, i) => 10 ** i);
/** The character codes of `t`, for Cursor.key. */
export const codes = (t: string): readonly number[] => Array.from(t, (c) => c.charCodeAt(0));

/** Recently made short strings by a hash of their characters (Cursor.intern). */
const INTERNED = 1024;
const interned: (string | undefined)[] = new Array(INTERNED).fill(undefined);

/** A cursor over the payload text; every read returns a failure value rather than throwing. */
export class Cursor {
  pos = 0;
  constructor(readonly s: string) {}

  /** `"…"` of plain ASCII without escapes; undefined otherwise. */
  string(): string | undefined {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== QUOTE) return undefined;
    const start = this.pos + 1;
    let i = start;
    let h = 0;
    for (;;) {
      const c = s.charCodeAt(i); // NaN past the end: fails every comparison below
      if (c === QUOTE) break;
      if (!(c >= 0x20 && c < 0x7f) || c === BACKSLASH) return undefined;
      h = (h * 31 + c) | 0;
      i++;
    }
    this.pos = i + 1;
    return this.intern(start, i, h);
  }

  /** A point name: `"[a-z][a-z0-9_]{0,62}"`, checked while it is read; undefined otherwise. */
  pointName(): string | undefined {
    const s = this.s;
    if (s.charCodeAt(this.pos) !== QUOTE) return undefined;
    const start = this.pos + 1;
    let c = s.charCodeAt(start);
    if (!(c >= LOW_A && c <= LOW_Z)) return undefined;
    let h = c;
    let i = start + 1;
    for (;;) {
      c = s.charCodeAt(i);
      if (c === QUOTE) break;
      if (!((c >= LOW_A && c <= LOW_Z) || (c >= D0 && c <= D9) || c === UNDERSCORE)) return undefined;
      h = (h * 31 + c) | 0;
      i++;
    }
    if (i - start > 63) return undefined;
    this.pos = i + 1;
    return this.intern(start, i, h);
  }

  /**
   * s[start, end) as a string: the one made last time for these characters when the cache
   * still has it (point names and units repeat in every batch), else a new one.
   */
  private intern(start: number, end: number, hash: number): string {
    const slot = hash & (INTERNED - 1);
    const c = interned[slot];
    const s = this.s;
    if (c !== undefined && c.length === end - start) {
      let j = 0;
      while (j < c.length && c.charCodeAt(j) === s.charCodeAt(start + j)) j++;
      if (j === c.length) return c;
    }
    const out = s.slice(start, end);
    interned[slot] = out;
    return out;
  }

  /** Plain decimal digits (no sign, fraction or exponent), at most MAX_INT_DIGITS; else -1. */
  integer(): number {
    const s = this.s;
    const start = this.pos;
    let i = start;
    let n = 0;
    for (;;) {
      const c = s.charCodeAt(i);
      if (!(c >= D0 && c <= D9)) break;
      n = n * 10 + (c - D0);
      i++;
    }
    const len = i - start;
    if (len === 0 || len > MAX_INT_DIGITS || (len > 1 && s.charCodeAt(start) === D0)) return -1;
    const c = s.charCodeAt(i);
    if (c === DOT || c === 101 || c === 69) return -1; // 1.0, 1e3: let JSON.parse decide
    this.pos = i;
    return n;
  }

  /** set by number(): the value and the field text (String(value), as the reference writes it) */
  numValue = 0;
  numText = '';

  /** A JSON number into numValue and numText; false when it is not a finite JSON number. */
  number(): boolean {
    const s = this.s;
    const start = this.pos;
    let i = start;
    if (s.charCodeAt(i) === MINUS) i++;
    const intStart = i;
    let mantissa = 0;
    let c = s.charCodeAt(i);
    if (c === D0) {
      i++;
    } else if (c >= 49 && c <= D9) {
      do {
        mantissa = mantissa * 10 + (c - D0);
        i++;
        c = s.charCodeAt(i);
      } while (c >= D0 && c <= D9);
    } else return false;
    let digits = i - intStart;
    let fracLen = 0;
    let canonical = true;
    c = s.charCodeAt(i);
    if (c === DOT) {
      i++;
      const fracStart = i;
      for (;;) {
        c = s.charCodeAt(i);
        if (!(c >= D0 && c <= D9)) break;
        mantissa = mantissa * 10 + (c - D0);
        i++;
      }
      fracLen = i - fracStart;
      if (fracLen === 0) return false;
      digits += fracLen;
      if (s.charCodeAt(i - 1) === D0) canonical = false; // 1.50 prints as 1.5
      if (s.charCodeAt(intStart) === D0) {
        // 0.000001 prints as is, 0.0000001 as 1e-7
        let z = 0;
        while (s.charCodeAt(fracStart + z) === D0) z++;
        if (z > 5) canonical = false;
      }
    }
    let exact = true;
    if (c === 101 || c === 69) {
      canonical = false;
      exact = false;
      i++;
      c = s.charCodeAt(i);
      if (c === 43 || c === MINUS) i++;
      const expStart = i;
      for (;;) {
        c = s.charCodeAt(i);
        if (!(c >= D0 && c <= D9)) break;
        i++;
      }
      if (i === expStart) return false;
    }
    // More than 15 digits may not survive the round trip through a double as written;
    // -0 prints as 0. Everything else without an exponent prints exactly as written (a
    // decimal of at most 15 significant digits is the shortest one naming its double).
    if (digits > 15) {
      canonical = false;
      exact = false;
    }
    // at most 15 digits: the mantissa is an exact integer and 10^fracLen an exact double, so
    // one division rounds correctly, as Number(text) does
    let value = exact ? mantissa / (POW10[fracLen] as number) : +s.slice(start, i);
    if (exact && intStart !== start) value = -value;
    if (!Number.isFinite(value)) return false;
    if (value === 0 && intStart !== start) canonical = false;
    this.numValue = value;
    this.numText = canonical ? s.slice(start, i) : String(value);
    this.pos = i;
    return true;
  }

  /** Consumes `c` if it is next. */
  eat(c: number): boolean {
    if (this.s.charCodeAt(this.pos) !== c) return false;
    this.pos++;
    return true;
  }

  /** Consumes the text whose character codes are `codes` if it is next. */
  key(codes: readonly number[]): boolean {
    const s = this.s;
    const p = this.pos;
    for (let j = 0; j < codes.length; j++) if (s.charCodeAt(p + j) !== codes[j]) return false;
    this.pos = p + codes.length;
    return true;
  }
}
