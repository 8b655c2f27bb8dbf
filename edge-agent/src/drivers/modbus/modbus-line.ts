/**
 * One physical Modbus line: a TCP connection, a serial port, or an RTU-over-TCP socket.
 * Every device on the line shares it, and transactions run strictly one at a time in
 * arrival order (an RS-485 bus cannot carry two, and most Modbus TCP gateways to RS-485 take
 * one request at a time). The line connects lazily, and after a failure reconnects with
 * capped exponential backoff and jitter; while it waits, queued transactions fail at once
 * with the reason, so a dead line costs no bus time.
 *
 * What answers what (the requests given up on are remembered, so a late reply is not taken for
 * another request's, nor for a dead connection):
 * - Modbus TCP: by transaction id (modbus-serial's TCP port). A reply carrying the id of a
 *   request timed out or already answered is late or a duplicate: discarded. A reply with an
 *   id the agent never sent fails the request on the line as `bad frame`.
 * - RTU (serial, RTU over TCP): by unit and function code, framed by the reply's own byte
 *   count (rtu-port.ts): a late reply of a timed-out unit is discarded; a reply from a unit not
 *   asked is `bad frame`; a short reply with a valid CRC is `bad frame`, not `crc`.
 *
 * Writes (commands) are queued AHEAD of polls: a transaction with `priority` goes before every
 * queued non-priority transaction (after earlier priority ones), so a write waits at most for
 * the transaction on the line, never for a poll cycle. Its `deadline` bounds both the wait (a
 * write still queued at its deadline is failed `timeout` without being sent) and its own
 * reply timeout.
 *
 * When a Modbus TCP connection is presumed half-open and reopened: timeouts in a row with
 * nothing at all received on the socket meanwhile (late replies count as something), from two
 * different units at least one of which had answered on this connection — or two from the
 * line's only unit. Units that never answer in time (dead slaves behind a gateway, slow units)
 * are not a dead connection for the others.
 */

import { connect as netConnect, type Socket } from 'node:net';
import type { Clock, Random } from '@ganzhi/runtime';
import { type BackoffPolicy, backoffDelay } from '@ganzhi/runtime';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Logger } from 'pino';
import { withTimeout } from '../timeout.js';
import type { ModbusEndpoint } from './endpoint.js';
import { classifyModbusError, FrameFault, LineDownError } from './fault.js';
import { type ByteLink, RtuPort } from './rtu-port.js';

const ModbusClient = (ModbusSerial as unknown as { default: typeof ModbusRTU }).default ?? ModbusSerial;
type ModbusClientCtor = new (port?: unknown) => ModbusRTU;

/** modbus-serial's TCP port, as far as the line looks into it (its transaction ids). */
interface TcpPortInternals {
  _transactionIdRead: number;
  _transactionIdWrite: number;
  on(event: 'data', fn: () => void): unknown;
}

/** transaction ids remembered per TCP line: answered or given up on (late and duplicate replies) */
const RECENT_TIDS = 32;

export interface ModbusLineOptions {
  endpoint: ModbusEndpoint;
  clock: Clock;
  random: Random;
  /** the line's logger (carries `line`: see LineRegistry) */
  logger: Logger;
  reconnect?: BackoffPolicy;
  /** how long a connection attempt may take; default 3000 ms */
  connectTimeoutMs?: number;
}

export interface TransactionOptions {
  /** goes ahead of every queued non-priority transaction (writes ahead of polls) */
  priority?: boolean;
  /**
   * clock time (ms): not sent after it (fails `timeout` while still queued), and its reply
   * timeout is cut to what is left of it
   */
  deadline?: number;
}

interface QueuedJob {
  priority: boolean;
  start: () => Promise<void>;
}

export interface LineCounters {
  transactions: number;
  connects: number;
  connectFailures: number;
  drops: number;
  /** replies to requests given up on (or repeated), recognised and discarded */
  lateReplies: number;
  /** replies answering no request the agent sent (another unit, an unknown transaction id) */
  foreignReplies: number;
}

