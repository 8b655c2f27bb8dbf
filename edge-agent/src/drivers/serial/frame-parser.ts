/**
 * Checks a frame's checksum and picks point values out of it with the profile's selectors
 * (nmea / regex / column). Pure functions; never throw on garbage.
 */
import type { Point, SerialLine, SerialPoint, SerialSelector, Value } from '@ganzhi/device-profiles';
import { toEngineering } from '@ganzhi/device-profiles';

/**
 * A checked frame: the body the selectors read, or why it was refused. A refused frame still
 * carries the body as far as it could be cut out (unverified), to tell which points it held.
 */
export type CheckedFrame = { ok: true; body: string } | { ok: false; reason: string; body?: string };

const hex2 = (n: number) => n.toString(16).toUpperCase().padStart(2, '0');

/** XOR of the bytes of `body`, as two upper-case hex digits. */
function xor8(body: string): string {
  let x = 0;
  for (let i = 0; i < body.length; i++) x ^= body.charCodeAt(i) & 0xff;
  return hex2(x);
}

/** XOR of the characters between '$' (or '!') and '*'. */
export function nmeaChecksum(body: string): string {
  return xor8(body);
}

export const STX = '\x02';
export const ETX = '\x03';

/**
 * The checksum of `checksum: xor-stx-etx` (Gill / Campbell MetSENS lines): XOR of the bytes
 * between STX and ETX, both excluded, as two upper-case hex digits (the devices send upper case).
 */
export function stxEtxChecksum(body: string): string {
  return xor8(body);
}

export function checkFrame(frame: string, checksum: SerialLine['checksum']): CheckedFrame {
  if (checksum === 'none') return { ok: true, body: frame };
  if (checksum === 'nmea') {
    const start = Math.max(frame.lastIndexOf('$'), frame.lastIndexOf('!'));
    if (start < 0) return { ok: false, reason: 'no sentence start' };
    const s = frame.slice(start);
    const star = s.lastIndexOf('*');
    if (star < 0 || star + 3 > s.length)
      return { ok: false, reason: 'no checksum', body: star < 0 ? s : s.slice(0, star) };
    const body = s.slice(1, star);
    const given = s.slice(star + 1, star + 3).toUpperCase();
    return given === nmeaChecksum(body)
      ? { ok: true, body: s.slice(0, star) }
      : { ok: false, reason: 'checksum', body: s.slice(0, star) };
  }
  if (checksum === 'xor-stx-etx') return checkStxEtx(frame);
  // sum8-hex: trailing *HH = byte sum mod 256 of everything before the '*'
  const star = frame.lastIndexOf('*');
  if (star < 0 || star + 3 > frame.length)
    return { ok: false, reason: 'no checksum', body: star < 0 ? frame : frame.slice(0, star) };
  const body = frame.slice(0, star);
  let sum = 0;
  for (let i = 0; i < body.length; i++) sum = (sum + (body.charCodeAt(i) & 0xff)) & 0xff;
  return frame.slice(star + 1, star + 3).toUpperCase() === hex2(sum)
    ? { ok: true, body }
    : { ok: false, reason: 'checksum', body };
}

/**
 * `[junk]<STX>body<ETX>HH`, the line terminator already cut off by the framer. Bytes before
 * the last STX are line noise and ignored (STX marks the start); after ETX come exactly two
 * hex digits (either case) and nothing else. The body (STX and ETX excluded) is what the
 * selectors, prefix and columns see.
 */
function checkStxEtx(frame: string): CheckedFrame {
  const etx = frame.lastIndexOf(ETX);
  const stx = frame.lastIndexOf(STX, etx < 0 ? frame.length : etx);
  if (stx < 0) return { ok: false, reason: 'no STX' };
  if (etx < stx) return { ok: false, reason: 'no ETX', body: frame.slice(stx + 1) };
  const body = frame.slice(stx + 1, etx);
  const given = frame.slice(etx + 1);
  if (body.includes(ETX)) return { ok: false, reason: 'ETX inside the frame', body };
  if (given.length < 2) return { ok: false, reason: 'no checksum', body };
  if (given.length > 2) return { ok: false, reason: 'bytes after the checksum', body };
  return given.toUpperCase() === stxEtxChecksum(body)
    ? { ok: true, body }
    : { ok: false, reason: 'checksum', body };
}

/** The reason a refused frame gives its points and the device status. */
export function frameFailure(reason: string): string {
  return reason === 'checksum' ? 'checksum' : `bad frame: ${reason}`;
}

/** The fields of an NMEA sentence body (`$GPGGA,…` without `*hh`): [address, field1, …]. */
export function nmeaFields(body: string): string[] | undefined {
  if (!/^[$!][A-Z0-9]{3,6},/.test(body)) return undefined;
  return body.slice(1).split(',');
}

/** ddmm.mmmm (degrees in the leading digits) + hemisphere → signed decimal degrees. */
export function nmeaAngle(text: string, hemi: string | undefined, degDigits: 2 | 3): number {
  if (!(degDigits === 2 ? /^\d{4}(\.\d+)?$/ : /^\d{5}(\.\d+)?$/).test(text)) return Number.NaN;
  const deg = Number(text.slice(0, degDigits));
  const min = Number(text.slice(degDigits));
  if (min >= 60) return Number.NaN;
  const v = deg + min / 60;
  if (hemi === 'S' || hemi === 'W') return -v;
  if (hemi === 'N' || hemi === 'E') return v;
  return Number.NaN;
}

