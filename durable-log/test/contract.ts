/**
 * The DurableLog contract: every implementation (segment files, memory) must pass it.
 * Usage: durableLogContract('segment log', (opts) => openSegmentLog({ dir: tempDir(), ...opts }), { reopen }).
 */
import { ManualClock } from '@ganzhi/runtime';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import {
  type BoundsOptions,
  type DurableLog,
  DurableLogError,
  type LogRecord,
  RECORD_HEADER_BYTES,
} from '../src/index.js';

export type LogFactory = (opts: BoundsOptions) => DurableLog;

export interface ContractOptions {
  /** Closes `log` and opens the same storage again; omit for volatile implementations. */
  reopen?: (log: DurableLog, opts: BoundsOptions) => DurableLog;
}

/** The injected clock of the age-bound tests, at an arbitrary start. */
export const fakeClock = (t = 1_000_000): ManualClock => new ManualClock(t);

/** A payload of exactly `n` bytes that encodes `tag`. */
export function payloadOf(tag: number, n = 84): Buffer {
  const b = Buffer.alloc(n, 0x2e);
  b.write(String(tag));
  return b;
}

const tagOf = (r: LogRecord): number => Number.parseInt(r.payload.toString('latin1'), 10);
const offsets = (rs: LogRecord[]): number[] => rs.map((r) => r.offset);

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(DurableLogError);
    return (err as DurableLogError).code;
  }
  return undefined;
}

