/**
 * The symbol people read for a point's unit. Profiles, the wire contract and the stores keep
 * the UCUM code (`Cel`, `kW.h`, `[ppb]`, `ug/m3`, `/min`, `1`); pages show `°C`, `kWh`, `ppb`,
 * `µg/m³`, `rpm` and nothing for a dimensionless number, a boolean or a label.
 *
 * A few codes are named outright (they do not follow from the spelling: `Cel`, `/min`, `1`);
 * the rest is spelled out by UCUM's own rules (UCUM §2.2 "Syntax Rules", §3.2 "Prefixes"):
 * `.` multiplies (`kW.h` → kWh), a trailing digit is an exponent (`m3` → m³), `u` is the
 * micro prefix (`uS/cm` → µS/cm), `[…]` brackets an arbitrary unit (`[ppb]` → ppb) and
 * `{…}` is an annotation (dropped).
 */

const NAMED: Readonly<Record<string, string>> = {
  '1': '',
  '': '',
  Cel: '°C',
  '[degF]': '°F',
  deg: '°',
  '/min': 'rpm',
  '{rev}/min': 'rpm',
  '[ppth]': '‰',
  '%': '%',
};

const SUPERSCRIPT: Readonly<Record<string, string>> = { '2': '²', '3': '³', '-1': '⁻¹', '-2': '⁻²' };

/** One atom with its exponent: `m3` → m³, `ug` → µg, `[ppb]` → ppb. */
function atom(a: string): string {
  if (a === '') return '';
  const named = NAMED[a];
  if (named !== undefined) return named;
  if (a.startsWith('[') && a.endsWith(']')) return a.slice(1, -1);
  const m = /^([A-Za-z]+)(-?\d)?$/.exec(a);
  if (!m) return a;
  let base = m[1]!;
  if (base === 'Cel') base = '°C';
  // the micro prefix: u before a unit UCUM prefixes (ug, uS, um, us, uA, uV, umol)
  else if (base.length > 1 && base.startsWith('u')) base = `µ${base.slice(1)}`;
  const exp = m[2];
  return exp === undefined ? base : base + (SUPERSCRIPT[exp] ?? `^${exp}`);
}

/** The display symbol of a UCUM unit code; '' for dimensionless. Unknown spellings pass through. */
export function unitSymbol(ucum: string | undefined | null): string {
  if (ucum === undefined || ucum === null) return '';
  const code = ucum.trim().replace(/\{[^}]*\}/g, '');
  const named = NAMED[code];
  if (named !== undefined) return named;
  // a/b: numerator and denominator, each a product of atoms joined by '.'
  return code
    .split('/')
    .map((part) => part.split('.').map(atom).join(''))
    .join('/');
}

/** The symbol to show beside a point's value: none for booleans, labels (enums) and text. */
export function pointUnitSymbol(p: { unit: string; type: string; enum?: unknown }): string {
  if (p.type === 'boolean' || p.type === 'string' || p.enum !== undefined) return '';
  return unitSymbol(p.unit);
}
