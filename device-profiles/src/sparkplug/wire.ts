/**
 * Protocol Buffers wire format (proto2), just what `sparkplug_b.proto` needs: varints (up to
 * 64 bits, as bigint where a number could lose precision), fixed32 floats, fixed64 doubles and
 * length-delimited fields (strings, bytes, nested messages). Written by hand so the Sparkplug
 * codec has no runtime dependency (the edge agent runs on small gateways) and so a malformed
 * payload is refused with an error that names the field path and byte offset.
 *
 * Encoding reference: https://protobuf.dev/programming-guides/encoding/ (varint, ZigZag is
 * not used by sparkplug_b.proto, wire types 0, 1, 2, 5; groups 3/4 are refused).
 */

export const WIRE_VARINT = 0;
export const WIRE_FIXED64 = 1;
export const WIRE_LEN = 2;
export const WIRE_FIXED32 = 5;

export class SparkplugCodecError extends Error {
  readonly code: 'GZ_SPARKPLUG_DECODE' | 'GZ_SPARKPLUG_ENCODE';
  constructor(code: 'GZ_SPARKPLUG_DECODE' | 'GZ_SPARKPLUG_ENCODE', message: string, options?: ErrorOptions) {
    super(message, options);
    this.code = code;
  }
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();
const TWO_64 = 1n << 64n;

/** A cursor over one message (or one nested message) of a payload. */
export class ProtoReader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start = 0,
    readonly end = buf.length,
    /** field path for error messages, e.g. `metrics[2].properties` */
    readonly path = '',
  ) {
    this.pos = start;
  }

  get done(): boolean {
    return this.pos >= this.end;
  }

  fail(what: string): never {
    throw new SparkplugCodecError(
      'GZ_SPARKPLUG_DECODE',
      `${this.path || '(payload)'}: ${what} at byte ${this.pos}`,
    );
  }

  /** A varint as a bigint (any value up to 2^64 - 1). */
  varintBig(): bigint {
    let result = 0n;
    let shift = 0n;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) {
        if (i === 9 && b > 1) this.fail('varint longer than 64 bits');
        return result;
      }
      shift += 7n;
    }
    return this.fail('varint longer than 10 bytes');
  }

  /** A varint that must fit a safe integer (lengths, tags, seq, timestamps). */
  varint(): number {
    // fast path: up to 4 bytes (28 bits)
    let result = 0;
    let shift = 0;
    const start = this.pos;
    for (let i = 0; i < 4; i++) {
      if (this.pos >= this.end) this.fail('truncated varint');
      const b = this.buf[this.pos++] as number;
      result |= (b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result >>> 0;
      shift += 7;
    }
    this.pos = start;
    const big = this.varintBig();
    if (big > BigInt(Number.MAX_SAFE_INTEGER)) this.fail(`value ${big} exceeds 2^53 - 1`);
    return Number(big);
  }

  /** A uint32 varint (values above 2^32 - 1 are truncated to 32 bits, as protobuf does). */
  uint32(): number {
    return Number(this.varintBig() & 0xffffffffn);
  }

  bool(): boolean {
    return this.varintBig() !== 0n;
  }

  float(): number {
    if (this.pos + 4 > this.end) this.fail('truncated float');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 4).getFloat32(0, true);
    this.pos += 4;
    return v;
  }

  double(): number {
    if (this.pos + 8 > this.end) this.fail('truncated double');
    const v = new DataView(this.buf.buffer, this.buf.byteOffset + this.pos, 8).getFloat64(0, true);
    this.pos += 8;
    return v;
  }

  /** The bounds of a length-delimited field. */
  span(): [number, number] {
    const len = this.varint();
    const start = this.pos;
    if (start + len > this.end) this.fail(`length ${len} runs past the end of the message`);
    this.pos = start + len;
    return [start, start + len];
  }

  bytes(): Uint8Array {
    const [s, e] = this.span();
    return this.buf.slice(s, e);
  }

  string(): string {
    const [s, e] = this.span();
    try {
      return utf8.decode(this.buf.subarray(s, e));
    } catch {
      this.pos = s;
      return this.fail('string is not valid UTF-8');
    }
  }

  /** A reader over a nested message. */
  sub(path: string): ProtoReader {
    const [s, e] = this.span();
    return new ProtoReader(this.buf, s, e, path);
  }

  /** Next field: its number and wire type. */
  tag(): { field: number; wire: number } {
    const t = this.varint();
    const field = Math.floor(t / 8);
    const wire = t & 7;
    if (field === 0) this.fail('field number 0');
    return { field, wire };
  }

  /** Skips a field of an unknown number (forward compatibility: extensions, new fields). */
  skip(wire: number): void {
    switch (wire) {
      case WIRE_VARINT:
        this.varintBig();
        return;
      case WIRE_FIXED64:
        if (this.pos + 8 > this.end) this.fail('truncated fixed64');
        this.pos += 8;
        return;
      case WIRE_LEN:
        this.span();
        return;
      case WIRE_FIXED32:
        if (this.pos + 4 > this.end) this.fail('truncated fixed32');
        this.pos += 4;
        return;
      default:
        this.fail(`unsupported wire type ${wire}`);
    }
  }

  /** Asserts the wire type of a known field. */
  expect(field: number, wire: number, want: number): void {
    if (wire !== want) this.fail(`field ${field} has wire type ${wire}, expected ${want}`);
  }
}

