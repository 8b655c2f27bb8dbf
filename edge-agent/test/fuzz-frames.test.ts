/**
 * Frame fuzz at the agent: (a) garbled serial lines through the real framer and frame
 * parser / selectors with the builtin gps-nmea and weather-ascii profiles, and through the
 * real SerialDriver on an in-memory stream; (b) garbled Modbus TCP responses from a FAKE
 * fault-injection server (fuzz/modbus-fault-server.ts) against the real Modbus driver.
 *
 * Seeded: the seed is in the test names; replay with GZ_FUZZ_SEED=<seed>. GZ_FUZZ_N sets
 * the number of serial lines / Modbus responses (bench/fuzz-frames.bench.mjs runs 100 000).
 */
import { writeFileSync } from 'node:fs';
import { PassThrough } from 'node:stream';
import { type Profile, ProfileRegistry, type SerialPoint, type Value } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import { afterAll, describe, expect, it } from 'vitest';
import type { DriverReading } from '../src/drivers/driver.js';
import { parseFrame } from '../src/drivers/serial/frame-parser.js';
import { createFramer } from '../src/drivers/serial/framer.js';
import { SerialDriver } from '../src/drivers/serial/serial-driver.js';
import { type Gen, gen, type ItemKind, nextItem, type SerialItem } from './fuzz/frame-gen.js';
import { runModbusFuzz } from './fuzz/modbus-fuzz.js';
import { context, serialSpec } from './helpers.js';

const SEED = process.env.GZ_FUZZ_SEED
  ? Number(process.env.GZ_FUZZ_SEED) >>> 0
  : (Date.now() ^ (process.pid << 16)) >>> 0;
const envN = Number(process.env.GZ_FUZZ_N);
const N_SERIAL = Number.isInteger(envN) && envN > 0 ? envN : 20_000;
const N_MODBUS = Number.isInteger(envN) && envN > 0 ? envN : 2_000;
/** GZ_FUZZ_GARBLED: serial lines until this many are garbled (the full run: 100 000 per profile) */
const GARBLED = Number(process.env.GZ_FUZZ_GARBLED) || 0;
const SUMMARY = process.env.GZ_FUZZ_SUMMARY;
const summary: Record<string, unknown> = { seed: SEED };

type ProfileId = 'gps-nmea' | 'weather-ascii';

afterAll(() => {
  if (SUMMARY) writeFileSync(SUMMARY, JSON.stringify(summary));
});

function builtin(id: ProfileId): { profile: Profile; points: SerialPoint[] } {
  const profile = ProfileRegistry.builtin().get(id);
  if (!profile?.serial) throw new Error(`builtin profile ${id} missing`);
  return { profile, points: profile.points as SerialPoint[] };
}

function sameValue(got: Value, want: Value): boolean {
  if (typeof want === 'number' && typeof got === 'number')
    return Math.abs(got - want) <= 1e-9 * Math.max(1, Math.abs(want));
  return got === want;
}

/** both profiles are checksum-protected: a line altered in transit must never yield a value */
const protectedKinds: readonly ItemKind[] = ['bad-checksum', 'truncated', 'overlong', 'noise'];

function chunksOf(g: Gen, text: string): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < text.length; ) {
    const n = 1 + g.int(g.chance(0.5) ? 8 : 400);
    out.push(Buffer.from(text.slice(i, i + n), 'latin1'));
    i += n;
  }
  return out;
}

