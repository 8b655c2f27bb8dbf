#!/usr/bin/env node
/**
 * Plausibility of stored data: every relation of every device's profile (derived points,
 * checks, energies that integrate power, drives that ramp) checked over a window of the
 * ingest's SQLite store (view readings_v). Exits 0 when all hold, 1 naming each violation,
 * 2 on bad arguments or when there is nothing to check.
 *
 *   node scripts/plausibility.mjs [--db data/ingest/ingest.db] [--minutes 1] [--until TIME]
 *        [--scenario simulators/scenarios/demo-city.yaml | --no-scenario] [--device ID]
 *        [--profiles-dir DIR] [--group-ms 500] [--lookback-s 120]
 *
 * The window ends at --until (ISO time or epoch ms; default the newest reading) and spans
 * --minutes; rows up to --lookback-s before it only give each point its value at the start.
 * --scenario supplies per-device changes to the relations (the demo's smaller pump);
 * by default the demo city's scenario is used when it exists. Values are checked as stored:
 * the agent reports a point only when it changed (report by exception), so a point's last
 * stored value is its value until the next one; readings of one poll (rows of a device within
 * --group-ms) form one sample. Tolerances come from each point's quantisation on the wire, its
 * deadband, and how far an input moved between the requests of one poll.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { builtinProfilesDir, ProfileRegistry } from '@ganzhi/device-profiles';
import { loadScenarioFile, RelationChecker } from '@ganzhi/simulators';
import Database from 'better-sqlite3';

const USAGE = `usage: node scripts/plausibility.mjs [--db FILE] [--minutes N] [--until TIME] [--scenario FILE | --no-scenario]
       [--device ID] [--profiles-dir DIR] [--group-ms MS] [--lookback-s S]`;

function fail(message, code = 2) {
  console.error(`plausibility: ${message}`);
  process.exit(code);
}

let args;
try {
  args = parseArgs({
    options: {
      db: { type: 'string', default: 'data/ingest/ingest.db' },
      minutes: { type: 'string', default: '1' },
      until: { type: 'string' },
      scenario: { type: 'string' },
      'no-scenario': { type: 'boolean' },
      device: { type: 'string' },
      'profiles-dir': { type: 'string' },
      'group-ms': { type: 'string', default: '500' },
      'lookback-s': { type: 'string', default: '120' },
      help: { type: 'boolean', short: 'h' },
    },
  }).values;
} catch (err) {
  fail(`${err.message}\n${USAGE}`);
}
if (args.help) {
  console.log(USAGE);
  process.exit(0);
}
const minutes = Number(args.minutes);
const groupMs = Number(args['group-ms']);
const lookbackMs = Number(args['lookback-s']) * 1000;
if (!(lookbackMs >= 0)) fail(`--lookback-s must be a number ≥ 0, got "${args['lookback-s']}"`);
if (!(minutes > 0)) fail(`--minutes must be a positive number, got "${args.minutes}"`);
if (!(groupMs >= 0)) fail(`--group-ms must be a number ≥ 0, got "${args['group-ms']}"`);
if (!existsSync(args.db)) fail(`no database at ${args.db} (start the stack with npm start, or give --db)`);

// profiles and per-device relation changes
const dirs = args['profiles-dir'] ? [resolve(args['profiles-dir'])] : [];
const { registry, problems } = ProfileRegistry.load([builtinProfilesDir, ...dirs]);
if (problems.length > 0) fail(problems.map((p) => `${p.file}: ${p.path} ${p.message}`).join('\n'));
const overrides = new Map();
const scenarioFile = args['no-scenario']
  ? undefined
  : (args.scenario ??
    (existsSync('simulators/scenarios/demo-city.yaml') ? 'simulators/scenarios/demo-city.yaml' : undefined));
if (args.scenario && !existsSync(args.scenario)) fail(`no scenario at ${args.scenario}`);
if (scenarioFile) {
  for (const d of loadScenarioFile(scenarioFile).devices) if (d.relations) overrides.set(d.id, d.relations);
}

const db = new Database(args.db, { readonly: true, fileMustExist: true });
let until;
if (args.until !== undefined) {
  until = /^\d+$/.test(args.until) ? Number(args.until) : Date.parse(args.until);
  if (!Number.isFinite(until)) fail(`--until must be an ISO time or epoch ms, got "${args.until}"`);
} else {
  until = db.prepare('SELECT max(ts) AS t FROM readings_v WHERE device IS NOT NULL').get()?.t;
  if (until == null) fail(`${args.db} holds no device readings`);
}
const from = until - minutes * 60_000;
// readings_v holds device readings only (in a file written before the views were split it also
// held the ingest's own completeness rows, device NULL: skipped here)
const rows = db
  .prepare(
    `SELECT ts, device, model, point, value, text, quality FROM readings_v
      WHERE ts > ? AND ts <= ? AND device IS NOT NULL AND model IS NOT NULL ${args.device ? 'AND device = ?' : ''}
      ORDER BY device, ts`,
  )
  .all(...(args.device ? [from - lookbackMs, until, args.device] : [from - lookbackMs, until]));
db.close();
if (!rows.some((r) => r.ts > from))
  fail(`no readings between ${new Date(from).toISOString()} and ${new Date(until).toISOString()}`);

const byDevice = new Map();
for (const r of rows) {
  if (!byDevice.has(r.device)) byDevice.set(r.device, []);
  byDevice.get(r.device).push(r);
}

const iso = (t) => new Date(t).toISOString();
let violations = 0;
let checkedDevices = 0;
const skipped = [];
for (const [device, list] of byDevice) {
  const profile = registry.get(list[0].model);
  if (!profile) {
    skipped.push(`${device}: unknown profile ${list[0].model}`);
    continue;
  }
  let checker;
  try {
    checker = new RelationChecker(profile, overrides.get(device));
  } catch (err) {
    fail(`${device} (${profile.id}): ${err.message}`);
  }
  if (checker.pure.length + checker.stateful.length + (checker.model?.checks.length ?? 0) === 0) {
    skipped.push(`${device}: ${profile.id} declares no relations`);
    continue;
  }
  checkedDevices++;
  const points = new Map(profile.points.map((p) => [p.name, p]));
  const decode = (r) => {
    const p = points.get(r.point);
    if (!p || r.quality !== 'good') return undefined;
    if (p.type === 'boolean') return r.value === 1;
    if (r.text !== null && r.text !== undefined) return r.text;
    return r.value;
  };
  // per point: the ordered (ts, value) rows, to look one ahead
  const series = new Map();
  for (const r of list) {
    if (!points.has(r.point)) continue;
    if (!series.has(r.point)) series.set(r.point, []);
    series.get(r.point).push({ ts: r.ts, v: decode(r) });
  }
  const state = new Map(); // point → { v, ts, rate }
  const samples = [];
  let i = 0;
  while (i < list.length) {
    const start = list[i].ts;
    const fresh = new Set();
    let end = start;
    for (; i < list.length && list[i].ts - start <= groupMs; i++) {
      const r = list[i];
      if (!points.has(r.point)) continue;
      const v = decode(r);
      const prev = state.get(r.point);
      if (v === undefined) {
        state.delete(r.point);
        continue;
      }
      const rate =
        prev && typeof prev.v === 'number' && typeof v === 'number' && r.ts > prev.ts
          ? Math.abs(v - prev.v) / (r.ts - prev.ts)
          : 0;
      state.set(r.point, { v, ts: r.ts, rate });
      fresh.add(r.point);
      end = r.ts;
    }
    const values = new Map();
    const slack = new Map();
    const spread = end - start;
    for (const [name, s] of state) {
      values.set(name, s.v);
      const p = points.get(name);
      let extra = 0;
      if (fresh.has(name)) {
        // read a few ms apart from the other requests of this poll
        extra += s.rate * spread;
      } else {
        // unchanged since its last row (report by exception) within its deadband; or it
        // changed in this poll but its request came just after this group: allow the step
        extra += p?.deadband ?? 0;
        const next = series.get(name)?.find((x) => x.ts > end);
        if (next && next.ts - end <= groupMs && typeof next.v === 'number' && typeof s.v === 'number') {
          extra += Math.abs(next.v - s.v);
        }
      }
      if (extra > 0) slack.set(name, extra);
    }
    // rows before the window only set the state (a point is stored when it changes, and at
    // least once a heartbeat: 60 s by default in the agent)
    if (end > from) samples.push({ ts: end, values, slack, fresh });
  }
  const found = [];
  for (const s of samples) found.push(...checker.checkSample(s));
  found.push(...checker.checkSeries(samples));
  const unchecked = checker.unchecked.map((u) => `${u.point} (${u.why})`);
  console.log(
    `${device} (${profile.id}): ${samples.length} samples, ${checker.pure.length} relations, ${checker.stateful.length} over time, ${checker.model?.checks.length ?? 0} checks${unchecked.length ? `; not checkable from stored data: ${unchecked.join(', ')}` : ''} — ${found.length === 0 ? 'ok' : `${found.length} violation(s)`}`,
  );
  for (const v of found) {
    violations++;
    console.log(
      `  VIOLATION ${device} ${iso(v.ts)} ${v.kind} ${v.point ?? ''}: ${v.message}  [${v.relation}]`,
    );
  }
}
for (const s of skipped) console.log(`skipped ${s}`);
console.log(
  `${violations === 0 ? 'plausible' : 'NOT plausible'}: ${violations} violation(s) in ${checkedDevices} device(s), ${iso(from)} – ${iso(until)}${scenarioFile ? ` (relations changed by ${scenarioFile})` : ''}`,
);
process.exit(violations === 0 ? 0 : 1);
