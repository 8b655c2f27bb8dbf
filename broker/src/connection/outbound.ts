/**
 * What the broker writes to a client, followed frame by frame (one FrameTracker) and routed:
 *
 * - a QoS 1/2 PUBLISH goes to the outgoing window (outbound-window.ts): out at once with a slot,
 *   held until a slot frees, or dropped when the wait line is full;
 * - a PUBACK goes to the ack gate (ack-gate.ts) until its message is stored;
 * - everything else passes straight through.
 *
 * Aedes writes each packet as several `write()` calls (mqtt-packet's writeToStream: header,
 * length, topic length, topic as a string, packet id, payload), so a frame usually spans several
 * chunks and a chunk is cut only where a frame starts or ends with a different route. A string
 * chunk (a topic or payload) never holds a byte the router reads, so it is routed whole without
 * being converted. Consecutive pass-through bytes go out in one write; the caller's callback rides
 * on the last of them, or runs on the next tick when the chunk's end was held or dropped.
 */
import type { AckGate, HeldAck } from './ack-gate.js';
import { type FrameListener, FrameTracker, PacketType } from './frame-tracker.js';
import { DROP, type HeldFrame, type OutboundWindow, SEND } from './outbound-window.js';

export type WriteCb = (err?: Error | null) => void;
export type RawWrite = (chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: WriteCb) => boolean;

const PASS = 0;
const HOLD = 1; // into the window
const GATE = 2; // into the ack gate
const SKIP = 3; // dropped

export class OutboundRouter implements FrameListener {
  readonly #tracker = new FrameTracker(this);
  readonly #raw: RawWrite;
  readonly #window: OutboundWindow | undefined;
  readonly #gate: AckGate | undefined;

  // the frame being followed
  #route = PASS;
  #publishQos = false;
  #frame: HeldFrame | undefined;
  #ack: HeldAck | undefined;
  #b0 = 0;
  #topicLen = 0;

  // the chunk being scanned
  #chunk: Uint8Array = new Uint8Array(0);
  #from = 0;
  /** start of pass-through bytes not yet written, -1 = none */
  #run = -1;
  #ret = true;

  constructor(raw: RawWrite, window: OutboundWindow | undefined, gate: AckGate | undefined) {
    this.#raw = raw;
    this.#window = window;
    this.#gate = gate;
  }

  /** Takes what Aedes writes to the connection; returns what `stream.write` should return. */
  write(chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: WriteCb): boolean {
    if (typeof chunk === 'string') {
      const n = Buffer.byteLength(chunk, encoding);
      if (this.#tracker.canSkip(n)) {
        this.#tracker.skip(n);
        if (this.#route === PASS) return this.#raw(chunk, encoding, cb);
        if (this.#route === HOLD && this.#frame) {
          const utf8 = encoding === undefined || encoding === 'utf8' || encoding === 'utf-8';
          this.#frame.parts.push(utf8 ? chunk : Buffer.from(chunk, encoding));
        } else if (this.#route === GATE && this.#ack) {
          this.#ack.parts.push(Buffer.from(chunk, encoding));
        }
        if (cb) process.nextTick(cb, null);
        return true;
      }
      chunk = Buffer.from(chunk, encoding);
    }
    this.#chunk = chunk;
    this.#from = 0;
    this.#run = -1;
    this.#ret = true;
    this.#tracker.scan(chunk);
    const n = chunk.length;
    if (this.#from < n) this.#emit(this.#from, n);
    const run = this.#run;
    if (run >= 0) {
      this.#run = -1;
      this.#ret = this.#raw(run === 0 ? chunk : chunk.subarray(run, n), undefined, cb);
    } else if (cb) {
      process.nextTick(cb, null);
    }
    this.#chunk = EMPTY;
    return this.#ret;
  }

  start(byte0: number): void {
    const type = byte0 >> 4;
    this.#route = PASS;
    this.#publishQos = false;
    const window = this.#window;
    if (type === PacketType.PUBLISH && (byte0 & 0x06) !== 0 && window) {
      this.#publishQos = true;
      const r = window.admit();
      if (r === SEND) this.#route = PASS;
      else if (r === DROP) this.#route = SKIP;
      else {
        this.#route = HOLD;
        this.#frame = r;
      }
    } else if (type === PacketType.PUBACK && this.#gate) {
      this.#route = GATE;
      this.#ack = this.#gate.hold();
    }
  }

  header(length: number): boolean {
    // PUBLISH: topic length first (then the id after the topic); PUBACK: the id
    if ((this.#publishQos || this.#route === GATE) && length >= 2) this.#tracker.peek(0, 2);
    return true;
  }

  byte(b: number, pos: number): boolean {
    if (pos === 0 || pos === this.#topicLen + 2) {
      this.#b0 = b;
      return true;
    }
    const num = (this.#b0 << 8) | b;
    if (this.#route === GATE) {
      if (this.#ack) this.#ack.id = num;
      return true;
    }
    if (pos === 1) {
      // the topic length: the packet identifier follows the topic
      this.#topicLen = num;
      this.#tracker.peek(2 + num, 2);
      return true;
    }
    if (this.#route === HOLD) {
      if (this.#frame) this.#frame.id = num;
    } else if (this.#route === PASS) {
      this.#window?.sent(num);
    }
    return true;
  }

  end(at: number): void {
    this.#emit(this.#from, at);
    this.#from = at;
    const route = this.#route;
    this.#route = PASS;
    this.#publishQos = false;
    this.#topicLen = 0;
    if (route === HOLD) {
      const frame = this.#frame;
      this.#frame = undefined;
      if (frame) {
        // what was let out by the pump must follow the bytes before it: flush them first
        this.#flushRun(at);
        this.#window?.complete(frame);
      }
    } else if (route === GATE) {
      this.#ack = undefined;
    }
  }

  malformed(): void {
    // Aedes' own encoder never writes a malformed length
  }

  /** Routes bytes [from, to) of the current chunk to the current frame's route. */
  #emit(from: number, to: number): void {
    if (to <= from) return;
    const route = this.#route;
    if (route === PASS) {
      if (this.#run < 0) this.#run = from;
      return;
    }
    this.#flushRun(from);
    if (route === HOLD) {
      // a reference, not a copy (as a corked socket keeps): mqtt-packet hands us constant header
      // tables, freshly made numbers and the message's own payload, none written to afterwards
      this.#frame?.parts.push(this.#chunk.subarray(from, to));
    } else if (route === GATE) {
      this.#ack?.parts.push(Buffer.from(this.#chunk.subarray(from, to)));
    }
  }

  #flushRun(to: number): void {
    const run = this.#run;
    if (run < 0 || to <= run) return;
    this.#run = -1;
    this.#ret = this.#raw(this.#chunk.subarray(run, to));
  }
}

const EMPTY = new Uint8Array(0);
