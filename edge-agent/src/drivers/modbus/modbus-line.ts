/**
 * One physical Modbus line: a TCP connection, a serial port, or an RTU-over-TCP socket.
 * Every device on the line shares it, and transactions run strictly one at a time in
 * arrival order (an RS-485 bus cannot carry two). The line connects lazily, and after a
 * failure reconnects with capped exponential backoff and jitter; while it waits, queued
 * transactions fail at once with the reason, so a dead line costs no bus time.
 */

import type { Clock, Random } from '@ganzhi/runtime';
import { type BackoffPolicy, backoffDelay } from '@ganzhi/runtime';
import ModbusSerial from 'modbus-serial';
import type { ModbusRTU } from 'modbus-serial/ModbusRTU.js';
import type { Logger } from 'pino';
import { withTimeout } from '../timeout.js';
import type { ModbusEndpoint } from './endpoint.js';
import { classifyModbusError, LineDownError } from './fault.js';

const ModbusClient = (ModbusSerial as unknown as { default: typeof ModbusRTU }).default ?? ModbusSerial;

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

export interface LineCounters {
  transactions: number;
  connects: number;
  connectFailures: number;
  drops: number;
}

export class ModbusLine {
  readonly counters: LineCounters = { transactions: 0, connects: 0, connectFailures: 0, drops: 0 };
  private client: ModbusRTU | undefined;
  private tail: Promise<unknown> = Promise.resolve();
  private failures = 0;
  private retryAt = 0;
  private lastError = '';
  private closed = false;
  /** consecutive timeouts on the line without a response in between (TCP: half-open socket?) */
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
  transaction<T>(unit: number, timeoutMs: number, fn: (client: ModbusRTU) => Promise<T>): Promise<T> {
    const run = async (): Promise<T> => {
      if (this.closed) throw new LineDownError('closed');
      const client = await this.ensureOpen();
      client.setID(unit);
      client.setTimeout(timeoutMs);
      this.counters.transactions++;
      try {
        const result = await fn(client);
        this.silentTimeouts = 0;
        return result;
      } catch (err) {
        this.afterError(err);
        throw err;
      }
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  private afterError(err: unknown): void {
    const fault = classifyModbusError(err);
    if (fault.kind === 'timeout') {
      this.silentTimeouts++;
      // Modbus TCP: two timeouts in a row with nothing answered in between → the socket may be
      // half-open; start afresh. (On a serial bus a dead slave is normal: keep the port.)
      if (this.opts.endpoint.scheme === 'modbus-tcp' && this.silentTimeouts >= 2) {
        this.drop('two consecutive timeouts');
      }
    } else if (fault.kind === 'line') {
      this.drop(fault.reason);
    } else {
      this.silentTimeouts = 0;
    }
  }

  private drop(why: string): void {
    if (!this.client) return;
    this.opts.logger.warn({ why }, 'modbus line dropped');
    this.counters.drops++;
    const c = this.client;
    this.client = undefined;
    this.silentTimeouts = 0;
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
    const client = new ModbusClient();
    client.on('error', (err) => this.opts.logger.debug({ err }, 'line error'));
    client.on('close', () => {
      if (this.client === client) this.client = undefined;
    });
    try {
      await this.open(client);
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

  private open(client: ModbusRTU): Promise<void> {
    const e = this.opts.endpoint;
    const connectTimeout = this.opts.connectTimeoutMs ?? 3000;
    let opening: Promise<void>;
    switch (e.scheme) {
      case 'modbus-tcp':
        opening = client.connectTCP(e.host, { port: e.port, timeout: connectTimeout });
        break;
      case 'modbus-rtutcp':
        // RTU frames (with CRC) over a raw TCP socket, as serial device servers pass them on.
        // modbus-serial calls this port "telnet"; its connectTcpRTUBuffered speaks MBAP instead.
        opening = client.connectTelnet(e.host, { port: e.port, timeout: connectTimeout });
        break;
      case 'modbus-rtu':
        opening = client.connectRTUBuffered(e.path, {
          baudRate: e.baudRate,
          parity: e.parity,
          dataBits: e.dataBits,
          stopBits: e.stopBits,
        });
        break;
    }
    // modbus-serial's own timeout error, so that classifyModbusError names it `timeout`
    return withTimeout(this.opts.clock, opening, connectTimeout, () =>
      Object.assign(new Error('Timed out'), { errno: 'ETIMEDOUT' }),
    );
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.tail;
    const c = this.client;
    this.client = undefined;
    if (c) await closeAndWait(c, this.opts.clock);
  }
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
