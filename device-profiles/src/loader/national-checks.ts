/**
 * Cross-checks of the DL/T 645, CJ/T 188 and HJ 212 point bindings (see cross-check.ts):
 * identifiers known to the codec or given a format, units that fit what the wire carries,
 * items that exist for the meter type, no item read twice.
 */
import type { PathSegment } from '../config/problem.js';
import type { Cjt188Point, Dlt645Point, Hj212Point, Profile } from '../profile-schema.js';
import { POINT_UNITS } from '../protocols/cjt188/read-data.js';
import { dataIdInfo, formatShape } from '../protocols/dlt645/data-ids.js';
import type { Finding } from './binding-checks.js';

const NUMERIC = new Set(['integer', 'float']);

export function checkDlt645(
  points: { p: Dlt645Point; i: number }[],
  device: Profile['dlt645'],
  out: Finding[],
): void {
  const seen = new Map<string, number>();
  const version = device?.version ?? '2007';
  for (const { p, i } of points) {
    const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, 'dlt645', ...rest];
    const id = p.dlt645.dataId.toUpperCase();
    const want = version === '2007' ? 8 : 4;
    if (id.length !== want) {
      out.push({
        path: at('dataId'),
        message: `DL/T 645-${version} data identifiers have ${want} hex digits, got ${id}`,
      });
    }
    const prev = seen.get(id);
    if (prev !== undefined)
      out.push({ path: at('dataId'), message: `data identifier ${id} is also read by points[${prev}]` });
    else seen.set(id, i);
    const info = dataIdInfo(id);
    if (p.dlt645.format !== undefined) {
      const shape = formatShape(p.dlt645.format);
      if (!shape)
        out.push({
          path: at('format'),
          message: `${p.dlt645.format} is not a whole number of BCD bytes (even count of X, at most 16)`,
        });
      if (info && info.format !== p.dlt645.format) {
        out.push({
          path: at('format'),
          message: `${id} is ${info.format} in DL/T 645 (${info.name}), not ${p.dlt645.format}`,
        });
      }
    } else if (!info) {
      out.push({
        path: at('dataId'),
        at: at('dataId'),
        message: `${id} is not in the codec's table: give format (e.g. XXXXXX.XX)`,
      });
    }
    if (info && p.dlt645.signed !== undefined && p.dlt645.signed !== info.signed) {
      out.push({
        path: at('signed'),
        message: `${id} is ${info.signed ? 'signed' : 'unsigned'} in DL/T 645`,
      });
    }
    if (info && p.scale === undefined && p.offset === undefined && p.unit !== info.unit) {
      out.push({
        path: ['points', i, 'unit'],
        message: `${id} (${info.name}) is in ${info.unit}, not ${p.unit} (use scale to convert)`,
      });
    }
    if (!NUMERIC.has(p.type) || p.enum !== undefined) {
      out.push({
        path: ['points', i, 'type'],
        message: `DL/T 645 values are numbers: type float (or integer), not ${p.type}`,
      });
    } else if (
      p.type === 'integer' &&
      p.scale === undefined &&
      (formatShape(p.dlt645.format ?? info?.format ?? '')?.decimals ?? 0) > 0
    ) {
      out.push({ path: ['points', i, 'type'], message: `${id} has decimals: use type float` });
    }
  }
}

const FLOW_FIELDS = new Set(['current-flow', 'settlement-flow']);
const HEAT_FIELDS = new Set([
  'settlement-heat',
  'current-heat',
  'heat-power',
  'flow-rate',
  'accumulated-flow',
  'supply-temperature',
  'return-temperature',
  'working-hours',
]);
const QUANTITY_KIND: Record<string, 'energy' | 'power' | 'volume' | 'flow'> = {
  'current-flow': 'volume',
  'settlement-flow': 'volume',
  'accumulated-flow': 'volume',
  'settlement-heat': 'energy',
  'current-heat': 'energy',
  'heat-power': 'power',
  'flow-rate': 'flow',
};

