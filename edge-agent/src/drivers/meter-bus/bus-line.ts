/**
 * One meter bus (DL/T 645, CJ/T 188): an RS-485 serial port or the raw TCP socket of a serial
 * device server, shared by every meter on it. Transactions run strictly one at a time in
 * arrival order (a half-duplex bus carries one conversation). The bus owns one streaming
 * deframer: bytes arrive in arbitrary pieces and are cut into frames there.
 *
 * A transaction writes a request and waits for the frame `isAnswer` accepts:
 * - answer → ok, stamped with the moment it arrived;
 * - a frame refused by the deframer (checksum, terminator, length, address, BCD) → the bus
 *   waits until it has been quiet for `settleMs` (the rest of a damaged reply, or a good reply
 *   after line noise), then fails with kind `frame` and the reason;
 * - nothing within `timeoutMs` → the deframer is flushed, so half a frame is refused as
 *   `truncated` (kind `frame`), and silence is kind `timeout`;
 * - the line cannot be opened or drops → kind `line`; it reopens lazily with capped exponential
 *   backoff and jitter, and while it waits transactions fail at once without touching the line.
 * Accepted frames nobody asked for (a late answer of a meter that timed out, another master)
 * are counted as `stray` and dropped; bytes left over between transactions are dropped too.
 */
import type { Duplex } from 'node:stream';
import type { Deframer } from '@ganzhi/device-profiles';
import { type BackoffPolicy, backoffDelay, type Clock, type Random } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { withTimeout } from '../timeout.js';

export interface BusRequest<F> {
  bytes: Uint8Array;
  timeoutMs: number;
  /** is this (checksum-valid) frame the answer to the request? */
  isAnswer(frame: F): boolean;
}

export type BusResult<F> =
  | { ok: true; frame: F; raw: Uint8Array; ts: number }
  | { ok: false; kind: 'timeout' | 'frame' | 'line'; reason: string; raw?: Uint8Array };

export interface MeterBusLineOptions<F> {
  /** opens the byte stream (serial port or TCP socket) */
  open: () => Promise<Duplex>;
  deframer: Deframer<F>;
  clock: Clock;
  random: Random;
  /** the line's logger (carries `line`) */
  logger: Logger;
  /** quiet time after a refused frame before the transaction ends; default 20 ms */
  settleMs?: number;
  reconnect?: BackoffPolicy;
  connectTimeoutMs?: number;
}

export interface MeterBusCounters {
  transactions: number;
  connects: number;
  connectFailures: number;
  drops: number;
  /** good frames nobody asked for (late answers) */
  stray: number;
  /** bytes left on the line between transactions, dropped */
  staleBytes: number;
}

interface Waiting<F> {
  req: BusRequest<F>;
  resolve: (r: BusResult<F>) => void;
  refused?: { reason: string; raw: Uint8Array };
  deadline: unknown;
  settle?: unknown;
}

export class MeterBusLine<F> {
  readonly counters: MeterBusCounters = {
    transactions: 0,
    connects: 0,
    connectFailures: 0,
    drops: 0,
    stray: 0,
    staleBytes: 0,
  };
  private stream: Duplex | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private waiting: Waiting<F> | undefined;
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;
  private readonly reconnect: BackoffPolicy;

  constructor(private readonly o: MeterBusLineOptions<F>) {
    this.reconnect = o.reconnect ?? { initialMs: 1000, maxMs: 60_000 };
  }

  get deframer(): Deframer<F> {
    return this.o.deframer;
  }

  get connected(): boolean {
    return this.stream !== undefined;
  }