describe.each<ProfileId>(['gps-nmea', 'weather-ascii'])(
  `serial frame fuzz, %s (seed ${SEED}, ${GARBLED ? `until ${GARBLED} garbled` : N_SERIAL} lines; replay: GZ_FUZZ_SEED=${SEED})`,
  (id) => {
    it(
      'no exception escapes; good lines decode to their values; altered lines are refused or counted',
      () => {
        const { profile, points } = builtin(id);
        const line = profile.serial!;
        const g = gen(seededRandom(SEED));
        const framer = createFramer(line.framing);
        const kinds: Record<string, number> = {};
        const c = {
          frames: 0,
          checksumFailed: 0,
          badValues: 0,
          undetected: 0,
          benign: 0,
          dropped: 0,
          collisions: 0,
          refusedWholeLine: 0,
        };
        let lines = 0;
        let garbled = 0;
        for (; GARBLED > 0 ? garbled < GARBLED : lines < N_SERIAL; lines++) {
          const item = nextItem(g, id);
          if (item.kind !== 'good') garbled++;
          kinds[item.kind] = (kinds[item.kind] ?? 0) + 1;
          const droppedBefore = framer.dropped;
          const frames: string[] = [];
          for (const chunk of chunksOf(g, item.text)) frames.push(...framer.push(chunk));
          if (item.kind === 'overlong') expect(framer.dropped - droppedBefore).toBeGreaterThan(4096);
          const decoded: { frame: string; values: Map<string, Value> }[] = [];
          for (const frame of frames) {
            c.frames++;
            const parsed = parseFrame(frame, line, points);
            if (parsed.checksum === 'failed') {
              c.checksumFailed++;
              expect(parsed.reason).toMatch(/\S/);
              // the points the refused frame appears to carry: bad with the reason, no value
              for (const { result } of parsed.values) {
                expect(result.ok).toBe(false);
                if (!result.ok) expect(result.reason).toMatch(/^(checksum|bad frame: \S.*)$/);
              }
              if (item.kind === 'bad-checksum') {
                // the framing intact, only the checksum wrong: refused for the checksum, and
                // every point of that line bad (the weather line decoded as good before the
                // profile used checksum xor-stx-etx)
                expect(parsed.reason, JSON.stringify(frame)).toBe('checksum');
                expect(parsed.values.map((v) => v.point.name).sort()).toEqual(
                  Object.keys(item.expected ?? {}).sort(),
                );
                c.refusedWholeLine++;
              }
              continue;
            }
            if (item.kind === 'bad-checksum') expect.fail(`bad checksum accepted: ${JSON.stringify(frame)}`);
            const values = new Map<string, Value>();
            for (const { point, result } of parsed.values) {
              if (result.ok) {
                const ok = ['number', 'string', 'boolean'].includes(typeof result.value);
                expect(ok && (typeof result.value !== 'number' || Number.isFinite(result.value))).toBe(true);
                values.set(point.name, result.value);
              } else {
                c.badValues++;
                expect(result.reason, `${point.name} in ${JSON.stringify(frame)}`).toMatch(/\S/);
              }
            }
            if (parsed.values.length > 0) decoded.push({ frame, values });
          }
          checkItem(item, decoded, c);
        }
        c.dropped = framer.dropped;
        summary[`serial-${id}`] = { lines, garbled, kinds, ...c };
        // every good line decoded (checked per item above); lines with a wrong checksum refused
        expect(c.frames).toBeGreaterThan(lines / 2);
        expect(c.refusedWholeLine).toBe(kinds['bad-checksum'] ?? 0);
        expect(c.refusedWholeLine).toBeGreaterThan(0);
      },
      30_000 + Math.max(N_SERIAL, GARBLED * 2),
    );

    it(
      'the SerialDriver on an in-memory stream: readings always have a quality, good ones the right values',
      async () => {
        const { profile, points } = builtin(id);
        const g = gen(seededRandom(SEED ^ 0x5eed));
        const stream = new PassThrough();
        const d = new SerialDriver(
          serialSpec('serial-tcp://127.0.0.1:9', { id: 'fuzz', profile, points, pollIntervalMs: 60_000 }),
          context(),
          async () => stream,
        );
        await d.connect();
        const n = Math.min(N_SERIAL, envN > 0 ? 20_000 : 5_000);
        let checkedGood = 0;
        let checkedBad = 0;
        const check = (rs: DriverReading[]) => {
          for (const r of rs) {
            expect(['good', 'uncertain', 'bad']).toContain(r.quality);
            if (r.quality === 'bad') expect(r.reason).toMatch(/\S/);
            else expect(r.value).not.toBeNull();
          }
        };
        try {
          for (let i = 0; i < n; i++) {
            const item = nextItem(g, id);
            // drain what earlier items left, so this item alone decides the next read
            if (item.kind === 'bad-checksum') check(await d.read());
            for (const chunk of chunksOf(g, item.text)) stream.write(chunk);
            await new Promise((r) => setImmediate(r));
            if (item.kind === 'bad-checksum' && item.expected) {
              // every point of the refused line: bad at once, reason checksum, no value
              const rs = await d.read();
              check(rs);
              for (const point of Object.keys(item.expected)) {
                const r = rs.find((x) => x.point === point);
                expect(r, `${point} after ${JSON.stringify(item.text)}`).toMatchObject({
                  quality: 'bad',
                  reason: 'checksum',
                  value: null,
                });
              }
              checkedBad++;
            } else if (item.kind === 'good' && item.expected) {
              const rs = await d.read();
              check(rs);
              for (const [point, want] of Object.entries(item.expected)) {
                const r = rs.find((x) => x.point === point);
                expect(r, `${point} after ${JSON.stringify(item.text)}`).toBeDefined();
                expect(r?.quality).not.toBe('bad');
                expect(sameValue(r?.value as Value, want), `${point}: ${r?.value} != ${want}`).toBe(true);
              }
              checkedGood++;
            } else if (i % 7 === 0) check(await d.read());
          }
        } finally {
          await d.close();
        }
        expect(checkedGood).toBeGreaterThan(n / 4);
        expect(checkedBad).toBeGreaterThan(0);
      },
      30_000 + Math.max(N_SERIAL, GARBLED * 2),
    );
  },
);

