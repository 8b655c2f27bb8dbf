/**
 * Text formats of serial devices' numbers, shared by the line emitters and the ground
 * truth so the truth is exactly what a correct reader parses back.
 */
import type { SerialPoint } from '@ganzhi/device-profiles';

/** Decimal places a serial point's raw number is printed with. */
export function serialDecimals(point: SerialPoint): number {
  if (point.type === 'integer') return 0;
  const sel = point.serial.select;
  if (sel.kind === 'nmea' && (sel.decode === 'latitude' || sel.decode === 'longitude')) return 6;
  return 3;
}

/** NMEA ddmm.mmmmm (lat, 2 degree digits) or dddmm.mmmmm (lon, 3) plus hemisphere letter. */
export function formatNmeaAngle(deg: number, kind: 'latitude' | 'longitude'): [string, string] {
  const hemi = kind === 'latitude' ? (deg < 0 ? 'S' : 'N') : deg < 0 ? 'W' : 'E';
  const a = Math.abs(deg);
  let d = Math.floor(a);
  let units = Math.round((a - d) * 60 * 100_000);
  if (units >= 6_000_000) {
    d += 1;
    units -= 6_000_000;
  }
  const min = (units / 100_000).toFixed(5).padStart(8, '0');
  return [`${String(d).padStart(kind === 'latitude' ? 2 : 3, '0')}${min}`, hemi];
}

/** Parses ddmm.mmmm + hemisphere back to signed degrees (what a reader computes). */
export function parseNmeaAngle(text: string, hemi: string): number {
  const dot = text.indexOf('.');
  const degDigits = (dot < 0 ? text.length : dot) - 2;
  const d = Number(text.slice(0, degDigits));
  const m = Number(text.slice(degDigits));
  const v = d + m / 60;
  return hemi === 'S' || hemi === 'W' ? -v : v;
}
