/**
 * The README, run as a newcomer would. In a temp copy of the repository (its entries linked,
 * with its own data/), `npm start` brings up the demo city; readings from every protocol and
 * both districts must land in the SQLite file; then every shell command in the README's
 * ```sh blocks runs and its output is checked; then one SIGINT stops the stack with exit 0.
 *
 * A command in the README that has no check below fails this test: the README cannot grow a
 * command nobody runs. The ports are the README's (npm start's defaults), so a developer's own
 * `npm start` must not be running at the same time.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { peer } from '../test-support/peers.js';
import { tempDir } from '../test-support/process.js';

const root = resolve(import.meta.dirname, '..');
const sqlite3 = peer('sqlite3', 'sqlite3');
const curl = peer('curl', 'curl');

/** The README's ```sh commands, one per line (continuations joined, comments dropped). */
function readmeCommands(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/```sh\n([\s\S]*?)```/g)) {
    const body = (m[1] ?? '').replace(/\\\n\s*/g, ' ');
    for (const line of body.split('\n')) {
      const cmd = line.replace(/\s+#.*$/, '').trim();
      if (cmd && !cmd.startsWith('#')) out.push(cmd);
    }
  }
  return out;
}

interface Check {
  /** why the command is not run here, for the few that cannot run inside the test suite */
  elsewhere?: string;
  /** long-running: started, checked once it prints this, then stopped with SIGTERM */
  untilOutput?: RegExp;
  /** with untilOutput: left running for the commands after it (a server the next lines use),
   *  stopped with SIGTERM once every command has run */
  background?: boolean;
  /** …after which it must print this (its clean-stop line) */
  stoppedOutput?: RegExp;
  /** exit code expected (default 0) */
  exit?: number;
  /** output must match all of these */
  output?: RegExp[];
}

