/**
 * One Modbus device (unit id) on a shared line. Executes the codec's read plan every cycle.
 *
 * Fault behaviour (each becomes bad-quality readings, never an exception):
 * - exception response → reason "modbus exception 02 (illegal data address)" etc. For 02 on
 *   a merged read the request is split (splitRequest) and the split is remembered.
 * - timeout / CRC / bad frame → retried `retries` times while the device is healthy; once a
 *   device has failed a cycle it gets one attempt per cycle, and the first timeout ends its
 *   cycle, so a dead slave costs its bus at most one timeout per cycle.
 * - `backoff.failures` failed cycles in a row → the device is skipped ("backoff") for a
 *   growing period, then probed again with one cycle.
 */
import {
  decodeResponse,
  isModbusPoint,
  type ModbusPoint,
  planReads,
  type ReadRequest,
  splitRequest,
} from '@ganzhi/device-profiles';
import { backoffDelay } from '@ganzhi/runtime';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import { DeviceStatusTracker } from '../device-status.js';
import {
  badReading,
  type Driver,
  type DriverContext,
  type DriverReading,
  type DriverStatus,
} from '../driver.js';
import { classifyModbusError, type ModbusFault } from './fault.js';
import type { ModbusLine } from './modbus-line.js';
import type { ModbusDeviceSpec } from './options.js';

export class ModbusDriver implements Driver {
  readonly device: string;
  private plan: ReadRequest[];
  private readonly tracker: DeviceStatusTracker;
  private failedCycles = 0;
  private backedOffUntil = 0;
  private closed = false;

  constructor(
    private readonly spec: ModbusDeviceSpec,
    private readonly line: ModbusLine,
    private readonly ctx: DriverContext,
    private readonly releaseLine: () => Promise<void>,
  ) {
    this.device = spec.id;
    this.tracker = new DeviceStatusTracker(ctx.clock.now());
    const points = spec.points.filter(isModbusPoint);
    this.plan = planReads(points, spec.profile.modbus ?? {});
  }

  /** The current read plan (after any splits the device forced). */
  requests(): readonly ReadRequest[] {
    return this.plan;
  }

  async connect(): Promise<void> {
    // The line connects on the first transaction; nothing device-specific to open.
  }

  status(): DriverStatus {
    return this.tracker.snapshot();
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const { clock } = this.ctx;
    const started = clock.now();
    this.tracker.counters.cycles++;
    if (started < this.backedOffUntil) {
      this.tracker.counters.skipped++;
      return this.badAll('backoff', started);
    }
    const out: DriverReading[] = [];
    let responded = 0;
    let failed = 0;
    let abort: string | undefined;
    const attempts = this.failedCycles === 0 ? this.spec.retries + 1 : 1;
    const queue = [...this.plan];
    while (queue.length > 0) {
      const req = queue.shift()!;
      if (abort) {
        out.push(...this.badRequest(req, abort, clock.now()));
        continue;
      }
      const r = await this.execute(req, attempts);
      if (r.ok) {
        responded++;
        out.push(...this.decode(req, r.data, r.ts));
        continue;
      }
      const f = r.fault;
      if (f.kind === 'exception') {
        responded++;
        if (f.code === 2 && req.items.length > 1) {
          const parts = splitRequest(req);
          if (parts.length > 1) {
            this.plan = this.plan.flatMap((p) => (p === req ? parts : [p]));
            this.ctx.logger.info(
              {
                table: req.table,
                address: req.address,
                count: req.count,
                parts: parts.length,
              },
              'device rejected a merged read; splitting it from now on',
            );
            queue.unshift(...parts);
            continue;
          }
        }
        failed++;
        out.push(...this.badRequest(req, f.reason, clock.now()));
        this.tracker.lastError = f.reason;
        continue;
      }
      failed++;
      this.tracker.lastError = f.reason;
      out.push(...this.badRequest(req, f.reason, clock.now()));
      if (f.kind === 'timeout' || f.kind === 'line') abort = f.reason;
    }
    this.endCycle(responded, failed, clock.now());
    return out;
  }

