/**
 * Holds the PUBACKs the broker writes to a publisher until their message is on disk.
 *
 * Aedes 1.2 answers a QoS 1 PUBLISH by writing the PUBACK first and publishing afterwards
 * (lib/handlers/publish.js `enqueuePublish`, case 1): the offline-queue write that DiskPersistence
 * commits happens after the publisher already holds its acknowledgement, so a crash in between
 * loses a message the gateway has deleted from its own buffer. (QoS 2 is already safe: PUBREC goes
 * out after the store and the publish.) Aedes' `published` hook runs at the end of the publish,
 * after `enqueueOffline` has awaited the persistence, i.e. after the commit. So this gate sits on
 * the connection's `write` (every packet Aedes sends ends in mqtt-packet's `writeToStream(packet,
 * client.conn)`), follows MQTT frame boundaries in the bytes, keeps each PUBACK frame back, and
 * writes it when `published` reports that message id: the publisher's PUBACK means "on disk".
 *
 * To Aedes a held frame is written (`write` returns true), so the publish goes on. PUBACKs leave
 * in the order Aedes wrote them ([MQTT-4.6.0-2]); every other packet passes straight through. A
 * publish that fails closes the connection, and its PUBACK is never sent.
 */
import type { Duplex } from 'node:stream';

const PUBACK = 4;

type WriteCb = (err?: Error | null) => void;
type RawWrite = (chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: WriteCb) => boolean;

interface HeldAck {
  id: number;
  parts: Buffer[];
  released: boolean;
}

export class AckGate {
  readonly #write: RawWrite;
  readonly #held: HeldAck[] = [];
  // frame tracking over the written bytes: 0 = type byte next, 1 = remaining length, 2 = body
  #state = 0;
  #length = 0;
  #multiplier = 1;
  #remaining = 0;
  #current: HeldAck | undefined;
  #idBytes: number[] = [];

  constructor(write: RawWrite) {
    this.#write = write;
  }

  /** PUBACK frames written by Aedes and not yet released. */
  get held(): number {
    return this.#held.length;
  }

  /** The message with this packet identifier is durable: its PUBACK (and any before it) may go. */
  release(messageId: number): void {
    for (const h of this.#held) {
      if (h.id === messageId && !h.released) {
        h.released = true;
        break;
      }
    }
    while (this.#held.length > 0 && (this.#held[0] as HeldAck).released) {
      const h = this.#held.shift() as HeldAck;
      for (const p of h.parts) this.#write(p);
    }
  }

  write(chunk: Uint8Array | string, encoding: BufferEncoding | undefined, cb: WriteCb | undefined): boolean {
    const buf =
      typeof chunk === 'string'
        ? Buffer.from(chunk, encoding ?? 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    let pos = 0;
    let passFrom = 0;
    let result = true;
    while (pos < buf.length) {
      if (this.#state === 0) {
        if ((buf[pos] as number) >> 4 === PUBACK) {
          if (pos > passFrom) result = this.#write(buf.subarray(passFrom, pos));
          passFrom = pos;
          this.#current = { id: -1, parts: [], released: false };
        }
        pos++;
        this.#state = 1;
        this.#length = 0;
        this.#multiplier = 1;
        continue;
      }
      if (this.#state === 1) {
        const b = buf[pos++] as number;
        this.#length += (b & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        if ((b & 0x80) === 0) {
          if (this.#length === 0) passFrom = this.#endFrame(buf, passFrom, pos);
          else {
            this.#remaining = this.#length;
            this.#state = 2;
          }
        }
        continue;
      }
      const take = Math.min(this.#remaining, buf.length - pos);
      if (this.#current) {
        for (let i = 0; i < take && this.#idBytes.length < 2; i++) this.#idBytes.push(buf[pos + i] as number);
      }
      pos += take;
      this.#remaining -= take;
      if (this.#remaining === 0) passFrom = this.#endFrame(buf, passFrom, pos);
    }
    if (this.#current) {
      // a PUBACK frame continues in the next write: keep what we have of it
      if (pos > passFrom) this.#current.parts.push(Buffer.from(buf.subarray(passFrom, pos)));
    } else if (passFrom === 0) {
      return this.#write(buf, undefined, cb); // nothing held from this chunk: the usual case
    } else if (pos > passFrom) {
      result = this.#write(buf.subarray(passFrom, pos));
    }
    if (cb) process.nextTick(cb);
    return result;
  }

  /** Ends the frame at `end`; returns where passing-through resumes. */
  #endFrame(buf: Buffer, passFrom: number, end: number): number {
    const cur = this.#current;
    this.#state = 0;
    if (!cur) return passFrom;
    if (end > passFrom) cur.parts.push(Buffer.from(buf.subarray(passFrom, end)));
    cur.id = ((this.#idBytes[0] ?? 0) << 8) | (this.#idBytes[1] ?? 0);
    this.#idBytes = [];
    this.#current = undefined;
    this.#held.push(cur);
    return end;
  }
}

/** Puts `conn`'s writes through an AckGate (wrapping the stream's own `write`). */
export function gateAcks(conn: Duplex): AckGate {
  const write = conn.write;
  const gate = new AckGate((chunk, encoding, cb) => write.call(conn, chunk, encoding as BufferEncoding, cb));
  conn.write = function gatedWrite(
    chunk: Uint8Array | string,
    encoding?: BufferEncoding | WriteCb,
    cb?: WriteCb,
  ): boolean {
    if (typeof encoding === 'function') return gate.write(chunk, undefined, encoding);
    return gate.write(chunk, encoding, cb);
  } as Duplex['write'];
  return gate;
}
