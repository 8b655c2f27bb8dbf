/**
 * `npm start` as a newcomer runs it: the whole stack with the demo city comes up, readings
 * from every protocol and both districts land in the SQLite file, and one SIGINT stops
 * everything with exit code 0. The data directory is a temp dir (`-- --data DIR`), so the
 * repository's ./data is not touched.
 */
import { execFileSync, spawn } from 'node:child_process';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../test-support/process.js';

const root = resolve(import.meta.dirname, '..');
const data = tempDir('ganzhi-start-');

describe('npm start', () => {
  const proc = spawn('npm', ['start', '--', '--data', data], {
    cwd: root,
    env: { ...process.env, GANZHI_HTTP_BASE: '18900' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  /**
   * SIGINT to the stack's main process (scripts/start.mjs), as Ctrl-C delivers it. (Ctrl-C in a
   * terminal also reaches npm itself, which then reports the interrupt as status 130 after
   * the stack has stopped; here npm only sees its script exit, so its code is the stack's.)
   */
  const interrupt = () => {
    if (proc.exitCode !== null)
      throw new Error(`npm start had already exited (${proc.exitCode}):\n${out.slice(-3000)}`);
    const pid = execFileSync('pgrep', ['-f', `^node scripts/start.mjs --data ${data}`], {
      encoding: 'utf8',
    }).trim();
    process.kill(Number(pid.split('\n')[0]), 'SIGINT');
  };
  let out = '';
  proc.stdout.on('data', (d: Buffer) => {
    out += d.toString();
  });
  proc.stderr.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  afterAll(async () => {
    if (proc.exitCode === null) {
      interrupt();
      await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
    }
  });

  it('brings up the demo city and stores readings from every protocol and district', {
    timeout: 180_000,
  }, async () => {
    const deadline = Date.now() + 150_000;
    const file = join(data, 'ingest', 'ingest.db');
    const protocols = {
      'Modbus TCP': ['air-quality-rs485', 'eastron-sdm630', 'streetlight-controller'],
      'Modbus RTU over TCP': ['eastron-sdm120', 'flow-meter'],
      'serial (raw TCP)': ['weather-ascii', 'gps-nmea'],
      'OPC UA': ['pump-station-opcua'],
    };
    let rows: { district: string; model: string; n: number }[] = [];
    for (;;) {
      if (proc.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      if (Date.now() > deadline)
        throw new Error(`no data from every protocol in time; got ${JSON.stringify(rows)}\n${out}`);
      await new Promise((r) => setTimeout(r, 2000));
      if (!/devices up \d+\/\d+/.test(out)) continue;
      try {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        rows = db
          .prepare(
            "SELECT district, model, COUNT(*) AS n FROM readings_v WHERE quality = 'good' AND model IS NOT NULL GROUP BY district, model",
          )
          .all() as typeof rows;
        db.close();
      } catch {
        continue;
      }
      const models = new Set(rows.map((r) => r.model));
      const districts = new Set(rows.map((r) => r.district));
      if (Object.values(protocols).every((ms) => ms.every((m) => models.has(m))) && districts.size === 2)
        break;
    }
    expect(new Set(rows.map((r) => r.district))).toEqual(new Set(['dongcheng', 'xicheng']));
    expect(out).toMatch(/WARNING: the demo broker allows ANONYMOUS clients, on 127\.0\.0\.1 only/);
    expect(out).toMatch(/hub page +http:\/\/127\.0\.0\.1:18901\/hub/);
  });

  it('stops cleanly on one Ctrl-C (SIGINT) with exit code 0', { timeout: 90_000 }, async () => {
    interrupt();
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
    ]);
    expect(code, out.slice(-2000)).toBe(0);
    expect(out).toMatch(/stopped\. Data kept in/);
  });
});
