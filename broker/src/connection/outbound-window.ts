/**
 * The outgoing in-flight window of one connection (`limits.maxInflightOutbound`), like Mosquitto's
 * `max_inflight_messages`: at most `maxInflight` QoS 1/2 PUBLISH packets written to the client and
 * not yet acknowledged; later ones wait here, in order, and go out as PUBACK/PUBCOMP free slots.
 *
 * Where it sits, and why there: Aedes 1.2 has no outgoing limit, and the calls that decide whether
 * a message is written at all (dedupe, the subscription's QoS downgrade, authorizeForward, the
 * resumed session's emptyQueueFilter, write after close) are spread over lib/client.js and
 * lib/handlers/connect.js. Every packet Aedes sends, on every one of those paths, ends in
 * mqtt-packet's `writeToStream(packet, client.conn)`, and `client.conn` is the stream the broker
 * hands to `aedes.handle`. So the window sees the frames actually written (outbound.ts routes each
 * QoS>0 PUBLISH frame here) and the PUBACK/PUBCOMP frames the client sends (inbound.ts), and
 * counts a slot for exactly each QoS>0 PUBLISH written, keyed by its packet identifier. A path
 * that skips the write never reaches the stream, so it cannot leak a slot; the state belongs to
 * the connection, so a disconnect or a session takeover drops it with the socket.
 *
 * A held frame has already been "written" as far as Aedes knows (`write()` returns true), so the
 * publisher's PUBACK is never delayed by a slow subscriber. For a persistent session the message
 * also stays in the session store with its packet identifier, so if the connection ends while it
 * waits here, Aedes resends it on the next connect. QoS 0 PUBLISH and every other packet pass
 * straight through. Released on PUBACK or PUBCOMP alike, as Aedes' own handler
 * (lib/handlers/index.js) treats both as the end of the message; a PUBREL resent for a resumed
 * QoS 2 flow is not a PUBLISH and takes no slot.
 */

/** A PUBLISH frame waiting for a slot: the frame as Aedes wrote it, by reference. */
export interface HeldFrame {
  parts: (Uint8Array | string)[];
  /** its packet identifier, -1 until read */
  id: number;
  /** all its bytes have been written to the window */
  done: boolean;
}

/** What the window writes released frames to (the connection's own write, cork, uncork). */
export interface WindowSink {
  write(chunk: Uint8Array | string): boolean;
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

/** `admit()` says: the frame goes out now (a slot is taken), or is dropped. */
export const SEND = 0;
export const DROP = 1;

export class OutboundWindow {
  #sink: WindowSink | undefined;
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

  constructor(opts: OutboundWindowOptions) {
    this.#max = opts.maxInflight;
    this.#maxWaiting = opts.maxWaiting;
    this.#onDrop = opts.onDrop;
  }

  /** Where released frames are written (set once by the outbound router). */
  attach(sink: WindowSink): void {
    this.#sink = sink;
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

  /** A QoS 1/2 PUBLISH frame begins: SEND (a slot is taken), DROP, or the HeldFrame to fill. */
  admit(): typeof SEND | typeof DROP | HeldFrame {
    if (this.waiting === 0 && this.#inflight < this.#max) {
      this.#inflight++;
      return SEND;
    }
    if (this.#maxWaiting > 0 && this.waiting >= this.#maxWaiting) {
      this.#dropped++;
      this.#onDrop();
      return DROP;
    }
    const frame: HeldFrame = { parts: [], id: -1, done: false };
    this.#waiting.push(frame);
    return frame;
  }

  /** The packet identifier of a frame that went out at once (its slot was taken in `admit`). */
  sent(id: number): void {
    this.#ids.set(id, (this.#ids.get(id) ?? 0) + 1);
  }

  /** A held frame is complete; it leaves when its turn and a slot come. */
  complete(frame: HeldFrame): void {
    frame.done = true;
    this.#pump();
  }

  /** The client acknowledged packet `id` (PUBACK or PUBCOMP). */
  acked(id: number): void {
    const n = this.#ids.get(id);
    if (n === undefined) return; // not ours to free: unknown id, a duplicate ack, a PUBREL flow
    if (n === 1) this.#ids.delete(id);
    else this.#ids.set(id, n - 1);
    this.#inflight--;
    if (this.#reading) this.#released = true;
    else this.#pump();
  }

  /** Acks read in one socket read free their slots first; the frames let out go in one write. */
  beginRead(): void {
    this.#reading = true;
  }

  endRead(): void {
    this.#reading = false;
    if (this.#released) {
      this.#released = false;
      this.#pump();
    }
  }

  /** The connection is gone: forget everything (a persistent session's messages stay in its store). */
  close(): void {
    this.#waiting = [];
    this.#head = 0;
    this.#ids.clear();
    this.#inflight = 0;
  }

  /** Writes waiting frames while there are free slots, corked into one socket write. */
  #pump(): void {
    const sink = this.#sink;
    if (!sink) return;
    let corked = false;
    while (this.#head < this.#waiting.length && this.#inflight < this.#max) {
      const frame = this.#waiting[this.#head] as HeldFrame;
      if (!frame.done) break;
      this.#waiting[this.#head++] = undefined as unknown as HeldFrame;
      if (!sink.writable()) continue;
      if (frame.id >= 0) {
        this.#inflight++;
        this.sent(frame.id);
      }
      if (!corked) {
        sink.cork();
        corked = true;
      }
      for (const p of frame.parts) sink.write(p);
    }
    if (this.#head > 1024 && this.#head * 2 > this.#waiting.length) {
      this.#waiting = this.#waiting.slice(this.#head);
      this.#head = 0;
    }
    if (corked) sink.uncork();
  }
}
