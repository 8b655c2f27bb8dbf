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
  metrics: BrokerMetrics;
}

export class SocketGate {
  readonly #max: number;
  readonly #metrics: BrokerMetrics;
  /** open sockets, for the byte counters of /metrics */
  readonly sockets = new Set<Socket>();

  constructor(opts: SocketGateOptions) {
    this.#max = opts.maxConnections;
    this.#metrics = opts.metrics;
  }

  /** Counts `socket` in, or destroys it and returns false when a limit is reached. */
  accept(socket: Socket): boolean {
    const m = this.#metrics;
    m.socketsAccepted++;
    if (this.sockets.size >= this.#max) {
      m.rejectedMaxConnections++;
      socket.destroy();
      return false;
    }
    this.sockets.add(socket);
    m.socketsOpen = this.sockets.size;
    socket.once('close', () => {
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
