/**
 * deploy/grafana cannot drift from the InfluxDB schema silently: every InfluxQL query in
 * the dashboard (panels and variables) may name only measurements, tags and fields that
 * the contract writes — derived here by running the contract's own mapping
 * (toLineProtocol over every builtin profile, and the ingest's completenessLines) and
 * parsing the lines. Then, against a real InfluxDB 1.x, every query runs without error
 * and the main panels find the data the contract wrote.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { type DataBatch, ProfileRegistry, toLineProtocol } from '@ganzhi/device-profiles';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { type InfluxdPeer, influxdPeer, startInfluxd } from '../../test-support/influxdb.js';
import { COMPLETENESS_MEASUREMENT, completenessLines } from '../src/completeness/points.js';
import { parseLine } from '../src/line-protocol.js';
import { checkQuery, type Schema } from './hub-influxql-check.js';

const grafanaDir = fileURLToPath(new URL('../../deploy/grafana/', import.meta.url));
const dashboard = JSON.parse(readFileSync(`${grafanaDir}dashboards/ganzhi.json`, 'utf8'));
const ids = { district: 'dongcheng', gateway: 'gw-01' };
/** `${NAME}` as written in Grafana files (a placeholder, not a template string) */
const placeholder = (name: string) => '$' + '{' + name + '}';

interface Target {
  query: string;
  resultFormat?: string;
}
interface Panel {
  type: string;
  title: string;
  targets?: Target[];
  panels?: Panel[];
}

function allPanels(): Panel[] {
  const out: Panel[] = [];
  const walk = (ps: Panel[]) => {
    for (const p of ps) {
      out.push(p);
      if (p.panels) walk(p.panels);
    }
  };
  walk(dashboard.panels);
  return out;
}
const panelQueries = () =>
  allPanels().flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p, query: t.query })));
const variableQueries = (): { name: string; query: string }[] =>
  dashboard.templating.list.filter((v: { type: string }) => v.type === 'query');

/** A value of the point's type, as the gateway would send it. */
function sampleValue(type: string): number | boolean | string {
  return type === 'boolean' ? true : type === 'string' ? 'ok' : 1.5;
}

/** The lines the contract writes for one device of every builtin profile: good readings, then one bad. */
function contractLines(now: number): string[] {
  const lines: string[] = [];
  for (const p of ProfileRegistry.builtin().list()) {
    const device = `dev-${p.id}`;
    const readings: DataBatch['readings'] = [];
    for (const [k, ago] of [120_000, 60_000].entries()) {
      for (const pt of p.points) {
        const v = sampleValue(pt.type);
        readings.push({
          point: pt.name,
          value: typeof v === 'number' ? v + k : v,
          ts: now - ago,
          quality: 'good',
        });
      }
    }
    for (const pt of p.points) {
      readings.push({ point: pt.name, value: null, ts: now - 30_000, quality: 'bad', reason: 'timeout' });
    }
    const batch: DataBatch = {
      v: 1,
      ...ids,
      device,
      model: p.id,
      measurement: p.measurement,
      stream: 's1',
      seq: 0,
      sent: now,
      readings,
    };
    const res = toLineProtocol(batch, { ...ids, device });
    expect(res.rejected).toEqual([]);
    lines.push(...res.lines);
  }
  const fig = (received: number, at: number) =>
    completenessLines(
      [
        {
          ...ids,
          streams: 1,
          resets: 0,
          received,
          duplicates: 1,
          late: 0,
          missing: 2,
          gapsOpened: 2,
          lastSeq: received + 1,
          lastSeen: at,
        },
      ],
      at,
    );
  lines.push(...fig(10, now - 180_000), ...fig(40, now - 60_000));
  return lines;
}

/** measurement → tag keys and field keys, from lines the contract code wrote. */
function schemaOf(lines: string[]): Schema {
  const schema: Schema = {};
  for (const l of lines) {
    const p = parseLine(l);
    if (!p.ok) throw new Error(`${p.error}: ${l}`);
    const s = schema[p.value.measurement] ?? { tags: new Set(), fields: new Set() };
    schema[p.value.measurement] = s;
    for (const [k] of p.value.tags) s.tags.add(k);
    for (const f of p.value.fields) s.fields.add(f.key);
  }
  return schema;
}

const schema = schemaOf(contractLines(Date.now()));

