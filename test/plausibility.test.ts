/**
 * scripts/plausibility.mjs against stored data: a minute of the demo city, sampled the way the
 * edge agent does it (Modbus requests of ≤ 120 registers, each stamped when it is answered,
 * a few ms apart; OPC UA and serial points sampled per tick; report by exception: a point is
 * sent only when it changed) and written through the ingest's own SQLite sink with the
 * contract's line-protocol mapper. The clean minute is plausible (exit 0); the same minute with
 * a spiked meter total and a stuck lamp-power sensor is not (exit 1), and the script names
 * exactly those devices and points.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { createSqliteSink } from '@ganzhi/cloud-ingest';
import {
  type DataBatch,
  decodePoint,
  isModbusPoint,
  registerCount,
  toLineProtocol,
  type Value,
} from '@ganzhi/device-profiles';
import { ManualClock } from '@ganzhi/runtime';
import { type FaultSpec, loadScenarioFile, SimDevice } from '@ganzhi/simulators';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/process.js';

const run = promisify(execFile);
const root = resolve(import.meta.dirname, '..');
const scenario = join(root, 'simulators/scenarios/demo-city.yaml');
const T0 = Date.UTC(2026, 5, 1, 20);

type Reading = DataBatch['readings'][number];

/** One poll of a device as the agent makes it: readings stamped per request. */
function poll(d: SimDevice, clock: ManualClock): Reading[] {
  const out: Reading[] = [];
  const profile = d.profile;
  if (profile.protocol !== 'modbus') {
    for (const p of profile.points) {
      const s = d.sample(p.name, clock.now());
      if (!s) continue;
      out.push({
        point: p.name,
        value: s.value,
        ts: clock.now(),
        quality: s.status === 'good' ? 'good' : s.status,
      });
    }
    return out;
  }
  for (const table of ['coil', 'discrete', 'input', 'holding'] as const) {
    const pts = profile.points.filter((p) => isModbusPoint(p) && p.modbus.table === table);
    if (pts.length === 0) continue;
    const addr = (p: (typeof pts)[number]) => (isModbusPoint(p) ? p.modbus.address : 0);
    const end = (p: (typeof pts)[number]) =>
      isModbusPoint(p) ? p.modbus.address + registerCount(p.modbus) : 0;
    const first = Math.min(...pts.map(addr));
    const last = Math.max(...pts.map(end));
    for (let a = first; a < last; a += 120) {
      const inChunk = pts.filter((p) => addr(p) >= a && addr(p) < a + 120);
      if (inChunk.length === 0) continue;
      const count = Math.max(...inChunk.map(end)) - a;
      clock.advance(3); // the request's round trip
      const got =
        table === 'coil' || table === 'discrete'
          ? d.readBits(table, a, count)
          : d.readRegisters(table, a, count);
      if (typeof got === 'number') continue;
      const words = got.map((x) => (typeof x === 'boolean' ? (x ? 1 : 0) : x));
      for (const p of inChunk) {
        if (!isModbusPoint(p)) continue;
        const at = p.modbus.address - a;
        const value: Value = decodePoint(
          p,
          words.slice(at, at + registerCount(p.modbus)),
          profile.modbus?.defaultOrder,
        );
        out.push({ point: p.name, value, ts: clock.now(), quality: 'good' });
      }
    }
  }
  return out;
}

/** A minute of the demo city into a new SQLite file; faults added per device id. */
async function minuteOfDemo(file: string, faults: Record<string, FaultSpec[]> = {}): Promise<void> {
  const loaded = loadScenarioFile(scenario);
  const clock = new ManualClock(T0);
  const devices = loaded.devices.map((inst) => ({
    inst,
    dev: new SimDevice({
      id: inst.id,
      profile: inst.profile,
      clock,
      seed: inst.seed,
      origin: T0,
      unitId: inst.unit,
      signals: inst.signals,
      faults: [...inst.faults, ...(faults[inst.id] ?? [])],
      ...(inst.relations ? { relations: inst.relations } : {}),
    }),
  }));
  const sink = createSqliteSink({ file });
  const last = new Map<string, Value>();
  let seq = 0;
  for (let s = 0; s < 62; s++) {
    const tick = T0 + 5_000 + s * 1000;
    const lines: string[] = [];
    for (const { inst, dev } of devices) {
      if (clock.now() < tick) clock.set(tick);
      const readings = poll(dev, clock).filter((r) => {
        const key = `${inst.id}/${r.point}`;
        if (last.has(key) && last.get(key) === r.value) return false; // report by exception
        last.set(key, r.value);
        return true;
      });
      if (readings.length === 0) continue;
      const ids = { district: inst.district ?? 'd', gateway: inst.gateway ?? 'gw', device: inst.id };
      const batch: DataBatch = {
        v: 1,
        ...ids,
        model: inst.profile.id,
        measurement: inst.profile.measurement,
        stream: 'test',
        seq: seq++,
        sent: clock.now(),
        readings,
      };
      lines.push(...toLineProtocol(batch, ids).lines);
    }
    const r = await sink.write(lines);
    expect(r.rejected).toEqual([]);
  }
  await sink.close();
}

const script = join(root, 'scripts/plausibility.mjs');
async function check(file: string): Promise<{ code: number; out: string }> {
  try {
    const { stdout } = await run(process.execPath, [script, '--db', file, '--scenario', scenario], {
      cwd: root,
    });
    return { code: 0, out: stdout };
  } catch (err) {
    const e = err as { code: number; stdout: string; stderr: string };
    return { code: e.code, out: `${e.stdout}${e.stderr}` };
  }
}

describe('scripts/plausibility.mjs over stored data', () => {
  const dir = tempDir('ganzhi-plausibility-');

  it('a clean minute of the demo city is plausible', { timeout: 120_000 }, async () => {
    const file = join(dir, 'clean.db');
    await minuteOfDemo(file);
    const { code, out } = await check(file);
    expect(out).toMatch(/^plausible: 0 violation\(s\) in 19 device\(s\)/m);
    expect(out).toMatch(
      /^dc-em-001 \(eastron-sdm630\): \d+ samples, 16 relations, 4 over time, 4 checks — ok$/m,
    );
    expect(out).toMatch(/^skipped dc-gps: gps-nmea declares no relations$/m);
    expect(code).toBe(0);
  });

  it('a spiked meter total and a stuck lamp-power sensor are named, exit 1', {
    timeout: 120_000,
  }, async () => {
    const file = join(dir, 'faulty.db');
    await minuteOfDemo(file, {
      'dc-em-002': [{ kind: 'spike', magnitude: 500, points: ['power_total'], after: 20_000, for: 10_000 }],
      'xc-light-003': [{ kind: 'stuck', value: 100, points: ['lamp_power'], after: 30_000 }],
    });
    const { code, out } = await check(file);
    expect(code).toBe(1);
    const bad = [...out.matchAll(/^ {2}VIOLATION (\S+) \S+ (\w+) (\w+):/gm)].map(
      (m) => `${m[1]} ${m[2]} ${m[3]}`,
    );
    expect(new Set(bad)).toEqual(
      new Set(['dc-em-002 relation power_total', 'xc-light-003 relation lamp_power']),
    );
    expect(out).toMatch(
      /VIOLATION dc-em-002 \S+ relation power_total: power_total is [\d.]+, its relation gives [\d.]+/,
    );
    expect(out).toMatch(/^NOT plausible: \d+ violation\(s\) in 19 device\(s\)/m);
  });
});