  /** Runs one request/answer exchange with the bus to itself. Never rejects. */
  transaction(req: BusRequest<F>): Promise<BusResult<F>> {
    const run = () => this.run(req);
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private async run(req: BusRequest<F>): Promise<BusResult<F>> {
    if (this.closed) return { ok: false, kind: 'line', reason: 'closed' };
    let s: Duplex;
    try {
      s = await this.ensureOpen();
    } catch (err) {
      return { ok: false, kind: 'line', reason: (err as Error).message };
    }
    // whatever is buffered belongs to an earlier exchange: drop it
    const left = this.o.deframer.pending;
    if (left > 0) {
      this.counters.staleBytes += left;
      this.o.deframer.flush();
    }
    this.counters.transactions++;
    if (req.timeoutMs <= 0) {
      // a frame no one answers (a broadcast): written in turn, nothing awaited
      s.write(req.bytes);
      return { ok: false, kind: 'timeout', reason: 'no answer expected' };
    }
    return new Promise<BusResult<F>>((resolve) => {
      const w: Waiting<F> = {
        req,
        resolve,
        deadline: this.o.clock.setTimeout(() => this.onDeadline(w), req.timeoutMs),
      };
      this.waiting = w;
      s.write(req.bytes);
    });
  }

  private finish(w: Waiting<F>, r: BusResult<F>): void {
    if (this.waiting !== w) return;
    this.waiting = undefined;
    this.o.clock.clearTimeout(w.deadline);
    if (w.settle !== undefined) this.o.clock.clearTimeout(w.settle);
    w.resolve(r);
  }

  private onDeadline(w: Waiting<F>): void {
    // half a frame in the deframer: refused as truncated, never completed by later bytes; a
    // whole reply it had hidden (behind a noise byte that looked like a frame start) answers
    for (const r of this.o.deframer.flush()) {
      if (!r.ok) w.refused ??= { reason: r.reason, raw: r.raw };
      else if (this.waiting === w && w.req.isAnswer(r.frame)) {
        this.finish(w, { ok: true, frame: r.frame, raw: r.raw, ts: this.o.clock.now() });
      } else this.counters.stray++;
    }
    if (this.waiting !== w) return;
    if (w.refused) this.finish(w, { ok: false, kind: 'frame', ...w.refused });
    else this.finish(w, { ok: false, kind: 'timeout', reason: 'timeout' });
  }

  private onData(chunk: Buffer): void {
    const results = this.o.deframer.push(chunk);
    const w = this.waiting;
    if (!w) {
      for (const r of results) if (r.ok) this.counters.stray++;
      return;
    }
    let refused: { reason: string; raw: Uint8Array } | undefined;
    for (const r of results) {
      if (!r.ok) {
        refused ??= { reason: r.reason, raw: r.raw };
        continue;
      }
      if (w.req.isAnswer(r.frame)) {
        this.finish(w, { ok: true, frame: r.frame, raw: r.raw, ts: this.o.clock.now() });
        for (const rest of results.slice(results.indexOf(r) + 1)) if (rest.ok) this.counters.stray++;
        return;
      }
      this.counters.stray++;
    }
    if (refused) w.refused ??= refused;
    if (w.refused) {
      // wait for the line to go quiet: the rest of a damaged reply, or a good one after noise
      if (w.settle !== undefined) this.o.clock.clearTimeout(w.settle);
      w.settle = this.o.clock.setTimeout(() => {
        if (w.refused) this.finish(w, { ok: false, kind: 'frame', ...w.refused });
      }, this.o.settleMs ?? 20);
    }
  }

  private async ensureOpen(): Promise<Duplex> {
    if (this.stream) return this.stream;
    const now = this.o.clock.now();
    if (now < this.retryAt) {
      throw new Error(`${this.lastError} (reconnecting in ${Math.ceil((this.retryAt - now) / 1000)} s)`);
    }
    const timeout = this.o.connectTimeoutMs ?? 3000;
    try {
      let timedOut = false;
      const opening = this.o.open();
      // a stream that opens after its deadline is closed at once, never leaked
      opening.then(
        (late) => timedOut && late.destroy(),
        () => undefined,
      );
      const s = await withTimeout(
        this.o.clock,
        opening,
        timeout,
        () => Object.assign(new Error('connect timeout'), { code: 'ETIMEDOUT' }),
        () => {
          timedOut = true;
        },
      );
      if (this.closed) {
        s.destroy();
        throw new Error('closed');
      }
      this.counters.connects++;
      if (this.failures > 0) this.o.logger.info('meter bus reconnected');
      this.failures = 0;
      this.retryAt = 0;
      this.o.deframer.flush();
      s.on('data', (chunk: Buffer) => this.onData(chunk));
      s.on('error', (err: Error & { code?: string }) =>
        this.drop(s, `connection: ${err.code ?? err.message}`),
      );
      s.on('close', () => this.drop(s, 'connection: closed'));
      this.stream = s;
      return s;
    } catch (err) {
      const e = err as { code?: string; message?: string };
      this.failures++;
      this.counters.connectFailures++;
      this.lastError = `connection: ${e.code ?? e.message ?? String(err)}`;
      this.retryAt = this.o.clock.now() + backoffDelay(this.failures, this.reconnect, this.o.random);
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.o.logger.warn({ failures: this.failures, reason: this.lastError }, 'meter bus connect failed');
      }
      throw new Error(this.lastError, { cause: err });
    }
  }

  private drop(s: Duplex, why: string): void {
    if (this.stream !== s) return;
    this.stream = undefined;
    this.counters.drops++;
    this.lastError = why;
    this.o.logger.warn({ why }, 'meter bus dropped');
    s.removeAllListeners('data');
    s.destroy();
    const w = this.waiting;
    if (w) this.finish(w, { ok: false, kind: 'line', reason: why });
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    const s = this.stream;
    this.stream = undefined;
    if (!s) return;
    s.removeAllListeners('data');
    await new Promise<void>((resolve) => {
      // a serial port may never confirm: wait at most 500 ms
      const t = this.o.clock.setTimeout(resolve, 500);
      s.once('close', () => {
        this.o.clock.clearTimeout(t);
        resolve();
      });
      s.destroy();
    });
  }
}
