/**
 * What the broker reads from a client, followed frame by frame before Aedes' parser buffers
 * anything (one FrameTracker, frame-tracker.ts):
 *
 * - the guard: a packet announcing more than `maxPacketBytes` closes the connection before its
 *   body is read; a malformed remaining length, a SUBSCRIBE/UNSUBSCRIBE without a topic filter
 *   ([MQTT-3.8.3-3], [MQTT-3.10.3-2]) or with packet identifier 0 ([MQTT-2.3.1-1]) too; a first
 *   CONNECT with an unsupported protocol level is answered with CONNACK 0x01 first ([MQTT-3.1.2-2];
 *   mqtt-packet would drop the connection without one);
 * - the outgoing window's acknowledgements: the packet identifier of each PUBACK/PUBCOMP the
 *   client sends frees that slot (outbound-window.ts).
 */
import { BrokerError } from '../errors.js';
import { type FrameListener, FrameTracker, PacketType } from './frame-tracker.js';
import type { OutboundWindow } from './outbound-window.js';

/** Why a connection was refused by the guard; `connackCode` is sent before closing when set. */
export type FrameVerdict = BrokerError & { connackCode?: number };

/** A CONNECT's protocol level sits at most 2 + 6 ('MQIsdp') bytes into its body. */
const CONNECT_PEEK = 12;

export class InboundFrames implements FrameListener {
  readonly tracker: FrameTracker;
  /** the first refusal; tracking stopped there */
  verdict: FrameVerdict | undefined;
  readonly #max: number;
  readonly #window: OutboundWindow | undefined;
  #type = 0;
  #packets = 0;
  #b0 = 0;
  #id = 0;

  constructor(maxPacketBytes: number, window?: OutboundWindow) {
    this.#max = maxPacketBytes;
    this.#window = window;
    this.tracker = new FrameTracker(this);
  }

  /** Follows one chunk read from the client; returns the refusal that stopped it, if any. */
  scan(chunk: Uint8Array): FrameVerdict | undefined {
    const w = this.#window;
    if (w === undefined) {
      this.tracker.scan(chunk);
      return this.verdict;
    }
    // the acks of one read free their slots first; the frames they let out go in one write
    w.beginRead();
    try {
      this.tracker.scan(chunk);
    } finally {
      w.endRead();
    }
    return this.verdict;
  }

  start(byte0: number): void {
    this.#type = byte0 >> 4;
  }

  header(length: number, headerBytes: number): boolean {
    const type = this.#type;
    if (length + headerBytes > this.#max) {
      return this.#refuse(
        new BrokerError('GZ_BROKER_LIMIT', `packet of ${length + headerBytes} bytes exceeds ${this.#max}`),
      );
    }
    if (type === PacketType.SUBSCRIBE || type === PacketType.UNSUBSCRIBE) {
      // mqtt-packet parses a bare packet id as an empty list and Aedes answers it; we close instead
      if (length <= 2) {
        return this.#refuse(
          new BrokerError('GZ_BROKER_PROTOCOL', 'SUBSCRIBE/UNSUBSCRIBE without a topic filter'),
        );
      }
      this.tracker.peek(0, 2);
    } else if (type === PacketType.CONNECT && this.#packets === 0) {
      this.tracker.peek(0, Math.min(CONNECT_PEEK, length));
    } else if (
      this.#window !== undefined &&
      (type === PacketType.PUBACK || type === PacketType.PUBCOMP) &&
      length >= 2
    ) {
      this.tracker.peek(0, 2);
    }
    return true;
  }

  byte(b: number, pos: number): boolean {
    const type = this.#type;
    if (pos === 0) {
      this.#b0 = b;
      return true;
    }
    if (type !== PacketType.CONNECT) {
      // pos 1: the second byte of a packet identifier
      const id = (this.#b0 << 8) | b;
      if (type === PacketType.PUBACK || type === PacketType.PUBCOMP) {
        this.#window?.acked(id);
        return true;
      }
      if (id === 0) return this.#refuse(new BrokerError('GZ_BROKER_PROTOCOL', 'packet identifier 0'));
      return true;
    }
    // CONNECT: protocol name length (2 bytes), the name, then the level
    if (pos === 1) {
      this.#id = (this.#b0 << 8) | b;
      this.tracker.peek(2 + this.#id, 1);
      return true;
    }
    if (b !== 3 && b !== 4 && b !== 5) {
      return this.#refuse(
        Object.assign(new BrokerError('GZ_BROKER_PROTOCOL', `unsupported protocol level ${b}`), {
          connackCode: 1,
        }),
      );
    }
    return true;
  }

  end(): void {
    this.#packets++;
  }

  malformed(): void {
    this.verdict = new BrokerError('GZ_BROKER_PROTOCOL', 'malformed remaining length');
  }

  #refuse(v: FrameVerdict): false {
    this.verdict = v;
    return false;
  }
}
