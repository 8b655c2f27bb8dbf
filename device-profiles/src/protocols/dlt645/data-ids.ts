/**
 * Data identifiers (DI) with their formats, from DL/T 645-2007 Appendix A (Table A.1 energy,
 * Table A.3 variables) and DL/T 645-1997 §7 (Table 1: 2-byte identifiers). A format is the
 * standard's own notation: `XXXXXX.XX` = 8 BCD digits, 2 after the point, 4 bytes LSB first.
 * `signed`: the standard marks the value's most significant bit as the sign (Table A.3:
 * currents, powers, power factor).
 */

export interface DataIdFormat {
  /** as in the standard, e.g. XXX.XXX */
  format: string;
  signed: boolean;
}

export interface DataIdInfo extends DataIdFormat {
  id: string;
  /** 2007 or 1997 */
  version: '2007' | '1997';
  name: string;
  /** UCUM-style unit as profiles spell it */
  unit: string;
}

const d = (id: string, name: string, format: string, unit: string, signed = false): DataIdInfo => ({
  id,
  version: id.length === 8 ? '2007' : '1997',
  name,
  format,
  unit,
  signed,
});

const PHASES = ['A', 'B', 'C'] as const;

export const DATA_IDS: readonly DataIdInfo[] = [
  // 2007, Table A.1 (energy; 00 ss tt 00: ss = kind, tt = tariff 00 total)
  d('00000000', 'combined active energy, total', 'XXXXXX.XX', 'kW.h'),
  d('00010000', 'forward active energy, total', 'XXXXXX.XX', 'kW.h'),
  d('00020000', 'reverse active energy, total', 'XXXXXX.XX', 'kW.h'),
  d('00030000', 'combined reactive energy 1, total', 'XXXXXX.XX', 'kvar.h'),
  d('00040000', 'combined reactive energy 2, total', 'XXXXXX.XX', 'kvar.h'),
  ...[1, 2, 3, 4].map((t) =>
    d(`000100${String(t).padStart(2, '0')}`, `forward active energy, tariff ${t}`, 'XXXXXX.XX', 'kW.h'),
  ),
  // 2007, Table A.3 (variables)
  ...PHASES.map((p, i) => d(`0201${String(i + 1).padStart(2, '0')}00`, `phase ${p} voltage`, 'XXX.X', 'V')),
  ...PHASES.map((p, i) =>
    d(`0202${String(i + 1).padStart(2, '0')}00`, `phase ${p} current`, 'XXX.XXX', 'A', true),
  ),
  d('02030000', 'total active power', 'XX.XXXX', 'kW', true),
  ...PHASES.map((p, i) =>
    d(`0203${String(i + 1).padStart(2, '0')}00`, `phase ${p} active power`, 'XX.XXXX', 'kW', true),
  ),
  d('02040000', 'total reactive power', 'XX.XXXX', 'kvar', true),
  ...PHASES.map((p, i) =>
    d(`0204${String(i + 1).padStart(2, '0')}00`, `phase ${p} reactive power`, 'XX.XXXX', 'kvar', true),
  ),
  d('02050000', 'total apparent power', 'XX.XXXX', 'kV.A', true),
  ...PHASES.map((p, i) =>
    d(`0205${String(i + 1).padStart(2, '0')}00`, `phase ${p} apparent power`, 'XX.XXXX', 'kV.A', true),
  ),
  d('02060000', 'total power factor', 'X.XXX', '1', true),
  ...PHASES.map((p, i) =>
    d(`0206${String(i + 1).padStart(2, '0')}00`, `phase ${p} power factor`, 'X.XXX', '1', true),
  ),
  d('02800001', 'neutral current', 'XXX.XXX', 'A', true),
  d('02800002', 'grid frequency', 'XX.XX', 'Hz'),
  d('02800007', 'meter temperature', 'XXX.X', 'Cel', true),
  // 1997, Table 1 (2-byte identifiers, sent low byte first like 2007's)
  d('9010', 'forward active energy, total (1997)', 'XXXXXX.XX', 'kW.h'),
  d('9020', 'reverse active energy, total (1997)', 'XXXXXX.XX', 'kW.h'),
  ...PHASES.map((p, i) => d(`B61${i + 1}`, `phase ${p} voltage (1997)`, 'XXX', 'V')),
  ...PHASES.map((p, i) => d(`B62${i + 1}`, `phase ${p} current (1997)`, 'XX.XX', 'A')),
  d('B630', 'total active power (1997)', 'XX.XXXX', 'kW'),
  ...PHASES.map((p, i) => d(`B63${i + 1}`, `phase ${p} active power (1997)`, 'XX.XXXX', 'kW')),
];

const BY_ID = new Map(DATA_IDS.map((x) => [x.id, x]));

export function dataIdInfo(id: string): DataIdInfo | undefined {
  return BY_ID.get(id.toUpperCase());
}

export const DATA_ID_PATTERN = /^([0-9A-F]{8}|[0-9A-F]{4})$/;

/** Parsed format: digits in total, digits after the point, bytes on the wire. */
export interface FormatShape {
  digits: number;
  decimals: number;
  bytes: number;
}

/** `XXX.XXX` → {digits 6, decimals 3, bytes 3}; undefined for an odd or malformed format. */
export function formatShape(format: string): FormatShape | undefined {
  const m = /^(X+)(?:\.(X+))?$/.exec(format);
  if (!m) return undefined;
  const digits = m[1]!.length + (m[2]?.length ?? 0);
  if (digits % 2 !== 0 || digits > 16) return undefined;
  return { digits, decimals: m[2]?.length ?? 0, bytes: digits / 2 };
}

/** The DI's bytes on the wire (before the 0x33 offset): least significant byte first. */
export function dataIdBytes(id: string): Uint8Array {
  const n = id.length / 2;
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++)
    out[i] = Number.parseInt(id.slice(id.length - 2 * (i + 1), id.length - 2 * i), 16);
  return out;
}

export function dataIdText(bytes: Uint8Array): string {
  let s = '';
  for (let i = bytes.length - 1; i >= 0; i--) s += bytes[i]!.toString(16).padStart(2, '0');
  return s.toUpperCase();
}