/** A growable byte buffer with the protobuf primitives. */
export class ProtoWriter {
  private buf = new Uint8Array(256);
  private len = 0;

  private ensure(n: number): void {
    if (this.len + n <= this.buf.length) return;
    let size = this.buf.length * 2;
    while (size < this.len + n) size *= 2;
    const next = new Uint8Array(size);
    next.set(this.buf.subarray(0, this.len));
    this.buf = next;
  }

  private byte(b: number): void {
    this.ensure(1);
    this.buf[this.len++] = b;
  }

  /** A non-negative integer or bigint below 2^64, as a varint. */
  varint(v: number | bigint): void {
    if (typeof v === 'number' && v >= 0 && v <= 0x7fffffff && Number.isInteger(v)) {
      let x = v;
      while (x > 0x7f) {
        this.byte((x & 0x7f) | 0x80);
        x >>>= 7;
      }
      this.byte(x);
      return;
    }
    let x = BigInt(v);
    if (x < 0n || x >= TWO_64)
      throw new SparkplugCodecError('GZ_SPARKPLUG_ENCODE', `varint ${x} out of range`);
    while (x > 0x7fn) {
      this.byte(Number(x & 0x7fn) | 0x80);
      x >>= 7n;
    }
    this.byte(Number(x));
  }

  tag(field: number, wire: number): void {
    this.varint(field * 8 + wire);
  }

  float(v: number): void {
    this.ensure(4);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 4).setFloat32(0, v, true);
    this.len += 4;
  }

  double(v: number): void {
    this.ensure(8);
    new DataView(this.buf.buffer, this.buf.byteOffset + this.len, 8).setFloat64(0, v, true);
    this.len += 8;
  }

  bytes(b: Uint8Array): void {
    this.varint(b.length);
    this.ensure(b.length);
    this.buf.set(b, this.len);
    this.len += b.length;
  }

  string(s: string): void {
    this.bytes(utf8Encoder.encode(s));
  }

  /** A nested message written by `fill` into its own buffer, then length-prefixed. */
  message(field: number, fill: (w: ProtoWriter) => void): void {
    const inner = new ProtoWriter();
    fill(inner);
    this.tag(field, WIRE_LEN);
    this.bytes(inner.finish());
  }

  finish(): Uint8Array {
    return this.buf.slice(0, this.len);
  }
}