export function durableLogContract(name: string, factory: LogFactory, options: ContractOptions = {}): void {
  describe(`DurableLog contract: ${name}`, () => {
    const open: DurableLog[] = [];
    const make = (opts: BoundsOptions = {}): DurableLog => {
      const log = factory(opts);
      open.push(log);
      return log;
    };
    const reopen = (log: DurableLog, opts: BoundsOptions = {}): DurableLog => {
      const again = options.reopen!(log, opts);
      open.push(again);
      return again;
    };
    afterEach(() => {
      for (const log of open.splice(0)) log.close();
    });

    it('starts empty at offset 0', () => {
      const log = make();
      expect(log.nextOffset).toBe(0);
      expect(log.firstUnacked).toBe(0);
      expect(log.readFrom(0, { records: 10 })).toEqual([]);
      expect(log.stats()).toMatchObject({ records: 0, bytes: 0, oldestAgeMs: 0, dropped: 0 });
    });

    it('hands out consecutive offsets and reads records back in order, oldest first', () => {
      const clock = fakeClock();
      const log = make({ clock });
      expect(log.append(payloadOf(0))).toBe(0);
      clock.advance(10);
      expect(log.appendMany([payloadOf(1), payloadOf(2), payloadOf(3)])).toEqual([1, 2, 3]);
      expect(log.appendMany([])).toEqual([]);
      expect(log.append(payloadOf(4, 3000))).toBe(4);
      expect(log.nextOffset).toBe(5);
      const rs = log.readFrom(0);
      expect(offsets(rs)).toEqual([0, 1, 2, 3, 4]);
      expect(rs.map(tagOf)).toEqual([0, 1, 2, 3, 4]);
      expect(rs[4]!.payload).toEqual(payloadOf(4, 3000));
      expect(rs.map((r) => r.appendedAt)).toEqual([1_000_000, 1_000_010, 1_000_010, 1_000_010, 1_000_010]);
      expect(offsets(log.readFrom(3))).toEqual([3, 4]);
      expect(log.readFrom(5)).toEqual([]);
      expect(log.readFrom(99)).toEqual([]);
    });

    it('keeps its own copy of a payload (the caller may reuse its buffer)', () => {
      const log = make();
      const buf = Buffer.from('original');
      log.append(buf);
      buf.write('CHANGED!');
      expect(log.readFrom(0)[0]!.payload.toString()).toBe('original');
    });

    it('stores empty payloads', () => {
      const log = make();
      log.appendMany([Buffer.alloc(0), Buffer.from('x')]);
      expect(log.readFrom(0).map((r) => r.payload.length)).toEqual([0, 1]);
    });

    it('limits readFrom by records and by payload bytes, always returning at least one record', () => {
      const log = make();
      for (let i = 0; i < 10; i++) log.append(payloadOf(i, 100));
      expect(offsets(log.readFrom(2, { records: 3 }))).toEqual([2, 3, 4]);
      expect(offsets(log.readFrom(0, { bytes: 350 }))).toEqual([0, 1, 2]);
      expect(offsets(log.readFrom(0, { bytes: 300 }))).toEqual([0, 1, 2]);
      expect(offsets(log.readFrom(0, { bytes: 10 }))).toEqual([0]);
      expect(offsets(log.readFrom(8, { bytes: 10_000, records: 5 }))).toEqual([8, 9]);
      expect(log.readFrom(0, { records: 0 })).toEqual([]);
    });

    it('acks in order advance the cursor; readFrom never returns acked records below it', () => {
      const log = make();
      for (let i = 0; i < 5; i++) log.append(payloadOf(i));
      log.ack(0);
      log.ack(1);
      expect(log.firstUnacked).toBe(2);
      expect(offsets(log.readFrom(0))).toEqual([2, 3, 4]);
      expect(log.stats()).toMatchObject({ records: 3, bytes: 3 * 100 });
    });

    it('accepts out-of-order acks and advances over the contiguous acked prefix', () => {
      const log = make();
      for (let i = 0; i < 6; i++) log.append(payloadOf(i));
      log.ack(2);
      log.ack(1);
      log.ack(4);
      expect(log.firstUnacked).toBe(0);
      expect(log.stats()).toMatchObject({ records: 3, bytes: 300 });
      log.ack(0);
      expect(log.firstUnacked).toBe(3);
      log.ack(2); // already acked: no effect
      expect(log.stats()).toMatchObject({ records: 2, bytes: 200 });
      log.ack(3);
      expect(log.firstUnacked).toBe(5);
      expect(offsets(log.readFrom(0))).toEqual([5]);
    });

    it('ackThrough acknowledges everything up to and including the offset', () => {
      const log = make();
      for (let i = 0; i < 8; i++) log.append(payloadOf(i));
      log.ack(6);
      log.ackThrough(4);
      expect(log.firstUnacked).toBe(5);
      log.ackThrough(2); // behind the cursor: no effect
      expect(log.firstUnacked).toBe(5);
      log.ack(5);
      expect(log.firstUnacked).toBe(7);
      log.ackThrough(7);
      expect(log.firstUnacked).toBe(8);
      expect(log.stats()).toMatchObject({ records: 0, bytes: 0, oldestAgeMs: 0 });
    });

    it('rejects acks of offsets never handed out, and bad offsets', () => {
      const log = make();
      log.append(payloadOf(0));
      expect(codeOf(() => log.ack(1))).toBe('GZ_LOG_BAD_OFFSET');
      expect(codeOf(() => log.ackThrough(5))).toBe('GZ_LOG_BAD_OFFSET');
      expect(codeOf(() => log.ack(-1))).toBe('GZ_LOG_BAD_OFFSET');
      expect(codeOf(() => log.ack(0.5))).toBe('GZ_LOG_BAD_OFFSET');
      expect(codeOf(() => log.readFrom(Number.NaN))).toBe('GZ_LOG_BAD_OFFSET');
      expect(log.firstUnacked).toBe(0);
    });

    it('maxBytes drops exactly the oldest unacked records needed, and counts them', () => {
      const log = make({ maxBytes: 1000 }); // 10 records of 84 + 16 bytes
      for (let i = 0; i < 10; i++) log.append(payloadOf(i));
      expect(log.stats()).toMatchObject({ records: 10, bytes: 1000, dropped: 0 });
      log.ack(1); // acked before it would have been dropped: not counted
      for (let i = 10; i < 15; i++) log.append(payloadOf(i));
      // 14 unacked, 4 must go: 0, (1 acked), 2, 3, 4 → dropped 4, cursor at 5
      expect(log.stats()).toMatchObject({ records: 10, bytes: 1000, dropped: 4 });
      expect(log.firstUnacked).toBe(5);
      expect(log.readFrom(0).map(tagOf)).toEqual([5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
      log.append(payloadOf(15, 284)); // 300 bytes: three more must go
      expect(log.stats()).toMatchObject({ bytes: 1000, dropped: 7 });
      expect(offsets(log.readFrom(0, { records: 1 }))).toEqual([8]);
    });

    it('refuses a record that can never fit in maxBytes, appending nothing', () => {
      const log = make({ maxBytes: 500 });
      log.append(payloadOf(0));
      expect(codeOf(() => log.appendMany([payloadOf(1), payloadOf(2, 490)]))).toBe('GZ_LOG_RECORD_TOO_LARGE');
      expect(log.nextOffset).toBe(1);
    });

    it('maxAgeMs drops records older than the bound (oldest first), counted', () => {
      const clock = fakeClock();
      const log = make({ maxAgeMs: 1000, clock });
      log.appendMany([payloadOf(0), payloadOf(1), payloadOf(2)]);
      clock.advance(400);
      log.appendMany([payloadOf(3), payloadOf(4)]);
      log.ack(1);
      clock.advance(500);
      expect(log.stats()).toMatchObject({ records: 4, dropped: 0, oldestAgeMs: 900 });
      clock.advance(200); // the first three are now 1100 ms old
      expect(log.stats()).toMatchObject({ records: 2, dropped: 2, oldestAgeMs: 700 });
      expect(offsets(log.readFrom(0))).toEqual([3, 4]);
      clock.advance(10_000);
      expect(log.readFrom(0)).toEqual([]);
      expect(log.stats()).toMatchObject({ records: 0, dropped: 4, oldestAgeMs: 0 });
      expect(log.append(payloadOf(5))).toBe(5);
    });

    it('fails every call after close, and close is idempotent', () => {
      const log = make();
      log.append(payloadOf(0));
      log.close();
      log.close();
      expect(codeOf(() => log.append(payloadOf(1)))).toBe('GZ_LOG_CLOSED');
      expect(codeOf(() => log.readFrom(0))).toBe('GZ_LOG_CLOSED');
      expect(codeOf(() => log.ack(0))).toBe('GZ_LOG_CLOSED');
    });

    it('behaves like a simple model under random appends, acks, drops and reads', () => {
      const op = fc.oneof(
        fc.record({
          k: fc.constant('append' as const),
          sizes: fc.array(fc.nat(300), { minLength: 1, maxLength: 6 }),
        }),
        fc.record({ k: fc.constant('ack' as const), at: fc.nat(12) }),
        fc.record({ k: fc.constant('ackThrough' as const), at: fc.nat(6) }),
        fc.record({
          k: fc.constant('read' as const),
          at: fc.nat(40),
          records: fc.nat(8),
          bytes: fc.nat(900),
        }),
        fc.record({ k: fc.constant('tick' as const), ms: fc.nat(400) }),
      );
      fc.assert(
        fc.property(fc.array(op, { minLength: 20, maxLength: 80, size: 'max' }), (ops) => {
          const clock = fakeClock();
          const bounds = { maxBytes: 1200, maxAgeMs: 1500, clock };
          const log = make(bounds);
          const model = new ModelLog(bounds);
          for (const o of ops) {
            if (o.k === 'append') {
              const ps = o.sizes.map((n, i) => payloadOf(model.next + i, n + 8));
              expect(log.appendMany(ps)).toEqual(model.append(ps, clock.now()));
            } else if (o.k === 'tick') {
              clock.advance(o.ms);
            } else if (o.k === 'read') {
              const lim = { records: o.records + 1, bytes: o.bytes };
              expect(offsets(log.readFrom(o.at, lim))).toEqual(model.read(o.at, lim, clock.now()));
            } else if (model.first + o.at < model.next) {
              // acks land just above the cursor, where out-of-order acks and drops interact
              const at = model.first + o.at;
              if (o.k === 'ack') log.ack(at);
              else log.ackThrough(at);
              model.ack(at, o.k === 'ackThrough', clock.now());
            }
            const s = log.stats();
            const m = model.stats(clock.now());
            expect({
              first: log.firstUnacked,
              records: s.records,
              bytes: s.bytes,
              dropped: s.dropped,
            }).toEqual(m);
          }
          log.close();
        }),
        { numRuns: 40 },
      );
    });

    describe.skipIf(!options.reopen)('across reopen', () => {
      it('continues offsets, keeps unacked records and the cursor', () => {
        const log = make();
        for (let i = 0; i < 6; i++) log.append(payloadOf(i));
        log.ackThrough(2);
        log.ack(4);
        const again = reopen(log);
        expect(again.nextOffset).toBe(6);
        expect(again.firstUnacked).toBe(3);
        // 4 was acked out of order: only the contiguous prefix is persisted, so it comes again
        expect(again.readFrom(0).map(tagOf)).toEqual([3, 4, 5]);
        expect(again.append(payloadOf(6))).toBe(6);
        again.ackThrough(6);
        const third = reopen(again);
        expect(third.nextOffset).toBe(7);
        expect(third.firstUnacked).toBe(7);
        expect(third.append(payloadOf(7))).toBe(7);
      });

      it('keeps the dropped count', () => {
        const log = make({ maxBytes: 300 });
        for (let i = 0; i < 5; i++) log.append(payloadOf(i));
        const again = reopen(log, { maxBytes: 300 });
        expect(again.stats()).toMatchObject({ records: 3, dropped: 2 });
        expect(offsets(again.readFrom(0))).toEqual([2, 3, 4]);
      });
    });
  });
}

/** The reference the random test compares against: arrays, no cleverness. */
class ModelLog {
  next = 0;
  first = 0;
  dropped = 0;
  private readonly recs: { size: number; at: number; acked: boolean }[] = [];
  constructor(private readonly b: { maxBytes: number; maxAgeMs: number }) {}

  append(ps: Buffer[], now: number): number[] {
    this.bounds(now);
    const out = ps.map((p) => {
      this.recs.push({ size: p.length + RECORD_HEADER_BYTES, at: now, acked: false });
      return this.next++;
    });
    this.bounds(now);
    return out;
  }
  ack(o: number, through: boolean, now: number): void {
    for (let i = through ? 0 : o; i <= o; i++) this.recs[i]!.acked = true;
    this.advance();
    this.bounds(now);
  }
  read(at: number, lim: { records: number; bytes: number }, now: number): number[] {
    this.bounds(now);
    const out: number[] = [];
    let bytes = 0;
    for (let o = Math.max(at, this.first); o < this.next && out.length < lim.records; o++) {
      const len = this.recs[o]!.size - RECORD_HEADER_BYTES;
      if (out.length > 0 && bytes + len > lim.bytes) break;
      bytes += len;
      out.push(o);
    }
    return out;
  }
  stats(now: number) {
    this.bounds(now);
    const live = this.recs.slice(this.first).filter((r) => !r.acked);
    return {
      first: this.first,
      records: live.length,
      bytes: live.reduce((n, r) => n + r.size, 0),
      dropped: this.dropped,
    };
  }
  private advance(): void {
    while (this.first < this.next && this.recs[this.first]!.acked) this.first++;
  }
  private bounds(now: number): void {
    while (this.first < this.next && this.recs[this.first]!.at < now - this.b.maxAgeMs) this.dropOne();
    while (this.stats0() > this.b.maxBytes) this.dropOne();
  }
  private stats0(): number {
    return this.recs.slice(this.first).reduce((n, r) => n + (r.acked ? 0 : r.size), 0);
  }
  private dropOne(): void {
    const r = this.recs[this.first]!;
    if (!r.acked) this.dropped++;
    r.acked = true;
    this.advance();
  }
}
