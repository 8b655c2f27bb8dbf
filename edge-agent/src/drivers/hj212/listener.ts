/**
 * The TCP listener HJ 212 data loggers connect to, shared by every logger configured on it
 * (one device each, told apart by MN). Per connection an Hj212Deframer cuts packets out of the
 * byte stream; every packet is authenticated on its own: its MN must be configured here and
 * its PW must match that logger's (compared in constant time). A refused packet is dropped
 * unanswered, counted, logged at most once a minute per MN and reason — never with the PW —
 * and its connection is closed.
 *
 * Least privilege for a port open to the field network: at most `maxConnections` at once; a
 * connection that has not sent one authenticated packet within `authTimeoutMs`, or sends more
 * than `maxUnauthenticatedBytes` of garbage or refused packets before its first, is closed.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';
import { hj212 } from '@ganzhi/device-profiles';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { LogLimiter } from './log-limiter.js';

export interface Hj212Connection {
  readonly id: number;
  readonly remote: string;
  readonly open: boolean;
  write(bytes: Uint8Array): void;
}

/** One configured logger, as the listener sees it (the HJ 212 driver). */
export interface LoggerSession {
  readonly mn: string;
  checkPassword(pw: string): boolean;
  /** an authenticated packet */
  onPacket(seg: hj212.Segment, conn: Hj212Connection): void;
  /** a packet refused on a connection that authenticated as this logger (CRC, length, segment) */
  onRefused(reason: string): void;
  /** a packet with this logger's MN and a wrong PW */
  onAuthFailure(): void;
  /** a connection authenticated as this logger opened (+1) or closed (-1) */
  onConnection(delta: 1 | -1): void;
}

export interface Hj212ListenerOptions {
  host: string;
  port: number;
  clock: Clock;
  logger: Logger;
  maxConnections?: number;
  authTimeoutMs?: number;
  maxUnauthenticatedBytes?: number;
}

export interface Hj212ListenerCounters {
  /** connections open now */
  connections: number;
  accepted: number;
  /** connections refused because maxConnections were open */
  overLimit: number;
  /** packets whose MN is not configured here */
  unknownMn: number;
  /** packets with a configured MN and the wrong PW */
  badPassword: number;
  /** packets refused before the connection authenticated (CRC, length, segment) */
  refusedUnauthenticated: number;
  /** connections closed for not authenticating in time or sending garbage */
  closedUnauthenticated: number;
}

/** A logger's PW compared in constant time (both hashed first, so lengths do not leak either). */
export function samePassword(given: string, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return timingSafeEqual(h(given), h(expected));
}

/**
 * A refusal reason as it may be logged or shown: the codec quotes malformed field values, and
 * a malformed PW may still be (most of) someone's password.
 */
export const safeReason = (reason: string): string => reason.replace(/PW="[^"]*"?/g, 'PW=***');

/** An MN as it may be logged: printable, at most 32 characters (it comes from the network). */
const showMn = (mn: string) => mn.replace(/[^\x21-\x7e]/g, '?').slice(0, 32);

export class Hj212Listener {
  readonly counters: Hj212ListenerCounters = {
    connections: 0,
    accepted: 0,
    overLimit: 0,
    unknownMn: 0,
    badPassword: 0,
    refusedUnauthenticated: 0,
    closedUnauthenticated: 0,
  };
  private readonly sessions = new Map<string, LoggerSession>();
  private readonly sockets = new Set<Socket>();
  private server: Server | undefined;
  private listening: Promise<void> | undefined;
  private nextId = 1;
  private readonly limiter: LogLimiter;
  private closed = false;

  constructor(private readonly o: Hj212ListenerOptions) {
    this.limiter = new LogLimiter(o.clock);
  }

  /** The port listened on (the configured one, or the one chosen for port 0). */
  get port(): number | undefined {
    const a = this.server?.address();
    return typeof a === 'object' && a ? a.port : undefined;
  }

  register(s: LoggerSession): void {
    this.sessions.set(s.mn, s);
  }

  unregister(mn: string): void {
    this.sessions.delete(mn);
  }

