/**
 * The outgoing in-flight window of one connection (`limits.maxInflightOutbound`), like Mosquitto's
 * `max_inflight_messages`: at most `maxInflight` QoS 1/2 PUBLISH packets written to the client and
 * not yet acknowledged; later ones wait here, in order, and go out as PUBACK/PUBCOMP free slots.
 *
 * Where it sits, and why there: Aedes 1.2 has no outgoing limit, and the calls that decide whether
 * a message is written at all (dedupe, the subscription's QoS downgrade, authorizeForward, the
 * resumed session's emptyQueueFilter, write after close) are spread over lib/client.js and
 * lib/handlers/connect.js. Every packet Aedes sends, on every one of those paths, ends in
 * mqtt-packet's `writeToStream(packet, client.conn)`, and `client.conn` is the stream we hand to
 * `aedes.handle` (broker.ts `admit`). So the window watches the bytes actually written to that
 * stream, follows MQTT frame boundaries in them (fixed header, remaining length, topic length,
 * packet identifier), and counts a slot for exactly each QoS>0 PUBLISH frame written, keyed by
 * its packet identifier; the PUBACK/PUBCOMP frames the client sends (seen in `conn.read()`) free
 * exactly the slot of their identifier. A path that skips the write never reaches the stream, so
 * it cannot leak a slot; the state belongs to the connection, so a disconnect or a session
 * takeover (Aedes closes the old connection) drops it with the socket.
 *
 * A held frame has already been "written" as far as Aedes knows: `write()` returns true, so the
 * publisher's PUBACK is never delayed by a slow subscriber. For a persistent session the message
 * also stays in the session store with its packet identifier, so if the connection ends while it
 * waits here, Aedes resends it on the next connect. QoS 0 PUBLISH and every other packet pass
 * straight through (MQTT's ordering rules are about QoS 1/2 flows).
 * Released on PUBACK or PUBCOMP alike, as Aedes' own handler (lib/handlers/index.js) treats both
 * as the end of the message. A PUBREL resent for a resumed QoS 2 flow is not a PUBLISH and takes
 * no slot.
 */
const PUBLISH = 3;
const PUBACK = 4;
const PUBCOMP = 7;

const HEADER = 0;
const LENGTH = 1;
const TOPIC_LEN = 2;
const TOPIC = 3;
const ID = 4;
const SKIP = 5;

const PASS = 0;
const HOLD = 1;
const DROP = 2;

interface HeldFrame {
  /** the frame as Aedes wrote it: Buffers and UTF-8 strings, by reference */
  parts: (Uint8Array | string)[];
  id: number;
  done: boolean;
}

/** What the window writes released frames to (the connection's own write, cork, uncork). */
export interface WindowSink {
  write(chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: (err?: Error | null) => void): boolean;
  cork(): void;
  uncork(): void;
  writable(): boolean;
}

export interface OutboundWindowOptions {
  /** QoS 1/2 PUBLISH written and not acknowledged, at most */
  maxInflight: number;
  /** messages waiting for a slot, at most (0 = no bound); beyond it new ones are dropped */
  maxWaiting: number;
  /** called once per dropped message */
  onDrop(): void;
}

export type WriteCb = (err?: Error | null) => void;

/** Follows the bytes of one connection in both directions; see the file comment. */
export class OutboundWindow {
  readonly #sink: WindowSink;
  readonly #max: number;
  readonly #maxWaiting: number;
  readonly #onDrop: () => void;

  #inflight = 0;
  /** packet identifier → slots it holds (Aedes may reuse an identifier after a resume) */
  readonly #ids = new Map<number, number>();
  #waiting: HeldFrame[] = [];
  #head = 0;
  #dropped = 0;
  #reading = false;
  #released = false;

  // outgoing frame being followed
  #w = HEADER;
  #route = PASS;
  #qos = false;
  #frame: HeldFrame | undefined;
  #remaining = 0;
  #len = 0;
  #mult = 1;
  #lenBytes = 0;
  #num = 0;
  #numBytes = 0;
  #topicLeft = 0;

  // incoming frame being followed
  #r = HEADER;
  #rType = 0;
  #rRemaining = 0;
  #rLen = 0;
  #rMult = 1;
  #rNum = 0;
  #rNumBytes = 0;

  constructor(sink: WindowSink, opts: OutboundWindowOptions) {
    this.#sink = sink;
    this.#max = opts.maxInflight;
    this.#maxWaiting = opts.maxWaiting;
    this.#onDrop = opts.onDrop;
  }

