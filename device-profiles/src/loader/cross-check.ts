/**
 * Checks a profile beyond its schema: everything that needs two fields or two points at
 * once. Runs on partly invalid profiles too (only on the points that pass the point
 * schema), so one pass reports schema errors and cross-check errors together.
 */
import { Value } from '@sinclair/typebox/value';
import type { PathSegment } from '../config/problem.js';
import { compileModel } from '../model/compile-model.js';
import { DeviceModel } from '../model/model-schema.js';
import {
  Cjt188Device,
  type Cjt188Point,
  Dlt645Device,
  type Dlt645Point,
  type Hj212Point,
  isCjt188Point,
  isDlt645Point,
  isHj212Point,
  isModbusPoint,
  isOpcuaPoint,
  isSerialPoint,
  ModbusDevice,
  type ModbusPoint,
  type OpcuaPoint,
  Point,
  type Profile,
  SerialLine,
  type SerialPoint,
} from '../profile-schema.js';
import { checkModbus, checkOpcua, checkSerial, type Finding } from './binding-checks.js';
import { checkCjt188, checkDlt645, checkHj212 } from './national-checks.js';

const PROTOCOLS = ['modbus', 'opcua', 'serial', 'dlt645', 'cjt188', 'hj212'] as const;
const bindingOf = (p: Point): (typeof PROTOCOLS)[number] =>
  isModbusPoint(p)
    ? 'modbus'
    : isOpcuaPoint(p)
      ? 'opcua'
      : isSerialPoint(p)
        ? 'serial'
        : isDlt645Point(p)
          ? 'dlt645'
          : isCjt188Point(p)
            ? 'cjt188'
            : 'hj212';

export type { Finding } from './binding-checks.js';

type Loose = Record<string, unknown>;
const isObj = (v: unknown): v is Loose => typeof v === 'object' && v !== null && !Array.isArray(v);

export function crossCheckProfile(value: unknown): Finding[] {
  const out: Finding[] = [];
  if (!isObj(value)) return out;
  const rawPoints = Array.isArray(value.points) ? value.points : [];
  const points: { p: Point; i: number }[] = [];
  rawPoints.forEach((p, i) => {
    if (Value.Check(Point, p)) points.push({ p, i });
  });
  const protocol = (PROTOCOLS as readonly string[]).includes(value.protocol as string)
    ? (value.protocol as Profile['protocol'])
    : undefined;

  checkSections(value, protocol, out);
  checkNames(rawPoints, out);
  for (const { p, i } of points) {
    checkPointValues(p, i, out);
    const binding = bindingOf(p);
    if (protocol && binding !== protocol) {
      out.push({
        path: ['points', i, binding],
        message: `${binding} binding in a profile with protocol ${protocol}: every point must use the profile's protocol`,
      });
    }
  }
  const modbusDevice = Value.Check(ModbusDevice, value.modbus) ? value.modbus : undefined;
  checkModbus(
    points.filter((x): x is { p: ModbusPoint; i: number } => isModbusPoint(x.p)),
    modbusDevice,
    out,
  );
  checkOpcua(
    points.filter((x): x is { p: OpcuaPoint; i: number } => isOpcuaPoint(x.p)),
    isObj(value.opcua) && typeof value.opcua.namespaceUri === 'string' ? value.opcua.namespaceUri : undefined,
    out,
  );
  checkSerial(
    points.filter((x): x is { p: SerialPoint; i: number } => isSerialPoint(x.p)),
    Value.Check(SerialLine, value.serial) ? value.serial : undefined,
    out,
  );
  if (Value.Check(SerialLine, value.serial)) checkStxEtx(value.serial, out);
  if (value.relations !== undefined && Value.Check(DeviceModel, value.relations)) {
    const names = rawPoints.flatMap((p) => (isObj(p) && typeof p.name === 'string' ? [p.name] : []));
    out.push(...compileModel(value.relations, names).findings);
  }
  const pick = <T extends Point>(is: (p: Point) => p is T) =>
    points.filter((x): x is { p: T; i: number } => is(x.p));
  checkDlt645(
    pick<Dlt645Point>(isDlt645Point),
    Value.Check(Dlt645Device, value.dlt645) ? value.dlt645 : undefined,
    out,
  );
  checkCjt188(
    pick<Cjt188Point>(isCjt188Point),
    Value.Check(Cjt188Device, value.cjt188) ? value.cjt188 : undefined,
    out,
  );
  checkHj212(pick<Hj212Point>(isHj212Point), out);
  return out;
}

