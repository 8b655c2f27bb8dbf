import { PassThrough } from 'node:stream';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { installConnection } from './install.js';

/** A stream whose written bytes are parsed back into packets, with the ack gate on its write. */
function gated() {
  const conn = new PassThrough();
  const parser = mqttPacket.parser({ protocolVersion: 4 });
  const seen: string[] = [];
  parser.on('packet', (p) =>
    seen.push(p.cmd === 'publish' ? `publish:${p.topic}` : `${p.cmd}:${p.messageId}`),
  );
  conn.on('data', (b: Buffer) => parser.parse(b));
  const gate = installConnection(conn, { maxPacketBytes: 1 << 28, gateAcks: true, onReject: () => {} }).gate;
  if (!gate) throw new Error('no gate');
  // exactly how Aedes writes a packet (several write() calls per packet)
  const send = (p: object) => mqttPacket.writeToStream(p as mqttPacket.Packet, conn);
  const flushed = () => new Promise((r) => setImmediate(r));
  return { gate, send, seen, flushed, conn };
}

describe('AckGate behind the OutboundRouter', () => {
  it('holds PUBACKs until released, in the order written, and lets every other packet through', async () => {
    const { gate, send, seen, flushed } = gated();
    send({ cmd: 'puback', messageId: 1 });
    send({ cmd: 'publish', topic: 'a/b', payload: Buffer.alloc(300, 1), qos: 1, messageId: 9 });
    send({ cmd: 'puback', messageId: 2 });
    send({ cmd: 'suback', messageId: 3, granted: [1] });
    send({ cmd: 'puback', messageId: 300 });
    await flushed();
    expect(seen).toEqual(['publish:a/b', 'suback:3']);
    expect(gate.held).toBe(3);
    gate.release(2); // not first: waits behind 1 ([MQTT-4.6.0-2])
    await flushed();
    expect(seen).toEqual(['publish:a/b', 'suback:3']);
    gate.release(1);
    await flushed();
    expect(seen).toEqual(['publish:a/b', 'suback:3', 'puback:1', 'puback:2']);
    gate.release(300);
    send({ cmd: 'pingresp' });
    await flushed();
    expect(seen).toEqual([
      'publish:a/b',
      'suback:3',
      'puback:1',
      'puback:2',
      'puback:300',
      'pingresp:undefined',
    ]);
    expect(gate.held).toBe(0);
  });

  it('follows frames split and merged across writes (large payloads, several frames per chunk)', async () => {
    const { gate, send, seen, flushed, conn: stream } = gated();
    const big = Buffer.alloc(200_000, 7); // a four-byte remaining length
    send({ cmd: 'publish', topic: 't/big', payload: big, qos: 0 });
    // a PUBACK and a PINGRESP merged into one chunk, then a PUBACK split byte by byte
    const conn = (c: Buffer) => stream.write(c);
    conn(Buffer.from([0x40, 0x02, 0x00, 0x05, 0xd0, 0x00]));
    for (const b of [0x40, 0x02, 0x00, 0x06]) conn(Buffer.from([b]));
    await flushed();
    expect(seen).toEqual(['publish:t/big', 'pingresp:undefined']);
    gate.release(5);
    gate.release(6);
    await flushed();
    expect(seen).toEqual(['publish:t/big', 'pingresp:undefined', 'puback:5', 'puback:6']);
  });
});
