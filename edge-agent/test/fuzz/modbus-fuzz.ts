/**
 * Runs the real Modbus TCP driver (createModbusDriver: ModbusLine + ModbusDriver + codec)
 * against FAKE fault-injection servers (modbus-fault-server.ts), several lines in parallel
 * so that timeouts overlap, and checks every cycle:
 * - read() never rejects; every reading has a quality; a bad one has a reason;
 * - a good (or uncertain) reading comes from a response the server sent *validly* during
 *   that cycle, with the value it sent (registers name their response; coils must match
 *   one valid answer of the cycle bit for bit);
 * afterwards, with the servers answering correctly, every driver recovers to all-good.
 */
import type { Profile } from '@ganzhi/device-profiles';
import { seededRandom } from '@ganzhi/runtime';
import { expect } from 'vitest';
import type { Driver, DriverReading } from '../../src/drivers/driver.js';
import { createModbusDriver } from '../../src/drivers/modbus/index.js';
import { context, modbusSpec } from '../helpers.js';
import { type Answer, coilBit, type FaultServer, startFaultServer } from './modbus-fault-server.js';

const COILS = 16;
export const fuzzProfile: Profile = {
  id: 'fuzz-modbus',
  version: '1.0.0',
  manufacturer: 'fuzz',
  model: 'fuzz',
  description: 'uint32 registers naming the response they came from, and 16 coils',
  source: { document: 'edge-agent frame fuzz' },
  measurement: 'fuzz',
  protocol: 'modbus',
  points: [
    ...[0, 2, 4].map((a) => ({
      name: `h${a}`,
      unit: '1',
      type: 'integer' as const,
      modbus: { table: 'holding' as const, address: a, type: 'uint32' as const },
    })),
    { name: 'i10', unit: '1', type: 'integer', modbus: { table: 'input', address: 10, type: 'uint32' } },
    ...Array.from({ length: COILS }, (_, k) => ({
      name: `c${k}`,
      unit: '1',
      type: 'boolean' as const,
      modbus: { table: 'coil' as const, address: k, type: 'bool' as const },
    })),
  ],
};

export interface ModbusFuzzResult {
  responses: number;
  lines: number;
  cycles: number;
  mutations: Record<string, number>;
  validAnswers: number;
  goodReadings: number;
  badReadings: number;
  reasons: Record<string, number>;
  recoveryCycles: number;
  ms: number;
}

const reasonClass = (r: string) =>
  r
    .replace(/\d+/g, '#')
    .replace(/\(.*\)/, '(…)')
    .slice(0, 60);

export async function runModbusFuzz(o: {
  seed: number;
  responses: number;
  /** lines (server + driver pairs) run in parallel, so that timeouts overlap; default 12 */
  lines?: number;
  /** the driver's response timeout, ms; default 25 */
  timeoutMs?: number;
}): Promise<ModbusFuzzResult> {
  const t0 = performance.now();
  const nLines = o.lines ?? 12;
  const serial = { serial: 1 };
  const servers: FaultServer[] = [];
  const res: ModbusFuzzResult = {
    responses: 0,
    lines: nLines,
    cycles: 0,
    mutations: {},
    validAnswers: 0,
    goodReadings: 0,
    badReadings: 0,
    reasons: {},
    recoveryCycles: 0,
    ms: 0,
  };
  const drivers: Driver[] = [];
  try {
    // one generator per server, so each line's sequence of answers follows from the seed
    for (let i = 0; i < nLines; i++)
      servers.push(await startFaultServer(seededRandom(o.seed + i * 7919), serial));
    const specs = servers.map((s) =>
      modbusSpec(`modbus-tcp://127.0.0.1:${s.port}`, {
        id: `fz-${s.port}`,
        profile: fuzzProfile,
        points: fuzzProfile.points,
        unitId: 1 + (s.port % 200),
        timeoutMs: o.timeoutMs ?? 25,
        retries: 0,
        backoff: { failures: 1e9, initialMs: 1, maxMs: 1 },
      }),
    );
    for (const sp of specs) drivers.push(createModbusDriver(sp, context()));
    const total = () => servers.reduce((n, s) => n + s.log.length, 0);
    const prev: Answer[][] = servers.map(() => []);
    const cycle = async (i: number): Promise<DriverReading[]> => {
      const s = servers[i] as FaultServer;
      const from = s.log.length;
      const rs = await drivers[i]!.read();
      const answers = s.log.slice(from);
      checkCycle(rs, answers, res, prev[i] as Answer[]);
      prev[i] = answers;
      res.cycles++;
      return rs;
    };
    await Promise.all(
      servers.map(async (_, i) => {
        while (total() < o.responses) await cycle(i);
      }),
    );
    res.responses = total();
    // the servers never close a connection during the fuzz: no garbled answer may pass for a
    // connection failure (that drops and reopens the line)
    expect(Object.keys(res.reasons).filter((k) => k.startsWith('connection'))).toEqual([]);
    for (const s of servers) {
      for (const a of s.log) {
        res.mutations[a.mutation] = (res.mutations[a.mutation] ?? 0) + 1;
        if (a.valid) res.validAnswers++;
      }
    }
    // the fuzz is over: correct answers from now on; each driver must get back to all-good
    // (one driver at a time, and a timeout a loaded machine does not miss: the driver reads
    // its spec's timeout per transaction)
    for (const s of servers) s.mode = 'correct';
    for (const sp of specs) sp.timeoutMs = 2000;
    for (let i = 0; i < servers.length; i++) {
      let clean = 0;
      let last: DriverReading[] = [];
      const seenInRecovery = new Set<string>();
      for (let k = 0; k < 10 && clean < 3; k++) {
        const rs = await cycle(i);
        last = rs;
        for (const r of rs) if (r.quality !== 'good') seenInRecovery.add(`${k}: ${r.reason}`);
        res.recoveryCycles++;
        clean =
          rs.length === fuzzProfile.points.length && rs.every((r) => r.quality === 'good') ? clean + 1 : 0;
      }
      const why = [
        ...new Set(last.filter((r) => r.quality !== 'good').map((r) => `${r.point}: ${r.reason}`)),
      ];
      expect(
        clean,
        `driver ${i} back to all-good on a correct server; last cycle: ${why.join('; ')}; during recovery: ${[...seenInRecovery].slice(0, 40).join('; ')}`,
      ).toBe(3);
    }
  } finally {
    await Promise.all(drivers.map((d) => d.close()));
    await Promise.all(servers.map((s) => s.close()));
  }
  res.ms = Math.round(performance.now() - t0);
  return res;
}

