/**
 * Admission of raw sockets, before any byte is read: every listener (TCP, and TLS and WebSocket
 * before their handshakes) hands each accepted socket here first, so sockets that never finish a
 * handshake count against the limits and show in `gz_broker_sockets_open` like any other.
 */
import type { Socket } from 'node:net';
import type { BrokerMetrics } from '../metrics.js';

export interface SocketGateOptions {
  /** sockets over all listeners */
  maxConnections: number;
  /** sockets from one address (0 = no limit) */
  maxPerIp: number;
  /** addresses the per-address cap does not apply to (local processes, a local TLS proxy) */
  perIpExempt: readonly string[];
  metrics: BrokerMetrics;
  /** a socket was refused (for the security log) */
  onRefuse(why: 'max_connections' | 'per_ip', ip: string): void;
}

export class SocketGate {
  readonly #max: number;
  readonly #maxPerIp: number;
  readonly #metrics: BrokerMetrics;
  readonly #onRefuse: SocketGateOptions['onRefuse'];
  readonly #exempt: ReadonlySet<string>;
  /** open sockets per remote address */
  readonly #perIp = new Map<string, number>();
  /** open sockets, for the byte counters of /metrics */
  readonly sockets = new Set<Socket>();

  constructor(opts: SocketGateOptions) {
    this.#max = opts.maxConnections;
    this.#maxPerIp = opts.maxPerIp;
    this.#metrics = opts.metrics;
    this.#onRefuse = opts.onRefuse;
    this.#exempt = new Set(opts.perIpExempt.map(plainAddress));
  }

  /** Counts `socket` in, or destroys it and returns false when a limit is reached. */
  accept(socket: Socket): boolean {
    const m = this.#metrics;
    m.socketsAccepted++;
    const ip = plainAddress(socket.remoteAddress ?? 'unknown');
    if (this.sockets.size >= this.#max) {
      m.rejectedMaxConnections++;
      this.#onRefuse('max_connections', ip);
      socket.destroy();
      return false;
    }
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (this.#maxPerIp > 0 && fromIp >= this.#maxPerIp && !this.#exempt.has(ip)) {
      m.rejectedPerIp++;
      this.#onRefuse('per_ip', ip);
      socket.destroy();
      return false;
    }
    this.#perIp.set(ip, fromIp + 1);
    this.sockets.add(socket);
    m.socketsOpen = this.sockets.size;
    socket.once('close', () => {
      const n = (this.#perIp.get(ip) ?? 1) - 1;
      if (n > 0) this.#perIp.set(ip, n);
      else this.#perIp.delete(ip);
      this.sockets.delete(socket);
      m.socketsOpen = this.sockets.size;
      m.bytesInClosed += socket.bytesRead;
      m.bytesOutClosed += socket.bytesWritten;
    });
    return true;
  }

  /** Bytes read from and written to the sockets still open. */
  bytesOpen(): { bytesIn: number; bytesOut: number } {
    let bytesIn = 0;
    let bytesOut = 0;
    for (const s of this.sockets) {
      bytesIn += s.bytesRead;
      bytesOut += s.bytesWritten;
    }
    return { bytesIn, bytesOut };
  }

  /** Destroys every open socket (shutdown). */
  destroyAll(): void {
    for (const s of this.sockets) s.destroy();
  }
}

/** An IPv4 address seen through a dual-stack socket (`::ffff:10.0.0.7`) is the IPv4 address. */
export function plainAddress(ip: string): string {
  return ip.startsWith('::ffff:') && ip.includes('.') ? ip.slice(7) : ip;
}
