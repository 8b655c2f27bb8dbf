/** `ganzhi-agent probe modbus`: raw registers with every plausible decoding, or a profile's points decoded. */
import { isModbusPoint, type ModbusTable, type Profile, planReads } from '@ganzhi/device-profiles';
import { systemClock, systemRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { createLineRegistry } from '../drivers/lines.js';
import { type ModbusEndpoint, parseModbusEndpoint } from '../drivers/modbus/endpoint.js';
import { classifyModbusError } from '../drivers/modbus/fault.js';
import { ModbusDriver } from '../drivers/modbus/modbus-driver.js';
import { ModbusLine } from '../drivers/modbus/modbus-line.js';
import type { ModbusDeviceSpec } from '../drivers/modbus/options.js';
import { decodings, formatFloat, renderDecodings } from './decodings.js';
import { withHint } from './hints.js';

export interface ModbusProbeOptions {
  url: string;
  unit: number;
  table: ModbusTable;
  from: number;
  count: number;
  timeoutMs: number;
  profile?: Profile;
  logger: Logger;
  out: (line: string) => void;
}

const SHORT: Record<string, string> = { tcp: 'modbus-tcp', rtu: 'modbus-rtu', rtutcp: 'modbus-rtutcp' };

/** tcp://, rtu://, rtutcp:// (short forms) or the config's modbus-*:// endpoints. */
export function modbusEndpoint(url: string): ModbusEndpoint {
  const m = /^([a-z-]+):\/\//.exec(url);
  const scheme = m ? (SHORT[m[1]!] ?? m[1]!) : '';
  return parseModbusEndpoint(m ? `${scheme}${url.slice(m[1]!.length)}` : url, 9600);
}

export async function probeModbus(o: ModbusProbeOptions): Promise<number> {
  const endpoint = modbusEndpoint(o.url);
  const line = new ModbusLine({
    endpoint,
    clock: systemClock,
    random: systemRandom,
    logger: o.logger,
    connectTimeoutMs: Math.max(o.timeoutMs, 2000),
  });
  try {
    return o.profile ? await probeProfile(o, endpoint, line, o.profile) : await probeRange(o, line);
  } finally {
    await line.close();
  }
}

async function probeRange(o: ModbusProbeOptions, line: ModbusLine): Promise<number> {
  const { table, from, count } = o;
  o.out(`${o.url} unit ${o.unit} ${table} ${from}..${from + count - 1}`);
  try {
    const data = await line.transaction(o.unit, o.timeoutMs, async (c) => {
      switch (table) {
        case 'holding':
          return (await c.readHoldingRegisters(from, count)).data;
        case 'input':
          return (await c.readInputRegisters(from, count)).data;
        case 'coil':
          return (await c.readCoils(from, count)).data.slice(0, count);
        case 'discrete':
          return (await c.readDiscreteInputs(from, count)).data.slice(0, count);
      }
    });
    if (table === 'coil' || table === 'discrete') {
      for (const [i, b] of data.entries()) o.out(`${String(from + i).padStart(7)}  ${b ? 1 : 0}`);
    } else {
      for (const l of renderDecodings(decodings(from, data as number[]))) o.out(l);
    }
    return 0;
  } catch (err) {
    o.out(`error: ${explain(classifyModbusError(err).reason, o)}`);
    return 1;
  }
}

/** The reading's reason, with what to check when the device stays silent. */
export function explain(reason: string, o: Pick<ModbusProbeOptions, 'url' | 'unit' | 'timeoutMs'>): string {
  if (reason.startsWith('connection')) return withHint(reason, whereOf(o.url));
  if (reason !== 'timeout') return reason;
  const serial = /^(modbus-)?rtu:/.test(o.url);
  const check = serial
    ? 'the unit id, the baud rate and parity (they must match the device menu), and the A/B wiring'
    : "the unit id (behind a TCP gateway it selects the RS-485 device), and the gateway's serial settings";
  return `no answer from unit ${o.unit} within ${o.timeoutMs} ms: check ${check}`;
}

/** host:port of a TCP endpoint, the path of a serial one, for the hints. */
function whereOf(url: string): string {
  try {
    const e = modbusEndpoint(url);
    return e.scheme === 'modbus-rtu' ? e.path : `${e.host}:${e.port}`;
  } catch {
    return url;
  }
}

async function probeProfile(
  o: ModbusProbeOptions,
  endpoint: ModbusEndpoint,
  line: ModbusLine,
  profile: Profile,
): Promise<number> {
  const points = profile.points.filter(isModbusPoint);
  const spec: ModbusDeviceSpec = {
    protocol: 'modbus',
    id: 'probe',
    profile,
    points,
    endpoint,
    unitId: o.unit,
    timeoutMs: o.timeoutMs,
    retries: 0,
    pollIntervalMs: 1000,
    backoff: { failures: 1000, initialMs: 1000, maxMs: 1000 },
  };
  const ctx = {
    logger: o.logger,
    clock: systemClock,
    random: systemRandom,
    lines: createLineRegistry(o.logger),
  };
  const driver = new ModbusDriver(spec, line, ctx, async () => undefined);
  const plan = planReads(points, profile.modbus ?? {});
  o.out(
    `${o.url} unit ${o.unit} profile ${profile.id} ${profile.version}: ${points.length} points in ${plan.length} reads`,
  );
  const readings = await driver.read();
  const byName = new Map(points.map((p) => [p.name, p]));
  let flagged = 0;
  o.out('point                          table    addr  type     raw words        value            flag');
  for (const r of readings) {
    const p = byName.get(r.point)!;
    const raw = r.raw ? r.raw.map((w) => w.toString(16).padStart(4, '0')).join(' ') : '';
    const value =
      r.value === null
        ? ''
        : typeof r.value === 'number'
          ? `${formatFloat(r.value)} ${r.unit}`
          : `${String(r.value)} ${r.unit}`;
    let flag = '';
    if (r.quality === 'bad') flag = `BAD ${r.reason ?? ''}`;
    else if (r.quality === 'uncertain')
      flag = `IMPLAUSIBLE ${r.reason ?? ''}${p.range ? ` [${p.range.min}..${p.range.max}]` : ''}`;
    if (flag) flagged++;
    o.out(
      `${p.name.padEnd(30)} ${p.modbus.table.padEnd(8)} ${String(p.modbus.address).padStart(5)}  ${p.modbus.type.padEnd(8)} ${raw.padEnd(16)} ${value.padEnd(16)} ${flag}`.trimEnd(),
    );
  }
  // the device failed as a whole (silent, port missing): say it once, in words
  const reasons = new Set(readings.map((r) => (r.quality === 'bad' ? r.reason : undefined)));
  const only = reasons.size === 1 ? [...reasons][0] : undefined;
  if (only) o.out(`error: ${explain(only, o)}`);
  o.out(`${readings.length - flagged} plausible, ${flagged} flagged`);
  await driver.close();
  return flagged > 0 ? 1 : 0;
}
