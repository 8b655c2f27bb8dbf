/**
 * The fault schedule (seeded, printed) and the faults themselves. Each fault is followed by
 * a wait for recovery (agents connected, ingests ready) before the next one starts, so every
 * fault is seen on its own and its effect can be attributed.
 */
import { getJson, sleep, waitFor } from './procs.mjs';
import { POLL_MS, startAgent, startBroker, startIngest } from './topology.mjs';

export const FAULT_KINDS = [
  'broker-kill',
  'broker-pause',
  'net-cut',
  'agent-kill',
  'ingest-kill',
  'store-restart',
];

export function planFaults(rnd, { durationMs, agents, ingests, influx, only }) {
  const all = [
    { kind: 'broker-kill' },
    { kind: 'broker-pause' },
    { kind: 'net-cut' },
    ...agents.map((a) => ({ kind: 'agent-kill', target: a.gateway })),
    ...ingests.map((i) => ({ kind: 'ingest-kill', target: i.name })),
    ...(influx ? [{ kind: 'store-restart', target: 'influxd' }] : []),
  ];
  const base = only ? all.filter((e) => only.includes(e.kind)) : all;
  if (base.length === 0) return [];
  const warmup = 12_000;
  const quiet = 12_000;
  const window = Math.max(durationMs - warmup - quiet, 10_000);
  const n = Math.max(base.length, Math.floor(window / 15_000));
  const events = [];
  while (events.length < n) {
    const cycle = [...base];
    for (let i = cycle.length - 1; i > 0; i--) {
      const j = Math.floor(rnd() * (i + 1));
      [cycle[i], cycle[j]] = [cycle[j], cycle[i]];
    }
    events.push(...cycle.slice(0, n - events.length));
  }
  const slot = window / n;
  return events.map((e, i) => {
    const long = e.kind === 'broker-pause' || e.kind === 'net-cut' || e.kind === 'store-restart';
    return {
      ...e,
      atMs: Math.round(warmup + i * slot + rnd() * slot * 0.4),
      downMs: Math.round(long ? 3000 + rnd() * 5000 : 1000 + rnd() * 3000),
    };
  });
}

/** Served counts (and the last served sample's time) of every point of these devices. */
export async function servedSnapshot(control, deviceIds) {
  const out = {};
  for (const id of deviceIds) {
    const d = await getJson(`${control}/api/devices/${id}`);
    out[id] = {};
    for (const [p, v] of Object.entries(d.points)) out[id][p] = { served: v.served, lastTs: v.last?.ts };
  }
  return out;
}

const total = (snap) =>
  Object.values(snap).reduce((s, pts) => s + Object.values(pts).reduce((t, v) => t + v.served, 0), 0);

/** Waits until the served counts stop moving (nobody polls these devices any more). */
export async function quietSnapshot(control, deviceIds) {
  let prev = await servedSnapshot(control, deviceIds);
  await waitFor(
    'served counts to settle',
    async () => {
      await sleep(Math.max(400, POLL_MS / 2));
      const next = await servedSnapshot(control, deviceIds);
      const same = total(next) === total(prev);
      prev = next;
      return same;
    },
    30_000,
    0,
  );
  return prev;
}

export async function waitHealthy(sys, why) {
  await waitFor(
    `recovery after ${why}`,
    async () => {
      for (const a of sys.agents) {
        const r = await getJson(`http://127.0.0.1:${a.httpPort}/api/devices`, 3000);
        if (!r.uplink?.connected) return undefined;
      }
      for (const i of sys.ingests) {
        const r = await fetch(`${i.url}/readyz`, { signal: AbortSignal.timeout(3000) });
        if (r.status !== 200) return undefined;
      }
      return true;
    },
    180_000,
    250,
  );
}

/** Batches each ingest has seen twice so far (completeness duplicates, all gateways). */
async function redelivered(sys) {
  const out = {};
  for (const i of sys.ingests) {
    try {
      out[i.name] = (await getJson(`${i.url}/api/completeness`, 5000)).total.duplicates;
    } catch {
      out[i.name] = undefined; // that ingest is down right now
    }
  }
  return out;
}

/** Runs one fault; returns its record (times in ms since the epoch). */
export async function runFault(sys, e) {
  const dupBefore = await redelivered(sys);
  const rec = { kind: e.kind, target: e.target, downMs: e.downMs, at: Date.now() };
  switch (e.kind) {
    case 'broker-kill': {
      const x = await sys.broker.proc.kill9();
      rec.exitAt = x.at;
      await sleep(e.downMs); // the outage itself: a duration, not a condition
      sys.broker.proc = await startBroker(sys.dir, sys.broker.port, sys.broker.httpPort, sys.redis?.url);
      break;
    }
    case 'broker-pause': {
      sys.broker.proc.pause();
      await sleep(e.downMs);
      sys.broker.proc.resume();
      break;
    }
    case 'net-cut': {
      sys.proxy.cut();
      await sleep(e.downMs);
      sys.proxy.heal();
      break;
    }
    case 'agent-kill': {
      const a = sys.agents.find((x) => x.gateway === e.target);
      const killAt = Date.now();
      const x = await a.proc.kill9();
      rec.killAt = killAt;
      rec.exitAt = x.at;
      rec.served = await quietSnapshot(sys.control, a.devices);
      sys.agentKills.push({ gateway: a.gateway, killAt, exitAt: x.at, served: rec.served });
      const left = e.downMs - (Date.now() - x.at);
      if (left > 0) await sleep(left);
      a.proc = await startAgent(a);
      break;
    }
    case 'ingest-kill': {
      const i = sys.ingests.find((x) => x.name === e.target);
      const x = await i.proc.kill9();
      rec.exitAt = x.at;
      await sleep(e.downMs);
      i.proc = await startIngest(i, { ready: false });
      break;
    }
    case 'store-restart': {
      await sys.influx.stop();
      rec.exitAt = Date.now();
      await sleep(e.downMs);
      await sys.influx.start();
      break;
    }
    default:
      throw new Error(`unknown fault ${e.kind}`);
  }
  rec.restoredAt = Date.now();
  await waitHealthy(sys, e.kind);
  rec.healthyAt = Date.now();
  // let redeliveries triggered by the fault arrive before counting them
  await sleep(2 * POLL_MS);
  const dupAfter = await redelivered(sys);
  rec.redelivered = Object.fromEntries(
    Object.keys(dupAfter).map((k) => [
      k,
      dupAfter[k] !== undefined && dupBefore[k] !== undefined ? dupAfter[k] - dupBefore[k] : undefined,
    ]),
  );
  return rec;
}
