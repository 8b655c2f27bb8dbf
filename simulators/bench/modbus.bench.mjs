// Modbus simulator: requests/s served and server RSS/CPU at 10, 100 and 500 devices, over
// Modbus TCP and RTU-over-TCP (and RTU on a socat pty when socat is installed), then one
// process carrying 500 Modbus devices polled at 1 Hz plus 10 000 OPC-UA variables at 1 Hz.
// The simulator runs in a child process (fresh RSS, its own CPU figure); this process is
// the load generator, a minimal raw-socket master (no library overhead in the figures).
// Each request reads 12 input registers (6 float32 points of an Eastron SDM630).
// Prints a Markdown section. Imports the built ../dist/index.js (run `npx tsc -b` first).
import { execFileSync, fork, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const WINDOW_MS = 1500;
const REQ = [4, 0, 0, 0, 12]; // read input registers 0..11

// ---------------------------------------------------------------- child: the simulator
async function child() {
  const { parseScenario, Simulation } = await import('../dist/index.js');
  const { ProfileRegistry } = await import('@ganzhi/device-profiles');
  const cfg = JSON.parse(process.argv[3]);
  const registry = ProfileRegistry.builtin();
  const opcuaProfile = {
    id: 'bench-opcua',
    version: '1.0.0',
    manufacturer: 'Ganzhi',
    model: 'bench',
    description: '20 analog values',
    source: { document: 'bench' },
    measurement: 'bench',
    protocol: 'opcua',
    opcua: { namespaceUri: 'urn:ganzhi:bench' },
    points: Array.from({ length: 20 }, (_, i) => ({
      name: `p${i + 1}`,
      unit: 'kW',
      type: 'float',
      range: { min: 0, max: 100 },
      opcua: { nodeId: `nsu=urn:ganzhi:bench;s=Bench.P${i + 1}` },
    })),
  };
  const reg = ProfileRegistry.of([...registry.list(), opcuaProfile]);
  const devices = [];
  if (cfg.tcp)
    devices.push({
      id: 'tcp',
      profile: 'eastron-sdm630',
      endpoint: { protocol: 'modbus-tcp', port: 0 },
      repeat: { count: cfg.tcp, perEndpoint: 125 },
    });
  if (cfg.rtutcp)
    devices.push({
      id: 'rtu',
      profile: 'eastron-sdm630',
      endpoint: { protocol: 'modbus-rtu-tcp', port: 0 },
      repeat: { count: cfg.rtutcp, perEndpoint: 247 },
    });
  if (cfg.pty)
    devices.push({
      id: 'pty',
      profile: 'eastron-sdm630',
      endpoint: { protocol: 'modbus-rtu', device: cfg.pty },
      repeat: { count: cfg.ptyDevices },
    });
  if (cfg.opcua)
    devices.push({
      id: 'ua',
      profile: 'bench-opcua',
      endpoint: { protocol: 'opcua', port: 0 },
      repeat: { count: cfg.opcua },
    });
  const pki = cfg.opcua ? mkdtempSync(join(tmpdir(), 'ganzhi-bench-pki-')) : undefined;
  const scenario = { devices, ...(pki ? { opcua: { pkiDir: pki, modes: ['None'], tickMs: 1000 } } : {}) };
  const { loaded, problems } = parseScenario(JSON.stringify(scenario), 'bench.json', { registry: reg });
  if (!loaded) throw new Error(JSON.stringify(problems));
  const sim = await Simulation.start({ loaded });
  const served = (prefix) => {
    let n = 0;
    for (const d of sim.devices.values()) if (d.id.startsWith(prefix)) n += d.servedTotal();
    return n;
  };
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', async (m) => {
    if (m === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      process.send({
        served: { ua: served('ua'), tcp: served('tcp'), rtu: served('rtu'), pty: served('pty') },
      });
    } else if (m === 'stats') {
      const c = process.cpuUsage(cpu0);
      const wall = performance.now() - t0;
      process.send({
        rss: process.memoryUsage().rss,
        cpu: (c.user + c.system) / 1000 / wall,
        served: { ua: served('ua'), tcp: served('tcp'), rtu: served('rtu'), pty: served('pty') },
      });
    } else if (m === 'stop') {
      await sim.stop();
      if (pki) rmSync(pki, { recursive: true, force: true });
      process.exit(0);
    }
  });
  // the parent went away (crashed, interrupted): do not linger
  process.on('disconnect', () => process.exit(0));
  process.send({ endpoints: sim.endpoints() });
}