export interface ParseContext {
  line: SerialLine;
  /** NMEA fields of the frame, when it is a sentence */
  nmea?: string[];
  columns?: string[];
}

export function contextOf(body: string, line: SerialLine): ParseContext {
  const ctx: ParseContext = { line };
  const nmea = nmeaFields(body);
  if (nmea) ctx.nmea = nmea;
  ctx.columns = body.split(line.columnDelimiter ?? ',');
  return ctx;
}

/**
 * The raw text (or number, for latitude/longitude) a selector picks from a frame, or
 * undefined when this frame does not carry the point (another sentence, prefix mismatch).
 */
export function select(sel: SerialSelector, body: string, ctx: ParseContext): string | number | undefined {
  switch (sel.kind) {
    case 'nmea': {
      const f = ctx.nmea;
      const address = f?.[0];
      if (!f || !address || address.slice(-3) !== sel.sentence) return undefined;
      const text = f[sel.field];
      if (text === undefined) return undefined;
      if (sel.decode === 'latitude') return nmeaAngle(text, f[sel.field + 1], 2);
      if (sel.decode === 'longitude') return nmeaAngle(text, f[sel.field + 1], 3);
      return text;
    }
    case 'regex': {
      if (ctx.line.prefix && !body.startsWith(ctx.line.prefix)) return undefined;
      let re: RegExp;
      try {
        re = new RegExp(sel.pattern);
      } catch {
        return undefined;
      }
      const m = re.exec(body);
      if (!m) return undefined;
      return typeof sel.group === 'number' ? m[sel.group] : m.groups?.[sel.group];
    }
    case 'column': {
      if (ctx.line.prefix && !body.startsWith(ctx.line.prefix)) return undefined;
      return ctx.columns?.[sel.index];
    }
  }
}

export type PointResult = { ok: true; value: Value } | { ok: false; reason: string };

/** Turns the selected text into the point's engineering value. */
export function toValue(point: Point, picked: string | number): PointResult {
  try {
    if (typeof picked === 'number') {
      return Number.isFinite(picked)
        ? { ok: true, value: toEngineering(point, picked) }
        : { ok: false, reason: 'empty field' };
    }
    const text = picked.trim();
    if (point.enum) {
      // enum keys are integers: any other text is a corrupted field, not a label
      if (!/^-?\d+$/.test(text)) return { ok: false, reason: 'not an enum code' };
      return { ok: true, value: toEngineering(point, Number(text)) };
    }
    if (point.type === 'string') return { ok: true, value: toEngineering(point, text) };
    if (text === '') return { ok: false, reason: 'empty field' };
    if (point.type === 'boolean') return { ok: true, value: toEngineering(point, text) };
    const n = Number(text);
    if (!Number.isFinite(n)) return { ok: false, reason: 'not a number' };
    return { ok: true, value: toEngineering(point, n) };
  } catch (err) {
    return { ok: false, reason: `decode: ${(err as Error).message}` };
  }
}

export interface FrameValues {
  checksum: 'ok' | 'failed' | 'none';
  reason?: string;
  values: { point: SerialPoint; result: PointResult }[];
}

/**
 * Everything one frame says: checksum status and the value of each point it carries. A
 * refused frame gives every point it appears to carry (selectors run on the unverified body)
 * a bad result with the reason, and no value.
 */
export function parseFrame(frame: string, line: SerialLine, points: readonly SerialPoint[]): FrameValues {
  const checked = checkFrame(frame, line.checksum);
  if (!checked.ok) return refused(checked.reason, checked.body, line, points);
  const ctx = contextOf(checked.body, line);
  const wrongCount = nmeaFieldCountProblem(ctx.nmea);
  if (wrongCount) return refused(wrongCount, checked.body, line, points);
  const values: FrameValues['values'] = [];
  for (const point of points) {
    const picked = select(point.serial.select, checked.body, ctx);
    if (picked !== undefined) values.push({ point, result: toValue(point, picked) });
  }
  return { checksum: line.checksum === 'none' ? 'none' : 'ok', values };
}

function refused(
  reason: string,
  body: string | undefined,
  line: SerialLine,
  points: readonly SerialPoint[],
): FrameValues {
  const values: FrameValues['values'] = [];
  if (body !== undefined) {
    const ctx = contextOf(body, line);
    const result: PointResult = { ok: false, reason: frameFailure(reason) };
    for (const point of points) {
      if (select(point.serial.select, body, ctx) !== undefined) values.push({ point, result });
    }
  }
  return { checksum: 'failed', reason, values };
}

/**
 * Fields after the address in the sentences whose layout NMEA-0183 fixes, per version (e.g.
 * RMC gained the mode field in 2.3 and the navigational status in 4.1). A corruption that
 * passes the checksum — a flipped comma — shifts every later field; the count catches it.
 */
const NMEA_FIELD_COUNTS: Readonly<Record<string, readonly number[]>> = {
  GGA: [14],
  RMC: [11, 12, 13],
  GLL: [6, 7],
  VTG: [8, 9],
  GSA: [17, 18],
  ZDA: [6],
};

export function nmeaFieldCountProblem(fields: readonly string[] | undefined): string | undefined {
  const address = fields?.[0];
  if (!fields || !address) return undefined;
  const sentence = address.slice(-3);
  const allowed = NMEA_FIELD_COUNTS[sentence];
  const n = fields.length - 1;
  if (!allowed || allowed.includes(n)) return undefined;
  return `${sentence} has ${n} fields, expected ${allowed.join(' or ')}`;
}
