/**
 * `ganzhi-agent probe modbus|opcua URL --profile ID --write point=value … [--confirm]`: a
 * guarded commissioning write through the agent's own drivers (the same function choice,
 * encoding and DataType handling as commands).
 *
 * Guards: a profile is required (the point says where and how to write); only `access:
 * read-write` points, inside their `range`; what would be written is printed first — Modbus:
 * table, address, function and the registers or coil state; OPC UA: the node and the built-in
 * type read from its DataType attribute — and nothing is written without `--confirm`
 * (exit 2). With it, the outcome of each point is printed (exit 0 only when all are `ok`).
 */
import { isModbusPoint, isOpcuaPoint, type Point, type Profile } from '@ganzhi/device-profiles';
import { systemClock, systemRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { Driver, PointWrite, WriteOutcome } from '../drivers/driver.js';
import { createLineRegistry } from '../drivers/lines.js';
import { createModbusDriver } from '../drivers/modbus/index.js';
import { planWrite } from '../drivers/modbus/modbus-write.js';

export interface WriteProbeOptions {
  kind: 'modbus' | 'opcua';
  url: string;
  profile: Profile;
  /** `point=value` as typed */
  assignments: string[];
  confirm: boolean;
  readback: boolean;
  timeoutMs: number;
  logger: Logger;
  out: (line: string) => void;
  /** Modbus */
  unit?: number;
  /** OPC UA */
  opcua?: {
    pkiDir: string;
    securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
    username?: string;
    password?: string;
    namespaceUri?: string;
  };
}

/** Parses and checks `point=value` assignments against the profile; throws naming the bad one. */
export function parseAssignments(profile: Profile, assignments: readonly string[]): PointWrite[] {
  return assignments.map((a) => {
    const eq = a.indexOf('=');
    if (eq <= 0) throw new Error(`--write "${a}": expected point=value`);
    const name = a.slice(0, eq).trim();
    const text = a.slice(eq + 1).trim();
    const point = profile.points.find((p) => p.name === name);
    if (!point) {
      const writable = profile.points.filter((p) => p.access === 'read-write').map((p) => p.name);
      throw new Error(
        `--write ${name}: no such point in profile ${profile.id} (writable: ${writable.join(', ') || 'none'})`,
      );
    }
    if (point.access !== 'read-write') {
      throw new Error(`--write ${name}: the point is read-only in profile ${profile.id} (access: read)`);
    }
    return { point, value: parseValue(point, text) };
  });
}

function parseValue(point: Point, text: string): number | boolean | string {
  const where = `--write ${point.name}=${text}`;
  if (text === '') throw new Error(`${where}: no value`);
  if (point.type === 'boolean') {
    if (/^(1|true|on)$/i.test(text)) return true;
    if (/^(0|false|off)$/i.test(text)) return false;
    throw new Error(`${where}: expected true/false, on/off or 1/0`);
  }
  if (point.type === 'string') return text;
  if (point.enum && Object.values(point.enum).includes(text)) return text;
  const n = Number(text);
  if (!Number.isFinite(n)) throw new Error(`${where}: expected a number`);
  if (point.type === 'integer' && !Number.isInteger(n)) throw new Error(`${where}: expected an integer`);
  if (point.range && (n < point.range.min || n > point.range.max)) {
    throw new Error(`${where}: outside the point's range ${point.range.min}..${point.range.max}`);
  }
  return n;
}

const hex4 = (w: number) => `0x${w.toString(16).toUpperCase().padStart(4, '0')}`;

function describeOutcome(o: WriteOutcome): string {
  const parts = [`${o.point}: ${o.outcome}`];
  if (o.code) parts.push(o.code);
  if (o.raw !== undefined) {
    parts.push(`raw ${Array.isArray(o.raw) ? o.raw.map(hex4).join(' ') : String(o.raw)}`);
  }
  if (o.readback !== undefined) parts.push(`read back ${String(o.readback)}`);
  if (o.reason) parts.push(`(${o.reason})`);
  return parts.join('  ');
}

export async function probeWrite(o: WriteProbeOptions): Promise<number> {
  const writes = parseAssignments(o.profile, o.assignments);
  const ctx = {
    logger: o.logger,
    clock: systemClock,
    random: systemRandom,
    lines: createLineRegistry(o.logger),
  };
  const base = {
    id: 'probe',
    profile: o.profile,
    points: o.profile.points,
    timeoutMs: o.timeoutMs,
    retries: 0,
    pollIntervalMs: 1000,
    backoff: { failures: 3, initialMs: 1000, maxMs: 10_000 },
  };
  let driver: Driver;
  o.out(`${o.url}: ${o.confirm ? 'writing' : 'would write'}`);
  if (o.kind === 'modbus') {
    const { modbusEndpoint } = await import('./modbus-probe.js');
    const m = o.profile.modbus ?? {};
    let refused = false;
    for (const w of writes) {
      const plan = isModbusPoint(w.point)
        ? planWrite(w.point, w.value, { writeMultiple: m.writeMultiple, defaultOrder: m.defaultOrder })
        : ({ ok: false, reason: 'not a Modbus point' } as const);
      if (!plan.ok) {
        o.out(`  ${w.point.name} = ${String(w.value)}: refused (${plan.reason})`);
        refused = true;
        continue;
      }
      const what =
        plan.table === 'coil'
          ? `coil ${plan.address} ← ${plan.words[0] ? 'ON (FF00)' : 'OFF (0000)'}`
          : `holding ${plan.address}${plan.words.length > 1 ? `..${plan.address + plan.words.length - 1}` : ''} ← ${plan.words.map(hex4).join(' ')}`;
      o.out(`  ${w.point.name} = ${String(w.value)}: unit ${o.unit ?? 1} ${what} by function ${plan.fc}`);
    }
    if (refused) return 2;
    if (!o.confirm) return notConfirmed(o);
    driver = createModbusDriver(
      { ...base, protocol: 'modbus', endpoint: modbusEndpoint(o.url), unitId: o.unit ?? 1 },
      ctx,
    );
  } else {
    const { OpcuaDriver } = await import('../drivers/opcua/opcua-driver.js');
    const { parseOpcuaEndpoint } = await import('../drivers/opcua/endpoint.js');
    const ua = o.opcua!;
    const d = new OpcuaDriver(
      {
        ...base,
        // the first connection may create the client certificate: seconds on a small gateway
        timeoutMs: Math.max(o.timeoutMs, 10_000),
        protocol: 'opcua',
        endpoint: parseOpcuaEndpoint(o.url),
        opcua: {
          pkiDir: ua.pkiDir,
          trust: 'auto-accept',
          mode: 'poll',
          securityMode: ua.securityMode,
          ...(ua.namespaceUri ? { namespaceUri: ua.namespaceUri } : {}),
          ...(ua.username
            ? { identity: { type: 'username' as const, username: ua.username, password: ua.password ?? '' } }
            : {}),
        },
      },
      ctx,
    );
    driver = d;
    try {
      await d.connect();
    } catch (err) {
      o.out(`error: ${(err as Error).message}`);
      await d.close();
      return 1;
    }
    let refused = false;
    for (const w of writes) {
      if (!isOpcuaPoint(w.point)) continue;
      const t = await d.writeTarget(w.point);
      if (!t.ok) {
        o.out(`  ${w.point.name} = ${String(w.value)}: cannot be written (${t.reason})`);
        refused = true;
        continue;
      }
      o.out(`  ${w.point.name} = ${String(w.value)}: node ${t.nodeId} as ${t.type} (its DataType)`);
    }
    if (refused || !o.confirm) {
      await d.close();
      return refused ? 2 : notConfirmed(o);
    }
  }
  try {
    const outcomes = await driver.write!(writes, {
      readback: o.readback,
      deadline: systemClock.now() + 2 * o.timeoutMs + 1000,
    });
    for (const r of outcomes) o.out(`  ${describeOutcome(r)}`);
    return outcomes.every((r) => r.outcome === 'ok') ? 0 : 1;
  } finally {
    await driver.close();
  }
}

function notConfirmed(o: WriteProbeOptions): number {
  o.out('not written: this changes the device; repeat with --confirm to write');
  return 2;
}
