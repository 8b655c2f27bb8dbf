#!/usr/bin/env node
/**
 * Writes dashboards/ganzhi.json — the Grafana dashboard for the contract v1 InfluxDB
 * schema — from the profiles library (device-profiles/profiles/*.yaml): one collapsed row
 * per measurement with a panel per numeric point (the first three of each profile), a table of readings
 * that were not good with their `<point>_reason`, and the ingest's completeness figures
 * (measurement `ingest_completeness`, written by cloud-ingest).
 *
 *   node deploy/grafana/generate-dashboard.mjs [profiles-dir …] && npx biome format --write deploy/grafana/dashboards
 *
 * cloud-ingest/test/hub-grafana-dashboard.test.ts checks every query against the schema.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

const here = dirname(fileURLToPath(import.meta.url));
const dirs = process.argv.length > 2 ? process.argv.slice(2) : [join(here, '../../device-profiles/profiles')];
/** numeric points charted: the first PER_PROFILE of each profile, at most MAX_POINTS per measurement */
const MAX_POINTS = 6;
const PER_PROFILE = 3;
/** Grafana's `${ds}` variable: the datasource the dashboard uses */
const DS = { type: 'influxdb', uid: '$' + '{ds}' };
const FILTER = `"district" =~ /^$district$/ AND "gateway" =~ /^$gateway$/`;
const DEVICE_FILTER = `${FILTER} AND "device" =~ /^$device$/`;

/** measurement → { profiles, points: [{ name, unit }] } (numeric points, first profile's order first) */
const measurements = new Map();
for (const dir of dirs) {
  for (const f of readdirSync(dir)
    .filter((n) => /\.ya?ml$/.test(n))
    .sort()) {
    const p = parse(readFileSync(join(dir, f), 'utf8'));
    let m = measurements.get(p.measurement);
    if (!m) {
      m = { profiles: [], points: [] };
      measurements.set(p.measurement, m);
    }
    m.profiles.push(p.id);
    let taken = 0;
    for (const pt of p.points) {
      if (taken === PER_PROFILE || m.points.length === MAX_POINTS) break;
      if ((pt.type === 'float' || pt.type === 'integer') && !m.points.some((x) => x.name === pt.name)) {
        m.points.push({ name: pt.name, unit: pt.unit });
        taken++;
      }
    }
  }
}

let nextId = 1;
const grid = { y: 0 };
function place(w, h, x = 0) {
  const pos = { h, w, x, y: grid.y };
  return pos;
}

function timeseries(title, targets, x, w, opts = {}) {
  return {
    id: nextId++,
    type: 'timeseries',
    title,
    datasource: DS,
    gridPos: place(w, 8, x),
    fieldConfig: { defaults: { unit: opts.unit ?? 'none', custom: { spanNulls: false } }, overrides: [] },
    options: { legend: { displayMode: 'list', placement: 'bottom' }, tooltip: { mode: 'multi' } },
    targets: targets.map((t, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      rawQuery: true,
      resultFormat: 'time_series',
      alias: t.alias ?? '$tag_device',
      query: t.query,
    })),
    ...(opts.description ? { description: opts.description } : {}),
  };
}

function table(title, targets, w, h, description) {
  return {
    id: nextId++,
    type: 'table',
    title,
    description,
    datasource: DS,
    gridPos: place(w, h),
    options: { showHeader: true, sortBy: [{ displayName: 'Time', desc: true }] },
    fieldConfig: { defaults: {}, overrides: [] },
    transformations: [{ id: 'merge', options: {} }],
    targets: targets.map((q, i) => ({
      refId: String.fromCharCode(65 + i),
      datasource: DS,
      rawQuery: true,
      resultFormat: 'table',
      query: q,
    })),
  };
}

function row(title, collapsed, panels = []) {
  const r = {
    id: nextId++,
    type: 'row',
    title,
    collapsed,
    gridPos: { h: 1, w: 24, x: 0, y: grid.y },
    panels,
  };
  grid.y += 1;
  return r;
}

const panels = [];

