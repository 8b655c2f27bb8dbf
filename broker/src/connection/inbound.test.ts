import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { InboundFrames } from './inbound.js';

const publish = (bytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(bytes),
    qos: 0,
    dup: false,
    retain: false,
  });

describe('InboundFrames (the guard)', () => {
  it('passes packets under the limit, however the stream is split', () => {
    const s = new InboundFrames(1000);
    const all = Buffer.concat([
      publish(10),
      publish(900),
      mqttPacket.generate({ cmd: 'pingreq' }),
      publish(0),
    ]);
    for (let i = 0; i < all.length; i += 7) expect(s.scan(all.subarray(i, i + 7))).toBeUndefined();
  });
  it('rejects a packet that announces more than the limit before its body arrives', () => {
    const s = new InboundFrames(1000);
    const big = publish(5000);
    expect(s.scan(publish(10))).toBeUndefined();
    expect(s.scan(big.subarray(0, 4))?.code).toBe('GZ_BROKER_LIMIT');
  });
  it('rejects a remaining length longer than four bytes', () => {
    const s = new InboundFrames(1 << 28);
    expect(s.scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))?.code).toBe('GZ_BROKER_PROTOCOL');
  });
  it('rejects SUBSCRIBE without a filter [MQTT-3.8.3-3] and with packet id 0 [MQTT-2.3.1-1]', () => {
    expect(new InboundFrames(1000).scan(Buffer.from([0x82, 0x02, 0x00, 0x01]))?.message).toMatch(
      /without a topic filter/,
    );
    const zero = mqttPacket.generate({
      cmd: 'subscribe',
      messageId: 1,
      subscriptions: [{ topic: 'a', qos: 0 }],
    });
    zero[2] = 0;
    zero[3] = 0;
    expect(new InboundFrames(1000).scan(zero)?.message).toMatch(/packet identifier 0/);
  });
  it('answers a CONNECT with protocol level 6 with CONNACK 0x01 [MQTT-3.1.2-2]', () => {
    const c = mqttPacket.generate({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: true,
      clientId: 'x',
      keepalive: 0,
    });
    c[8] = 6; // 0x10 len 0x00 0x04 'M' 'Q' 'T' 'T' level
    expect(new InboundFrames(1000).scan(c)?.connackCode).toBe(1);
  });
});
