/**
 * How far a served value may lie from the exact value behind it: half the step of the grid
 * the point is quantised to on the wire (float32 → half an ulp, a scaled integer → half its
 * scale, a serial field printed with d decimals → half of 10^-d), the tolerance a relation
 * between served values has to allow.
 */
import {
  isCjt188Point,
  isDlt645Point,
  isHj212Point,
  isModbusPoint,
  isOpcuaPoint,
  type Point,
} from '@ganzhi/device-profiles';
import { ITEM_SHAPE } from '../cjt188/values.js';
import { formatOf } from '../dlt645/values.js';
import { HJ212_DECIMALS } from '../hj212/values.js';
import { opcuaDataTypeOf } from '../opcua/data-types.js';
import { serialDecimals } from '../serial/format.js';

const HALF_ULP_32 = 2 ** -24;
const HALF_ULP_64 = 2 ** -53;

/** Largest |served − exact| for an engineering value v of the point (0 for booleans and text). */
export function resolution(point: Point, v: number): number {
  if (point.type === 'boolean' || point.type === 'string' || point.enum) return 0;
  const scale = Math.abs(point.scale ?? 1);
  const raw = Math.abs((v - (point.offset ?? 0)) / (point.scale ?? 1));
  let half: number;
  if (isModbusPoint(point)) {
    const t = point.modbus.type;
    half = t === 'float32' ? raw * HALF_ULP_32 : t === 'float64' ? raw * HALF_ULP_64 : 0.5;
  } else if (isOpcuaPoint(point)) {
    const t = opcuaDataTypeOf(point);
    half = t === 'Float' ? raw * HALF_ULP_32 : t === 'Double' ? raw * HALF_ULP_64 : 0.5;
  } else if (isDlt645Point(point)) {
    // the BCD format's digits after the point (XXX.X → 1)
    const fmt = formatOf(point)?.format ?? '';
    const dot = fmt.indexOf('.');
    half = 0.5 * 10 ** -(dot < 0 ? 0 : fmt.length - dot - 1);
  } else if (isCjt188Point(point)) {
    // in the served unit; a converted unit scales it, which the scale term below does not know
    half = 0.5 * 10 ** -(ITEM_SHAPE[point.cjt188.field]?.[0] ?? 0);
  } else if (isHj212Point(point)) {
    half = 0.5 * 10 ** -HJ212_DECIMALS;
  } else {
    half = 0.5 * 10 ** -serialDecimals(point);
  }
  // the float arithmetic of scale and offset adds a few ulps of the engineering value
  return half * scale + 4 * Math.abs(v) * HALF_ULP_64;
}
