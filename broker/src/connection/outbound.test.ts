import mqttPacket, { type Packet } from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { InboundFrames } from './inbound.js';
import { OutboundRouter } from './outbound.js';
import { OutboundWindow, type OutboundWindowOptions } from './outbound-window.js';

/** The outgoing window with its two directions: bytes Aedes writes, bytes the client sends. */
function windowed(r: ReturnType<typeof recorder>, opts: OutboundWindowOptions) {
  const window = new OutboundWindow(opts);
  window.attach(r.sink);
  const router = new OutboundRouter((c) => r.sink.write(c), window, undefined);
  const inbound = new InboundFrames(1 << 28, window);
  return {
    window,
    write: (c: Uint8Array | string) => router.write(c),
    read: (c: Uint8Array) => {
      inbound.scan(c);
    },
    get inflight() {
      return window.inflight;
    },
    get waiting() {
      return window.waiting;
    },
    get dropped() {
      return window.dropped;
    },
  };
}
type Windowed = ReturnType<typeof windowed>;

/** A sink that records the bytes the window lets through, parsed back into packets. */
function recorder() {
  const out: Packet[] = [];
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  parser.on('packet', (p) => out.push(p));
  let corked = 0;
  return {
    out,
    get corked() {
      return corked;
    },
    sink: {
      write(chunk: Uint8Array | string) {
        parser.parse(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
        return true;
      },
      cork() {
        corked++;
      },
      uncork() {},
      writable: () => true,
    },
  };
}

const publish = (id: number, qos: 0 | 1 | 2 = 1, payload = `m${id}`): Packet => ({
  cmd: 'publish',
  topic: 'gz/v1/north/gw-1/pm1/data',
  payload: Buffer.from(payload),
  qos,
  messageId: qos > 0 ? id : undefined,
  retain: false,
  dup: false,
});

/** Writes a packet the way Aedes does: mqtt-packet's writeToStream, several small writes. */
function writeAsAedes(w: Windowed, p: Packet): boolean {
  const stream = { write: (c: Uint8Array | string) => w.write(c) } as unknown as NodeJS.WritableStream;
  return mqttPacket.writeToStream(p, stream);
}

const ack = (cmd: 'puback' | 'pubcomp', id: number) => mqttPacket.generate({ cmd, messageId: id });
const ids = (ps: Packet[]) => ps.map((p) => (p as { messageId?: number }).messageId);

describe('OutboundWindow behind the OutboundRouter', () => {
  it('lets N QoS 1/2 PUBLISH out, holds the rest in order, and frees one slot per matching ack', () => {
    const r = recorder();
    const w = windowed(r, { maxInflight: 3, maxWaiting: 0, onDrop: () => {} });
    for (let i = 1; i <= 6; i++) expect(writeAsAedes(w, publish(i, i % 2 ? 1 : 2))).toBe(true);
    expect(ids(r.out)).toEqual([1, 2, 3]);
    expect([w.inflight, w.waiting]).toEqual([3, 3]);
    w.read(ack('puback', 99)); // not in flight: nothing happens
    w.read(ack('puback', 2)); // QoS 2 message acked with PUBACK: Aedes ends it too
    expect(ids(r.out)).toEqual([1, 2, 3, 4]);
    w.read(ack('pubcomp', 1));
    w.read(ack('puback', 1)); // a duplicate ack frees nothing more
    expect(ids(r.out)).toEqual([1, 2, 3, 4, 5]);
    expect([w.inflight, w.waiting]).toEqual([3, 1]);
  });

  it('passes QoS 0 PUBLISH and other packets straight through, even while PUBLISH wait', () => {
    const r = recorder();
    const w = windowed(r, { maxInflight: 1, maxWaiting: 0, onDrop: () => {} });
    writeAsAedes(w, publish(1));
    writeAsAedes(w, publish(2));
    writeAsAedes(w, publish(0, 0, 'qos0'));
    writeAsAedes(w, { cmd: 'pingresp' });
    writeAsAedes(w, { cmd: 'pubrel', messageId: 7 });
    expect(r.out.map((p) => p.cmd)).toEqual(['publish', 'publish', 'pingresp', 'pubrel']);
    expect(w.inflight).toBe(1);
    w.read(ack('pubcomp', 7)); // the PUBREL flow holds no slot
    expect(w.waiting).toBe(1);
  });

  it('follows frames however the bytes are cut: whole packets, several per write, one byte at a time', () => {
    const r = recorder();
    const w = windowed(r, { maxInflight: 2, maxWaiting: 0, onDrop: () => {} });
    const bytes = Buffer.concat(
      [1, 2, 3, 4].map((i) => mqttPacket.generate(publish(i, 1, 'x'.repeat(i * 70)))),
    );
    w.write(bytes.subarray(0, 150));
    for (const b of bytes.subarray(150, 300)) w.write(Buffer.from([b]));
    w.write(bytes.subarray(300));
    expect(ids(r.out)).toEqual([1, 2]);
    // acks split across reads, and two in one read
    const acks = Buffer.concat([ack('puback', 1), ack('puback', 2)]);
    w.read(acks.subarray(0, 3));
    w.read(acks.subarray(3));
    expect(ids(r.out)).toEqual([1, 2, 3, 4]);
    expect((r.out[3] as { payload: Buffer }).payload.length).toBe(280);
  });

  it('handles a string topic and payload written as strings', () => {
    const r = recorder();
    const w = windowed(r, { maxInflight: 1, maxWaiting: 0, onDrop: () => {} });
    writeAsAedes(w, { ...publish(1), payload: 'héllo' } as Packet);
    writeAsAedes(w, { ...publish(2), payload: 'wörld' } as Packet);
    w.read(ack('puback', 1));
    expect(r.out.map((p) => (p as { payload: Buffer }).payload.toString())).toEqual(['héllo', 'wörld']);
  });

  it('drops and counts beyond maxWaiting', () => {
    const r = recorder();
    let drops = 0;
    const w = windowed(r, { maxInflight: 1, maxWaiting: 2, onDrop: () => drops++ });
    for (let i = 1; i <= 6; i++) writeAsAedes(w, publish(i));
    expect([w.inflight, w.waiting, w.dropped, drops]).toEqual([1, 2, 3, 3]);
    w.read(ack('puback', 1));
    w.read(ack('puback', 2));
    w.read(ack('puback', 3));
    expect(ids(r.out)).toEqual([1, 2, 3]);
    expect(w.inflight).toBe(0);
  });

  it('lets the frames freed by the acks of one read out in one corked write', () => {
    const r = recorder();
    const w = windowed(r, { maxInflight: 2, maxWaiting: 0, onDrop: () => {} });
    for (let i = 1; i <= 4; i++) writeAsAedes(w, publish(i));
    w.read(Buffer.concat([ack('puback', 1), ack('puback', 2)]));
    expect(ids(r.out)).toEqual([1, 2, 3, 4]);
    expect(r.corked).toBe(1);
    for (let i = 5; i <= 8; i++) writeAsAedes(w, publish(i));
    w.read(ack('puback', 3));
    w.read(ack('puback', 4));
    expect(ids(r.out)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(r.corked).toBe(3);
  });
});