export class ModbusLine {
  readonly counters: LineCounters = {
    transactions: 0,
    connects: 0,
    connectFailures: 0,
    drops: 0,
    lateReplies: 0,
    foreignReplies: 0,
  };
  private client: ModbusRTU | undefined;
  /** the RTU port under the client (serial, RTU over TCP) */
  private rtu: RtuPort | undefined;
  /** TCP: the transaction id of the request on the line */
  private tid: number | undefined;
  /** TCP: ids answered or given up on, newest last */
  private recentTids: number[] = [];
  /** fails the transaction on the line (a reply that answers something else) */
  private failCurrent: ((err: Error) => void) | undefined;
  /** anything received on the connection (frames, late replies): the connection is alive */
  private received = 0;
  /** `received` when the current run of silent timeouts began */
  private receivedAtSilence = 0;
  private silentUnits = new Set<number>();
  /** units that have used the line */
  private readonly units = new Set<number>();
  /** units that answered in time on the current connection: their silence says something about it */
  private answered = new Set<number>();
  /** transactions waiting for the line, priority ones first */
  private readonly queue: QueuedJob[] = [];
  private busy = false;
  private readonly running = new Set<Promise<void>>();
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;
  /** consecutive timeouts on the line with nothing received in between (TCP: half-open socket?) */
  private silentTimeouts = 0;
  private readonly reconnect: BackoffPolicy;

  constructor(private readonly opts: ModbusLineOptions) {
    this.reconnect = opts.reconnect ?? { initialMs: 1000, maxMs: 60_000 };
  }

  get endpoint(): ModbusEndpoint {
    return this.opts.endpoint;
  }

  get connected(): boolean {
    return this.client?.isOpen === true;
  }

