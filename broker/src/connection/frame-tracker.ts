/**
 * The one MQTT frame tracker: follows packet boundaries in a byte stream that arrives in arbitrary
 * pieces (a frame split over many chunks, many frames in one chunk) without copying or buffering.
 *
 * MQTT 3.1.1 §2.2: a fixed header is one byte (type in the high nibble, flags in the low one) and
 * a remaining length of 1 to 4 bytes, 7 bits each, least significant first, the high bit saying
 * "another byte follows" (§2.2.3). The body that follows is `remaining length` bytes long.
 *
 * What the tracker reports goes to one `FrameListener` per direction of a connection: where a
 * frame starts (its first byte), when its remaining length is known, the body bytes the listener
 * asked to see (`peek(from, count)`: a packet identifier, a topic length, a protocol level), and
 * where it ends. Offsets are positions in the chunk being scanned, so a listener that routes bytes
 * (outbound.ts) can cut the chunk at frame boundaries. Body bytes nobody asked for are skipped in
 * one step, so the cost per frame is a few branches plus the peeked bytes.
 */

const TYPE = 0;
const LENGTH = 1;
const BODY = 2;
const STOPPED = 3;

/** MQTT packet types (§2.2.1) the broker looks at. */
export const PacketType = Object.freeze({
  CONNECT: 1,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  UNSUBSCRIBE: 10,
});

export interface FrameListener {
  /** The first byte of a frame, at `at` in the current chunk. */
  start(byte0: number, at: number): void;
  /**
   * The remaining length is known (`headerBytes` = 1 + the length bytes); the body starts at `at`.
   * Call `tracker.peek()` here to see body bytes. Return false to stop tracking (the listener
   * rejected the frame); `scan` then returns false.
   */
  header(length: number, headerBytes: number, at: number): boolean;
  /** A body byte asked for with `peek`, at body offset `pos`. Return false to stop tracking. */
  byte(b: number, pos: number): boolean;
  /** The frame's last byte was just before `at` in the current chunk. */
  end(at: number): void;
  /** A remaining length that goes on past four bytes (§2.2.3); tracking stops. */
  malformed(): void;
}

export class FrameTracker {
  readonly #l: FrameListener;
  #state = TYPE;
  #length = 0;
  #multiplier = 1;
  #lengthBytes = 0;
  /** body bytes of the current frame not yet seen */
  #remaining = 0;
  /** body offset of the next byte */
  #pos = 0;
  /** body bytes [#peekFrom, #peekTo) are handed to the listener one by one */
  #peekFrom = 0;
  #peekTo = 0;

  constructor(listener: FrameListener) {
    this.#l = listener;
  }

  /** Asks for `count` body bytes from body offset `from` (call from `header` or `byte`). */
  peek(from: number, count: number): void {
    this.#peekFrom = from;
    this.#peekTo = from + count;
  }

  /** True once a listener stopped the tracking or the length was malformed. */
  get stopped(): boolean {
    return this.#state === STOPPED;
  }

  /** Inside a frame's body, and the next `n` bytes neither end it nor hold a byte asked for. */
  canSkip(n: number): boolean {
    return (
      this.#state === BODY &&
      n < this.#remaining &&
      (this.#pos >= this.#peekTo || this.#pos + n <= this.#peekFrom)
    );
  }

  /** Passes over `n` body bytes the caller did not scan (only after `canSkip(n)` said so). */
  skip(n: number): void {
    this.#remaining -= n;
    this.#pos += n;
  }

  /**
   * Follows `chunk`. Returns false when tracking stopped: a remaining length of more than four
   * bytes (§2.2.3, malformed) or a listener that returned false; nothing after it is looked at.
   */
  scan(chunk: Uint8Array): boolean {
    const l = this.#l;
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      const state = this.#state;
      if (state === BODY) {
        if (this.#pos >= this.#peekTo) {
          // nothing (more) to see in this frame: skip to its end or the chunk's
          const take = Math.min(this.#remaining, n - i);
          i += take;
          this.#remaining -= take;
          this.#pos += take;
        } else if (this.#pos < this.#peekFrom) {
          let take = this.#peekFrom - this.#pos;
          if (take > this.#remaining) take = this.#remaining;
          if (take > n - i) take = n - i;
          i += take;
          this.#remaining -= take;
          this.#pos += take;
        } else {
          const pos = this.#pos++;
          this.#remaining--;
          if (!l.byte(chunk[i++] as number, pos)) return this.#stop();
        }
        if (this.#remaining === 0) {
          this.#state = TYPE;
          l.end(i);
        }
      } else if (state === TYPE) {
        l.start(chunk[i] as number, i);
        i++;
        this.#state = LENGTH;
        this.#length = 0;
        this.#multiplier = 1;
        this.#lengthBytes = 0;
      } else if (state === LENGTH) {
        const b = chunk[i++] as number;
        this.#length += (b & 0x7f) * this.#multiplier;
        this.#multiplier *= 128;
        this.#lengthBytes++;
        if (b & 0x80) {
          if (this.#lengthBytes >= 4) {
            l.malformed();
            return this.#stop();
          }
          continue;
        }
        this.#remaining = this.#length;
        this.#pos = 0;
        this.#peekFrom = 0;
        this.#peekTo = 0;
        if (!l.header(this.#length, 1 + this.#lengthBytes, i)) return this.#stop();
        if (this.#remaining === 0) {
          this.#state = TYPE;
          l.end(i);
        } else {
          this.#state = BODY;
        }
      } else {
        return false;
      }
    }
    return this.#state !== STOPPED;
  }

  #stop(): false {
    this.#state = STOPPED;
    return false;
  }
}
