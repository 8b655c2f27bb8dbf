/**
 * The meter bus line against a FAKE byte stream (fault injection: bytes arrive exactly when the
 * test says, time moves only when the test says): answers in pieces, noise before an answer,
 * a damaged answer after the line settles, half an answer refused as truncated at the deadline,
 * a late answer of an earlier request never taken for the next one, the line dropping.
 */
import { PassThrough } from 'node:stream';
import { dlt645 } from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { type BusResult, MeterBusLine } from './bus-line.js';

const A = '000000000161';
const request = dlt645.readDataRequest(A, '02010100');
const answer = dlt645.readDataReply(A, '02010100', Uint8Array.of(0x01, 0x23), { preamble: 4 });
const flush = () => new Promise((r) => setImmediate(r));

async function setup() {
  const clock = new ManualClock(1_000_000);
  const stream = new PassThrough(); // what the meter "sends" is written here; requests are read back
  const sent: Buffer[] = [];
  const wire = { write: (b: Uint8Array) => stream.emit('data', Buffer.from(b)) };
  const fake = Object.assign(stream, {
    write: (b: Uint8Array) => {
      sent.push(Buffer.from(b));
      return true;
    },
  });
  const line = new MeterBusLine<dlt645.Frame>({
    open: async () => fake,
    deframer: new dlt645.Dlt645Deframer(),
    clock,
    random: () => 0.5,
    logger: pino({ level: 'silent' }),
    settleMs: 20,
  });
  const ask = async (): Promise<{ result: Promise<BusResult<dlt645.Frame>> }> => {
    const result = line.transaction({
      bytes: request,
      timeoutMs: 500,
      isAnswer: (f) => f.address === A && f.control.reply,
    });
    await flush();
    return { result };
  };
  return { clock, line, wire, sent, ask, stream };
}

describe('MeterBusLine', () => {
  it('assembles an answer that arrives in pieces, with its FE preamble', async () => {
    const { wire, ask, sent } = await setup();
    const { result } = await ask();
    expect(Buffer.concat(sent)).toEqual(Buffer.from(request));
    for (const piece of [answer.subarray(0, 3), answer.subarray(3, 11), answer.subarray(11)])
      wire.write(piece);
    const r = await result;
    expect(r.ok && dlt645.parseReadReply(r.frame, { address: A, dataId: '02010100' })).toEqual({
      ok: true,
      dataId: '02010100',
      value: 230.1,
    });
  });

  it('noise before the answer is skipped; a damaged answer fails after the line settles, with its reason', async () => {
    const { wire, ask, clock } = await setup();
    const first = await ask();
    wire.write(Uint8Array.of(0x00, 0x68, 0x13, 0x37)); // line noise, a lone 68
    wire.write(answer);
    expect((await first.result).ok).toBe(true);
    const second = await ask();
    const bad = answer.slice();
    bad[bad.length - 2] = (bad[bad.length - 2] ?? 0) ^ 0x01;
    wire.write(bad);
    let settled: BusResult<dlt645.Frame> | undefined;
    void second.result.then((r) => {
      settled = r;
    });
    await flush();
    expect(settled).toBeUndefined(); // the rest of a damaged reply could still be coming
    clock.advance(20);
    await flush();
    expect(settled).toMatchObject({
      ok: false,
      kind: 'frame',
      reason: expect.stringMatching(/^checksum: computed/),
    });
  });

  it('a good answer after a damaged candidate within the settle time wins', async () => {
    const { wire, ask } = await setup();
    const { result } = await ask();
    const bad = answer.slice(4);
    bad[bad.length - 1] = 0x17; // wrong terminator
    wire.write(bad);
    wire.write(answer);
    expect((await result).ok).toBe(true);
  });

  it('half an answer at the deadline is refused as truncated and never completed by later bytes', async () => {
    const { wire, ask, clock, line } = await setup();
    const first = await ask();
    wire.write(answer.subarray(0, 12));
    clock.advance(500);
    expect(await first.result).toMatchObject({
      ok: false,
      kind: 'frame',
      reason: 'truncated: 8 bytes of an unfinished frame',
    });
    // the rest arrives now: never glued to the next exchange
    const second = await ask();
    wire.write(answer.subarray(12));
    clock.advance(500);
    expect(await second.result).toMatchObject({ ok: false, kind: 'timeout' });
    expect(line.deframer.stats.frames).toBe(0);
  });

  it('a whole answer hidden behind a noise 68 whose length runs past it is the answer at the deadline', async () => {
    const { wire, ask, clock } = await setup();
    const first = await ask();
    // 68, address, 68, C 91, L 60: a header claiming 96 data bytes, more than will ever come
    wire.write(Uint8Array.of(0x68, 0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x68, 0x91, 0x60));
    wire.write(answer);
    let settled: BusResult<dlt645.Frame> | undefined;
    void first.result.then((r) => {
      settled = r;
    });
    await flush();
    expect(settled).toBeUndefined(); // the noise's claimed frame still waits for bytes
    clock.advance(500);
    const r = await first.result;
    expect(r.ok && dlt645.parseReadReply(r.frame, { address: A, dataId: '02010100' })).toEqual({
      ok: true,
      dataId: '02010100',
      value: 230.1,
    });
  });

  it('a late answer to a timed-out request is stray, not the answer to the next request', async () => {
    const { wire, ask, clock, line } = await setup();
    const first = await ask();
    clock.advance(500);
    expect(await first.result).toMatchObject({ ok: false, kind: 'timeout', reason: 'timeout' });
    wire.write(answer); // arrives between transactions
    expect(line.counters.stray).toBe(1);
    const second = await ask();
    clock.advance(500);
    expect(await second.result).toMatchObject({ ok: false, kind: 'timeout' });
  });

  it('the line dropping fails the waiting transaction at once, with the reason', async () => {
    const { ask, stream, line } = await setup();
    const { result } = await ask();
    stream.destroy();
    expect(await result).toMatchObject({ ok: false, kind: 'line', reason: 'connection: closed' });
    expect(line.connected).toBe(false);
    expect(line.counters.drops).toBe(1);
  });
});