  /**
   * Runs `fn` with the line to itself, for unit `unit` with `timeoutMs`. Rejects with the
   * modbus-serial error (classify with classifyModbusError) or a LineDownError.
   */
  transaction<T>(
    unit: number,
    timeoutMs: number,
    fn: (client: ModbusRTU) => Promise<T>,
    opts: TransactionOptions = {},
  ): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new LineDownError('closed');
      let timeout = timeoutMs;
      if (opts.deadline !== undefined) {
        const left = opts.deadline - this.opts.clock.now();
        if (left <= 0) throw timedOut();
        timeout = Math.max(1, Math.min(timeoutMs, left));
      }
      const client = await this.ensureOpen();
      client.setID(unit);
      client.setTimeout(timeout);
      this.counters.transactions++;
      this.units.add(unit);
      const tcp = this.tcpPort(client);
      this.tid = tcp?._transactionIdWrite;
      try {
        const result = await new Promise<T>((resolve, reject) => {
          this.failCurrent = reject;
          fn(client).then(resolve, reject);
        });
        this.silentTimeouts = 0;
        this.silentUnits.clear();
        this.answered.add(unit);
        return result;
      } catch (err) {
        this.rtu?.abandon();
        this.afterError(unit, err);
        throw err;
      } finally {
        this.failCurrent = undefined;
        releaseTransaction(client, this.tid);
        if (this.tid !== undefined) this.remember(this.tid);
        this.tid = undefined;
      }
    };
    return new Promise<T>((resolve, reject) => {
      const job: QueuedJob = {
        priority: opts.priority === true,
        start: () => run().then(resolve, reject),
      };
      const at = job.priority ? this.queue.findIndex((j) => !j.priority) : -1;
      if (at < 0) this.queue.push(job);
      else this.queue.splice(at, 0, job);
      this.pump();
    });
  }

  /** Starts the next queued transaction when the line is free. */
  private pump(): void {
    if (this.busy) return;
    const job = this.queue.shift();
    if (!job) return;
    this.busy = true;
    const p = job.start().finally(() => {
      this.running.delete(p);
      this.busy = false;
      this.pump();
    });
    this.running.add(p);
  }

  private remember(tid: number): void {
    this.recentTids.push(tid);
    if (this.recentTids.length > RECENT_TIDS) this.recentTids.shift();
  }

  private tcpPort(client: ModbusRTU): TcpPortInternals | undefined {
    if (this.opts.endpoint.scheme !== 'modbus-tcp') return undefined;
    return (client as unknown as { _port?: TcpPortInternals })._port;
  }

  /** A reply failed the request on the line: counted, logged at debug, the request fails `bad frame`. */
  private foreign(err: FrameFault): void {
    this.counters.foreignReplies++;
    this.opts.logger.debug({ detail: err.message }, 'modbus reply answers no request on the line');
    this.failCurrent?.(err);
  }

  /** TCP: every MBAP frame modbus-serial's port parsed, before modbus-serial matches it by id. */
  private onTcpFrame(port: TcpPortInternals): void {
    this.received++;
    const tid = port._transactionIdRead;
    if (tid === this.tid) return;
    if (this.recentTids.includes(tid)) {
      this.counters.lateReplies++;
      return;
    }
    if (this.tid !== undefined) this.foreign(new FrameFault(`transaction id ${tid}, expected ${this.tid}`));
    else this.counters.foreignReplies++;
  }

  private afterError(unit: number, err: unknown): void {
    const fault = classifyModbusError(err);
    if (fault.kind === 'timeout') {
      if (this.silentTimeouts === 0 || this.received !== this.receivedAtSilence) {
        // the first timeout of a run, or something arrived since the run began: start afresh
        this.silentTimeouts = 0;
        this.silentUnits.clear();
        this.receivedAtSilence = this.received;
      }
      this.silentTimeouts++;
      this.silentUnits.add(unit);
      // Modbus TCP: nothing received through the timeouts of two units, one of which had
      // answered on this connection (or of the line's only unit) → the socket may be half-open;
      // start afresh. A unit that never answered in time (dead, or slower than its timeout)
      // says nothing about the connection. (On a serial bus a dead slave is normal: keep the port.)
      const knownAlive = [...this.silentUnits].some((u) => this.answered.has(u));
      const halfOpen =
        this.silentTimeouts >= 2 && ((this.silentUnits.size >= 2 && knownAlive) || this.units.size <= 1);
      if (this.opts.endpoint.scheme === 'modbus-tcp' && halfOpen) {
        this.drop('two consecutive timeouts with nothing received');
      }
    } else if (fault.kind === 'line') {
      this.drop(fault.reason);
    } else {
      // an exception or a bad frame is an answer: the connection carries bytes
      this.silentTimeouts = 0;
      this.silentUnits.clear();
      this.answered.add(unit);
    }
  }

  private drop(why: string): void {
    if (!this.client) return;
    this.opts.logger.warn({ why }, 'modbus line dropped');
    this.counters.drops++;
    const c = this.client;
    this.client = undefined;
    this.rtu = undefined;
    this.silentTimeouts = 0;
    this.silentUnits.clear();
    this.answered.clear();
    this.recentTids = [];
    closeQuietly(c);
  }

  private async ensureOpen(): Promise<ModbusRTU> {
    if (this.client?.isOpen) return this.client;
    if (this.client) this.drop('connection closed');
    const now = this.opts.clock.now();
    if (now < this.retryAt) {
      throw new LineDownError(
        `${this.lastError} (reconnecting in ${Math.ceil((this.retryAt - now) / 1000)} s)`,
      );
    }
    const rtu = this.rtuPort();
    const client = rtu ? new (ModbusClient as unknown as ModbusClientCtor)(rtu) : new ModbusClient();
    client.on('error', (err) => this.opts.logger.debug({ err }, 'line error'));
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await this.open(client, rtu);
      this.rtu = rtu;
      const tcp = this.tcpPort(client);
      tcp?.on('data', () => this.onTcpFrame(tcp));
      this.counters.connects++;
      if (this.failures > 0) this.opts.logger.info('modbus line reconnected');
      this.failures = 0;
      this.retryAt = 0;
      this.client = client;
      return client;
    } catch (err) {
      closeQuietly(client);
      this.failures++;
      this.counters.connectFailures++;
      const fault = classifyModbusError(err);
      this.lastError = fault.kind === 'timeout' ? 'connection: timeout' : fault.reason;
      this.retryAt = this.opts.clock.now() + backoffDelay(this.failures, this.reconnect, this.opts.random);
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.opts.logger.warn(
          { failures: this.failures, reason: this.lastError },
          'modbus line connect failed',
        );
      }
      throw new LineDownError(this.lastError, { cause: err });
    }
  }

  /** RTU lines get our own port (framing by the reply's byte count); Modbus TCP keeps modbus-serial's. */
  private rtuPort(): RtuPort | undefined {
    const e = this.opts.endpoint;
    if (e.scheme === 'modbus-tcp') return undefined;
    const port = new RtuPort(() =>
      e.scheme === 'modbus-rtutcp' ? socketLink(e.host, e.port) : serialLink(e),
    );
    port.on('rx', () => this.received++);
    port.on('late', () => this.counters.lateReplies++);
    port.on('fault', (err: FrameFault) => this.foreign(err));
    return port;
  }

  private open(client: ModbusRTU, rtu: RtuPort | undefined): Promise<void> {
    const e = this.opts.endpoint;
    const connectTimeout = this.opts.connectTimeoutMs ?? 3000;
    let opening: Promise<void>;
    if (rtu) {
      // RTU frames (with CRC) over a serial port, or over a raw TCP socket as serial device
      // servers pass them on (modbus-serial calls that "telnet")
      opening = new Promise<void>((resolve, reject) =>
        (client as unknown as { open(cb: (e?: Error | null) => void): void }).open((err) =>
          err ? reject(err) : resolve(),
        ),
      );
    } else if (e.scheme === 'modbus-tcp') {
      opening = client.connectTCP(e.host, { port: e.port, timeout: connectTimeout });
    } else {
      opening = Promise.reject(new Error(`no transport for ${e.scheme}`));
    }
    // modbus-serial's own timeout error, so that classifyModbusError names it `timeout`
    return withTimeout(this.opts.clock, opening, connectTimeout, timedOut);
  }

  async close(): Promise<void> {
    this.closed = true;
    // queued transactions fail at once (closed); wait for the one on the line
    while (this.running.size > 0 || this.queue.length > 0) {
      if (this.running.size === 0) this.pump();
      await Promise.all([...this.running]);
    }
    const c = this.client;
    this.client = undefined;
    if (c) await closeAndWait(c, this.opts.clock);
  }
}

