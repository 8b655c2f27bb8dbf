/**
 * The frames a serial device emits each interval, built from its profile's selectors:
 * NMEA sentences (one per sentence type the points use) or one delimited ASCII line
 * (column selectors, with the profile's prefix; inside <STX>…<ETX>HH when the checksum is
 * xor-stx-etx). Each intact frame counts one served sample of each of its points; frames a
 * fault corrupts do not.
 */
import { isSerialPoint, type Profile, type SerialPoint } from '@ganzhi/device-profiles';
import { serialText } from '../device/quantise.js';
import type { SimDevice } from '../device/sim-device.js';
import { simError } from '../errors.js';
import { defaultFields, nmeaChecksum, nmeaSentence } from './nmea.js';
import { stxEtxFrame } from './stx-etx.js';

/** NMEA field numbers of latitude and longitude per sentence */
const LATLON_FIELDS: Record<string, [number, number]> = { GGA: [2, 4], RMC: [3, 5], GLL: [1, 3] };

const isAngle = (p: SerialPoint) => {
  const sel = p.serial.select;
  return sel.kind === 'nmea' && (sel.decode === 'latitude' || sel.decode === 'longitude');
};

export interface SerialFrames {
  /** the bytes of one emission (frames with terminators) */
  emit(now: number, noise: () => number): Buffer;
}

function terminatorOf(profile: Profile): string {
  const f = profile.serial?.framing;
  if (!f || f.kind === 'line') return f?.terminator ?? '\r\n';
  if (f.kind === 'delimiter') return f.delimiter;
  return '';
}

function fit(profile: Profile, frame: string): string {
  const f = profile.serial?.framing;
  if (f?.kind === 'fixed') return frame.padEnd(f.length, ' ').slice(0, f.length);
  return frame + terminatorOf(profile);
}

function sum8(text: string): string {
  let s = 0;
  for (let i = 0; i < text.length; i++) s = (s + text.charCodeAt(i)) & 0xff;
  return s.toString(16).toUpperCase().padStart(2, '0');
}

export function serialFrames(device: SimDevice): SerialFrames {
  const profile = device.profile;
  const points = profile.points.filter(isSerialPoint);
  const nmea = points.filter((p) => p.serial.select.kind === 'nmea');
  const columns = points.filter((p) => p.serial.select.kind === 'column');
  const regex = points.filter((p) => p.serial.select.kind === 'regex');
  if (regex.length > 0) {
    throw simError(
      'GZ_SIM_PROFILE',
      `profile ${profile.id}: regex selectors (${regex.map((p) => p.name).join(', ')}) cannot be simulated; use column or nmea selectors`,
    );
  }
  const sentences = [...new Set(nmea.map((p) => (p.serial.select as { sentence: string }).sentence))];
  const delim = profile.serial?.columnDelimiter ?? ',';
  const checksum = profile.serial?.checksum ?? 'none';

  /** Values for the frame: counted samples when the frame goes out intact, else a peek. */
  const values = (now: number, count: boolean) => {
    const out = new Map<string, { text: string | [string, string]; ts: number }>();
    for (const p of points) {
      const s = count ? device.sample(p.name, now)! : { value: device.valueAt(p.name, now), sourceTs: now };
      out.set(p.name, { text: serialText(p as SerialPoint, s.value), ts: s.sourceTs });
    }
    return out;
  };

  const build = (now: number, count: boolean, badChecksum: boolean): string[] => {
    const v = values(now, count);
    const ts = v.values().next().value?.ts ?? now;
    const frames: string[] = [];
    for (const type of sentences) {
      const fields = defaultFields(type, ts);
      for (const p of nmea) {
        const sel = p.serial.select as { sentence: string; field: number };
        if (sel.sentence !== type) continue;
        const text = v.get(p.name)!.text;
        while (fields.length < sel.field + 1) fields.push('');
        if (Array.isArray(text)) {
          fields[sel.field - 1] = text[0];
          fields[sel.field] = text[1];
        } else {
          fields[sel.field - 1] = text;
        }
      }
      // position in sentences the profile maps no position in (RMC when lat/lon come from GGA)
      const ll = LATLON_FIELDS[type];
      if (
        ll &&
        !nmea.some((p) => (p.serial.select as { sentence: string }).sentence === type && isAngle(p))
      ) {
        for (const p of nmea.filter(isAngle)) {
          const text = v.get(p.name)!.text as [string, string];
          const f = (p.serial.select as { decode: string }).decode === 'latitude' ? ll[0] : ll[1];
          fields[f - 1] = text[0];
          fields[f] = text[1];
        }
      }
      let s = nmeaSentence('GP', type, fields);
      if (badChecksum) s = s.slice(0, -2) + (nmeaChecksum(s.slice(1, -3)) === '00' ? '01' : '00');
      frames.push(s);
    }
    if (columns.length > 0) {
      const max = Math.max(...columns.map((p) => (p.serial.select as { index: number }).index));
      const cols = new Array<string>(max + 1).fill('');
      for (const p of columns) {
        const t = v.get(p.name)!.text;
        cols[(p.serial.select as { index: number }).index] = Array.isArray(t) ? t.join(delim) : t;
      }
      const prefix = profile.serial?.prefix ?? '';
      let line = columns.some((p) => (p.serial.select as { index: number }).index === 0)
        ? prefix + cols.join(delim)
        : [prefix, ...cols.slice(1)].join(delim);
      if (checksum === 'sum8-hex') line = `${line}*${badChecksum ? sum8(`${line}x`) : sum8(line)}`;
      else if (checksum === 'nmea') line = `${line}*${nmeaChecksum(badChecksum ? `${line}x` : line)}`;
      // Gill / MetSENS: every field, the last one too, is followed by the delimiter, then ETX
      else if (checksum === 'xor-stx-etx') line = stxEtxFrame(`${line}${delim}`, badChecksum);
      frames.push(line);
    }
    return frames;
  };

  return {
    emit(now, noise) {
      const f = device.faults.line(now);
      if (f.timeout) return Buffer.alloc(0);
      const corrupt = f.partial || f.badChecksum;
      const frames = build(now, !corrupt, f.badChecksum).map((s) => fit(profile, s));
      const parts: Buffer[] = [];
      if (f.garbage) {
        const junk = Buffer.alloc(8 + Math.floor(noise() * 24));
        for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(noise() * 256);
        parts.push(junk);
      }
      for (const fr of frames) {
        const b = Buffer.from(fr, 'latin1');
        parts.push(f.partial ? b.subarray(0, Math.max(1, Math.floor(b.length / 2))) : b);
      }
      return Buffer.concat(parts);
    },
  };
}
