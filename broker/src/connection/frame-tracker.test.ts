import { describe, expect, it } from 'vitest';
import { type FrameListener, FrameTracker } from './frame-tracker.js';

/** Records what the tracker reports: frames as [type byte, remaining length, peeked bytes]. */
function recorder(peek: (t: FrameTracker, length: number) => void = () => {}) {
  const frames: { byte0: number; length: number; peeked: number[] }[] = [];
  let malformed = 0;
  const listener: FrameListener = {
    start: (byte0) => frames.push({ byte0, length: -1, peeked: [] }),
    header: (length) => {
      (frames.at(-1) as { length: number }).length = length;
      peek(tracker, length);
      return true;
    },
    byte: (b) => {
      frames.at(-1)?.peeked.push(b);
      return true;
    },
    end: () => {},
    malformed: () => {
      malformed++;
    },
  };
  const tracker = new FrameTracker(listener);
  return { tracker, frames, malformed: () => malformed };
}

describe('FrameTracker', () => {
  // MQTT 3.1.1 OASIS Standard, §2.2.3 Remaining Length, Table 2.4 "Size of Remaining Length
  // field": the first and last value of each encoded length, with the bytes the table gives.
  const table: [number, number[]][] = [
    [0, [0x00]],
    [127, [0x7f]],
    [128, [0x80, 0x01]],
    [16_383, [0xff, 0x7f]],
    [16_384, [0x80, 0x80, 0x01]],
    [2_097_151, [0xff, 0xff, 0x7f]],
    [2_097_152, [0x80, 0x80, 0x80, 0x01]],
    [268_435_455, [0xff, 0xff, 0xff, 0x7f]],
  ];
  for (const [length, bytes] of table) {
    it(`reads the remaining length ${length} from ${bytes.map((b) => b.toString(16)).join(' ')} (§2.2.3, Table 2.4)`, () => {
      const r = recorder();
      r.tracker.scan(Uint8Array.from([0x30, ...bytes]));
      expect(r.frames).toEqual([{ byte0: 0x30, length, peeked: [] }]);
    });
  }

  it('stops at a remaining length that goes on past four bytes (malformed, §2.2.3)', () => {
    const r = recorder();
    expect(r.tracker.scan(Uint8Array.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))).toBe(false);
    expect(r.malformed()).toBe(1);
    expect(r.tracker.stopped).toBe(true);
  });

  it('follows frames however the bytes are cut, and hands over exactly the body bytes asked for', () => {
    // PUBLISH QoS 1 'a/b' id 0x1234 payload 'xyz'; PINGREQ; PUBACK id 7
    const publish = [0x32, 0x0a, 0x00, 0x03, 0x61, 0x2f, 0x62, 0x12, 0x34, 0x78, 0x79, 0x7a];
    const all = Uint8Array.from([...publish, 0xc0, 0x00, 0x40, 0x02, 0x00, 0x07]);
    for (const cut of [1, 2, 3, 5, all.length]) {
      const r = recorder((t, length) => {
        if (length >= 2) t.peek(length === 10 ? 5 : 0, 2);
      });
      for (let i = 0; i < all.length; i += cut) r.tracker.scan(all.subarray(i, i + cut));
      expect(r.frames).toEqual([
        { byte0: 0x32, length: 10, peeked: [0x12, 0x34] },
        { byte0: 0xc0, length: 0, peeked: [] },
        { byte0: 0x40, length: 2, peeked: [0x00, 0x07] },
      ]);
    }
  });

  it('says when a string may pass without being scanned', () => {
    const r = recorder((t) => t.peek(0, 2));
    r.tracker.scan(Uint8Array.from([0x30, 0x08, 0x00, 0x01])); // two of the body's 8 bytes seen
    expect(r.tracker.canSkip(5)).toBe(true);
    expect(r.tracker.canSkip(6)).toBe(false); // would end the frame: the end must be seen
    r.tracker.skip(5);
    r.tracker.scan(Uint8Array.from([0x7a, 0xc0, 0x00]));
    expect(r.frames.map((f) => f.byte0)).toEqual([0x30, 0xc0]);
  });
});