function checkItem(
  item: SerialItem,
  decoded: { frame: string; values: Map<string, Value> }[],
  c: { undetected: number; benign: number; collisions: number },
): void {
  const where = JSON.stringify(item.text.slice(0, 120));
  const matches = (values: Map<string, Value>) =>
    item.expected !== undefined &&
    Object.entries(item.expected).every(([k, v]) => values.has(k) && sameValue(values.get(k) as Value, v));
  if (item.kind === 'good' || item.kind === 'glued') {
    // exactly one frame, all the line's points, the right values (junk glued in front of '$'
    // or <STX> is line noise before the start marker)
    expect(decoded.length, where).toBe(1);
    expect(matches(decoded[0]!.values), `${where} → ${JSON.stringify([...decoded[0]!.values])}`).toBe(true);
    return;
  }
  if (protectedKinds.includes(item.kind)) {
    expect(decoded, where).toEqual([]);
    return;
  }
  // flipped: refused by the checksum, or a harmless flip (hex case, '$'→'!') with the right values
  for (const d of decoded) {
    if (matches(d.values)) c.benign++;
    else {
      // an 8-bit XOR checksum cannot see every corruption of two or more bytes (1 in 256
      // pass): counted; a single changed byte is always caught
      expect(item.flips, `${where} → ${JSON.stringify([...d.values])}`).toBeGreaterThan(1);
      c.collisions++;
    }
  }
}

describe(`Modbus response fuzz (seed ${SEED}, ${N_MODBUS} responses; replay: GZ_FUZZ_SEED=${SEED})`, () => {
  it(
    'garbled responses give bad quality with a reason, good only for valid ones; the driver keeps working',
    async () => {
      const lines = Number(process.env.GZ_FUZZ_LINES) || undefined;
      const r = await runModbusFuzz({ seed: SEED, responses: N_MODBUS, lines });
      summary.modbus = r;
    },
    60_000 + N_MODBUS * 5,
  );
});
