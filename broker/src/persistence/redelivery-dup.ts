/**
 * [MQTT-3.3.1-1] "The DUP flag MUST be set to 1 by the Client or Server when it attempts to
 * re-deliver a PUBLISH Packet." Aedes 1.2 resends a resumed session's un-acknowledged messages
 * with DUP=0. A queued PUBLISH that already carries a packet id was sent before (Aedes gives the
 * id when it first writes the message and keeps it in the session until the PUBACK/PUBREC), so
 * the session's outgoing stream hands those out with `dup: true`; messages never sent (no id yet)
 * keep DUP=0. The stored packets are not changed. Works on any persistence whose outgoingStream
 * is a Node Readable of packets (memory, disk and Redis).
 */
import { pipeline, type Readable, Transform } from 'node:stream';

interface OutgoingStreamer {
  outgoingStream(client: unknown): Readable;
}

interface QueuedPacket {
  cmd?: string;
  messageId?: number | null;
}

export function markRedeliveries(persistence: object): void {
  const store = persistence as OutgoingStreamer;
  const original = store.outgoingStream.bind(store);
  store.outgoingStream = (client) => {
    const marked = new Transform({
      objectMode: true,
      transform(packet: QueuedPacket, _enc, done) {
        const resent =
          packet.cmd === 'publish' && packet.messageId !== undefined && packet.messageId !== null;
        done(null, resent ? { ...packet, dup: true } : packet);
      },
    });
    return pipeline(original(client), marked, () => {});
  };
}