const STX = '\x02';
const ETX = '\x03';
const hasMarker = (s: string | undefined) => s !== undefined && (s.includes(STX) || s.includes(ETX));

/**
 * `checksum: xor-stx-etx` frames are <STX>body<ETX>HH: the checksum must end the frame (no
 * fixed-length padding after it), the frame cutter must not cut at STX or ETX, and the
 * prefix and columns see the body only (STX already stripped), so none may contain them.
 */
function checkStxEtx(line: SerialLine, out: Finding[]): void {
  if (line.checksum !== 'xor-stx-etx') return;
  if (line.framing.kind === 'fixed') {
    out.push({
      path: ['serial', 'framing', 'kind'],
      message:
        'checksum xor-stx-etx needs line or delimiter framing: the two hex digits after ETX end the frame',
    });
  }
  if (line.framing.kind === 'delimiter' && hasMarker(line.framing.delimiter)) {
    out.push({
      path: ['serial', 'framing', 'delimiter'],
      message: 'with checksum xor-stx-etx the frame delimiter must not contain STX (\\x02) or ETX (\\x03)',
    });
  }
  if (hasMarker(line.prefix)) {
    out.push({
      path: ['serial', 'prefix'],
      message:
        'with checksum xor-stx-etx the prefix is matched after STX: leave STX (\\x02) and ETX (\\x03) out, e.g. "Q"',
    });
  }
  if (hasMarker(line.columnDelimiter)) {
    out.push({
      path: ['serial', 'columnDelimiter'],
      message: 'with checksum xor-stx-etx the column delimiter must not contain STX (\\x02) or ETX (\\x03)',
    });
  }
}

function checkSections(value: Loose, protocol: Profile['protocol'] | undefined, out: Finding[]): void {
  if (!protocol) return;
  if (protocol === 'serial' && value.serial === undefined) {
    out.push({
      path: ['serial'],
      at: ['protocol'],
      message: 'a serial profile needs a serial section (framing and checksum)',
    });
  }
  if (protocol === 'cjt188' && value.cjt188 === undefined) {
    out.push({
      path: ['cjt188'],
      at: ['protocol'],
      message: 'a cjt188 profile needs a cjt188 section (meterType)',
    });
  }
  for (const section of PROTOCOLS) {
    if (section !== protocol && value[section] !== undefined) {
      out.push({ path: [section], message: `${section} settings do not apply to protocol ${protocol}` });
    }
  }
}

function checkNames(rawPoints: unknown[], out: Finding[]): void {
  const first = new Map<string, number>();
  rawPoints.forEach((p, i) => {
    if (!isObj(p) || typeof p.name !== 'string') return;
    const prev = first.get(p.name);
    if (prev === undefined) first.set(p.name, i);
    else
      out.push({
        path: ['points', i, 'name'],
        message: `duplicate point name ${p.name} (also points[${prev}])`,
      });
  });
}

const NUMERIC = new Set(['integer', 'float']);

function checkPointValues(p: Point, i: number, out: Finding[]): void {
  const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, ...rest];
  if (p.scale === 0) out.push({ path: at('scale'), message: 'scale must not be 0' });
  if (!NUMERIC.has(p.type)) {
    for (const key of ['scale', 'offset', 'deadband'] as const) {
      if (p[key] !== undefined) {
        out.push({
          path: at(key),
          message: `${key} applies only to integer and float points, not ${p.type}`,
        });
      }
    }
  }
  if (p.type === 'integer' && p.scale !== undefined && !Number.isInteger(p.scale)) {
    out.push({
      path: at('scale'),
      message: `scale ${p.scale} makes fractions of an integer point: use type float`,
    });
  }
  for (const key of Object.keys(p.enum ?? {})) {
    // the schema's key pattern is not enforced by TypeBox records, so check it here
    if (!/^-?\d+$/.test(key)) {
      out.push({ path: at('enum', key), message: `enum key ${key} is not an integer raw value` });
    }
  }
  if (p.enum !== undefined && p.type !== 'string') {
    // the codec turns an enum point's raw integer into its label (toEngineering)
    out.push({
      path: at('type'),
      message: `a point with enum labels reads as its label: use type string, not ${p.type}`,
    });
  }
  if (p.range !== undefined && !(p.range.min < p.range.max)) {
    out.push({
      path: at('range'),
      message: `range.min (${p.range.min}) must be less than range.max (${p.range.max})`,
    });
  }
  if (p.range !== undefined && !NUMERIC.has(p.type)) {
    out.push({ path: at('range'), message: `range applies only to integer and float points, not ${p.type}` });
  }
}