const CHECKS: [RegExp, Check][] = [
  [
    /^npm install && npm start$/,
    { elsewhere: 'npm install is CI’s first step; npm start is the stack this test runs' },
  ],
  [/^npm test$/, { elsewhere: 'this test is part of npm test' }],
  [
    /^npm run chaos$/,
    { elsewhere: 'its 2-minute version is test/chaos.test.ts (10 minutes is too long here)' },
  ],
  [
    /^npm run bench -- fuzz-(payloads|frames)$/,
    {
      elsewhere:
        'their CI-sized versions are cloud-ingest/test/fuzz-payloads.test.ts and edge-agent/test/fuzz-frames.test.ts; the 100 000 runs take 4–5 minutes each',
    },
  ],
  [
    /^npm run check$/,
    {
      elsewhere:
        'its typecheck and lint run below as npm run typecheck / npm run lint; its tests are this suite',
    },
  ],
  [
    /^sqlite3 data\/ingest\/ingest\.db "SELECT c\.id, c\.issuer, /,
    {
      output: [
        /^[0-9a-f-]{36}\|anonymous\|dim_level\|60\|\[60\]\|ok\|60$/m,
        /\|anonymous\|lamp_on\|true\|true\|ok\|true$/m,
      ],
    },
  ],
  [
    /^sqlite3 data\/ingest\/ingest\.db "SELECT s\.desired_version, p\.issuer, s\.status, /,
    {
      // version 1 pushed by npm start, 2 the poll interval, 3 refused by the gateway's validator
      output: [
        /^1\|anonymous\|applied\|1\|$/m,
        /^2\|anonymous\|applied\|2\|$/m,
        /^3\|anonymous\|rejected\|2\|config has 1 problem$/m,
      ],
    },
  ],
  [
    /^sqlite3 data\/ingest\/ingest\.db /,
    { output: [/^\d{4}-\d\d-\d\dT[\d:.]+Z\|dc-em-00\d\|[a-z0-9_]+\|-?[\d.]+(e[+-]?\d+)?\|good$/m] },
  ],
  [
    /^GANZHI_HUB_PASSWORD=\$\(cat data\/hub-operator\.password\) npx ganzhi-command send .* --device xc-light-001 lamp_on=true dim_level=60 --wait 30s$/,
    {
      output: [
        /^command [0-9a-f-]{36} sent, expires /m,
        /^lamp_on\s+ok\s+requested=true readback=true$/m,
        /^dim_level\s+ok\s+requested=60 readback=60$/m,
      ],
    },
  ],
  [
    /^GANZHI_HUB_PASSWORD=\$\(cat data\/hub-operator\.password\) npx ganzhi-fleet push --hub http:\/\/127\.0\.0\.1:18801 --user demo --gateway xicheng\/xc-gw-01 --set defaults\.pollIntervalMs=2000 --wait 60s$/,
    { output: [/^xicheng\/xc-gw-01\s+pushed\s+v2$/m, /^xicheng\/xc-gw-01\s+applied\s+v2$/m] },
  ],
  [
    /^GANZHI_HUB_PASSWORD=\$\(cat data\/hub-operator\.password\) npx ganzhi-fleet push --hub http:\/\/127\.0\.0\.1:18801 --user demo --gateway xicheng\/xc-gw-01 --set defaults\.pollIntervalMs=5 --wait 60s$/,
    {
      exit: 1,
      output: [
        /^xicheng\/xc-gw-01\s+rejected\s+v3 "config has 1 problem"$/m,
        /^ {2}defaults\.pollIntervalMs: expected a value >= 10, got 5$/m,
      ],
    },
  ],
  [
    /^GANZHI_HUB_PASSWORD=\$\(cat data\/hub-operator\.password\) npx ganzhi-fleet status --hub http:\/\/127\.0\.0\.1:18801 --user demo$/,
    {
      output: [
        ...['dc-gw-01', 'dc-gw-02', 'dc-gw-03', 'dc-gw-04'].map(
          (g) => new RegExp(`^dongcheng/${g}\\s+\\w+\\s+applied\\s+desired=v1 applied=v1$`, 'm'),
        ),
        /^xicheng\/xc-gw-01\s+online\s+rejected\s+desired=v3 applied=v2 reason="config has 1 problem"$/m,
        /^xicheng\/xc-gw-02\s+\w+\s+applied\s+desired=v1 applied=v1$/m,
        /^xicheng\/xc-gw-03\s+\w+\s+applied\s+desired=v1 applied=v1$/m,
      ],
    },
  ],
  [
    /api\/completeness\?district=xicheng/,
    {
      output: [
        /"gateway":"xc-gw-01"[^}]*"resets":0/,
        /"gateway":"xc-gw-01"[^}]*"missing":0/,
        /"gateway":"xc-gw-01"[^}]*"gapsOpened":0/,
      ],
    },
  ],
  [/api\/series\?measurement=energy_meter/, { output: [/"device":"dc-em-001"/, /"values":\[\[\d{13},\d/] }],
  [/api\/completeness\?district=dongcheng/, { output: [/"gateway":"dc-gw-01"/, /"missing":0/] }],
  [/^npx ganzhi-profiles list$/, { output: [/eastron-sdm630/, /gps-nmea/, /pump-station-opcua/] }],
  [/^npx ganzhi-profiles show eastron-sdm630$/, { output: [/voltage_l1/, /Eastron/] }],
  [/^npx ganzhi-profiles validate /, { output: [/1 profiles? valid/] }],
  [
    /^npx ganzhi-agent validate --config edge-agent\/config\.sample\.yaml$/,
    {
      exit: 1,
      output: [
        /config\.sample\.yaml:\d+:\d+ devices\[4\]\.opcua\.identity\.password: environment variable PUMP3_OPCUA_PASSWORD is not set/,
        /config\.sample\.yaml:\d+:\d+ devices\[10\]\.hj212\.password: environment variable AQ_STATION_PW is not set/,
        /config\.sample\.yaml:\d+:\d+ delivery\.mqtt\.password: environment variable GANZHI_MQTT_PASSWORD is not set/,
        /3 problem\(s\)/,
      ],
    },
  ],
  [/^npx ganzhi-agent probe modbus .* --table input --range 0:6$/, { output: [/float32/i, /ABCD/, /CDAB/] }],
  [/^npx ganzhi-agent probe modbus .* --profile eastron-sdm630$/, { output: [/voltage_l1/] }],
  [
    /^curl -s http:\/\/127\.0\.0\.1:18810\/metrics$/,
    { output: [/^ganzhi_agent_uplink_connected 1$/m, /ganzhi_agent_points_read_total\{device="dc-/] },
  ],
  [
    /^npx ganzhi-sim modbus --profile eastron-sdm630 --port 15502 --unit 1 --control-port 17002$/,
    { untilOutput: /^ready 1 devices$/m, stoppedOutput: /^stopped$/m, background: true },
  ],
  [
    /^mbpoll -m tcp -a 1 -r 1 -c 4 -t 3:float -B -1 -p 15502 127\.0\.0\.1$/,
    // phase voltages of the simulated meter (225–235 V by default), decoded as big-endian floats
    { output: [/^\[1\]:\s+2[23]\d(\.\d+)?$/m, /^\[3\]:\s+2[23]\d(\.\d+)?$/m] },
  ],
  [
    /^curl -s http:\/\/127\.0\.0\.1:17002\/api\/devices\/eastron-sdm630$/,
    { output: [/"id":"eastron-sdm630"/, /"voltage_l1":\{"value":/, /"served":[1-9]/] },
  ],
  [/^npx ganzhi-broker user add dc-gw-01 /, { output: [/dc-gw-01/] }],
  [/^npx ganzhi-broker user list /, { output: [/dc-gw-01/, /gateway/, /dongcheng/] }],
  [/^npm run bench -- codec$/, { output: [/\|/] }],
  [
    /^npx ganzhi-agent probe dlt645 dlt645-tcp:\/\/127\.0\.0\.1:15050 --address 110101000001 --di 02010100$/,
    {
      output: [
        /^TX FE FE FE FE 68 01 00 00 01 01 11 68 11 04 33 34 34 35 [0-9A-F]{2} 16$/m,
        /^ {3}= 2[23]\d(\.\d)? V/m,
      ],
    },
  ],
  [
    /^npx ganzhi-agent probe cjt188 cjt188-tcp:\/\/127\.0\.0\.1:15051 --address 78330011223344$/,
    { output: [/meter 78330011223344, type 16 \(cold water meter\)/, /current accumulated flow +[\d.]+ m3/] },
  ],
];

function checkFor(cmd: string): Check | undefined {
  return CHECKS.find(([re]) => re.test(cmd))?.[1];
}

const readme = readFileSync(join(root, 'README.md'), 'utf8');
const commands = readmeCommands(readme);
const copy = tempDir('ganzhi-readme-');
let stack: ChildProcess | undefined;
let out = '';
let exited: Promise<number | null> = Promise.resolve(null);

function interrupt(): void {
  const pid = execFileSync('pgrep', ['-f', '^node scripts/start.mjs$'], { encoding: 'utf8', cwd: copy })
    .trim()
    .split('\n')
    .map(Number)
    .find((p) => {
      try {
        return readFileSync(`/proc/${p}/environ`, 'utf8').includes(`GANZHI_README_COPY=${copy}`);
      } catch {
        return false;
      }
    });
  if (!pid) throw new Error(`the stack's main process is gone:\n${out.slice(-3000)}`);
  process.kill(pid, 'SIGINT');
}

beforeAll(() => {
  // a temp copy: every top-level entry linked, except data/ (the copy gets its own)
  for (const e of readdirSync(root))
    if (e !== 'data' && e !== '.git') symlinkSync(join(root, e), join(copy, e));
  writeFileSync(join(copy, 'dc-gw-01.pw'), 'a long random gateway password\n', { mode: 0o600 });
  stack = spawn('npm', ['start'], {
    cwd: copy,
    env: { ...process.env, GANZHI_README_COPY: copy, GANZHI_BENCH_OUT: join(copy, 'bench-out.md') },
    stdio: ['ignore', 'pipe', 'pipe'],
    // its own process group, so teardown can always reach npm, its shell and the stack
    detached: true,
  });
  const s = stack;
  s.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  s.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  exited = new Promise((r) => s.once('exit', (code) => r(code)));
});

afterAll(async () => {
  if (stack && stack.exitCode === null) {
    try {
      interrupt();
    } catch {
      // the stack's main process is not up (yet): SIGTERM the whole npm group; start.mjs,
      // if it is starting, stops its components in order on SIGTERM
      process.kill(-(stack.pid as number), 'SIGTERM');
    }
    await Promise.race([exited, new Promise((r) => setTimeout(r, 30_000))]);
  }
});

describe('the README, from npm start to query', () => {
  it('has a check for every shell command it shows', () => {
    expect(commands.length).toBeGreaterThan(10);
    expect(commands.filter((c) => !checkFor(c))).toEqual([]);
  });

  it('npm start brings up the demo city: readings from every protocol and both districts in SQLite', {
    timeout: 180_000,
  }, async () => {
    const deadline = Date.now() + 170_000;
    const file = join(copy, 'data', 'ingest', 'ingest.db');
    const protocols = {
      'Modbus TCP': ['air-quality-rs485', 'eastron-sdm630', 'streetlight-controller'],
      'Modbus RTU over TCP': ['eastron-sdm120', 'flow-meter'],
      'serial (raw TCP)': ['weather-ascii', 'gps-nmea'],
      'OPC UA': ['pump-station-opcua'],
      'DL/T 645 (raw TCP)': ['dlt645-single-phase-meter', 'dlt645-three-phase-meter'],
      'CJ/T 188 (raw TCP)': ['cjt188-water-meter'],
      'HJ 212 (logger connects in)': ['hj212-air-quality-station'],
    };
    let rows: { district: string; model: string }[] = [];
    for (;;) {
      if (stack?.exitCode !== null) throw new Error(`npm start exited early:\n${out}`);
      if (Date.now() > deadline)
        throw new Error(`not every protocol stored in time: ${JSON.stringify(rows)}\n${out}`);
      await new Promise((r) => setTimeout(r, 2000));
      if (!/devices up \d+\/\d+/.test(out)) continue;
      try {
        const db = new Database(file, { readonly: true, fileMustExist: true });
        rows = db
          .prepare(
            "SELECT DISTINCT district, model FROM readings_v WHERE quality = 'good' AND model IS NOT NULL",
          )
          .all() as typeof rows;
        db.close();
      } catch {
        continue;
      }
      const models = new Set(rows.map((r) => r.model));
      if (
        Object.values(protocols).every((ms) => ms.every((m) => models.has(m))) &&
        new Set(rows.map((r) => r.district)).size === 2
      )
        break;
    }
    expect(new Set(rows.map((r) => r.district))).toEqual(new Set(['dongcheng', 'xicheng']));
    expect(out).toMatch(/WARNING: the demo broker allows ANONYMOUS clients, on 127\.0\.0\.1 only/);
    expect(out).toMatch(/hub page +http:\/\/127\.0\.0\.1:18801\/hub/);
    // the demo city under fleet management: every generated config pushed as desired version 1
    expect(out).toMatch(
      /fleet +7 gateways under fleet management \(7 pushed as desired version 1 by operator demo\)/,
    );
    // the README's fleet view of the hub page
    expect(readme).toContain('http://127.0.0.1:18801/hub#fleet');
    const page = await (await fetch('http://127.0.0.1:18801/hub')).text();
    expect(page).toContain('id="fleet"');
  });

  it.skipIf(!sqlite3.ok || !curl.ok)(
    'every README command runs and says what the README promises',
    { timeout: 240_000 },
    async () => {
      const failures: string[] = [];
      const background: {
        cmd: string;
        check: Check;
        proc: ChildProcess;
        done: Promise<unknown>;
        text: () => string;
      }[] = [];
      for (const cmd of commands) {
        const check = checkFor(cmd);
        if (!check || check.elsewhere) continue;
        const proc = spawn('bash', ['-c', cmd], {
          cwd: copy,
          // benchmark results go to the copy, not to the repository's BENCHMARKS.md
          env: { ...process.env, GANZHI_BENCH_OUT: join(copy, 'bench-out.md') },
          stdio: ['ignore', 'pipe', 'pipe'],
          detached: true,
        });
        let text = '';
        proc.stdout?.on('data', (d: Buffer) => {
          text += d.toString();
        });
        proc.stderr?.on('data', (d: Buffer) => {
          text += d.toString();
        });
        const done = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
        if (check.untilOutput) {
          const end = Date.now() + 30_000;
          while (!check.untilOutput.test(text) && Date.now() < end && proc.exitCode === null) {
            await new Promise((r) => setTimeout(r, 100));
          }
          const up = check.untilOutput.test(text);
          if (check.background && up) {
            // the next commands use it; stopped after the last one
            background.push({ cmd, check, proc, done, text: () => text });
            continue;
          }
          // SIGTERM to the command's process group (bash, npx and the program), as a service manager does
          process.kill(-(proc.pid as number), 'SIGTERM');
          await done;
          if (!up || !(check.stoppedOutput?.test(text) ?? true)) {
            failures.push(`${cmd}\n  → did not start and stop cleanly:\n${text.slice(-800)}`);
          }
          continue;
        }
        const code = await Promise.race([
          done,
          new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 60_000)),
        ]);
        if (code === 'timeout') {
          process.kill(-(proc.pid as number), 'SIGKILL');
          failures.push(`${cmd}\n  → still running after 60 s`);
          continue;
        }
        const bad = (check.output ?? []).filter((re) => !re.test(text));
        if (code !== (check.exit ?? 0) || bad.length > 0) {
          failures.push(
            `${cmd}\n  → exit ${code} (want ${check.exit ?? 0}); missing ${bad.join(', ')}\n${text.slice(0, 1500)}`,
          );
        }
      }
      for (const b of background) {
        process.kill(-(b.proc.pid as number), 'SIGTERM');
        await b.done;
        if (!(b.check.stoppedOutput?.test(b.text()) ?? true)) {
          failures.push(`${b.cmd}\n  → did not stop cleanly:\n${b.text().slice(-800)}`);
        }
      }
      expect(failures).toEqual([]);
      // npm run check = typecheck + lint + this suite: its first two parts run here
      execFileSync('npm', ['run', 'typecheck'], { cwd: root, stdio: 'pipe' });
      execFileSync('npm', ['run', 'lint'], { cwd: root, stdio: 'pipe' });
    },
  );

  it('one Ctrl-C (SIGINT) stops the stack in order with exit code 0, keeping the data', {
    timeout: 90_000,
  }, async () => {
    interrupt();
    const code = await Promise.race([
      exited,
      new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), 80_000)),
    ]);
    expect(code, out.slice(-2000)).toBe(0);
    expect(out).toMatch(/stopped\. Data kept in data\//);
  });
});
