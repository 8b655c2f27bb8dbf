/**
 * A CJ/T 188 meter bus: water, gas and heat meters on one line, each answering read data
 * (C = 01, DI 901F) to its 14-digit address (or a wildcard address when it is alone) with
 * the reply items of its meter type, built by the shared codec from the device's points.
 * Faults as on the DL/T 645 bus: timeout, latency, bad-crc, garbled, truncated, drop.
 */
import { type Cjt188Point, cjt188, isCjt188Point, type Value } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SimDevice } from '../device/sim-device.js';
import {
  type BusEndpoint,
  type ResponderFactory,
  startBusSerial,
  startBusTcp,
} from '../dlt645/bus-transport.js';
import { later } from '../modbus/answer.js';
import { toServed } from './values.js';

export interface Cjt188Meter {
  address: string;
  device: SimDevice;
}

export interface Cjt188BusOptions {
  meters: Cjt188Meter[];
  preamble?: number;
  seed?: number;
  /** the meters' clock zone, minutes east of UTC; default 480 (China) */
  tzOffsetMinutes?: number;
  logger?: Logger;
}

const FIELD_KEY: Record<string, keyof cjt188.ReplyValues> = {
  'current-flow': 'currentFlow',
  'settlement-flow': 'settlementFlow',
  'settlement-heat': 'settlementHeat',
  'current-heat': 'currentHeat',
  'heat-power': 'heatPower',
  'flow-rate': 'flowRate',
  'accumulated-flow': 'accumulatedFlow',
  'supply-temperature': 'supplyTemperature',
  'return-temperature': 'returnTemperature',
  'working-hours': 'workingHours',
};

export interface Cjt188Bus extends BusEndpoint {
  stats(): { answered: number; silent: number; refusedRequests: number };
}

class Cjt188Responders {
  readonly meters = new Map<string, { device: SimDevice; type: number; points: Cjt188Point[] }>();
  readonly counts = { answered: 0, silent: 0, refusedRequests: 0 };
  private readonly noise: () => number;

  constructor(private readonly opts: Cjt188BusOptions) {
    this.noise = seededRandom(opts.seed ?? 1);
    for (const m of opts.meters) {
      const type = m.device.profile.cjt188?.meterType;
      if (type === undefined)
        throw new RangeError(`${m.device.id}: profile ${m.device.profile.id} has no cjt188.meterType`);
      if (!/^[0-9]{14}$/.test(m.address))
        throw new RangeError(`meter address must be 14 digits, got ${m.address}`);
      this.meters.set(m.address, {
        device: m.device,
        type,
        points: m.device.profile.points.filter(isCjt188Point),
      });
    }
  }

  factory: ResponderFactory = (write, close) => {
    const deframer = new cjt188.Cjt188Deframer();
    return (chunk) => {
      for (const r of deframer.push(chunk)) {
        if (!r.ok) this.counts.refusedRequests++;
        else this.handle(r.frame, write, close);
      }
    };
  };

  private handle(f: cjt188.Frame, write: (b: Uint8Array) => void, close: () => void): void {
    if (f.control.reply || f.control.fn !== cjt188.FN.readData) return;
    if (f.data.length !== 3 || (f.data[0]! | (f.data[1]! << 8)) !== cjt188.DI_READ_DATA) return;
    const hit = this.match(f.address, f.meterType);
    if (!hit) return;
    const [address, m] = hit;
    const pre = this.opts.preamble ?? 2;
    const now = m.device.now();
    const decision = m.device.faults.frame(now);
    if (decision.action === 'timeout' || decision.action === 'refuse') {
      this.counts.silent++;
      return;
    }
    if (decision.action === 'drop') {
      close();
      return;
    }
    const values: cjt188.ReplyValues = {
      ser: f.data[2]!,
      time: localTime(now, this.opts.tzOffsetMinutes ?? 480),
    };
    let st1 = 0;
    const corrupt =
      decision.action === 'bad-crc' || decision.action === 'garbled' || decision.action === 'truncated';
    for (const p of m.points) {
      // a corrupted reply serves no value: the truth is not touched
      const v: Value | undefined = corrupt ? 0 : m.device.sample(p.name, now)?.value;
      const field = p.cjt188.field;
      if (field === 'valve')
        st1 |= ({ open: 0, closed: 1, abnormal: 3 } as Record<string, number>)[String(v)] ?? 0;
      else if (field === 'battery-low') st1 |= v === true ? 0x04 : 0;
      else if (typeof v === 'number') {
        const served = toServed(p, v);
        if (served !== undefined) values[FIELD_KEY[field]!] = served as never;
      }
    }
    values.st1 = st1;
    let reply = cjt188.readDataReply(m.type, address, values, pre);
    if (!reply) {
      // a value beyond the field: the meter answers abnormally
      reply = cjt188.encodeFrame(m.type, address, 0xc1, Uint8Array.of(0x1f, 0x90, f.data[2]!), pre);
    } else if (decision.action === 'bad-crc') {
      reply[reply.length - 2] = (reply[reply.length - 2]! + 1) & 0xff;
    } else if (decision.action === 'garbled') {
      reply = Uint8Array.from(reply, (b, i) => (i < pre + 11 ? b : Math.floor(this.noise() * 256)));
    } else if (decision.action === 'truncated') {
      reply = reply.slice(0, Math.ceil(reply.length / 2));
    }
    const out = reply;
    later(decision.delayMs, () => {
      this.counts.answered++;
      write(out);
    });
  }

  private match(address: string, type: number) {
    const exact = this.meters.get(address);
    if (exact) return exact.type === type || type === 0xaa ? ([address, exact] as const) : undefined;
    if (!address.includes('A')) return undefined;
    const hits = [...this.meters].filter(
      ([a, m]) => m.type === type && [...address].every((c, i) => c === 'A' || c === a[i]),
    );
    return hits.length === 1 ? hits[0] : undefined;
  }
}

function localTime(epochMs: number, tz: number): cjt188.MeterTime {
  const t = new Date(epochMs + tz * 60_000);
  return {
    year: t.getUTCFullYear(),
    month: t.getUTCMonth() + 1,
    day: t.getUTCDate(),
    hour: t.getUTCHours(),
    minute: t.getUTCMinutes(),
    second: t.getUTCSeconds(),
  };
}

export async function startCjt188TcpBus(
  opts: Cjt188BusOptions & { host?: string; port: number },
): Promise<Cjt188Bus> {
  const r = new Cjt188Responders(opts);
  const l = await startBusTcp({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: 'cj/t 188 bus',
    responder: r.factory,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return { port: l.port, host: l.host, close: l.close, stats: () => ({ ...r.counts }) };
}

export async function startCjt188SerialBus(
  opts: Cjt188BusOptions & { path: string; baudRate?: number },
): Promise<Cjt188Bus> {
  const r = new Cjt188Responders(opts);
  const e = await startBusSerial({
    path: opts.path,
    ...(opts.baudRate ? { baudRate: opts.baudRate } : {}),
    what: 'cj/t 188 bus',
    responder: r.factory,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return { ...e, stats: () => ({ ...r.counts }) };
}