  /** QoS 1/2 PUBLISH written to the client and not acknowledged */
  get inflight(): number {
    return this.#inflight;
  }

  /** QoS 1/2 PUBLISH held back, waiting for a slot */
  get waiting(): number {
    return this.#waiting.length - this.#head;
  }

  /** messages dropped because the wait line was full */
  get dropped(): number {
    return this.#dropped;
  }

  /** Takes what Aedes writes to the connection; returns what `stream.write` should return. */
  write(chunk: Uint8Array | string, encoding?: BufferEncoding, cb?: WriteCb): boolean {
    if (typeof chunk === 'string') {
      const n = Buffer.byteLength(chunk, encoding);
      // a topic or payload string never holds a field we parse: route it whole
      if ((this.#w === TOPIC && n <= this.#topicLeft) || (this.#w === SKIP && n <= this.#remaining)) {
        if (this.#w === TOPIC) {
          this.#topicLeft -= n;
          if (this.#topicLeft === 0) this.#w = this.#qos ? ID : SKIP;
        }
        this.#remaining -= n;
        const ret = this.#emit(this.#route, this.#frame, chunk, encoding, cb);
        if (this.#remaining === 0 && this.#w === SKIP) this.#endFrame();
        return ret;
      }
      chunk = Buffer.from(chunk, encoding);
    }
    return this.#scanOut(chunk, cb);
  }

  /** Takes what the client sent (as Aedes reads it); frees the slots PUBACK/PUBCOMP acknowledge. */
  read(chunk: Uint8Array): void {
    // the acks of one read free their slots first; the frames they let out go in one write
    this.#reading = true;
    try {
      this.#scanIn(chunk);
    } finally {
      this.#reading = false;
    }
    if (this.#released) {
      this.#released = false;
      this.#pump();
    }
  }

  #scanIn(chunk: Uint8Array): void {
    const n = chunk.length;
    let i = 0;
    while (i < n) {
      if (this.#r === SKIP) {
        const take = Math.min(this.#rRemaining, n - i);
        i += take;
        this.#rRemaining -= take;
        if (this.#rRemaining === 0) this.#r = HEADER;
        continue;
      }
      const byte = chunk[i++] as number;
      if (this.#r === HEADER) {
        this.#rType = byte >> 4;
        this.#r = LENGTH;
        this.#rLen = 0;
        this.#rMult = 1;
      } else if (this.#r === LENGTH) {
        this.#rLen += (byte & 0x7f) * this.#rMult;
        this.#rMult *= 128;
        if (byte & 0x80 && this.#rMult < 128 ** 4) continue;
        this.#rRemaining = this.#rLen;
        if ((this.#rType === PUBACK || this.#rType === PUBCOMP) && this.#rLen >= 2) {
          this.#r = ID;
          this.#rNum = 0;
          this.#rNumBytes = 0;
        } else {
          this.#r = this.#rRemaining === 0 ? HEADER : SKIP;
        }
      } else {
        this.#rNum = (this.#rNum << 8) | byte;
        this.#rRemaining--;
        if (++this.#rNumBytes === 2) {
          this.#r = this.#rRemaining === 0 ? HEADER : SKIP;
          this.#release(this.#rNum);
        }
      }
    }
  }

  /** The connection is gone: forget everything (a persistent session's messages stay in its store). */
  close(): void {
    this.#waiting = [];
    this.#head = 0;
    this.#ids.clear();
    this.#inflight = 0;
  }

  #scanOut(chunk: Uint8Array, cb: WriteCb | undefined): boolean {
    const n = chunk.length;
    let i = 0;
    let start = 0;
    let ret = true;
    while (i < n) {
      const w = this.#w;
      if (w === SKIP || w === TOPIC) {
        const take = Math.min(w === TOPIC ? this.#topicLeft : this.#remaining, n - i);
        i += take;
        this.#remaining -= take;
        if (w === TOPIC) {
          this.#topicLeft -= take;
          if (this.#topicLeft === 0) this.#w = this.#qos ? ID : SKIP;
        }
        if (this.#remaining === 0 && this.#w === SKIP) {
          ret = this.#emit(
            this.#route,
            this.#frame,
            chunk.subarray(start, i),
            undefined,
            i === n ? cb : undefined,
          );
          start = i;
          this.#endFrame();
        }
        continue;
      }
      const byte = chunk[i++] as number;
      if (w === HEADER) {
        if (i - 1 > start) {
          ret = this.#emit(this.#route, this.#frame, chunk.subarray(start, i - 1));
          start = i - 1;
        }
        this.#beginFrame(byte);
      } else if (w === LENGTH) {
        this.#len += (byte & 0x7f) * this.#mult;
        this.#mult *= 128;
        if (++this.#lenBytes < 4 && byte & 0x80) continue;
        this.#remaining = this.#len;
        this.#numBytes = 0;
        this.#num = 0;
        if (this.#remaining === 0) {
          ret = this.#emit(
            this.#route,
            this.#frame,
            chunk.subarray(start, i),
            undefined,
            i === n ? cb : undefined,
          );
          start = i;
          this.#endFrame();
        } else {
          this.#w = this.#qos ? TOPIC_LEN : SKIP;
        }
      } else {
        // TOPIC_LEN or ID: a two-byte number
        this.#num = (this.#num << 8) | byte;
        this.#remaining--;
        if (++this.#numBytes < 2) continue;
        this.#numBytes = 0;
        if (w === TOPIC_LEN) {
          this.#topicLeft = this.#num;
          this.#w = this.#topicLeft > 0 ? TOPIC : this.#qos ? ID : SKIP;
        } else {
          this.#gotId(this.#num);
          this.#w = SKIP;
        }
        this.#num = 0;
        if (this.#remaining === 0) {
          ret = this.#emit(
            this.#route,
            this.#frame,
            chunk.subarray(start, i),
            undefined,
            i === n ? cb : undefined,
          );
          start = i;
          this.#endFrame();
        }
      }
    }
    if (start < n) ret = this.#emit(this.#route, this.#frame, chunk.subarray(start, n), undefined, cb);
    return ret;
  }

  #beginFrame(byte: number): void {
    this.#qos = byte >> 4 === PUBLISH && (byte & 0x06) !== 0;
    this.#w = LENGTH;
    this.#len = 0;
    this.#mult = 1;
    this.#lenBytes = 0;
    this.#frame = undefined;
    this.#route = PASS;
    if (!this.#qos) return;
    if (this.waiting === 0 && this.#inflight < this.#max) {
      this.#inflight++;
    } else if (this.#maxWaiting > 0 && this.waiting >= this.#maxWaiting) {
      this.#route = DROP;
      this.#dropped++;
      this.#onDrop();
    } else {
      this.#route = HOLD;
      this.#frame = { parts: [], id: -1, done: false };
      this.#waiting.push(this.#frame);
    }
  }

  #gotId(id: number): void {
    if (this.#route === PASS) this.#take(id);
    else if (this.#frame) this.#frame.id = id;
  }

  #endFrame(): void {
    const frame = this.#frame;
    this.#w = HEADER;
    this.#frame = undefined;
    this.#route = PASS;
    if (!frame) return;
    frame.done = true;
    this.#pump();
  }

  #emit(
    route: number,
    frame: HeldFrame | undefined,
    part: Uint8Array | string,
    encoding?: BufferEncoding,
    cb?: WriteCb,
  ): boolean {
    if (route === PASS) return this.#sink.write(part, encoding, cb);
    if (route === HOLD && frame) {
      // keep a reference, not a copy (as a corked socket does): mqtt-packet hands us constant
      // header tables, freshly made numbers and the message's own payload buffer, which the
      // session store shares; none of them is written to afterwards
      const utf8 = encoding === undefined || encoding === 'utf8' || encoding === 'utf-8';
      frame.parts.push(typeof part === 'string' && !utf8 ? Buffer.from(part, encoding) : part);
    }
    if (cb) process.nextTick(cb, null);
    return true;
  }

  #take(id: number): void {
    this.#ids.set(id, (this.#ids.get(id) ?? 0) + 1);
  }

  #release(id: number): void {
    const n = this.#ids.get(id);
    if (n === undefined) return; // not ours to free: unknown id, a duplicate ack, a PUBREL flow
    if (n === 1) this.#ids.delete(id);
    else this.#ids.set(id, n - 1);
    this.#inflight--;
    if (this.#reading) this.#released = true;
    else this.#pump();
  }

  /** Writes waiting frames while there are free slots, corked into one socket write. */
  #pump(): void {
    let corked = false;
    while (this.#head < this.#waiting.length && this.#inflight < this.#max) {
      const frame = this.#waiting[this.#head] as HeldFrame;
      if (!frame.done) break;
      this.#waiting[this.#head++] = undefined as unknown as HeldFrame;
      if (!this.#sink.writable()) continue;
      if (frame.id >= 0) {
        this.#inflight++;
        this.#take(frame.id);
      }
      if (!corked) {
        this.#sink.cork();
        corked = true;
      }
      for (const p of frame.parts) this.#sink.write(p);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    if (corked) this.#sink.uncork();
  }
}
