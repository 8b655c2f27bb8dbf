/**
 * The writer: reads the durable log in order, decodes and validates each message, maps it
 * to line protocol, writes the store in batches (a size and a flush interval), and only
 * then advances the log's ack cursor. While the store is down it retries the same batch
 * with backoff for as long as it takes; the log keeps everything meanwhile.
 *
 * Acks trail the completeness state: the cursor never passes the log offset through
 * which the completeness figures were last persisted, so a crash can neither lose nor
 * double-count a batch in the figures (a replayed record at or below that offset is not
 * counted again).
 */
import type { DurableLog } from '@ganzhi/durable-log';
import { type Clock, type Random, sleep, systemClock, systemRandom } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { CommandAudit } from '../commands/audit.js';
import type { CompletenessTracker, TrackerState } from '../completeness/tracker.js';
import { isRetriable } from '../errors.js';
import type { FleetAudit } from '../fleet/audit.js';
import type { InboundGuard } from '../guard/inbound-guard.js';
import type { IngestMetrics } from '../metrics.js';
import type { Sink } from '../sink.js';
import { DEFAULT_RETRY, type RetryPolicy, retryDelay } from '../sinks/retry.js';
import type { DeadLetters } from './dead-letter.js';
import { type DecodedMessage, decodeMessage, decodeRecord, type RecordOutcome } from './decode-record.js';
import { decodeLogRecord } from './log-record.js';

export interface WriterOptions {
  /** every decoded contract message, in log order (the hub page's bookkeeping) */
  onMessage?: (m: DecodedMessage) => void;
  log: DurableLog;
  sink: Sink;
  deadLetters: DeadLetters;
  tracker: CompletenessTracker;
  metrics: IngestMetrics;
  logger: Logger;
  /** lines per store write (default 5000) */
  batchLines?: number;
  /** longest a partial batch waits for more lines, ms (default 200) */
  flushMs?: number;
  /** store writes in flight at once (default 2); acks still advance in log order */
  maxInFlight?: number;
  /** backoff between attempts while the store is down */
  outageRetry?: Partial<RetryPolicy>;
  /** persists the completeness state; called at most every persistEveryMs, and before acks */
  persist?: (state: TrackerState) => void;
  persistEveryMs?: number;
  /** flush timers, the outage backoff, the shutdown deadline and receive times (default systemClock) */
  clock?: Clock;
  /** the outage backoff's jitter (default Math.random) */
  random?: Random;
  /** gateway online/offline as last announced on its state topic */
  onGatewayState?: (district: string, gateway: string, online: boolean) => void;
  /** screens every decoded message (per-gateway limits, model tags) and reports refusals */
  guard?: InboundGuard;
  /** records commands and results (issue 15); its lines join the batch */
  audit?: CommandAudit;
  /** records desired configs and config states (issue 16); its lines join the batch */
  fleet?: FleetAudit;
}

/** Records the writer takes from memory instead of reading them back from the log. */
const TAIL_RECORDS = 4096;
const TAIL_BYTES = 32 * 1024 * 1024;

interface Batch {
  lines: string[];
  points: number;
  lastOffset: number;
  firstAt: number;
}

export class Writer {
  private readonly o: Required<
    Omit<
      WriterOptions,
      'persist' | 'onGatewayState' | 'onMessage' | 'outageRetry' | 'guard' | 'audit' | 'fleet'
    >
  > &
    Pick<WriterOptions, 'persist' | 'onGatewayState' | 'onMessage' | 'guard' | 'audit' | 'fleet'>;
  private readonly outage: RetryPolicy;
  private cursor: number;
  private batch: Batch;
  private inFlight: { lastOffset: number; done: Promise<void>; settled: boolean; ok: boolean }[] = [];
  private writtenThrough = -1;
  private persistedThrough = -1;
  private lastPersistAt = 0;
  private wake: (() => void) | undefined;
  private stopping = false;
  /** aborted when stop() gives up waiting for the store: ends the outage backoff's sleeps */
  private readonly abort = new AbortController();
  private loop: Promise<void> | undefined;
  private lastWarnAt = 0;
  /** the newest appended records, contiguous, not yet processed: read from here, not the log */
  private tail: { offset: number; payload: Buffer }[] = [];
  private tailHead = 0;
  private tailBytes = 0;
  /** false while the store refuses writes */
  healthy = true;