// --- completeness (ingest_completeness: cumulative per gateway, written by the ingest)
const C = '"ingest_completeness"';
panels.push(row("Completeness (from the gateways' sequence numbers)", false));
panels.push(
  timeseries(
    'Completeness ratio per gateway',
    [
      {
        query: `SELECT last("received") / (last("received") + last("missing")) FROM ${C} WHERE ${FILTER} AND $timeFilter GROUP BY time($__interval), "gateway" fill(previous)`,
        alias: '$tag_gateway',
      },
    ],
    0,
    12,
    {
      unit: 'percentunit',
      description:
        'received / (received + missing) of each gateway stream since the ingest first heard of it. Below 1: batches the gateway numbered never arrived (its buffer overflowed or aged out, or they are still in flight).',
    },
  ),
);
panels.push(
  timeseries(
    'Batches received, missing, duplicated',
    [
      {
        query: `SELECT non_negative_difference(last("received")) AS "received" FROM ${C} WHERE ${FILTER} AND $timeFilter GROUP BY time($__interval), "gateway" fill(none)`,
        alias: '$tag_gateway received',
      },
      {
        query: `SELECT last("missing") AS "missing" FROM ${C} WHERE ${FILTER} AND $timeFilter GROUP BY time($__interval), "gateway" fill(none)`,
        alias: '$tag_gateway missing',
      },
      {
        query: `SELECT non_negative_difference(last("duplicates")) AS "duplicates" FROM ${C} WHERE ${FILTER} AND $timeFilter GROUP BY time($__interval), "gateway" fill(none)`,
        alias: '$tag_gateway duplicates',
      },
    ],
    12,
    12,
    {
      description:
        'received and duplicates: per interval; missing: sequence numbers missing right now (falls when late batches arrive). Duplicates are harmless: storage is idempotent.',
    },
  ),
);
grid.y += 8;
panels.push(
  table(
    'Completeness per gateway (latest)',
    [
      `SELECT last("received") AS "received", last("missing") AS "missing", last("duplicates") AS "duplicates", last("late") AS "late", last("streams") AS "streams", last("last_seq") AS "last seq" FROM ${C} WHERE ${FILTER} AND $timeFilter GROUP BY "district", "gateway"`,
    ],
    24,
    7,
    'Cumulative figures per gateway since the ingest first heard of its stream. streams > 1: the gateway store was recreated (a wiped disk starts a new stream).',
  ),
);
grid.y += 7;

// --- readings not good, with their reasons
panels.push(row('Readings that were not good', false));
panels.push(
  table(
    'Bad and uncertain readings, with reasons (latest 50 per device)',
    [...measurements.keys()].map(
      (m) =>
        `SELECT /_reason$/ FROM "${m}" WHERE "quality" != 'good' AND ${DEVICE_FILTER} AND $timeFilter GROUP BY "device", "quality" ORDER BY time DESC LIMIT 50`,
    ),
    24,
    9,
    'Every reading that is not good carries <point>_reason (why: timeout, Modbus exception, out of range…). Its value, if any, is in the <point> field of the same series.',
  ),
);
grid.y += 9;

// --- readings per measurement (good quality only), collapsed rows
for (const [m, info] of measurements) {
  const inner = [];
  const saved = grid.y;
  grid.y += 1;
  info.points.forEach((pt, i) => {
    const x = (i % 3) * 8;
    inner.push(
      timeseries(
        `${pt.name}${pt.unit && pt.unit !== '1' ? ` [${pt.unit}]` : ''}`,
        [
          {
            query: `SELECT mean("${pt.name}") FROM "${m}" WHERE "quality" = 'good' AND ${DEVICE_FILTER} AND $timeFilter GROUP BY time($__interval), "device" fill(null)`,
          },
        ],
        x,
        8,
      ),
    );
    if (i % 3 === 2) grid.y += 8;
  });
  grid.y = saved;
  panels.push(row(`${m} (${info.profiles.join(', ')})`, true, inner));
}

const tagVar = (name, query, label) => ({
  name,
  label,
  type: 'query',
  datasource: DS,
  query,
  definition: query,
  refresh: 2,
  multi: true,
  includeAll: true,
  allValue: '.*',
  current: { selected: true, text: ['All'], value: ['$__all'] },
  sort: 1,
});

const dashboard = {
  __comment:
    'Generated by deploy/grafana/generate-dashboard.mjs from device-profiles/profiles; checked against the contract by cloud-ingest/test/hub-grafana-dashboard.test.ts.',
  id: null,
  uid: 'ganzhi-overview',
  title: 'Ganzhi — districts, readings and completeness',
  tags: ['ganzhi', 'iot'],
  timezone: 'browser',
  editable: true,
  graphTooltip: 1,
  refresh: '30s',
  time: { from: 'now-6h', to: 'now' },
  schemaVersion: 39,
  version: 1,
  templating: {
    list: [
      {
        name: 'ds',
        label: 'InfluxDB',
        type: 'datasource',
        query: 'influxdb',
        current: { selected: true, text: 'Ganzhi InfluxDB', value: 'ganzhi-influxdb' },
      },
      tagVar('district', 'SHOW TAG VALUES WITH KEY = "district"', 'District'),
      tagVar('gateway', 'SHOW TAG VALUES WITH KEY = "gateway" WHERE "district" =~ /^$district$/', 'Gateway'),
      tagVar(
        'device',
        'SHOW TAG VALUES WITH KEY = "device" WHERE "district" =~ /^$district$/ AND "gateway" =~ /^$gateway$/',
        'Device',
      ),
    ],
  },
  annotations: { list: [] },
  panels,
};

const out = join(here, 'dashboards/ganzhi.json');
writeFileSync(out, `${JSON.stringify(dashboard, null, 2)}\n`);
console.log(`wrote ${out}: ${panels.length} top-level panels, ${measurements.size} measurements`);
