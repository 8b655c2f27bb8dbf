/**
 * The contract every Sink passes (null, SQLite, InfluxDB v1, InfluxDB v2): one abstract
 * suite, run by each sink's test file with a harness that can read the store back.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Sink } from '../src/sink.js';

/** One stored field value, normalised across stores: booleans as 1/0. */
export interface StoredPoint {
  /** measurement,tag=value,… with tags sorted */
  series: string;
  field: string;
  ts: number;
  value: number | string;
}

export interface SinkHarness {
  sink: Sink;
  /** everything the store holds for this measurement; absent for a sink that stores nothing */
  readBack?: (measurement: string) => Promise<StoredPoint[]>;
  /** fault injection: the store goes away and comes back (same data) */
  outage?: { down(): Promise<void>; up(): Promise<void> };
  /** false when the store keeps string fields as something else (VictoriaMetrics: 0) */
  strings?: boolean;
  close(): Promise<void>;
}

let seq = 0;
// recent: VictoriaMetrics drops samples older than its retention (1 month by default)
const T0 = Math.floor(Date.now() / 1000) * 1000 - 3_600_000;

function tags(device: string, quality = 'good'): string {
  return `device=${device},district=d1,gateway=gw1,model=m-1,quality=${quality}`;
}

/** Lines like the contract's toLineProtocol makes, with what the store should hold afterwards. */
function fixture(m: string, strings: boolean) {
  const lines: string[] = [];
  const expected: StoredPoint[] = [];
  for (const device of ['a', 'b', 'c']) {
    for (let k = 0; k < 4; k++) {
      const ts = T0 + k * 1000;
      const v = k * 1.5 + device.charCodeAt(0);
      const on = k % 2 === 0;
      const text = `st "${device}" \\ ${k}`;
      const esc = text.replaceAll('\\', '\\\\').replaceAll('"', '\\"');
      lines.push(`${m},${tags(device)} power=${v},on=${on},state="${esc}" ${ts}`);
      const series = `${m},${tags(device)}`;
      expected.push({ series, field: 'power', ts, value: v });
      expected.push({ series, field: 'on', ts, value: on ? 1 : 0 });
      expected.push({ series, field: 'state', ts, value: strings ? text : 0 });
    }
  }
  // a bad reading: no value, a reason (quality tag bad)
  lines.push(`${m},${tags('a', 'bad')} power_reason="timeout" ${T0 + 10_000}`);
  expected.push({
    series: `${m},${tags('a', 'bad')}`,
    field: 'power_reason',
    ts: T0 + 10_000,
    value: strings ? 'timeout' : 0,
  });
  return { lines, expected };
}

const key = (p: StoredPoint) => `${p.series} ${p.field} ${p.ts}`;
const sorted = (ps: StoredPoint[]) =>
  [...ps].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));

export function sinkContract(name: string, factory: () => Promise<SinkHarness>): void {
  describe(`Sink contract: ${name}`, () => {
    let h: SinkHarness;
    let m: string;
    beforeEach(async () => {
      h = await factory();
      m = `ct${process.pid}_${++seq}`;
    });
    afterEach(async () => {
      await h.close();
    });

    it('writes every line and stores typed fields at their source timestamps', async () => {
      const { lines, expected } = fixture(m, h.strings !== false);
      const r = await h.sink.write(lines);
      expect(r).toEqual({ written: lines.length, rejected: [] });
      if (h.readBack) expect(sorted(await h.readBack(m))).toEqual(sorted(expected));
    });

    it('stores a redelivered batch once (idempotent writes)', async () => {
      const { lines, expected } = fixture(m, h.strings !== false);
      await h.sink.write(lines);
      const again = await h.sink.write(lines);
      expect(again.rejected).toEqual([]);
      if (h.readBack) expect(await h.readBack(m)).toHaveLength(expected.length);
    });

    it('an empty batch writes nothing and succeeds', async () => {
      expect(await h.sink.write([])).toEqual({ written: 0, rejected: [] });
    });

    it('rejects malformed lines by index and still stores their neighbours', async () => {
      const lines = [
        `${m},${tags('a')} power=1 ${T0}`,
        `${m},${tags('a')} power= ${T0 + 1}`,
        `${m},${tags('b')} power=2 ${T0}`,
        `${m} this is not line protocol`,
        `${m},${tags('c')} power=3 ${T0}`,
      ];
      const r = await h.sink.write(lines);
      expect(r.written).toBe(3);
      expect(r.rejected.map((x) => x.index)).toEqual([1, 3]);
      expect(r.rejected[0]?.line).toBe(lines[1]);
      expect(r.rejected.every((x) => x.reason.length > 0)).toBe(true);
      if (h.readBack) {
        const got = await h.readBack(m);
        expect(got.map((p) => p.value).sort()).toEqual([1, 2, 3]);
      }
    });

    it('stores a batch of 5000 lines completely', async () => {
      const lines = Array.from(
        { length: 5000 },
        (_, i) => `${m},${tags(`d${i % 50}`)} power=${i} ${T0 + Math.floor(i / 50) * 1000}`,
      );
      expect((await h.sink.write(lines)).written).toBe(5000);
      if (h.readBack) expect(await h.readBack(m)).toHaveLength(5000);
    });

    it('check() resolves while the store is writable', async () => {
      await expect(h.sink.check()).resolves.toBeUndefined();
    });

    it('a write after close() rejects with GZ_SINK_CLOSED, not retriable', async () => {
      await h.sink.close();
      await expect(h.sink.write([`${m},${tags('a')} power=1 ${T0}`])).rejects.toMatchObject({
        code: 'GZ_SINK_CLOSED',
        retriable: false,
      });
    });

    it('while the store is down a write rejects retriable; once it is back the same batch is stored', async (ctx) => {
      if (!h.outage) ctx.skip();
      const outage = h.outage!;
      const { lines, expected } = fixture(m, h.strings !== false);
      await outage.down();
      await expect(h.sink.write(lines)).rejects.toMatchObject({
        code: 'GZ_SINK_UNAVAILABLE',
        retriable: true,
      });
      await expect(h.sink.check()).rejects.toMatchObject({ retriable: true });
      await outage.up();
      expect((await h.sink.write(lines)).rejected).toEqual([]);
      if (h.readBack) expect(await h.readBack(m)).toHaveLength(expected.length);
    });
  });
}
