/**
 * Per-protocol cross-checks of point bindings (see cross-check.ts): register layout and
 * overlaps for Modbus, node ids for OPC UA, selectors for serial, and whether the point's
 * engineering type fits what the binding delivers.
 */
import { registerCount } from '../codec/register-count.js';
import type { PathSegment } from '../config/problem.js';
import type { ModbusPoint, OpcuaPoint, Point, Profile, SerialPoint } from '../profile-schema.js';

/** A cross-check finding: `path` names the field; `at` (default `path`) where to point. */
export interface Finding {
  path: PathSegment[];
  message: string;
  at?: PathSegment[];
}

/** The engineering point types a raw encoding can produce. */
function allowedTypes(raw: 'bool' | 'int' | 'float' | 'string', scaled: boolean): string[] {
  switch (raw) {
    case 'bool':
      return ['boolean'];
    case 'int':
      return ['integer', 'float'];
    case 'float':
      return scaled ? ['float', 'integer'] : ['float'];
    case 'string':
      return ['string'];
  }
}

function checkTypeFits(
  p: Point,
  i: number,
  raw: 'bool' | 'int' | 'float' | 'string',
  what: string,
  path: PathSegment[],
  out: Finding[],
): void {
  if (p.enum !== undefined) {
    if (raw === 'float' || raw === 'string') {
      out.push({
        path: ['points', i, 'enum'],
        message: `enum labels need an integer encoding, not ${what}`,
      });
    }
    return; // the point type of an enum point is checked with the point (string)
  }
  const ok = allowedTypes(raw, p.scale !== undefined);
  if (!ok.includes(p.type)) {
    const hint = raw === 'float' ? ' (integer only with a scale)' : '';
    out.push({
      path: ['points', i, 'type'],
      at: path,
      message: `point type ${p.type} does not fit ${what}: expected ${ok.join(' or ')}${hint}`,
    });
  }
}

const MODBUS_RAW: Record<string, 'bool' | 'int' | 'float' | 'string'> = {
  bool: 'bool',
  bit: 'bool',
  int16: 'int',
  uint16: 'int',
  int32: 'int',
  uint32: 'int',
  int64: 'int',
  uint64: 'int',
  float32: 'float',
  float64: 'float',
  string: 'string',
};

export function checkModbus(
  points: { p: ModbusPoint; i: number }[],
  device: Profile['modbus'] | undefined,
  out: Finding[],
): void {
  const spans: { i: number; p: ModbusPoint; from: number; to: number }[] = [];
  for (const { p, i } of points) {
    const b = p.modbus;
    const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, 'modbus', ...rest];
    const bitTable = b.table === 'coil' || b.table === 'discrete';
    if (bitTable && b.type !== 'bool') {
      out.push({ path: at('type'), message: `a ${b.table} holds one bit: type must be bool, not ${b.type}` });
    }
    if (b.type === 'string' && b.length === undefined) {
      out.push({
        path: at('length'),
        at: at('type'),
        message: 'type string needs length (number of registers)',
      });
    }
    if (b.type !== 'string' && b.length !== undefined) {
      out.push({ path: at('length'), message: `length applies only to type string, not ${b.type}` });
    }
    if (b.type === 'bit' && b.bit === undefined) {
      out.push({
        path: at('bit'),
        at: at('type'),
        message: 'type bit needs bit (0-15, 0 = least significant)',
      });
    }
    if (b.type !== 'bit' && b.bit !== undefined) {
      out.push({ path: at('bit'), message: `bit applies only to type bit, not ${b.type}` });
    }
    if (bitTable && b.order !== undefined) {
      out.push({ path: at('order'), message: `order has no meaning for a ${b.table}` });
    }
    if ((b.table === 'input' || b.table === 'discrete') && p.access === 'read-write') {
      out.push({
        path: ['points', i, 'access'],
        message: `${b.table === 'input' ? 'input registers' : 'discrete inputs'} are read-only: use access read`,
      });
    }
    const raw = MODBUS_RAW[b.type];
    if (raw) checkTypeFits(p, i, bitTable ? 'bool' : raw, `modbus type ${b.type}`, at('type'), out);

    const count = registerCount(b);
    const to = b.address + count - 1;
    if (to > 65535) {
      out.push({
        path: at('address'),
        message: `${count} registers from ${b.address} run past address 65535`,
      });
    }
    const limit = bitTable ? device?.maxBitsPerRead : device?.maxRegistersPerRead;
    if (limit !== undefined && count > limit) {
      out.push({
        path: at('type'),
        message: `needs ${count} registers in one read but modbus.maxRegistersPerRead is ${limit}`,
      });
    }
    device?.forbidden?.forEach((f, k) => {
      if (f.table === b.table && b.address <= f.to && to >= f.from) {
        out.push({
          path: at('address'),
          message: `${b.table} ${b.address}-${to} lies in forbidden range modbus.forbidden[${k}] (${f.from}-${f.to})`,
        });
      }
    });
    spans.push({ i, p, from: b.address, to });
  }
  device?.forbidden?.forEach((f, k) => {
    if (f.from > f.to) {
      out.push({
        path: ['modbus', 'forbidden', k],
        message: `from (${f.from}) must not be greater than to (${f.to})`,
      });
    }
  });
  // overlaps, per table; bit points may share a register on distinct bits
  const byTable = new Map<string, typeof spans>();
  for (const s of spans) {
    const list = byTable.get(s.p.modbus.table) ?? [];
    list.push(s);
    byTable.set(s.p.modbus.table, list);
  }
  for (const [table, list] of byTable) {
    list.sort((a, b) => a.from - b.from || a.i - b.i);
    for (let a = 0; a < list.length; a++) {
      const x = list[a]!;
      for (let c = a + 1; c < list.length && list[c]!.from <= x.to; c++) {
        const y = list[c]!;
        const [first, second] = x.i < y.i ? [x, y] : [y, x];
        const xb = first.p.modbus;
        const yb = second.p.modbus;
        if (xb.type === 'bit' && yb.type === 'bit' && xb.address === yb.address && xb.bit !== yb.bit)
          continue;
        const what =
          xb.type === 'bit' && yb.type === 'bit' && xb.address === yb.address
            ? `bit ${yb.bit} of ${table} ${yb.address} is also used by points[${first.i}] ${first.p.name}`
            : `${table} ${second.from}-${second.to} overlaps points[${first.i}] ${first.p.name} (${table} ${first.from}-${first.to})`;
        out.push({ path: ['points', second.i, 'modbus', 'address'], message: what });
      }
    }
  }
}

