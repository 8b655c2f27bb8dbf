/**
 * A DL/T 645-2007/1997 meter bus: several simulated meters on one line, each answering to
 * its 12-digit address. Requests are cut by the shared deframer; answers are built with the
 * shared codec from the device's point values (so the ground truth is what a correct master
 * decodes). Faults per meter, from its FaultState at request time: timeout (silence),
 * latency, bad-crc (checksum off by one), garbled (noise of the reply's length), truncated
 * (half a reply), exception (abnormal reply with error word `code`, default 01).
 *
 * Answers: read data (11 / 1997: 01) → 91 with the DI's value, or D1 with error word 02 (no
 * requested data) for an identifier the profile does not bind; read address (13) → 93 when
 * exactly one meter is on the bus (several answering at once collide into noise, as on a real
 * line); broadcast time sync (08 to 99…99) → no answer, the meter's clock is set.
 */
import { type Dlt645Point, dlt645, isDlt645Point } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { SimDevice } from '../device/sim-device.js';
import { later } from '../modbus/answer.js';
import { type BusEndpoint, type ResponderFactory, startBusSerial, startBusTcp } from './bus-transport.js';
import { decodeDlt645, encodeDlt645 } from './values.js';

export interface Dlt645Meter {
  address: string;
  device: SimDevice;
}

export interface Dlt645BusOptions {
  meters: Dlt645Meter[];
  /** FE wake-up bytes before each answer; default 4 as most meters send */
  preamble?: number;
  seed?: number;
  logger?: Logger;
}

export interface Dlt645Bus extends BusEndpoint {
  /** last broadcast time sync each meter received (local wall-clock fields) */
  timeSyncs(): Map<string, dlt645.MeterTime>;
  /** requests answered / refused by the bus's deframers, for tests */
  stats(): { answered: number; silent: number; refusedRequests: number };
}

class Dlt645Responders {
  readonly byAddress = new Map<string, { device: SimDevice; points: Map<string, Dlt645Point> }>();
  readonly syncs = new Map<string, dlt645.MeterTime>();
  readonly counts = { answered: 0, silent: 0, refusedRequests: 0 };
  private readonly noise: () => number;

  constructor(private readonly opts: Dlt645BusOptions) {
    this.noise = seededRandom(opts.seed ?? 1);
    for (const m of opts.meters) {
      const points = new Map<string, Dlt645Point>();
      for (const p of m.device.profile.points)
        if (isDlt645Point(p)) points.set(p.dlt645.dataId.toUpperCase(), p);
      if (!/^[0-9]{12}$/.test(m.address))
        throw new RangeError(`meter address must be 12 digits, got ${m.address}`);
      this.byAddress.set(m.address, { device: m.device, points });
    }
  }

  factory: ResponderFactory = (write, close) => {
    const deframer = new dlt645.Dlt645Deframer();
    const pre = this.opts.preamble ?? 4;
    return (chunk) => {
      for (const r of deframer.push(chunk)) {
        if (!r.ok) {
          this.counts.refusedRequests++;
          continue;
        }
        this.handle(r.frame, pre, write, close);
      }
    };
  };