// ---------------------------------------------------------------- parent: load generator
function startServer(cfg) {
  const child = fork(fileURLToPath(import.meta.url), ['server', JSON.stringify(cfg)], {
    stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
  });
  let failed;
  const dead = new Promise((_, reject) => {
    failed = reject;
  });
  dead.catch(() => {});
  child.once('exit', (code) => {
    if (code !== 0) failed(new Error(`simulator child exited with ${code}`));
  });
  const next = () => Promise.race([new Promise((resolve) => child.once('message', resolve)), dead]);
  return {
    ready: next(),
    ask: (m) => {
      const p = next();
      child.send(m);
      return p;
    },
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', resolve);
        child.send('stop');
      }),
  };
}

function crc16(buf) {
  let crc = 0xffff;
  for (const b of buf) {
    crc ^= b;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xa001 : crc >>> 1;
  }
  return crc;
}

function mbapFrame(tid, unit) {
  const b = Buffer.alloc(7 + REQ.length);
  b.writeUInt16BE(tid & 0xffff, 0);
  b.writeUInt16BE(REQ.length + 1, 4);
  b[6] = unit;
  Buffer.from(REQ).copy(b, 7);
  return b;
}

function rtuFrame(unit) {
  const b = Buffer.alloc(1 + REQ.length + 2);
  b[0] = unit;
  Buffer.from(REQ).copy(b, 1);
  b.writeUInt16LE(crc16(b.subarray(0, b.length - 2)), b.length - 2);
  return b;
}

const RESP = 7 + 2 + 24; // MBAP + fc + count + 24 bytes
const RTU_RESP = 1 + 2 + 24 + 2;

/** One connection keeping `window` requests in flight for `ms`; resolves the answers counted. */
function drive(port, units, framing, window, ms) {
  return new Promise((resolve, reject) => {
    const sock = connect(port, '127.0.0.1');
    sock.setNoDelay(true);
    let tid = 0;
    let done = 0;
    let buf = Buffer.alloc(0);
    const size = framing === 'tcp' ? RESP : RTU_RESP;
    const send = () => {
      const u = units[tid % units.length];
      sock.write(framing === 'tcp' ? mbapFrame(tid, u) : rtuFrame(u));
      tid++;
    };
    const end = Date.now() + ms;
    sock.on('connect', () => {
      for (let i = 0; i < window; i++) send();
    });
    sock.on('data', (c) => {
      buf = buf.length ? Buffer.concat([buf, c]) : c;
      while (buf.length >= size) {
        buf = buf.subarray(size);
        done++;
        if (Date.now() < end) send();
        else if (done === tid) {
          sock.destroy();
          resolve(done);
        }
      }
    });
    sock.on('error', reject);
  });
}

async function measure(kind, n) {
  const srv = startServer(kind === 'tcp' ? { tcp: n } : { rtutcp: n });
  const { endpoints } = await srv.ready;
  const framing = kind === 'tcp' ? 'tcp' : 'rtu';
  const unitsOf = (e) => e.devices.map((_, i) => i + 1);
  // single master, one request at a time (what one gateway does)
  await srv.ask('mark');
  const single = await drive(endpoints[0].port, unitsOf(endpoints[0]), framing, 1, WINDOW_MS);
  const s1 = await srv.ask('stats');
  // 4 connections per port × 8 requests in flight
  await srv.ask('mark');
  const jobs = endpoints.flatMap((e) =>
    Array.from({ length: 4 }, () => drive(e.port, unitsOf(e), framing, 8, WINDOW_MS)),
  );
  const piped = (await Promise.all(jobs)).reduce((a, b) => a + b, 0);
  const s2 = await srv.ask('stats');
  await srv.stop();
  return {
    kind,
    n,
    single: single / (WINDOW_MS / 1000),
    piped: piped / (WINDOW_MS / 1000),
    cpu: s2.cpu,
    rss: s2.rss,
    cpuSingle: s1.cpu,
  };
}

