/**
 * Maximum packet size and the protocol checks Aedes leaves out, enforced before the MQTT parser
 * buffers anything: the guard follows frame boundaries (fixed header + remaining length) in the
 * bytes Aedes reads, peeks at the first body bytes of CONNECT/SUBSCRIBE/UNSUBSCRIBE, and destroys
 * the connection on a packet announcing more than `maxBytes`, a malformed length,
 * a SUBSCRIBE/UNSUBSCRIBE without a topic filter or with packet identifier 0, or a CONNECT with
 * an unsupported protocol level (answered with CONNACK 0x01 first).
 * No copy, no extra stream: it wraps the stream's own `read()` and keeps a few numbers of state.
 */
import type { Duplex } from 'node:stream';
import { BrokerError } from './errors.js';

const HEADER = 0;
const LENGTH = 1;
const BODY = 2;
const CONNECT = 1;
const SUBSCRIBE = 8;
const UNSUBSCRIBE = 10;
const PEEK = 12; // a CONNECT's level is at most 2 + 6 ('MQIsdp') bytes in

export type FrameVerdict = BrokerError & { connackCode?: number };

export class FrameScanner {
  #state = HEADER;
  #remaining = 0;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  #type = 0;
  #packets = 0;
  /** body bytes still to look at (0 = not peeking), position in the body, and what was seen */
  #peekWanted = 0;
  #peekLen = 0;
  #b0 = 0;
  #b1 = 0;
  readonly #max: number;

  constructor(maxBytes: number) {
    this.#max = maxBytes;
  }

  /** Follows `chunk`; returns an error for an oversize, malformed or non-conforming packet. */
  scan(chunk: Uint8Array): FrameVerdict | undefined {
    let i = 0;
    const n = chunk.length;
    while (i < n) {
      if (this.#state === BODY) {
        if (this.#peekLen < this.#peekWanted) {
          const err = this.#peekByte(chunk[i++] as number);
          this.#remaining--;
          if (err) return err;
        } else {
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
        }
        if (this.#remaining === 0) this.#endPacket();
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#state === HEADER) {
        this.#type = byte >> 4;
        this.#state = LENGTH;
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
        continue;
      }
      this.#length += (byte & 0x7f) * this.#multiplier;
      this.#multiplier *= 128;
      this.#lengthBytes++;
      if (byte & 0x80) {
        if (this.#lengthBytes >= 4)
          return new BrokerError('GZ_BROKER_PROTOCOL', 'malformed remaining length');
        continue;
      }
      if (this.#length + 1 + this.#lengthBytes > this.#max) {
        return new BrokerError('GZ_BROKER_LIMIT', `packet of ${this.#length} bytes exceeds ${this.#max}`);
      }
      // [MQTT-3.8.3-3], [MQTT-3.10.3-2]: SUBSCRIBE/UNSUBSCRIBE must carry at least one topic filter.
      // mqtt-packet parses a bare packet id as an empty list and Aedes answers it; we close instead.
      if ((this.#type === SUBSCRIBE || this.#type === UNSUBSCRIBE) && this.#length <= 2) {
        return new BrokerError('GZ_BROKER_PROTOCOL', 'SUBSCRIBE/UNSUBSCRIBE without a topic filter');
      }
      this.#peekLen = 0;
      this.#peekWanted =
        this.#type === SUBSCRIBE || this.#type === UNSUBSCRIBE
          ? 2
          : this.#type === CONNECT && this.#packets === 0
            ? Math.min(PEEK, this.#length)
            : 0;
      this.#remaining = this.#length;
      if (this.#remaining === 0) this.#endPacket();
      else this.#state = BODY;
    }
    return undefined;
  }

  #endPacket(): void {
    this.#state = HEADER;
    this.#packets++;
  }

  /** Looks at one body byte of a SUBSCRIBE/UNSUBSCRIBE or of the first CONNECT. */
  #peekByte(byte: number): FrameVerdict | undefined {
    const pos = this.#peekLen++;
    if (pos === 0) {
      this.#b0 = byte;
      return undefined;
    }
    if (pos === 1) {
      this.#b1 = byte;
      if (this.#type !== CONNECT) {
        this.#peekWanted = 0;
        // [MQTT-2.3.1-1]: a non-zero packet identifier
        if (this.#b0 === 0 && byte === 0) return new BrokerError('GZ_BROKER_PROTOCOL', 'packet identifier 0');
      }
      return undefined;
    }
    // CONNECT: protocol name length, name, level. [MQTT-3.1.2-2]: answer an unsupported level
    // with CONNACK 0x01 and close (mqtt-packet would drop the connection without a CONNACK).
    if (pos !== 2 + ((this.#b0 << 8) | this.#b1)) return undefined;
    this.#peekWanted = 0;
    if (byte !== 3 && byte !== 4 && byte !== 5) {
      return Object.assign(new BrokerError('GZ_BROKER_PROTOCOL', `unsupported protocol level ${byte}`), {
        connackCode: 1,
      });
    }
    return undefined;
  }
}

/** Makes every `read()` of `conn` pass through a FrameScanner; `onReject` runs once on failure. */
export function guardReads(conn: Duplex, maxBytes: number, onReject: (err: BrokerError) => void): void {
  const scanner = new FrameScanner(maxBytes);
  const read = conn.read;
  let failed = false;
  conn.read = function guardedRead(this: Duplex, size?: number) {
    if (failed) return null;
    const chunk = read.call(this, size) as Buffer | string | null;
    if (chunk === null || typeof chunk === 'string') return chunk;
    const err = scanner.scan(chunk);
    if (err) {
      failed = true;
      onReject(err);
      if (err.connackCode !== undefined) {
        this.end(Buffer.from([0x20, 0x02, 0x00, err.connackCode]));
        setTimeout(() => this.destroy(), 1000).unref();
      } else {
        this.destroy(err);
      }
      return null;
    }
    return chunk;
  };
}
