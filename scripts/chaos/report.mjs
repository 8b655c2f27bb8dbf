/**
 * The chaos run's final summary: the faults as injected, then per store a table per device
 * (served, stored, in flight at kill, lost, duplicated), the points that broke the promise,
 * same-key repeats, dead letters and the ingest's completeness figures; and the verdict.
 */
import { table } from './accounting.mjs';

const MAX_POINT_ROWS = 30;

export function report(faults, results) {
  console.log('\n=== faults injected ===');
  console.log(
    table(
      ['fault', 'target', 'planned', 'actual', 'down ms', 'to healthy', 'redelivered batches (per ingest)'],
      faults.map((f) => [
        f.kind,
        f.target ?? '',
        `t+${(f.plannedAtMs / 1000).toFixed(1)}s`,
        `t+${(f.actualAtMs / 1000).toFixed(1)}s`,
        f.downMs,
        `${((f.healthyAt - f.at) / 1000).toFixed(1)} s`,
        Object.entries(f.redelivered ?? {})
          .map(([k, v]) => `${k} ${v ?? '?'}`)
          .join(', '),
      ]),
    ),
  );
  for (const [name, r] of Object.entries(results)) {
    console.log(`\n=== store: ${name} — per device (samples = (device, point, ts) rows) ===`);
    console.log(
      table(
        [
          'device',
          'gateway',
          'points',
          'served',
          'stored',
          'in flight at kill',
          'lost',
          'duplicated',
          'bad rows',
        ],
        [
          ...r.devices.map((d) => [
            d.device,
            d.gateway,
            d.points,
            d.served,
            d.stored,
            d.inflight,
            d.lost,
            d.extra,
            d.bad,
          ]),
          [
            'TOTAL',
            '',
            r.totals.points,
            r.totals.served,
            r.totals.stored,
            r.totals.inflight,
            r.totals.lost,
            r.totals.extra,
            r.totals.bad,
          ],
        ],
      ),
    );
    const bad = r.points.filter((p) => p.lost || p.extra);
    if (bad.length) {
      const shown = bad.slice(0, MAX_POINT_ROWS);
      console.log(`${bad.length} points with lost or duplicated samples:`);
      console.log(
        table(
          ['device', 'point', 'served', 'stored', 'in flight', 'lost', 'duplicated'],
          shown.map((p) => [p.device, p.point, p.served, p.stored, p.inflight, p.lost, p.extra]),
        ),
      );
      if (bad.length > shown.length)
        console.log(`… ${bad.length - shown.length} more (every point is in the --json result)`);
    } else {
      console.log(`every one of the ${r.totals.points} points: lost 0, duplicated 0`);
    }
    const inflight = r.points.flatMap((p) =>
      p.inflightAt.map((x) => ({ ...x, device: p.device, point: p.point })),
    );
    if (inflight.length) {
      const worst = Math.max(...inflight.map((x) => x.msBeforeKill));
      console.log(
        `in flight at kill: ${inflight.length} samples (served ≤ ${worst} ms before an agent's kill -9, never appended to its buffer)`,
      );
    }
    console.log(
      `same (device, point, ts) stored twice: ${r.conflicts ? `${r.conflicts.keys} keys (${r.conflicts.differing} with differing values)` : 'n/a (InfluxDB overwrites series+time; a repeat under another tag would show as duplicated above)'}`,
    );
    console.log(`dead letters: ${r.deadLetters}`);
    console.log(
      `ingest completeness (/api/completeness, batches per gateway; "expected" = batches the gateway accepted):`,
    );
    console.log(
      table(
        ['gateway', 'expected', 'received', 'missing', 'duplicates (redelivered)', 'late'],
        r.completeness.map((g) => [g.gateway, g.expected, g.received, g.missing, g.duplicates, g.late]),
      ),
    );
  }
}

/** One line per store: the figures the verdict is made of. */
export function summary(results) {
  console.log('\n=== summary ===');
  console.log(
    table(
      [
        'store',
        'points',
        'served',
        'stored',
        'in flight at kill',
        'lost',
        'duplicated',
        'same-key repeats',
        'batches accepted',
        'received',
        'missing',
        'redelivered',
      ],
      Object.entries(results).map(([name, r]) => {
        const c = r.completeness.reduce(
          (a, g) => ({
            e: a.e + (g.expected ?? 0),
            r: a.r + g.received,
            m: a.m + g.missing,
            d: a.d + g.duplicates,
          }),
          { e: 0, r: 0, m: 0, d: 0 },
        );
        return [
          name,
          r.totals.points,
          r.totals.served,
          r.totals.stored,
          r.totals.inflight,
          r.totals.lost,
          r.totals.extra,
          r.conflicts ? r.conflicts.keys : 'n/a',
          c.e,
          c.r,
          c.m,
          c.d,
        ];
      }),
    ),
  );
}

/** Appends to `problems` every way the run broke the promise. */
export function verdict(results, agents, problems) {
  for (const [name, r] of Object.entries(results)) {
    if (r.totals.lost) problems.push(`${name}: ${r.totals.lost} samples lost`);
    if (r.totals.extra) problems.push(`${name}: ${r.totals.extra} samples duplicated`);
    if (r.conflicts?.keys)
      problems.push(`${name}: ${r.conflicts.keys} (device, point, ts) keys stored twice`);
    if (r.deadLetters) problems.push(`${name}: ${r.deadLetters} dead letters`);
    if (r.totals.bad) problems.push(`${name}: ${r.totals.bad} bad-quality rows (a device read failed)`);
    for (const g of r.completeness) {
      if (g.missing)
        problems.push(`${name}: completeness says ${g.missing} batches missing for ${g.gateway}`);
      if (g.received !== g.expected)
        problems.push(
          `${name}: ${g.gateway} received ${g.received} batches, the gateway accepted ${g.expected}`,
        );
    }
    for (const a of agents) {
      if (!r.completeness.some((g) => g.gateway === a.gateway))
        problems.push(`${name}: no completeness figures for ${a.gateway}`);
    }
  }
}