function hasSocat() {
  try {
    execFileSync('sh', ['-c', 'command -v socat'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

async function measurePty() {
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-bench-pty-'));
  const a = join(dir, 'ttyA');
  const b = join(dir, 'ttyB');
  const socat = spawn('socat', [`pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], { stdio: 'ignore' });
  for (let i = 0; i < 100 && !(existsSync(a) && existsSync(b)); i++)
    await new Promise((r) => setTimeout(r, 20));
  const srv = startServer({ pty: a, ptyDevices: 10 });
  await srv.ready;
  const { SerialPort } = await import('serialport');
  const port = new SerialPort({ path: b, baudRate: 115200 });
  await new Promise((r) => port.once('open', r));
  let buf = Buffer.alloc(0);
  let waiter;
  port.on('data', (c) => {
    buf = Buffer.concat([buf, c]);
    if (buf.length >= RTU_RESP && waiter) {
      buf = buf.subarray(RTU_RESP);
      const w = waiter;
      waiter = undefined;
      w();
    }
  });
  await srv.ask('mark');
  const end = Date.now() + WINDOW_MS;
  let n = 0;
  while (Date.now() < end) {
    const p = new Promise((r) => {
      waiter = r;
    });
    port.write(rtuFrame((n % 10) + 1));
    await p;
    n++;
  }
  const s = await srv.ask('stats');
  await new Promise((r) => port.close(r));
  await srv.stop();
  socat.kill();
  rmSync(dir, { recursive: true, force: true });
  return { rate: n / (WINDOW_MS / 1000), ms: WINDOW_MS / n, rss: s.rss };
}

async function scale() {
  const srv = startServer({ tcp: 500, opcua: 500 });
  const { endpoints } = await srv.ready;
  const tcp = endpoints.filter((e) => e.protocol === 'modbus-tcp');
  const m0 = await srv.ask('mark');
  // poll every Modbus device once per second, spread over the second, for 10 s
  const SECONDS = 10;
  let answered = 0;
  const conns = await Promise.all(
    tcp.map(
      (e) =>
        new Promise((resolve) => {
          const s = connect(e.port, '127.0.0.1', () => resolve({ s, e }));
          let buf = Buffer.alloc(0);
          s.on('data', (c) => {
            buf = Buffer.concat([buf, c]);
            while (buf.length >= RESP) {
              buf = buf.subarray(RESP);
              answered++;
            }
          });
        }),
    ),
  );
  let tid = 0;
  const per = 500 / 10; // 10 slices per second
  for (let slice = 0; slice < SECONDS * 10; slice++) {
    const base = (slice % 10) * per;
    for (let k = 0; k < per; k++) {
      const i = base + k;
      const c = conns[Math.floor(i / 125)];
      c.s.write(mbapFrame(tid++, (i % 125) + 1));
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await new Promise((r) => setTimeout(r, 200));
  const st = await srv.ask('stats');
  for (const c of conns) c.s.destroy();
  await srv.stop();
  return {
    modbusPerS: answered / SECONDS,
    uaPerS: (st.served.ua - m0.served.ua) / SECONDS,
    cpu: st.cpu,
    rss: st.rss,
  };
}

async function main() {
  const rows = [];
  for (const kind of ['tcp', 'rtu-over-tcp'])
    for (const n of [10, 100, 500]) rows.push(await measure(kind, n));
  const pty = hasSocat() ? await measurePty() : undefined;
  const big = await scale();
  const mb = (b) => (b / 2 ** 20).toFixed(0);
  const out = [];
  out.push('### Modbus simulator: requests/s served (12 registers = 6 float32 per request)\n');
  out.push(
    '| framing | devices | 1 master, 1 in flight (req/s) | 4 conns/port × 8 in flight (req/s) | server CPU (cores) | req/s per server core | server RSS (MB) |',
  );
  out.push('|---|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    const perCore = (r.piped / Math.max(0.01, r.cpu)).toFixed(0);
    out.push(
      `| ${r.kind} | ${r.n} | ${r.single.toFixed(0)} | ${r.piped.toFixed(0)} | ${r.cpu.toFixed(2)} | ${perCore} | ${mb(r.rss)} |`,
    );
  }
  if (pty) {
    out.push(
      `| rtu on socat pty | 10 | ${pty.rate.toFixed(0)} (${pty.ms.toFixed(2)} ms/req) | — | — | — | ${mb(pty.rss)} |`,
    );
  }
  out.push('');
  out.push(
    'The load generator shares the 2 cores; where server CPU is well under 1 core the client is the limit, so read capacity from req/s per server core.',
  );
  const t10 = rows.find((r) => r.kind === 'tcp' && r.n === 10);
  const t500 = rows.find((r) => r.kind === 'tcp' && r.n === 500);
  const r10 = rows.find((r) => r.kind === 'rtu-over-tcp' && r.n === 10);
  out.push('');
  out.push('Ratios (machine-independent):');
  const pc = (r) => r.piped / Math.max(0.01, r.cpu);
  out.push(
    `- TCP req/s per server core, 500 vs 10 devices: ${(pc(t500) / pc(t10)).toFixed(2)}×; RSS 500 vs 10: ${(t500.rss / t10.rss).toFixed(2)}×`,
  );
  out.push(`- RTU-over-TCP vs TCP req/s per server core at 10 devices: ${(pc(r10) / pc(t10)).toFixed(2)}×`);
  out.push('');
  out.push(
    '### One process: 500 Modbus TCP devices polled at 1 Hz + 10 000 OPC-UA variables (500 × 20) at 1 Hz\n',
  );
  out.push('| Modbus answers/s | OPC-UA samples/s | server CPU (cores) | server RSS (MB) |');
  out.push('|---:|---:|---:|---:|');
  out.push(
    `| ${big.modbusPerS.toFixed(0)} | ${big.uaPerS.toFixed(0)} | ${big.cpu.toFixed(2)} | ${mb(big.rss)} |`,
  );
  console.log(out.join('\n'));
}

if (process.argv[2] === 'server') await child();
else await main();
