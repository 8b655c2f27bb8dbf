/** Installs an OutboundWindow on a connection (see inflight-window.ts for what and why). */
import type { Duplex } from 'node:stream';
import { OutboundWindow, type OutboundWindowOptions, type WriteCb } from './inflight-window.js';

/**
 * Puts `conn`'s writes and reads through an OutboundWindow (wrapping the stream's own `write`
 * and `read`, no extra stream). Install it before handing `conn` to `aedes.handle`.
 */
export function limitOutbound(conn: Duplex, opts: OutboundWindowOptions): OutboundWindow {
  const write = conn.write;
  const read = conn.read;
  const window = new OutboundWindow(
    {
      // Writable.write takes an undefined encoding as "the default"
      write: (chunk, encoding, cb) => write.call(conn, chunk, encoding as BufferEncoding, cb),
      cork: () => conn.cork(),
      uncork: () => conn.uncork(),
      writable: () => !conn.destroyed && !conn.writableEnded,
    },
    opts,
  );
  conn.write = function limitedWrite(
    this: Duplex,
    chunk: Uint8Array | string,
    encoding?: BufferEncoding | WriteCb,
    cb?: WriteCb,
  ): boolean {
    if (typeof encoding === 'function') return window.write(chunk, undefined, encoding);
    return window.write(chunk, encoding, cb);
  } as Duplex['write'];
  conn.read = function windowRead(this: Duplex, size?: number) {
    const chunk = read.call(this, size) as Buffer | string | null;
    if (chunk !== null && typeof chunk !== 'string') window.read(chunk);
    return chunk;
  };
  conn.once('close', () => window.close());
  return window;
}
