/**
 * Ground truth against the store. Per device, the timeline is cut at each kill -9 of its
 * gateway's agent (at the moment the agent process had exited). In each piece:
 *
 *   served  = samples the simulator served in it (control API counts, read once the killed
 *             agent had gone quiet, and at the end after the agents stopped)
 *   stored  = rows (device, point, ts) in the store with ts in it (quality not bad)
 *
 * A piece that ends in a kill may be short of exactly one sample per point: the one served
 * in the poll the agent was killed in, never appended to its durable buffer ("in flight at
 * kill"). It is excused only when the simulator's last served sample of that point lies
 * within one poll interval before the kill and no row at or after it is stored. Everything
 * else must be stored exactly once: lost = served - stored - in flight, extra = stored beyond
 * served (a reading stored twice under different keys).
 */
import { POLL_MS } from './topology.mjs';

const SLACK_MS = 100; // two clocks read in two processes on one machine

export async function account({ devices, finalServed, agentKills, store }) {
  const rows = [];
  for (const d of devices) {
    const kills = agentKills.filter((k) => k.gateway === d.gateway).sort((a, b) => a.exitAt - b.exitAt);
    const pieces = [
      ...kills.map((k) => ({ to: k.exitAt, kill: k, served: k.served[d.id] })),
      { to: Number.POSITIVE_INFINITY, kill: undefined, served: finalServed[d.id] },
    ];
    const per = new Map();
    let from = Number.NEGATIVE_INFINITY;
    let prev = {};
    for (const piece of pieces) {
      const counts = await store.counts(d.id, d.profile, from, piece.to);
      for (const [point, s] of Object.entries(piece.served)) {
        const r = per.get(point) ?? {
          device: d.id,
          gateway: d.gateway,
          point,
          served: 0,
          stored: 0,
          inflight: 0,
          lost: 0,
          extra: 0,
          bad: 0,
          inflightAt: [],
        };
        const served = s.served - (prev[point]?.served ?? 0);
        const c = counts.get(point) ?? { n: 0, bad: 0, maxTs: undefined };
        r.served += served;
        r.stored += c.n;
        r.bad += c.bad;
        let diff = served - c.n;
        if (piece.kill && diff >= 1 && s.lastTs !== undefined) {
          const k = piece.kill;
          const withinPoll = s.lastTs >= k.killAt - POLL_MS - SLACK_MS && s.lastTs <= k.exitAt + 2000;
          const lastStored = await store.lastTs(d.id, d.profile, point, from, piece.to);
          const notStored = lastStored === undefined || lastStored < s.lastTs;
          if (withinPoll && notStored) {
            r.inflight++;
            r.inflightAt.push({ killAt: k.killAt, servedAt: s.lastTs, msBeforeKill: k.killAt - s.lastTs });
            diff--;
          }
        }
        if (diff > 0) r.lost += diff;
        if (diff < 0) r.extra += -diff;
        per.set(point, r);
      }
      from = piece.to;
      prev = piece.served;
    }
    rows.push(...per.values());
  }
  return rows;
}

export function totals(rows) {
  const t = { points: rows.length, served: 0, stored: 0, inflight: 0, lost: 0, extra: 0, bad: 0 };
  for (const r of rows)
    for (const k of ['served', 'stored', 'inflight', 'lost', 'extra', 'bad']) t[k] += r[k];
  return t;
}

export function byDevice(rows) {
  const m = new Map();
  for (const r of rows) {
    const e = m.get(r.device) ?? {
      device: r.device,
      gateway: r.gateway,
      points: 0,
      served: 0,
      stored: 0,
      inflight: 0,
      lost: 0,
      extra: 0,
      bad: 0,
    };
    e.points++;
    for (const k of ['served', 'stored', 'inflight', 'lost', 'extra', 'bad']) e[k] += r[k];
    m.set(r.device, e);
  }
  return [...m.values()];
}

/** A plain text table: columns right-aligned except the first. */
export function table(headers, data) {
  const cells = [headers, ...data.map((r) => r.map((c) => String(c)))];
  const w = headers.map((_, i) => Math.max(...cells.map((r) => r[i].length)));
  const line = (r) => r.map((c, i) => (i === 0 ? c.padEnd(w[i]) : c.padStart(w[i]))).join('  ');
  return [line(headers), w.map((n) => '-'.repeat(n)).join('  '), ...cells.slice(1).map(line)].join('\n');
}