  constructor(opts: WriterOptions) {
    this.o = {
      batchLines: 5000,
      flushMs: 200,
      maxInFlight: 2,
      persistEveryMs: 1000,
      clock: systemClock,
      random: systemRandom,
      ...opts,
    };
    this.outage = { ...DEFAULT_RETRY, minDelayMs: 500, maxDelayMs: 30_000, ...opts.outageRetry };
    this.cursor = opts.log.firstUnacked;
    this.persistedThrough = opts.persist ? opts.tracker.through : Number.MAX_SAFE_INTEGER;
    this.batch = this.newBatch();
  }

  private newBatch(): Batch {
    return { lines: [], points: 0, lastOffset: -1, firstAt: 0 };
  }

  /** records appended but not yet acknowledged */
  get depth(): number {
    return this.o.log.nextOffset - this.o.log.firstUnacked;
  }

  start(): void {
    this.loop ??= this.run();
  }

  /**
   * A record was appended to the log (durably: this is after the append returned). The
   * writer keeps the latest ones in memory, bounded, so it need not read back what was
   * just written; whatever the tail does not cover it reads from the log.
   */
  appended(offset: number, record: Buffer): void {
    const t = this.tail;
    const last = t.length > this.tailHead ? t[t.length - 1] : undefined;
    if (last === undefined) {
      this.tail = [];
      this.tailHead = 0;
      this.tailBytes = 0;
    }
    if (
      (last === undefined || last.offset + 1 === offset) &&
      offset >= this.cursor &&
      this.tail.length - this.tailHead < TAIL_RECORDS &&
      this.tailBytes + record.length <= TAIL_BYTES
    ) {
      this.tail.push({ offset, payload: record });
      this.tailBytes += record.length;
    }
    this.notify();
  }

  /** Up to `max` records from the in-memory tail when it starts at the cursor, else undefined. */
  private fromTail(max: number): { offset: number; payload: Buffer }[] | undefined {
    const t = this.tail;
    while (this.tailHead < t.length && (t[this.tailHead] as { offset: number }).offset < this.cursor) {
      this.tailBytes -= (t[this.tailHead] as { payload: Buffer }).payload.length;
      this.tailHead++;
    }
    if (this.tailHead >= t.length || (t[this.tailHead] as { offset: number }).offset !== this.cursor)
      return undefined;
    const out = t.slice(this.tailHead, this.tailHead + max);
    this.tailHead += out.length;
    for (const r of out) this.tailBytes -= r.payload.length;
    if (this.tailHead >= t.length) {
      this.tail = [];
      this.tailHead = 0;
      this.tailBytes = 0;
    } else if (this.tailHead > 1024) {
      this.tail = t.slice(this.tailHead);
      this.tailHead = 0;
    }
    return out;
  }