  private endCycle(responded: number, failed: number, now: number): void {
    if (responded === 0 && this.plan.length > 0) {
      this.failedCycles++;
      const threshold = this.spec.backoff.failures;
      if (this.failedCycles >= threshold) {
        const wait = backoffDelay(
          this.failedCycles - threshold + 1,
          { initialMs: this.spec.backoff.initialMs, maxMs: this.spec.backoff.maxMs },
          this.ctx.random,
        );
        this.backedOffUntil = now + wait;
        if (this.failedCycles === threshold) {
          this.ctx.logger.warn(
            { reason: this.tracker.lastError, backoffMs: wait },
            'device not answering; backing off',
          );
        }
      }
      this.tracker.setState('down', now);
      return;
    }
    if (this.failedCycles >= this.spec.backoff.failures) {
      this.ctx.logger.info('device answering again');
    }
    this.failedCycles = 0;
    this.backedOffUntil = 0;
    this.tracker.setState(failed > 0 ? 'degraded' : 'up', now);
    if (failed === 0) this.tracker.lastError = undefined;
  }

  private async execute(
    req: ReadRequest,
    attempts: number,
  ): Promise<
    { ok: true; data: ArrayLike<number | boolean>; ts: number } | { ok: false; fault: ModbusFault }
  > {
    let fault: ModbusFault = { kind: 'timeout', reason: 'timeout' };
    for (let i = 0; i < attempts; i++) {
      this.tracker.counters.requests++;
      try {
        const data = await this.line.transaction(this.spec.unitId, this.spec.timeoutMs, (c) =>
          readTable(c, req),
        );
        return { ok: true, data, ts: this.ctx.clock.now() };
      } catch (err) {
        fault = classifyModbusError(err);
        this.tracker.counters.errors++;
        if (fault.kind === 'timeout') this.tracker.counters.timeouts++;
        if (fault.kind === 'exception' || fault.kind === 'line') break;
      }
    }
    return { ok: false, fault };
  }

  private decode(req: ReadRequest, data: ArrayLike<number | boolean>, ts: number): DriverReading[] {
    try {
      return decodeResponse(req, data, this.spec.profile.modbus?.defaultOrder).map(
        ({ point, value, words }) => readingOf(this.device, point, value, ts, words),
      );
    } catch (err) {
      const reason = `decode: ${err instanceof Error ? err.message : String(err)}`;
      return this.badRequest(req, reason, ts);
    }
  }

  private badRequest(req: ReadRequest, reason: string, ts: number): DriverReading[] {
    return req.items.map(({ point }) => badReading(this.device, point, ts, reason));
  }

  private badAll(reason: string, ts: number): DriverReading[] {
    return this.plan.flatMap((req) => this.badRequest(req, reason, ts));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.releaseLine();
  }
}

function readingOf(
  device: string,
  point: ModbusPoint,
  value: DriverReading['value'],
  ts: number,
  words: number[],
): DriverReading {
  if (typeof value === 'number' && !Number.isFinite(value)) {
    return { ...badReading(device, point, ts, 'not a number'), raw: words };
  }
  const r: DriverReading = {
    device,
    point: point.name,
    value,
    unit: point.unit,
    ts,
    quality: 'good',
    raw: words,
  };
  if (typeof value === 'number' && point.range && (value < point.range.min || value > point.range.max)) {
    r.quality = 'uncertain';
    r.reason = 'out of range';
  }
  return r;
}

async function readTable(c: ModbusRTU, req: ReadRequest): Promise<ArrayLike<number | boolean>> {
  switch (req.table) {
    case 'holding':
      return checked(req, await c.readHoldingRegisters(req.address, req.count));
    case 'input':
      return checked(req, await c.readInputRegisters(req.address, req.count));
    case 'coil':
      return checked(req, await c.readCoils(req.address, req.count)).slice(0, req.count);
    case 'discrete':
      return checked(req, await c.readDiscreteInputs(req.address, req.count)).slice(0, req.count);
  }
}

/**
 * modbus-serial checks only a response's total length and then parses as many values as the
 * response's byte count says; a corrupt byte count (e.g. 3 for two registers) still
 * "succeeds". A byte count that disagrees with the request is a corrupt frame: refused here
 * (classified 'frame', see fault.ts). Found by the frame fuzz (test/fuzz-frames.test.ts).
 */
function checked<T>(req: ReadRequest, res: { data: T[]; buffer?: Buffer }): T[] {
  const bits = req.table === 'coil' || req.table === 'discrete';
  const bytes = bits ? Math.ceil(req.count / 8) : req.count * 2;
  const values = bits ? bytes * 8 : req.count;
  const given = res.buffer?.length ?? bytes; // `buffer` is the data bytes the byte count covered
  if (given !== bytes || res.data.length !== values) {
    throw new Error(`Data length error: the response's byte count is ${given}, expected ${bytes}`);
  }
  return res.data;
}
