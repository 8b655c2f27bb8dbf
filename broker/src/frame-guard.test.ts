import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import { FrameScanner } from './frame-guard.js';

const publish = (bytes: number) =>
  mqttPacket.generate({
    cmd: 'publish',
    topic: 't',
    payload: Buffer.alloc(bytes),
    qos: 0,
    dup: false,
    retain: false,
  });

describe('FrameScanner', () => {
  it('passes packets under the limit, however the stream is split', () => {
    const s = new FrameScanner(1000);
    const all = Buffer.concat([
      publish(10),
      publish(900),
      mqttPacket.generate({ cmd: 'pingreq' }),
      publish(0),
    ]);
    for (let i = 0; i < all.length; i += 7) expect(s.scan(all.subarray(i, i + 7))).toBeUndefined();
  });
  it('rejects a packet that announces more than the limit before its body arrives', () => {
    const s = new FrameScanner(1000);
    const big = publish(5000);
    expect(s.scan(publish(10))).toBeUndefined();
    expect(s.scan(big.subarray(0, 4))?.code).toBe('GZ_BROKER_LIMIT');
  });
  it('rejects a remaining length longer than four bytes', () => {
    const s = new FrameScanner(1 << 28);
    expect(s.scan(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))?.code).toBe('GZ_BROKER_PROTOCOL');
  });
});