/** One cycle's readings against what the server answered during that cycle. */
function checkCycle(rs: DriverReading[], answers: Answer[], res: ModbusFuzzResult, before: Answer[]): void {
  expect(rs.map((r) => r.point).sort()).toEqual(fuzzProfile.points.map((p) => p.name).sort());
  const coils: DriverReading[] = [];
  for (const r of rs) {
    expect(['good', 'uncertain', 'bad']).toContain(r.quality);
    if (r.quality === 'bad') {
      res.badReadings++;
      expect(typeof r.reason === 'string' && r.reason.length > 0, JSON.stringify(r)).toBe(true);
      expect(r.value).toBeNull();
      const k = reasonClass(r.reason ?? '');
      res.reasons[k] = (res.reasons[k] ?? 0) + 1;
      continue;
    }
    res.goodReadings++;
    if (r.point.startsWith('c')) {
      coils.push(r);
      continue;
    }
    // a register value names its response: serial * 64 + address
    const v = r.value as number;
    const address = Number(r.point.slice(1));
    const table = r.point.startsWith('h') ? 'holding' : 'input';
    const serial = Math.floor(v / 64);
    expect(v % 64, `${r.point} = ${v}`).toBe(address);
    const from = answers.find((a) => a.serial === serial);
    expect(from, `${r.point} = ${v}: no answer ${serial} in this cycle`).toBeDefined();
    expect(from?.valid, `${r.point} = ${v} came from a ${from?.mutation} answer`).toBe(true);
    expect(from?.table).toBe(table);
    expect(address >= (from?.address ?? 0) && address < (from?.address ?? 0) + (from?.count ?? 0)).toBe(true);
  }
  // good coils come from one valid coil answer of the cycle that covers them, bit for bit.
  // (A cycle may hold an extra answer: a request of the previous cycle that timed out on the
  // client before the server, on the same event loop, got to read it.)
  const value = new Map(coils.map((c) => [Number(c.point.slice(1)), c.value]));
  for (const c of coils) {
    const k = Number(c.point.slice(1));
    const from = answers.filter(
      (a) =>
        a.table === 'coil' &&
        a.valid &&
        k >= a.address &&
        k < a.address + a.count &&
        [...value].every(([j, v]) => j < a.address || j >= a.address + a.count || coilBit(a.serial, j) === v),
    );
    const seen = (xs: Answer[]) =>
      xs.map((a) => `${a.serial}:${a.table}:${a.address}+${a.count}:${a.mutation}`).join(' ');
    expect(
      from.length,
      `${c.point} = ${c.value}: no valid coil answer of the cycle says so (this cycle: ${seen(answers)}; the one before: ${seen(before)}; coils ${coils.map((x) => `${x.point}=${x.value}`)})`,
    ).toBeGreaterThan(0);
  }
}