describe('Grafana dashboard against the contract v1 InfluxDB schema', () => {
  it('knows the schema it checks against (the contract mapping and the completeness points)', () => {
    expect(schema.energy_meter?.tags).toEqual(new Set(['device', 'district', 'gateway', 'model', 'quality']));
    expect(schema.energy_meter?.fields.has('voltage_l1_reason')).toBe(true);
    expect(schema[COMPLETENESS_MEASUREMENT]?.tags).toEqual(new Set(['district', 'gateway']));
  });

  it('names only measurements, tags and fields the contract writes, in every panel and variable query', () => {
    const queries = [
      ...panelQueries().map((q) => ({ where: `panel "${q.panel.title}"`, query: q.query })),
      ...variableQueries().map((v) => ({ where: `variable ${v.name}`, query: v.query })),
    ];
    expect(queries.length).toBeGreaterThan(10);
    const problems = queries.flatMap((q) => checkQuery(q.query, schema).map((p) => `${q.where}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('the check catches drift: a renamed field, tag or measurement is reported', () => {
    const base = `SELECT mean("voltage_l1") FROM "energy_meter" WHERE "quality" = 'good' AND "district" =~ /^$district$/ AND $timeFilter GROUP BY time($__interval), "device"`;
    expect(checkQuery(base, schema)).toEqual([]);
    expect(checkQuery(base.replace('"voltage_l1"', '"voltage_l9"'), schema)).toEqual([
      'field "voltage_l9" is not a field of energy_meter',
    ]);
    expect(checkQuery(base.replace('"quality" =', '"qual" ='), schema)).toEqual([
      'tag "qual" is not a tag of energy_meter',
    ]);
    expect(checkQuery(base.replace('"device"', '"meter"'), schema)).toEqual([
      'tag "meter" is not a tag of energy_meter',
    ]);
    expect(checkQuery(base.replace('"energy_meter"', '"energy"'), schema)).toContain(
      'measurement "energy" is not in the schema',
    );
    expect(checkQuery(`SELECT last("gaps") FROM "ingest_completeness" WHERE $timeFilter`, schema)).toEqual([
      'field "gaps" is not a field of ingest_completeness',
    ]);
    expect(checkQuery('SELECT /_because$/ FROM "energy_meter"', schema)).toEqual([
      'field regex /_because$/ matches no field',
    ]);
    expect(checkQuery('SHOW TAG VALUES WITH KEY = "site"', schema)).toEqual([
      'tag "site" is not a tag of ' + Object.keys(schema).join(', '),
    ]);
  });

  it('charts readings of good quality only, and lists the reasons of the readings that were not', () => {
    const readings = panelQueries().filter(
      (q) => q.panel.type === 'timeseries' && !q.query.includes(COMPLETENESS_MEASUREMENT),
    );
    expect(readings.length).toBeGreaterThan(0);
    for (const q of readings) expect(q.query, q.panel.title).toContain(`"quality" = 'good'`);
    const measurementsCharted = new Set(readings.map((q) => /FROM "([^"]+)"/.exec(q.query)?.[1]));
    const measurements = Object.keys(schema).filter((m) => m !== COMPLETENESS_MEASUREMENT);
    expect(
      [...measurementsCharted].sort(),
      'a builtin profile measurement has no panel: run node deploy/grafana/generate-dashboard.mjs',
    ).toEqual(measurements.sort());
    const bad = panelQueries().filter((q) => q.panel.type === 'table' && q.query.includes('_reason'));
    expect(new Set(bad.map((q) => /FROM "([^"]+)"/.exec(q.query)?.[1]))).toEqual(new Set(measurements));
    for (const q of bad) expect(q.query).toContain(`"quality" != 'good'`);
  });

  it('is provisioned from the repo: the datasource uid and env placeholders, the dashboards folder', () => {
    const ds = parseYaml(readFileSync(`${grafanaDir}provisioning/datasources/influxdb.yaml`, 'utf8'));
    const d = ds.datasources[0];
    expect(d).toMatchObject({ type: 'influxdb', uid: 'ganzhi-influxdb', url: placeholder('INFLUX_V1_URL') });
    expect(d.jsonData.dbName).toBe(placeholder('INFLUX_DB'));
    expect(d.secureJsonData.password).toBe(placeholder('INFLUX_PASSWORD'));
    const dsVar = dashboard.templating.list.find((v: { type: string }) => v.type === 'datasource');
    expect(dsVar.current.value).toBe(d.uid);
    for (const { panel } of panelQueries())
      expect(JSON.stringify(panel.targets)).toContain(placeholder('ds'));
    const prov = parseYaml(readFileSync(`${grafanaDir}provisioning/dashboards/ganzhi.yaml`, 'utf8'));
    expect(prov.providers[0]).toMatchObject({
      type: 'file',
      options: { path: placeholder('GANZHI_GRAFANA_DASHBOARDS') },
    });
    expect(dashboard.uid).toBe('ganzhi-overview');
    expect(dashboard.id).toBeNull();
  });
});

const influx = influxdPeer();

describe.skipIf(!influx.ok)('Grafana dashboard queries on a real InfluxDB 1.x', () => {
  let db: InfluxdPeer;
  const now = Date.now();

  beforeAll(async () => {
    db = await startInfluxd();
    await db.createDatabase('ganzhi');
    const r = await fetch(`${db.url}/write?db=ganzhi&precision=ms`, {
      method: 'POST',
      body: contractLines(now).join('\n'),
    });
    expect(r.status).toBe(204);
  }, 60_000);
  afterAll(async () => {
    await db?.close();
  });

  /** What Grafana sends for "last 1 hour", all districts/gateways/devices, 1 min interval. */
  const expand = (q: string) =>
    q
      .replaceAll('$timeFilter', 'time > now() - 1h')
      .replaceAll('$__interval', '1m')
      .replace(/\$(district|gateway|device)\b/g, () => '.*');

  it('runs every panel and variable query without an error', async () => {
    const all = [...panelQueries().map((q) => q.query), ...variableQueries().map((v) => v.query)];
    const errors: string[] = [];
    for (const q of all) {
      const res = await db.query(expand(q), 'ganzhi');
      const err = res.error ?? res.results.find((x) => x.error)?.error;
      if (err) errors.push(`${err}: ${q}`);
    }
    expect(errors).toEqual([]);
  });

  it('finds the written readings, the reasons of bad ones, the completeness figures and the variable values', async () => {
    const run = async (q: string) => (await db.query(expand(q), 'ganzhi')).results[0]?.series ?? [];
    const voltage = panelQueries().find((q) => q.query.includes('mean("voltage_l1")'));
    expect(voltage).toBeDefined();
    const v = await run(voltage!.query);
    // every energy meter profile with a voltage_l1 point (Modbus SDM630, DL/T 645 three-phase)
    expect(v.map((s) => s.tags?.device)).toEqual(['dev-dlt645-three-phase-meter', 'dev-eastron-sdm630']);
    const sdm = v.find((s) => s.tags?.device === 'dev-eastron-sdm630');
    expect(sdm!.values.map((row) => row[1]).filter((x) => x !== null)).toEqual([1.5, 2.5]);

    const reasons = panelQueries().find(
      (q) => q.query.includes('/_reason$/') && q.query.includes('"energy_meter"'),
    );
    const r = (await run(reasons!.query)).filter((x) => x.tags?.device === 'dev-eastron-sdm630');
    expect(r[0]?.tags).toMatchObject({ device: 'dev-eastron-sdm630', quality: 'bad' });
    expect(r[0]?.columns).toContain('voltage_l1_reason');
    expect(r[0]?.values[0]).toContain('timeout');

    const table = panelQueries().find((q) => q.panel.title.startsWith('Completeness per gateway'));
    const c = await run(table!.query);
    expect(c[0]?.tags).toEqual({ district: 'dongcheng', gateway: 'gw-01' });
    const row = Object.fromEntries(c[0]!.columns.map((k, i) => [k, c[0]!.values[0]![i]]));
    expect(row).toMatchObject({
      received: 40,
      missing: 2,
      duplicates: 1,
      late: 0,
      streams: 1,
      'last seq': 41,
    });

    const ratio = panelQueries().find((q) => q.panel.title.startsWith('Completeness ratio'));
    const ratios = (await run(ratio!.query))[0]!.values.map((x) => x[1]).filter((x) => x !== null);
    expect(ratios.at(-1)).toBeCloseTo(40 / 42, 6);

    const districts = await run(variableQueries().find((x) => x.name === 'district')!.query);
    expect(districts[0]?.values.map((x) => x[1])).toEqual(['dongcheng']);
    const devices = await run(variableQueries().find((x) => x.name === 'device')!.query);
    expect(devices.flatMap((s) => s.values.map((x) => x[1]))).toContain('dev-pump-station-opcua');
  });
});