const OPCUA_RAW: Record<string, 'bool' | 'int' | 'float' | 'string'> = {
  Boolean: 'bool',
  SByte: 'int',
  Byte: 'int',
  Int16: 'int',
  UInt16: 'int',
  Int32: 'int',
  UInt32: 'int',
  Int64: 'int',
  UInt64: 'int',
  Float: 'float',
  Double: 'float',
  String: 'string',
};

export function checkOpcua(
  points: { p: OpcuaPoint; i: number }[],
  namespaceUri: string | undefined,
  out: Finding[],
): void {
  const seen = new Map<string, number>();
  for (const { p, i } of points) {
    const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, 'opcua', ...rest];
    const nodeId = p.opcua.nodeId;
    const nsu = /^nsu=([^;]+);/.exec(nodeId)?.[1];
    if (nsu !== undefined && namespaceUri !== undefined && nsu !== namespaceUri) {
      out.push({
        path: at('nodeId'),
        message: `namespace ${nsu} differs from opcua.namespaceUri ${namespaceUri}`,
      });
    }
    const prev = seen.get(nodeId);
    if (prev !== undefined) out.push({ path: at('nodeId'), message: `node id also read by points[${prev}]` });
    else seen.set(nodeId, i);
    const dt = p.opcua.dataType;
    const raw = dt ? OPCUA_RAW[dt] : undefined;
    if (raw) checkTypeFits(p, i, raw, `OPC UA data type ${dt}`, at('dataType'), out);
  }
}

export function checkSerial(
  points: { p: SerialPoint; i: number }[],
  line: Profile['serial'] | undefined,
  out: Finding[],
): void {
  const seen = new Map<string, number>();
  for (const { p, i } of points) {
    const sel = p.serial.select;
    const at = (...rest: PathSegment[]): PathSegment[] => ['points', i, 'serial', 'select', ...rest];
    let key: string | undefined;
    if (sel.kind === 'regex') {
      let groups = -1;
      let names: string[] = [];
      try {
        new RegExp(sel.pattern);
        // the empty alternative always matches, which reveals the number and names of groups
        const re = new RegExp(`${sel.pattern}|`);
        const m = re.exec('');
        groups = m ? m.length - 1 : 0;
        names = Object.keys(m?.groups ?? {});
      } catch (err) {
        const why = (err as Error).message.replace(/^Invalid regular expression: \/.*\/[a-z]*: /, '');
        out.push({ path: at('pattern'), message: `invalid regular expression: ${why}` });
      }
      if (groups >= 0 && typeof sel.group === 'number' && sel.group > groups) {
        out.push({
          path: at('group'),
          message: `group ${sel.group} does not exist: the pattern has ${groups}`,
        });
      }
      if (groups >= 0 && typeof sel.group === 'string' && !names.includes(sel.group)) {
        out.push({ path: at('group'), message: `the pattern has no group named ${sel.group}` });
      }
    } else if (sel.kind === 'column') {
      key = `column ${sel.index}`;
    } else {
      key = `${sel.sentence} field ${sel.field}`;
      const decode = sel.decode ?? 'number';
      const raw = decode === 'text' ? 'string' : decode === 'number' ? 'int' : 'float';
      checkTypeFits(p, i, raw, `NMEA decode ${decode}`, at('decode'), out);
    }
    if (key !== undefined) {
      const prev = seen.get(key);
      if (prev !== undefined) out.push({ path: at(), message: `${key} is also read by points[${prev}]` });
      else seen.set(key, i);
    }
  }
  if (line && line.framing.kind === 'delimiter' && line.columnDelimiter === line.framing.delimiter) {
    out.push({
      path: ['serial', 'columnDelimiter'],
      message: 'columnDelimiter must differ from the frame delimiter',
    });
  }
}
