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
  decodePoint,
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
  type PointWrite,
  type WriteOptions,
  type WriteOutcome,
} from '../driver.js';
import { classifyModbusError, type ModbusFault } from './fault.js';
import type { ModbusLine } from './modbus-line.js';
import { planWrite, readbackMatches, type WritePlan } from './modbus-write.js';
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

  /**
   * Writes points one after another (see modbus-write.ts for the function per point). Each
   * write is one transaction queued ahead of polls on the line, bounded by `opts.deadline`
   * (and the device's timeout), sent once: a write that timed out may or may not have been
   * applied, so it is reported `timeout`, never retried behind the executor's back.
   */
  async write(writes: readonly PointWrite[], opts: WriteOptions): Promise<WriteOutcome[]> {
    if (this.closed) throw new Error('driver closed');
    const out: WriteOutcome[] = [];
    const m = this.spec.profile.modbus ?? {};
    for (const w of writes) {
      const plan = planWrite(w.point, w.value, {
        writeMultiple: m.writeMultiple,
        defaultOrder: m.defaultOrder,
      });
      if (!plan.ok) {
        out.push({ point: w.point.name, outcome: 'rejected', reason: plan.reason });
        continue;
      }
      out.push(await this.writeOne(w, plan, opts));
    }
    return out;
  }

  private async writeOne(
    w: PointWrite,
    plan: Extract<WritePlan, { ok: true }>,
    opts: WriteOptions,
  ): Promise<WriteOutcome> {
    const point = w.point as ModbusPoint;
    const raw = plan.table === 'coil' ? plan.words[0] === 1 : plan.words;
    const base = { point: point.name, raw };
    const tx = { priority: true, deadline: opts.deadline };
    this.tracker.counters.requests++;
    try {
      await this.line.transaction(this.spec.unitId, this.spec.timeoutMs, (c) => sendWrite(c, plan), tx);
    } catch (err) {
      return { ...base, ...this.writeFault(err) };
    }
    this.ctx.logger.info({ point: point.name, fc: plan.fc, address: plan.address, raw }, 'modbus write');
    if (!opts.readback) return { ...base, outcome: 'ok' };
    let read: ArrayLike<number | boolean>;
    try {
      this.tracker.counters.requests++;
      read = await this.line.transaction(
        this.spec.unitId,
        this.spec.timeoutMs,
        (c) =>
          plan.table === 'coil'
            ? c.readCoils(plan.address, 1).then((r) => r.data.slice(0, 1))
            : c.readHoldingRegisters(plan.address, plan.words.length).then((r) => r.data),
        tx,
      );
    } catch (err) {
      const f = this.writeFault(err);
      return {
        ...base,
        outcome: 'readback-mismatch',
        readback: null,
        reason: `written; readback failed: ${f.reason}`,
      };
    }
    const words = Array.from(read, (v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
    let value: ReturnType<typeof decodePoint>;
    try {
      value = decodePoint(point, words, this.spec.profile.modbus?.defaultOrder);
    } catch (err) {
      const reason = `written; readback not decodable: ${err instanceof Error ? err.message : String(err)}`;
      return { ...base, outcome: 'readback-mismatch', readback: null, reason };
    }
    if (readbackMatches(point, w.value, value)) return { ...base, outcome: 'ok', readback: value };
    return {
      ...base,
      outcome: 'readback-mismatch',
      readback: value,
      reason: `wrote ${String(w.value)}, read back ${String(value)}`,
    };
  }

  /** A failed write transaction as an outcome: exceptions carry their code, anything else is a timeout. */
  private writeFault(err: unknown): Pick<WriteOutcome, 'outcome' | 'reason' | 'code'> & { reason: string } {
    const f = classifyModbusError(err);
    this.tracker.counters.errors++;
    if (f.kind === 'exception') {
      const code = f.code.toString(16).toUpperCase().padStart(2, '0');
      return { outcome: 'device-exception', code, reason: f.reason };
    }
    if (f.kind === 'timeout') this.tracker.counters.timeouts++;
    if (err instanceof EchoMismatch) return { outcome: 'device-exception', reason: err.message };
    // no answer, a corrupt answer or a line down: whether the write was applied is unknown
    return { outcome: 'timeout', reason: f.reason };
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

/** The device answered a write with an echo of another address or value. */
class EchoMismatch extends Error {
  constructor(detail: string) {
    super(`write reply does not echo the request: ${detail}`);
    this.name = 'EchoMismatch';
  }
}

/** Sends the write and checks the reply's echo (address, and value or quantity). */
async function sendWrite(c: ModbusRTU, plan: Extract<WritePlan, { ok: true }>): Promise<void> {
  const { address, words } = plan;
  let echo: { address: number; what: string; want: string };
  switch (plan.fc) {
    case 5: {
      const r = await c.writeCoil(address, words[0] === 1);
      echo = { address: r.address, what: String(r.state), want: String(words[0] === 1) };
      break;
    }
    case 15: {
      const r = await c.writeCoils(address, [words[0] === 1]);
      echo = { address: r.address, what: String(r.length), want: '1' };
      break;
    }
    case 6: {
      const r = await c.writeRegister(address, words[0]!);
      echo = { address: r.address, what: String(r.value), want: String(words[0]) };
      break;
    }
    case 16: {
      const r = await c.writeRegisters(address, words);
      echo = { address: r.address, what: String(r.length), want: String(words.length) };
      break;
    }
  }
  if (echo.address !== address || echo.what !== echo.want) {
    throw new EchoMismatch(`address ${echo.address}/${echo.what}, sent ${address}/${echo.want}`);
  }
}
