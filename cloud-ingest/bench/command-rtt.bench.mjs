// Command round trip (issue 15) with the demo city's polling load running: `npm start`
// (scripts/start.mjs) in a temp data dir — broker, simulators, ingest + hub, one agent per
// gateway, each its own process, 32 devices polled every second — then N commands one after
// another: POST /api/commands (operator `demo`) → the device written (the simulator's write
// log, its receive time) → the result stored in the SQLite audit (GET /api/commands/:id
// `done`, polled every POLL_MS: that adds up to POLL_MS to the stored times).
// Each command sets a streetlight's dim_level to a new value; every command must cause exactly
// one write. Uses npm start's ports (1883, 18800…, the scenario's 15xxx): no demo may be running.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const N = Number(process.env.GZ_BENCH_COMMANDS ?? 250);
const POLL_MS = 2;
const root = resolve(import.meta.dirname, '../..');
const hub = 'http://127.0.0.1:18801';
const control = 'http://127.0.0.1:17000';
const LIGHTS = ['xc-light-001', 'xc-light-002', 'xc-light-003'];
const data = mkdtempSync(join(tmpdir(), 'ganzhi-cmd-bench-'));

const stack = spawn(process.execPath, [join(root, 'scripts/start.mjs'), '--data', data], {
  cwd: root,
  stdio: ['ignore', 'pipe', 'pipe'],
});
let out = '';
stack.stdout.on('data', (d) => {
  out += d.toString();
});
stack.stderr.on('data', (d) => {
  out += d.toString();
});
const exited = new Promise((r) => stack.once('exit', r));

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
async function until(what, f, ms = 120_000) {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f().catch(() => undefined);
    if (v) return v;
    if (Date.now() > end || stack.exitCode !== null) throw new Error(`timed out waiting for ${what}\n${out}`);
    await sleep(200);
  }
}
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};

try {
  await until('the demo city', async () => out.includes('devices up'));
  const auth = `Basic ${Buffer.from(`demo:${readFileSync(join(data, 'hub-operator.password'), 'utf8').trim()}`).toString('base64')}`;
  const writesOf = async (dev) => (await (await fetch(`${control}/api/devices/${dev}/writes`)).json()).writes;
  // the hub knows the lights' profiles (their meta) before the first command
  await until('the hub to know the streetlights', async () => {
    const r = await fetch(`${hub}/api/hub/devices?district=xicheng`);
    const ds = (await r.json()).devices.map((d) => d.device);
    return LIGHTS.every((l) => ds.includes(l));
  });
  // a few seconds of polling before measuring: the load is the steady demo
  await sleep(5000);
  const toWrite = [];
  const toStored = [];
  const lastSeq = new Map();
  for (const l of LIGHTS) lastSeq.set(l, (await writesOf(l)).at(-1)?.seq ?? 0);
  for (let i = 0; i < N; i++) {
    const device = LIGHTS[i % LIGHTS.length];
    const value = i % 101;
    const t0 = Date.now();
    const r = await fetch(`${hub}/api/commands`, {
      method: 'POST',
      headers: { authorization: auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        district: 'xicheng',
        gateway: 'xc-gw-01',
        device,
        writes: [{ point: 'dim_level', value }],
        readback: false,
      }),
    });
    if (r.status !== 202) throw new Error(`POST answered ${r.status}: ${await r.text()}`);
    const { id } = await r.json();
    let v;
    for (;;) {
      const g = await fetch(`${hub}/api/commands/${id}`, { headers: { authorization: auth } });
      if (g.status === 200) {
        v = await g.json();
        if (v.state === 'done') break;
      }
      await sleep(POLL_MS);
    }
    const tStored = Date.now();
    if (v.outcomes[0]?.outcome !== 'ok') throw new Error(`command ${id}: ${JSON.stringify(v.outcomes)}`);
    const fresh = (await writesOf(device)).filter((w) => w.seq > lastSeq.get(device));
    if (fresh.length !== 1 || fresh[0].words?.[0] !== value)
      throw new Error(`command ${id} caused ${fresh.length} writes: ${JSON.stringify(fresh)}`);
    lastSeq.set(device, fresh[0].seq);
    toWrite.push(fresh[0].ts - t0);
    toStored.push(tStored - t0);
  }
  const row = (what, xs) => `| ${what} | ${pct(xs, 50)} | ${pct(xs, 99)} | ${Math.max(...xs)} |`;
  console.log(`#### Command round trip with the demo city polling (${N} commands, one at a time)

The demo city as \`npm start\` runs it (7 agents polling 32 devices every second, ≈ 390 points/s,
each component its own process); every command sets one of the three streetlights' dim_level
through the hub API (operator \`demo\`, HTTP Basic), readback off; each caused exactly one
Modbus write (checked in the simulator's write log). "Stored" is when GET /api/commands/:id
first answered \`done\` (polled every ${POLL_MS} ms).

| from POST /api/commands to … (ms) | p50 | p99 | max |
|---|---|---|---|
${row('the device written (simulator write log)', toWrite)}
${row('the result stored in the SQLite audit', toStored)}
`);
} finally {
  stack.kill('SIGINT');
  await Promise.race([exited, sleep(30_000)]);
  rmSync(data, { recursive: true, force: true });
}
