/**
 * The one place the broker reaches into a connection's stream: `conn.read` and `conn.write` are
 * wrapped here, once each, before the stream is handed to `aedes.handle`.
 *
 * - reads go through InboundFrames (inbound.ts): the packet-size and protocol guard, and the
 *   acknowledgements the outgoing window counts;
 * - writes go through the OutboundRouter (outbound.ts) when the connection has an outgoing window
 *   or an ack gate; otherwise `write` is left alone.
 *
 * No extra stream and no copy: Aedes reads with `conn.read(null)` on 'readable' and writes with
 * mqtt-packet's `writeToStream(packet, conn)`; both end in the wrapped functions.
 */
import type { Duplex } from 'node:stream';
import { AckGate } from './ack-gate.js';
import { type FrameVerdict, InboundFrames } from './inbound.js';
import { OutboundRouter, type WriteCb } from './outbound.js';
import { OutboundWindow, type OutboundWindowOptions } from './outbound-window.js';

export interface ConnectionOptions {
  maxPacketBytes: number;
  /** the outgoing in-flight window; absent = no limit */
  window?: OutboundWindowOptions;
  /** hold PUBACKs until `gate.release(id)` (disk and Redis modes) */
  gateAcks: boolean;
  /** the guard refused the connection (called once, before it is closed) */
  onReject(err: FrameVerdict): void;
}

export interface ConnectionControls {
  window: OutboundWindow | undefined;
  gate: AckGate | undefined;
}

/** How long a refused client gets to read its CONNACK 0x01 before the socket is destroyed. */
const CONNACK_GRACE_MS = 1000;

export function installConnection(conn: Duplex, opts: ConnectionOptions): ConnectionControls {
  const window = opts.window ? new OutboundWindow(opts.window) : undefined;
  const gate = opts.gateAcks ? new AckGate() : undefined;
  const inbound = new InboundFrames(opts.maxPacketBytes, window);

  const read = conn.read;
  let failed = false;
  conn.read = function trackedRead(this: Duplex, size?: number) {
    if (failed) return null;
    const chunk = read.call(this, size) as Buffer | string | null;
    if (chunk === null || typeof chunk === 'string') return chunk;
    const err = inbound.scan(chunk);
    if (err === undefined) return chunk;
    failed = true;
    opts.onReject(err);
    if (err.connackCode !== undefined) {
      this.end(Buffer.from([0x20, 0x02, 0x00, err.connackCode]));
      setTimeout(() => this.destroy(), CONNACK_GRACE_MS).unref();
    } else {
      this.destroy(err);
    }
    return null;
  };

  if (window || gate) {
    const write = conn.write;
    const raw = (chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: WriteCb): boolean =>
      // Writable.write takes an undefined encoding as "the default"
      write.call(conn, chunk, encoding as BufferEncoding, cb);
    const router = new OutboundRouter(raw, window, gate);
    window?.attach({
      write: (chunk) => raw(chunk),
      cork: () => conn.cork(),
      uncork: () => conn.uncork(),
      writable: () => !conn.destroyed && !conn.writableEnded,
    });
    gate?.attach((chunk) => raw(chunk));
    conn.write = function routedWrite(
      this: Duplex,
      chunk: Uint8Array | string,
      encoding?: BufferEncoding | WriteCb,
      cb?: WriteCb,
    ): boolean {
      if (typeof encoding === 'function') return router.write(chunk, undefined, encoding);
      return router.write(chunk, encoding, cb);
    } as Duplex['write'];
  }
  if (window) conn.once('close', () => window.close());
  return { window, gate };
}