/**
 * Drops modbus-serial's record of a finished transaction. modbus-serial (8.0) files each request
 * under its transaction id (TCP: 1…255, wrapping; RTU ports: one key) and never deletes it; the
 * record holds the request's callback, and through the settled promise behind it the whole
 * reply (register array and buffer). On a Modbus TCP line that kept the last 255 replies of
 * every device alive — measured at 100 devices × 1 Hz: old space and ArrayBuffers growing
 * ~0.7 MB/s each, promoted and freed only by full GCs. A late or repeated reply to a dropped id
 * finds no record, which modbus-serial already ignores (the line counts it, onTcpFrame).
 */
function releaseTransaction(client: ModbusRTU, tid: number | undefined): void {
  const pending = (client as unknown as { _transactions?: Record<string, unknown> })._transactions;
  if (pending) delete pending[String(tid)];
}

/** modbus-serial's own timeout error, so that classifyModbusError names it `timeout`. */
function timedOut(): Error {
  return Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' });
}

function closeQuietly(c: ModbusRTU): void {
  try {
    c.close(() => undefined);
  } catch {
    /* already closed */
  }
}

/** Closes the client and waits for it, but not beyond 1 s (a serial port may never confirm). */
function closeAndWait(c: ModbusRTU, clock: Clock): Promise<void> {
  return new Promise((resolve) => {
    const t = clock.setTimeout(resolve, 1000);
    try {
      c.close(() => {
        clock.clearTimeout(t);
        resolve();
      });
    } catch {
      clock.clearTimeout(t);
      resolve();
    }
  });
}

/** A raw TCP socket to a serial device server, as a ByteLink. */
function socketLink(host: string, port: number): Promise<ByteLink> {
  return new Promise((resolve, reject) => {
    const socket: Socket = netConnect({ host, port });
    const fail = (err: Error) => {
      socket.destroy();
      reject(err);
    };
    socket.once('error', fail);
    socket.once('connect', () => {
      socket.off('error', fail);
      socket.setNoDelay(true);
      resolve({
        write: (d) => socket.write(d),
        on: ((event: string, fn: (...a: unknown[]) => void) => socket.on(event, fn)) as ByteLink['on'],
        close: () =>
          new Promise<void>((r) => {
            if (socket.destroyed) return r();
            socket.once('close', () => r());
            socket.destroy();
          }),
      });
    });
  });
}

/** An RS-485 serial port, as a ByteLink (serialport is loaded only by RTU lines). */
async function serialLink(e: Extract<ModbusEndpoint, { scheme: 'modbus-rtu' }>): Promise<ByteLink> {
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({
    path: e.path,
    baudRate: e.baudRate,
    parity: e.parity,
    dataBits: e.dataBits,
    stopBits: e.stopBits,
    autoOpen: false,
  });
  await new Promise<void>((resolve, reject) => port.open((err) => (err ? reject(err) : resolve())));
  return {
    write: (d) => port.write(d),
    on: ((event: string, fn: (...a: unknown[]) => void) => port.on(event, fn)) as ByteLink['on'],
    close: () =>
      new Promise<void>((r) => {
        if (!port.isOpen) return r();
        port.close(() => r());
      }),
  };
}
