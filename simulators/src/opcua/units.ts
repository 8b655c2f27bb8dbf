/**
 * Engineering units for OPC-UA: a profile's UCUM/SI unit symbol mapped to the
 * EUInformation fields OPC UA Part 8 asks for (UN/CEFACT Recommendation 20 common code,
 * packed into an Int32 as the spec describes). Units with no known code keep their
 * symbol as the display name and unitId -1 ("not available"), as the spec allows.
 *
 * Pure data: no node-opcua import, so the agent and tests can use it cheaply.
 */

/** namespaceUri of EUInformation when unitId is a UN/CEFACT common code */
export const UNECE_UNITS_URI = 'http://www.opcfoundation.org/UA/units/un/cefact';

export interface EngineeringUnit {
  namespaceUri: string;
  /** packed UN/CEFACT common code, or -1 when the unit has none we know */
  unitId: number;
  /** the symbol shown to operators, e.g. "°C" */
  displayName: string;
  /** the unit's full name, e.g. "degree Celsius" */
  description: string;
}

/** [common code, display symbol, full name], keyed by the profile's unit symbol */
const UNITS: Record<string, readonly [string, string, string]> = {
  // electrical
  V: ['VLT', 'V', 'volt'],
  kV: ['KVT', 'kV', 'kilovolt'],
  mV: ['2Z', 'mV', 'millivolt'],
  A: ['AMP', 'A', 'ampere'],
  mA: ['4K', 'mA', 'milliampere'],
  W: ['WTT', 'W', 'watt'],
  kW: ['KWT', 'kW', 'kilowatt'],
  MW: ['MAW', 'MW', 'megawatt'],
  VA: ['D46', 'VA', 'volt-ampere'],
  kVA: ['KVA', 'kVA', 'kilovolt-ampere'],
  kvar: ['KVR', 'kvar', 'kilovar'],
  'W.h': ['WHR', 'Wh', 'watt hour'],
  Wh: ['WHR', 'Wh', 'watt hour'],
  'kW.h': ['KWH', 'kWh', 'kilowatt hour'],
  kWh: ['KWH', 'kWh', 'kilowatt hour'],
  'MW.h': ['MWH', 'MWh', 'megawatt hour'],
  'A.h': ['AMH', 'Ah', 'ampere hour'],
  Hz: ['HTZ', 'Hz', 'hertz'],
  // temperature
  Cel: ['CEL', '°C', 'degree Celsius'],
  '°C': ['CEL', '°C', 'degree Celsius'],
  K: ['KEL', 'K', 'kelvin'],
  '[degF]': ['FAH', '°F', 'degree Fahrenheit'],
  // ratios
  '%': ['P1', '%', 'percent'],
  '1': ['C62', '1', 'one (dimensionless)'],
  '[ppm]': ['59', 'ppm', 'part per million'],
  ppm: ['59', 'ppm', 'part per million'],
  '[ppb]': ['61', 'ppb', 'part per billion'],
  ppb: ['61', 'ppb', 'part per billion'],
  dB: ['2N', 'dB', 'decibel'],
  // concentration
  'ug/m3': ['GQ', 'µg/m³', 'microgram per cubic metre'],
  'mg/m3': ['GP', 'mg/m³', 'milligram per cubic metre'],
  // pressure
  Pa: ['PAL', 'Pa', 'pascal'],
  hPa: ['A97', 'hPa', 'hectopascal'],
  kPa: ['KPA', 'kPa', 'kilopascal'],
  MPa: ['MPA', 'MPa', 'megapascal'],
  bar: ['BAR', 'bar', 'bar'],
  mbar: ['MBR', 'mbar', 'millibar'],
  // length, speed, angle
  m: ['MTR', 'm', 'metre'],
  cm: ['CMT', 'cm', 'centimetre'],
  mm: ['MMT', 'mm', 'millimetre'],
  km: ['KTM', 'km', 'kilometre'],
  'm/s': ['MTS', 'm/s', 'metre per second'],
  'km/h': ['KMH', 'km/h', 'kilometre per hour'],
  deg: ['DD', '°', 'degree (angle)'],
  '°': ['DD', '°', 'degree (angle)'],
  rad: ['C81', 'rad', 'radian'],
  // volume and flow
  m3: ['MTQ', 'm³', 'cubic metre'],
  L: ['LTR', 'L', 'litre'],
  l: ['LTR', 'L', 'litre'],
  'm3/h': ['MQH', 'm³/h', 'cubic metre per hour'],
  'm3/s': ['MQS', 'm³/s', 'cubic metre per second'],
  'L/s': ['G51', 'L/s', 'litre per second'],
  'L/min': ['L2', 'L/min', 'litre per minute'],
  // time, rotation, mass, light
  s: ['SEC', 's', 'second'],
  ms: ['C26', 'ms', 'millisecond'],
  min: ['MIN', 'min', 'minute'],
  h: ['HUR', 'h', 'hour'],
  '{r}/min': ['RPM', 'r/min', 'revolutions per minute'],
  rpm: ['RPM', 'r/min', 'revolutions per minute'],
  kg: ['KGM', 'kg', 'kilogram'],
  g: ['GRM', 'g', 'gram'],
  lx: ['LUX', 'lx', 'lux'],
  'W/m2': ['D54', 'W/m²', 'watt per square metre'],
};

/**
 * The UnitId packing of OPC UA Part 8 §5.6.3: up to four ASCII characters of the
 * common code, most significant first.
 */
export function commonCodeToUnitId(code: string): number {
  let id = 0;
  for (let i = 0; i < Math.min(4, code.length); i++) id = id * 256 + code.charCodeAt(i);
  return id;
}

/** EUInformation fields for a profile unit symbol (never throws; unknown → unitId -1). */
export function engineeringUnitFor(unit: string): EngineeringUnit {
  const known = Object.hasOwn(UNITS, unit) ? UNITS[unit] : undefined;
  if (!known) return { namespaceUri: UNECE_UNITS_URI, unitId: -1, displayName: unit, description: unit };
  const [code, displayName, description] = known;
  return { namespaceUri: UNECE_UNITS_URI, unitId: commonCodeToUnitId(code), displayName, description };
}