  private handle(f: dlt645.Frame, pre: number, write: (b: Uint8Array) => void, close: () => void): void {
    if (f.control.reply) return; // another station's answer on the shared line
    if (f.control.fn === dlt645.FN.broadcastTime && f.address === dlt645.BROADCAST_ADDRESS) {
      const t = dlt645.parseTimeSync(f);
      if (t.ok) for (const a of this.byAddress.keys()) this.syncs.set(a, t.time);
      return;
    }
    if (f.control.fn === dlt645.FN.readAddress) {
      if (this.byAddress.size !== 1) {
        // every meter answers at once: the frames collide on the line
        const junk = Uint8Array.from({ length: 18 + pre }, () => Math.floor(this.noise() * 256));
        write(junk);
        return;
      }
      const [address, m] = [...this.byAddress][0]!;
      this.send(m.device, dlt645.readAddressReply(address, { preamble: pre }), write, close);
      return;
    }
    const fnRead = f.control.fn === dlt645.FN.readData || f.control.fn === dlt645.FN.readData1997;
    const target = this.match(f.address);
    if (!fnRead || !target) return; // not for a meter here: silence, as on a real bus
    const [address, m] = target;
    const diLen = f.control.fn === dlt645.FN.readData ? 4 : 2;
    const version = diLen === 4 ? '2007' : '1997';
    if (f.data.length !== diLen) {
      this.send(m.device, dlt645.errorReply(address, 0x01, version, { preamble: pre }), write, close);
      return;
    }
    const di = dlt645.dataIdText(f.data);
    const point = m.points.get(di);
    if (!point) {
      this.send(m.device, dlt645.errorReply(address, 0x02, version, { preamble: pre }), write, close);
      return;
    }
    const decision = m.device.faults.frame(m.device.now());
    if (decision.action === 'exception') {
      this.send(
        m.device,
        dlt645.errorReply(address, decision.code ?? 0x01, version, { preamble: pre }),
        write,
        close,
      );
      return;
    }
    if (decision.action) {
      this.faulty(decision.action, decision.delayMs, address, di, point, pre, write, close);
      return;
    }
    const s = m.device.sample(point.name, m.device.now());
    const bytes = typeof s?.value === 'number' ? encodeDlt645(point, s.value) : undefined;
    const reply = bytes
      ? dlt645.readDataReply(address, di, bytes, { preamble: pre })
      : dlt645.errorReply(address, 0x01, version, { preamble: pre });
    later(decision.delayMs, () => {
      this.counts.answered++;
      write(reply);
    });
  }

  private faulty(
    action: string,
    delayMs: number,
    address: string,
    di: string,
    point: Dlt645Point,
    pre: number,
    write: (b: Uint8Array) => void,
    close: () => void,
  ): void {
    if (action === 'timeout' || action === 'refuse') {
      this.counts.silent++;
      return;
    }
    if (action === 'drop') {
      close();
      return;
    }
    // a reply of the right shape whose value is never served: zero of the right length
    const zero = encodeDlt645(point, 0) ?? new Uint8Array(4);
    const good = dlt645.readDataReply(address, di, zero, { preamble: pre });
    let out = good;
    if (action === 'bad-crc') {
      out = good.slice();
      out[out.length - 2] = (out[out.length - 2]! + 1) & 0xff;
    } else if (action === 'garbled') {
      out = Uint8Array.from(good, (b, i) => (i < pre + 10 ? b : Math.floor(this.noise() * 256)));
    } else if (action === 'truncated') {
      out = good.slice(0, Math.ceil(good.length / 2));
    }
    later(delayMs, () => write(out));
  }

  private send(_device: SimDevice, b: Uint8Array, write: (b: Uint8Array) => void, _close: () => void): void {
    this.counts.answered++;
    write(b);
  }

  /** exact address, or a wildcard (AA nibbles) that matches exactly one meter */
  private match(
    address: string,
  ): [string, { device: SimDevice; points: Map<string, Dlt645Point> }] | undefined {
    const exact = this.byAddress.get(address);
    if (exact) return [address, exact];
    if (!address.includes('A')) return undefined;
    const hits = [...this.byAddress].filter(([a]) => [...address].every((c, i) => c === 'A' || c === a[i]));
    return hits.length === 1 ? hits[0] : undefined;
  }
}

function busApi(r: Dlt645Responders): Pick<Dlt645Bus, 'timeSyncs' | 'stats'> {
  return { timeSyncs: () => r.syncs, stats: () => ({ ...r.counts }) };
}

export async function startDlt645TcpBus(
  opts: Dlt645BusOptions & { host?: string; port: number },
): Promise<Dlt645Bus> {
  const r = new Dlt645Responders(opts);
  const l = await startBusTcp({
    ...(opts.host ? { host: opts.host } : {}),
    port: opts.port,
    what: 'dl/t 645 bus',
    responder: r.factory,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return { port: l.port, host: l.host, close: l.close, ...busApi(r) };
}

export async function startDlt645SerialBus(
  opts: Dlt645BusOptions & { path: string; baudRate?: number },
): Promise<Dlt645Bus> {
  const r = new Dlt645Responders(opts);
  const e = await startBusSerial({
    path: opts.path,
    ...(opts.baudRate ? { baudRate: opts.baudRate } : {}),
    what: 'dl/t 645 bus',
    responder: r.factory,
    ...(opts.logger ? { logger: opts.logger } : {}),
  });
  return { ...e, ...busApi(r) };
}

export { decodeDlt645 };
