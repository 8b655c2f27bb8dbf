/**
 * Holds the PUBACKs the broker writes to a publisher until their message is stored (disk and
 * Redis modes).
 *
 * Aedes 1.2 answers a QoS 1 PUBLISH by writing the PUBACK first and publishing afterwards
 * (lib/handlers/publish.js `enqueuePublish`, case 1): the offline-queue write that the session
 * store commits happens after the publisher already holds its acknowledgement, so a crash in
 * between loses a message the gateway has deleted from its own buffer. (QoS 2 is already safe:
 * PUBREC goes out after the store and the publish.) Aedes' `published` hook runs at the end of
 * the publish, after `enqueueOffline` has awaited the persistence, i.e. after the commit. So the
 * outbound router (outbound.ts) hands every PUBACK frame Aedes writes to this gate, which keeps
 * it and writes it when `published` reports that message id: the publisher's PUBACK means
 * "stored".
 *
 * To Aedes a held frame is written (`write` returns true), so the publish goes on. PUBACKs leave
 * in the order Aedes wrote them ([MQTT-4.6.0-2]); every other packet passes straight through. A
 * publish that fails closes the connection, and its PUBACK is never sent.
 */

export interface HeldAck {
  /** the PUBACK frame's bytes (copied: they are few) */
  parts: Uint8Array[];
  /** its packet identifier, -1 until read */
  id: number;
  released: boolean;
}

export class AckGate {
  #write: ((chunk: Uint8Array) => boolean) | undefined;
  readonly #held: HeldAck[] = [];

  /** Where released PUBACKs are written (set once by the outbound router). */
  attach(write: (chunk: Uint8Array) => boolean): void {
    this.#write = write;
  }

  /** PUBACK frames written by Aedes and not yet released. */
  get held(): number {
    return this.#held.length;
  }

  /** A PUBACK frame begins: the router fills the returned entry. */
  hold(): HeldAck {
    const h: HeldAck = { parts: [], id: -1, released: false };
    this.#held.push(h);
    return h;
  }

  /** The message with this packet identifier is stored: its PUBACK (and any before it) may go. */
  release(messageId: number): void {
    for (const h of this.#held) {
      if (h.id === messageId && !h.released) {
        h.released = true;
        break;
      }
    }
    const write = this.#write;
    while (this.#held.length > 0 && (this.#held[0] as HeldAck).released) {
      const h = this.#held.shift() as HeldAck;
      if (write) for (const p of h.parts) write(p);
    }
  }
}