  /** Starts listening (once; a failed attempt may be repeated). */
  listen(): Promise<void> {
    if (this.closed) return Promise.reject(new Error('closed'));
    this.listening ??= new Promise<void>((resolve, reject) => {
      const server = createServer((sock) => this.accept(sock));
      server.once('error', (err) => {
        this.listening = undefined;
        server.close();
        reject(err);
      });
      server.listen(this.o.port, this.o.host, () => {
        server.removeAllListeners('error');
        server.on('error', (err) => this.o.logger.warn({ err: err.message }, 'hj212 listener error'));
        this.server = server;
        this.o.logger.info({ host: this.o.host, port: this.port }, 'hj212 listening for data loggers');
        resolve();
      });
    });
    return this.listening;
  }

  private accept(sock: Socket): void {
    const remote = `${sock.remoteAddress ?? '?'}:${sock.remotePort ?? '?'}`;
    if (this.closed || this.sockets.size >= (this.o.maxConnections ?? 256)) {
      this.counters.overLimit++;
      this.warn('limit', { remote }, 'hj212 connection refused: too many connections');
      sock.destroy();
      return;
    }
    this.sockets.add(sock);
    this.counters.accepted++;
    this.counters.connections = this.sockets.size;
    sock.setKeepAlive(true, 60_000);
    const id = this.nextId++;
    const conn: Hj212Connection = {
      id,
      remote,
      get open() {
        return !sock.destroyed;
      },
      write: (b) => {
        if (!sock.destroyed) sock.write(b);
      },
    };
    const deframer = new hj212.Hj212Deframer();
    let bound: LoggerSession | undefined;
    let unauthBytes = 0;
    const authTimer = this.o.clock.setTimeout(() => {
      if (bound) return;
      this.counters.closedUnauthenticated++;
      this.warn('auth-timeout', { remote }, 'hj212 connection closed: no authenticated packet in time');
      sock.destroy();
    }, this.o.authTimeoutMs ?? 60_000);
    const refuse = (unsafe: string, raw: number) => {
      const reason = safeReason(unsafe);
      if (bound) {
        bound.onRefused(reason);
        return;
      }
      this.counters.refusedUnauthenticated++;
      unauthBytes += raw;
      this.warn(`refused:${reason.split(':')[0]}`, { remote, reason }, 'hj212 packet refused');
    };
    sock.on('data', (chunk: Buffer) => {
      const garbageBefore = deframer.stats.garbageBytes;
      for (const r of deframer.push(chunk)) {
        if (sock.destroyed) return;
        if (!r.ok) {
          refuse(r.reason, r.raw.length);
          continue;
        }
        const seg = hj212.parseSegment(r.frame.segment);
        if (!seg.ok) {
          refuse(seg.reason, r.raw.length);
          continue;
        }
        const s = this.authenticate(seg.segment, remote);
        if (!s) {
          sock.destroy();
          return;
        }
        if (bound !== s) {
          bound?.onConnection(-1);
          bound = s;
          s.onConnection(1);
          this.o.clock.clearTimeout(authTimer);
        }
        s.onPacket(seg.segment, conn);
      }
      if (!bound) {
        unauthBytes += deframer.stats.garbageBytes - garbageBefore;
        if (unauthBytes > (this.o.maxUnauthenticatedBytes ?? 16_384)) {
          this.counters.closedUnauthenticated++;
          this.warn(
            'garbage',
            { remote },
            'hj212 connection closed: garbage before any authenticated packet',
          );
          sock.destroy();
        }
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => {
      this.o.clock.clearTimeout(authTimer);
      this.sockets.delete(sock);
      this.counters.connections = this.sockets.size;
      bound?.onConnection(-1);
    });
  }

  /** The session a packet's MN and PW authenticate, or undefined (counted and logged, PW never). */
  private authenticate(seg: hj212.Segment, remote: string): LoggerSession | undefined {
    const s = this.sessions.get(seg.mn);
    const mn = showMn(seg.mn);
    if (!s) {
      this.counters.unknownMn++;
      this.warn(`mn:${mn}`, { mn, remote }, 'hj212 packet refused: unknown MN');
      return undefined;
    }
    if (!s.checkPassword(seg.pw)) {
      this.counters.badPassword++;
      s.onAuthFailure();
      this.warn(`pw:${mn}`, { mn, remote }, 'hj212 packet refused: wrong password for this MN');
      return undefined;
    }
    return s;
  }

  private warn(key: string, fields: Record<string, unknown>, msg: string): void {
    const { log, count } = this.limiter.allow(key);
    if (log) this.o.logger.warn({ ...fields, ...(count > 1 ? { count } : {}) }, msg);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const s of this.sockets) s.destroy();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }
}
