/**
 * The three streaming deframers on published frames (see test/*-golden.test.ts for their
 * sources): byte-by-byte, glued together with garbage between, and with one frame corrupted.
 */
import { describe, expect, it } from 'vitest';
import { Cjt188Deframer } from './cjt188/deframer.js';
import type { Deframed } from './deframe.js';
import { Dlt645Deframer } from './dlt645/deframer.js';
import { Hj212Deframer } from './hj212/deframer.js';

const bytes = (s: string) => Uint8Array.from(s.trim().split(/\s+/), (x) => Number.parseInt(x, 16));
const cat = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let i = 0;
  for (const p of parts) {
    out.set(p, i);
    i += p.length;
  }
  return out;
};
const oneByOne = <F>(d: { push(c: Uint8Array): Deframed<F>[] }, b: Uint8Array) => {
  const out: Deframed<F>[] = [];
  for (const x of b) out.push(...d.push(Uint8Array.of(x)));
  return out;
};

const V = bytes('68 61 01 00 00 00 00 68 91 06 33 34 34 35 34 43 10 16');
const E = bytes('FE FE FE FE 68 60 07 92 04 00 91 68 91 08 33 33 33 33 97 35 A8 33 6A 16');
const W = bytes(
  'FE FE FE FE 68 10 44 33 22 11 00 33 78 81 16 1F 90 00 00 77 66 55 2C 00 77 66 55 2C 31 01 22 11 05 15 20 21 84 13 16',
);
const enc = (s: string) => new TextEncoder().encode(s);
const A = enc(
  '##0101QN=20160801085857223;ST=32;CN=1062;PW=100000;MN=010000A8900016F000169DC0;Flag=5;CP=&&RtdInterval=30&&1C80\r\n',
);
const ACK = enc(
  '##0087QN=20160801085000001;ST=91;CN=9014;PW=123456;MN=010000A8900016F000169DC0;Flag=4;CP=&&&&C241\r\n',
);

describe('Dlt645Deframer', () => {
  it('byte by byte, glued, with garbage and FE between: every frame once, garbage counted', () => {
    const d = new Dlt645Deframer();
    const out = oneByOne(d, cat(bytes('00 11 68 22'), V, E, bytes('FE FE'), V));
    expect(out.map((x) => x.ok)).toEqual([true, true, true]);
    expect(d.stats).toMatchObject({ frames: 3, refused: 0, garbageBytes: 4 });
  });

  it('a corrupted frame between two good ones is refused; the neighbours survive', () => {
    const bad = V.slice();
    bad[15] = 0x35; // a data byte changed: checksum no longer matches
    const d = new Dlt645Deframer();
    const out = d.push(cat(V, bad, E));
    expect(out.filter((x) => x.ok)).toHaveLength(2);
    expect(out.filter((x) => !x.ok).map((x) => (x.ok ? '' : x.reason))).toEqual([
      expect.stringMatching(/^checksum: /),
    ]);
    expect(d.stats.reasons).toEqual({ checksum: 1 });
  });

  it('a corrupted length byte does not swallow the next frame', () => {
    const bad = V.slice();
    bad[9] = 0x40; // L = 64: the candidate runs into the next frame and fails there
    const d = new Dlt645Deframer();
    const out = [...d.push(cat(bad, E, E, E, E)), ...d.flush()];
    expect(out.filter((x) => x.ok).length).toBe(4);
  });

  it('flush refuses a half frame as truncated; FE alone is not a frame', () => {
    const d = new Dlt645Deframer();
    expect(d.push(V.subarray(0, 9))).toEqual([]);
    expect(d.flush()).toMatchObject([{ ok: false, reason: 'truncated: 9 bytes of an unfinished frame' }]);
    d.push(bytes('FE FE'));
    expect(d.flush()).toEqual([]);
  });
});

describe('Cjt188Deframer', () => {
  it('split and glued replies, one with a bad terminator refused', () => {
    const bad = W.slice();
    bad[bad.length - 1] = 0x17;
    const d = new Cjt188Deframer();
    const out = oneByOne(d, cat(W, bytes('55 AA'), bad, W));
    expect(out.filter((x) => x.ok)).toHaveLength(2);
    expect(d.stats.reasons).toMatchObject({ terminator: 1 });
  });

  it('a noise 68 whose length runs past the end does not hide the reply after it: flush delivers it', () => {
    // 68, T 10, address 11…77, C 01, L 40: a header claiming 64 data bytes, more than follow
    const noise = bytes('68 10 11 22 33 44 55 66 77 01 40');
    const d = new Cjt188Deframer();
    expect(d.push(cat(noise, W))).toEqual([]);
    const out = d.flush();
    expect(out.map((x) => x.ok)).toEqual([false, true]);
    expect(out[0]).toMatchObject({ reason: 'truncated: 15 bytes of an unfinished frame' });
    expect(out[1]?.raw).toEqual(W.subarray(4));
    expect(d.pending).toBe(0);
  });
});

describe('Hj212Deframer', () => {
  it('packets split across reads and glued, garbage and a bad CRC between', () => {
    const bad = A.slice();
    bad[30] = 0x39; // one digit of QN changed
    const d = new Hj212Deframer();
    const stream = cat(enc('xx#'), A, bad, ACK, enc('\r\n'), A);
    const out: Deframed<unknown>[] = [];
    for (let i = 0; i < stream.length; i += 7) out.push(...d.push(stream.subarray(i, i + 7)));
    expect(out.filter((x) => x.ok)).toHaveLength(3);
    expect(d.stats.reasons).toEqual({ CRC: 1 });
    expect(d.stats.garbageBytes).toBeGreaterThanOrEqual(5);
  });

  it('a length field that is not digits or too large is refused at once, not waited for', () => {
    const d = new Hj212Deframer();
    expect(d.push(enc('##12x4'))).toMatchObject([
      { ok: false, reason: 'length: the 4 characters after ## are not digits' },
    ]);
    expect(d.push(enc('##9999'))).toMatchObject([
      { ok: false, reason: 'length: data segment of 9999 bytes exceeds 1024' },
    ]);
    expect(d.push(A)).toMatchObject([{ ok: true }]);
  });

  it('a noise ## with a long length does not hold back the packets behind it', () => {
    // "##0900" announces 912 bytes; A and ACK (about 220 bytes) follow at once
    const d = new Hj212Deframer();
    const out = d.push(cat(enc('##0900QN=2'), A, ACK));
    expect(out.map((x) => x.ok)).toEqual([false, true, true]);
    // refused at A's CR, the first byte that cannot be inside a packet
    const cr = 10 + A.length - 2;
    expect(out[0]).toMatchObject({
      ok: false,
      reason: `length: 900 announced, but byte 0x0d at offset ${cr} is not printable ASCII`,
    });
    expect(out[0]?.raw).toHaveLength(cr + 1);
    expect(out[1]?.raw).toEqual(A);
    expect(out[2]?.raw).toEqual(ACK);
    expect(d.pending).toBe(0);
    // same bytes one at a time
    const e = new Hj212Deframer();
    expect(
      oneByOne(e, cat(enc('##0900QN=2'), A, ACK))
        .filter((x) => x.ok)
        .map((x) => x.raw),
    ).toEqual([A, ACK]);
    expect(e.pending).toBe(0);
  });
});