  /** New records were appended. */
  notify(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  private async run(): Promise<void> {
    const { log, flushMs } = this.o;
    while (!this.stopping) {
      const recs = this.fromTail(1000) ?? log.readFrom(this.cursor, { records: 1000 });
      const now = this.o.clock.now();
      for (const r of recs) {
        this.process(r.offset, r.payload, now);
        this.cursor = r.offset + 1;
        if (this.batch.lines.length >= this.o.batchLines) await this.dispatch();
      }
      // A partial batch goes out when the log is drained or it is flushMs old — but only to a
      // free write slot: while both slots are busy it keeps growing (adaptive batching).
      const partialDue = recs.length === 0 || now - this.batch.firstAt >= flushMs;
      if (this.batch.lastOffset >= 0 && partialDue && this.inFlight.length < this.o.maxInFlight) {
        await this.dispatch();
      }
      this.maybePersistAndAck();
      // let the receiver (PUBACKs) and the store's I/O run between chunks of a backlog
      if (recs.length > 0) await new Promise<void>((r) => setImmediate(r));
      else if (!this.stopping) {
        const clock = this.o.clock;
        await new Promise<void>((resolve) => {
          const t = clock.setTimeout(resolve, this.batch.lastOffset >= 0 ? flushMs : Math.max(flushMs, 1000));
          this.wake = () => {
            clock.clearTimeout(t);
            resolve();
          };
        });
      }
    }
    // stopping: write what is pending, wait for the writes (unless aborted), persist, ack
    if (this.batch.lastOffset >= 0) await this.dispatch();
    while (this.inFlight.length > 0) await this.inFlight[0]!.done;
    this.maybePersistAndAck(true);
  }

  /** A log record → its outcome, screened by the guard when there is one. */
  private decode(raw: Buffer, now: number): RecordOutcome {
    const guard = this.o.guard;
    if (guard === undefined) return decodeRecord(raw, now);
    const rec = decodeLogRecord(raw);
    if (rec === undefined) return decodeRecord(raw, now); // the corrupt-record dead letter
    return guard.screen(decodeMessage(rec.topic, rec.payload, now, guard.decode), rec.topic, rec.payload);
  }

  private process(offset: number, payload: Buffer, now: number): void {
    const out = this.decode(payload, now);
    const m = this.o.metrics;
    if (out.deadLetters.length > 0) {
      this.o.deadLetters.add(out.deadLetters);
      for (const d of out.deadLetters) m.deadLetters.inc(1, { kind: d.kind });
    }
    if (out.seq && offset > this.o.tracker.through) {
      const { district, gateway, stream, seq } = out.seq;
      if (this.o.tracker.observe(district, gateway, stream, seq, now) === 'reset')
        this.o.guard?.streamReset(district, gateway, stream, seq);
    }
    if (offset > this.o.tracker.through) this.o.tracker.through = offset;
    if (out.state) this.o.onGatewayState?.(out.state.district, out.state.gateway, out.state.online);
    if (out.message) this.o.onMessage?.(out.message);
    const b = this.batch;
    if (b.lastOffset < 0) b.firstAt = now;
    for (const l of out.lines) b.lines.push(l);
    const kind = out.message?.kind;
    if ((kind === 'cmd' || kind === 'result') && this.o.audit) {
      let refused: { reason: string; topic?: string; payload?: Uint8Array } | undefined;
      try {
        const a = this.o.audit.observe(out.message!, now);
        for (const l of a.lines) b.lines.push(l);
        refused = a.refused;
      } catch (err) {
        // the audit table could not be written (disk full, …): the message is kept in the dead letters
        refused = {
          reason: `command audit not stored: ${(err as Error).message}`,
          payload: Buffer.from(JSON.stringify(out.message!)),
        };
      }
      if (refused) {
        this.o.deadLetters.add([{ kind: 'message', ...refused }]);
        m.deadLetters.inc(1, { kind: 'message' });
        this.o.logger.warn({ topic: refused.topic, reason: refused.reason }, 'command message refused');
      }
    }
    if ((kind === 'config' || kind === 'config-state') && this.o.fleet) {
      try {
        for (const l of this.o.fleet.observe(out.message!, now).lines) b.lines.push(l);
      } catch (err) {
        // the fleet tables could not be written (disk full, …): the outcome is kept in the dead
        // letters (never a desired config's document: the reason names its gateway and version)
        const msg = out.message!;
        const what =
          msg.kind === 'config'
            ? `desired config version ${msg.value.version}`
            : `config state ${(msg as { value: { status: string } }).value.status}`;
        const reason = `fleet audit not stored (${out.from?.district}/${out.from?.gateway} ${what}): ${(err as Error).message}`;
        this.o.deadLetters.add([{ kind: 'message', reason }]);
        m.deadLetters.inc(1, { kind: 'message' });
        this.o.logger.warn({ reason }, 'fleet message not audited');
      }
    }
    b.points += out.points;
    b.lastOffset = offset;
  }

  private async dispatch(): Promise<void> {
    const b = this.batch;
    this.batch = this.newBatch();
    while (this.inFlight.length >= this.o.maxInFlight) await this.inFlight[0]!.done;
    const entry = { lastOffset: b.lastOffset, done: Promise.resolve(), settled: false, ok: false };
    entry.done = this.writeBatch(b).then(
      () => this.settle(entry, true),
      () => this.settle(entry, false),
    );
    this.inFlight.push(entry);
  }

  /** Marks a write finished and advances over the finished prefix, in log order. */
  private settle(entry: Writer['inFlight'][number], ok: boolean): void {
    entry.settled = true;
    entry.ok = ok;
    while (this.inFlight[0]?.settled) {
      const head = this.inFlight.shift()!;
      // not ok = aborted at shutdown: not written, stays in the log
      if (!head.ok) {
        this.inFlight.length = 0;
        break;
      }
      this.writtenThrough = head.lastOffset;
    }
    this.maybePersistAndAck();
    this.notify(); // a write slot is free
  }

  private maybePersistAndAck(force = false): void {
    const { persist, tracker, log } = this.o;
    const now = this.o.clock.now();
    if (
      persist &&
      tracker.through > this.persistedThrough &&
      (force || now - this.lastPersistAt >= this.o.persistEveryMs)
    ) {
      try {
        persist(tracker.state());
        this.persistedThrough = tracker.through;
        this.lastPersistAt = now;
      } catch (err) {
        this.o.logger.error({ err }, 'could not persist the completeness state; acks held back');
      }
    }
    const ackable = Math.min(this.writtenThrough, this.persistedThrough);
    if (ackable >= log.firstUnacked) log.ackThrough(ackable);
  }

  private async writeBatch(b: Batch): Promise<void> {
    if (b.lines.length === 0) return;
    const m = this.o.metrics;
    for (let attempt = 1; ; attempt++) {
      const t0 = performance.now();
      try {
        // every line here comes from decodeRecord, i.e. the contract mapper: no syntax re-check
        const r = await this.o.sink.write(b.lines, { trusted: true });
        m.writeSeconds.observe((performance.now() - t0) / 1000);
        m.batches.inc();
        m.lines.inc(r.written);
        m.points.inc(b.points);
        if (r.rejected.length > 0) {
          this.o.deadLetters.add(
            r.rejected.map((x) => ({ kind: 'line' as const, reason: x.reason, line: x.line })),
          );
          m.deadLetters.inc(r.rejected.length, { kind: 'line' });
        }
        if (!this.healthy) this.o.logger.info({ attempt }, 'store writable again, writes resumed');
        this.healthy = true;
        return;
      } catch (err) {
        if (this.abort.signal.aborted) throw err;
        this.healthy = false;
        m.retries.inc();
        const delay = retryDelay(
          this.outage,
          attempt,
          (err as { retryAfterMs?: number }).retryAfterMs,
          this.o.random,
        );
        const now = this.o.clock.now();
        if (attempt === 1 || now - this.lastWarnAt > 30_000) {
          this.lastWarnAt = now;
          this.o.logger.warn(
            { code: (err as { code?: string }).code, retriable: isRetriable(err), attempt, delayMs: delay },
            `store write failed, retrying: ${(err as Error).message}`,
          );
        }
        await sleep(this.o.clock, delay, this.abort.signal);
        if (this.abort.signal.aborted) throw err;
      }
    }
  }

  /**
   * Stops reading, writes what is pending and acks it. If the store does not take it
   * within `timeoutMs`, gives up: those records stay in the log for the next start.
   */
  async stop(timeoutMs = 10_000): Promise<void> {
    this.stopping = true;
    this.notify();
    const clock = this.o.clock;
    const t = clock.setTimeout(() => this.abort.abort(), timeoutMs);
    try {
      await this.loop;
    } finally {
      clock.clearTimeout(t);
    }
  }
}
