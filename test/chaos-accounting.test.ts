/**
 * The chaos run's bookkeeping against a fake store (fault injection: the store is a map we
 * fill by hand). A sample served in the poll an agent was killed in is excused once; any
 * other shortfall is lost, any surplus is duplicated.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain ESM script without type declarations
import { account, totals } from '../scripts/chaos/accounting.mjs';

type Row = { device: string; point: string; ts: number };

function fakeStore(rows: Row[]) {
  const inRange = (r: Row, device: string, from: number, to: number) =>
    r.device === device && r.ts > from && r.ts <= to;
  return {
    async counts(device: string, _profile: string, from = -Infinity, to = Infinity) {
      const m = new Map<string, { n: number; bad: number; maxTs: number }>();
      for (const r of rows.filter((x) => inRange(x, device, from, to))) {
        const e = m.get(r.point) ?? { n: 0, bad: 0, maxTs: 0 };
        e.n++;
        e.maxTs = Math.max(e.maxTs, r.ts);
        m.set(r.point, e);
      }
      return m;
    },
    async lastTs(device: string, _profile: string, point: string, from: number, to: number) {
      const ts = rows.filter((x) => x.point === point && inRange(x, device, from, to)).map((x) => x.ts);
      return ts.length ? Math.max(...ts) : undefined;
    },
  };
}

// one device polled at 1 Hz from t=1000; agent killed at 5300 (exit 5310) and restarted
const device = { id: 'm1', profile: 'p', gateway: 'g1' };
const stored = (points: string[], times: number[]) =>
  points.flatMap((point) => times.map((ts) => ({ device: 'm1', point, ts })));

function run(rows: Row[], killServed: { a: number; b: number }, lastServedTs: number) {
  return account({
    devices: [device],
    agentKills: [
      {
        gateway: 'g1',
        killAt: 5300,
        exitAt: 5310,
        served: {
          m1: {
            a: { served: killServed.a, lastTs: lastServedTs },
            b: { served: killServed.b, lastTs: lastServedTs },
          },
        },
      },
    ],
    finalServed: {
      m1: { a: { served: killServed.a + 3, lastTs: 9000 }, b: { served: killServed.b + 3, lastTs: 9000 } },
    },
    store: fakeStore(rows),
  });
}

describe('chaos accounting', () => {
  it('excuses exactly the sample served in the poll the agent died in', async () => {
    // served 1000..5000 (5) + the one at 5200 that died with the agent; after restart 7000..9000
    const rows = stored(['a', 'b'], [1000, 2000, 3000, 4000, 5000, 7000, 8000, 9000]);
    const t = totals(await run(rows, { a: 6, b: 6 }, 5200));
    expect(t).toMatchObject({ served: 18, stored: 16, inflight: 2, lost: 0, extra: 0 });
  });

  it('counts a sample missing long before a kill as lost', async () => {
    const rows = stored(['a', 'b'], [1000, 3000, 4000, 5000, 7000, 8000, 9000]); // 2000 missing
    const r = await run(rows, { a: 5, b: 5 }, 5000);
    expect(totals(r)).toMatchObject({ lost: 2, inflight: 0 });
  });

  it('does not excuse a shortfall when the last served sample is older than one poll before the kill', async () => {
    const rows = stored(['a', 'b'], [1000, 2000, 3000, 7000, 8000, 9000]);
    const t = totals(await run(rows, { a: 4, b: 4 }, 4000)); // 4000 served 1.3 s before the kill, not stored
    expect(t).toMatchObject({ lost: 2, inflight: 0 });
  });

  it('counts rows beyond what was served as duplicated, after the restart too', async () => {
    const rows = stored(['a', 'b'], [1000, 2000, 3000, 4000, 5000, 7000, 7001, 8000, 9000]);
    const t = totals(await run(rows, { a: 5, b: 5 }, 5000));
    expect(t).toMatchObject({ lost: 0, extra: 2, inflight: 0 });
  });
});