export function checkCjt188(
  points: { p: Cjt188Point; i: number }[],
  device: Profile['cjt188'],
  out: Finding[],
): void {
  const seen = new Map<string, number>();
  const t = device?.meterType;
  const heat = t === 0x20 || t === 0x21;
  const flow = t !== undefined && ((t >= 0x10 && t <= 0x19) || t === 0x30);
  if (t !== undefined && !heat && !flow) {
    out.push({
      path: ['cjt188', 'meterType'],
      message: `meter type ${t} (0x${t.toString(16)}) has no read-data layout: 16-25 water, 32/33 heat, 48 gas`,
    });
  }
  for (const { p, i } of points) {
    const field = p.cjt188.field;
    const at: PathSegment[] = ['points', i, 'cjt188', 'field'];
    const prev = seen.get(field);
    if (prev !== undefined) out.push({ path: at, message: `${field} is also read by points[${prev}]` });
    else seen.set(field, i);
    if (heat && FLOW_FIELDS.has(field))
      out.push({
        path: at,
        message: `${field} is a water/gas meter item; a heat meter replies ${[...HEAT_FIELDS].join(', ')}`,
      });
    if (flow && HEAT_FIELDS.has(field))
      out.push({
        path: at,
        message: `${field} is a heat meter item; a water/gas meter replies current-flow, settlement-flow`,
      });
    const kind = QUANTITY_KIND[field];
    const unit = POINT_UNITS[p.unit];
    if (kind && (!unit || unit.kind !== kind)) {
      const ok = Object.entries(POINT_UNITS)
        .filter(([, u]) => u.kind === kind)
        .map(([s]) => s);
      out.push({
        path: ['points', i, 'unit'],
        message: `${field} measures ${kind}: unit one of ${ok.join(', ')}, not ${p.unit}`,
      });
    }
    if ((field === 'supply-temperature' || field === 'return-temperature') && p.unit !== 'Cel') {
      out.push({ path: ['points', i, 'unit'], message: `${field} is in Cel, not ${p.unit}` });
    }
    if (field === 'working-hours' && p.unit !== 'h')
      out.push({ path: ['points', i, 'unit'], message: `working-hours is in h, not ${p.unit}` });
    const wantType = field === 'valve' ? 'string' : field === 'battery-low' ? 'boolean' : undefined;
    if (wantType && p.type !== wantType)
      out.push({ path: ['points', i, 'type'], message: `${field} reads as a ${wantType}, not ${p.type}` });
    if (!wantType && !NUMERIC.has(p.type))
      out.push({ path: ['points', i, 'type'], message: `${field} is a number: type float, not ${p.type}` });
  }
}

export function checkHj212(points: { p: Hj212Point; i: number }[], out: Finding[]): void {
  const seen = new Map<string, number>();
  for (const { p, i } of points) {
    const b = p.hj212;
    const field = b.field ?? 'Rtd';
    const cn = b.cn ?? (field === 'Rtd' ? '2011' : undefined);
    const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, 'hj212', ...rest];
    if (cn === undefined)
      out.push({
        path: at('cn'),
        at: at('field'),
        message: `${field} values come with a period: give cn 2051 (minute), 2061 (hour) or 2031 (day)`,
      });
    else if (field === 'Rtd' && cn !== '2011')
      out.push({ path: at('cn'), message: `Rtd (real-time) values come in cn 2011, not ${cn}` });
    else if (field !== 'Rtd' && cn === '2011')
      out.push({ path: at('cn'), message: `${field} values come in 2051, 2061 or 2031; 2011 carries Rtd` });
    const key = `${b.code}-${field} in ${cn ?? '?'}`;
    const prev = seen.get(key);
    if (prev !== undefined) out.push({ path: at('code'), message: `${key} is also read by points[${prev}]` });
    else seen.set(key, i);
    if (!NUMERIC.has(p.type) || p.enum !== undefined)
      out.push({
        path: ['points', i, 'type'],
        message: `HJ 212 values are numbers: type float, not ${p.type}`,
      });
  }
}
