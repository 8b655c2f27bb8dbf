// OPC-UA simulator: value changes/s published and server RSS/CPU at 10, 100 and 500
// devices × 20 variables changing at 1 Hz (500 devices = 10 000 variables), with one
// node-opcua client subscribed to every variable. The server runs in a child process of
// its own (fresh RSS, CPU not mixed with the client's); this process is the client.
// Prints a Markdown section. Imports the built ../dist/index.js (run `npx tsc -b` first).
import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const POINTS = 20;
const NS = 'urn:ganzhi:bench';
const profile = {
  id: 'bench-opcua',
  version: '1.0.0',
  manufacturer: 'Ganzhi',
  model: 'bench',
  description: '20 analog values',
  source: { document: 'bench' },
  measurement: 'bench',
  protocol: 'opcua',
  opcua: { namespaceUri: NS },
  points: Array.from({ length: POINTS }, (_, i) => ({
    name: `p${String(i + 1).padStart(2, '0')}`,
    unit: 'kW',
    type: 'float',
    range: { min: -100, max: 100 },
    opcua: { nodeId: `nsu=${NS};s=Bench.P${String(i + 1).padStart(2, '0')}` },
  })),
};

/** the simulator core's device (default signal per point); a sine stand-in if it is missing */
const dist = await import('../dist/index.js');
const SOURCE = dist.SimDevice ? 'SimDevice (default signals)' : 'sine stand-in';
const device = (id, k) =>
  dist.SimDevice
    ? new dist.SimDevice({ id, profile, clock: dist.systemClock, seed: k + 1 })
    : {
        id,
        profile,
        sample: (point, now) => ({
          value: Math.sin(now / 1000 + Number(point.slice(1)) + k),
          status: 'good',
          sourceTs: now,
        }),
      };
const devices = (n) => Array.from({ length: n }, (_, k) => device(`dev-${String(k).padStart(3, '0')}`, k));

if (process.argv[2] === 'server') {
  // ---- child: the server under test ----
  const { startOpcuaServer } = dist;
  const n = Number(process.argv[3]);
  const pkiDir = process.argv[4];
  const server = await startOpcuaServer({
    port: 0,
    devices: devices(n),
    pkiDir,
    security: { modes: ['None'] },
  });
  let cpu0 = process.cpuUsage();
  let t0 = performance.now();
  process.on('message', async (m) => {
    if (m === 'mark') {
      cpu0 = process.cpuUsage();
      t0 = performance.now();
      process.send({ ok: true });
    } else if (m === 'stats') {
      const cpu = process.cpuUsage(cpu0);
      const ms = performance.now() - t0;
      process.send({
        cpuPct: ((cpu.user + cpu.system) / 1000 / ms) * 100,
        rssMB: process.memoryUsage().rss / 2 ** 20,
      });
    } else if (m === 'stop') {
      await server.close();
      process.exit(0);
    }
  });
  process.send({ endpointUrl: server.endpointUrl, rssMB: process.memoryUsage().rss / 2 ** 20 });
} else {
  // ---- parent: the client ----
  // node-opcua prints its notices with console.log: keep stdout for the Markdown report
  const out = console.log.bind(console);
  console.log = (...args) => console.error(...args);
  const { AttributeIds, ClientMonitoredItemGroup, OPCUACertificateManager, OPCUAClient, TimestampsToReturn } =
    await import('node-opcua');
  const { simNodeId } = dist;
  const dir = mkdtempSync(join(tmpdir(), 'ganzhi-opcua-bench-'));
  const SIZES = (process.env.BENCH_SIZES ?? '10,100,500').split(',').map(Number);
  const WARM_MS = 1000;
  const MEASURE_MS = 4000;
  const SAMPLING_MS = 500;
  const IDLE_MS = 1000;
  const SETTLE_MS = 1000;
  const DRAIN_MS = 1500;
  const ITEMS_PER_SUBSCRIPTION = 1000;
  const rows = [];
  const clientCm = new OPCUACertificateManager({
    rootFolder: join(dir, 'client'),
    disableFileWatchers: true,
  });
  try {
    for (const n of SIZES) {
      const t0 = performance.now();
      const child = fork(fileURLToPath(import.meta.url), ['server', String(n), join(dir, `pki-${n}`)], {
        stdio: ['ignore', 'ignore', 'inherit', 'ipc'],
      });
      const next = () => new Promise((resolve) => child.once('message', resolve));
      const ready = await next();
      const startS = (performance.now() - t0) / 1000;
      await new Promise((r) => setTimeout(r, SETTLE_MS)); // let start-up work (GC, cert checks) finish
      child.send('mark');
      await next();
      await new Promise((r) => setTimeout(r, IDLE_MS));
      child.send('stats');
      const idle = await next();
      const client = OPCUAClient.create({
        endpointMustExist: false,
        connectionStrategy: { maxRetry: 0 },
        clientCertificateManager: clientCm,
      });
      await client.connect(ready.endpointUrl);
      const session = await client.createSession();
      // count the changes whose source time falls in a window of whole seconds
      let changes = 0;
      let lagSum = 0;
      let winStart = Number.POSITIVE_INFINITY;
      let winEnd = Number.POSITIVE_INFINITY;
      const items = devices(n).flatMap((d) =>
        profile.points.map((p) => ({ nodeId: simNodeId(d, p.name), attributeId: AttributeIds.Value })),
      );
      // nsu= → ns= for this session
      const nsArray = await session.readNamespaceArray();
      for (const it of items) {
        const m = /^nsu=([^;]+);(.*)$/.exec(it.nodeId);
        it.nodeId = `ns=${nsArray.indexOf(m[1])};${m[2]}`;
      }
      // node-opcua servers put at most 1000 notifications in one publish response, and
      // answer a subscription's queued publish requests once per publishing interval:
      // one subscription per ITEMS_PER_SUBSCRIPTION items keeps every change flowing.
      const subs = [];
      for (let i = 0; i < items.length; i += ITEMS_PER_SUBSCRIPTION) {
        const sub = await session.createSubscription2({
          requestedPublishingInterval: 1000,
          requestedLifetimeCount: 60,
          requestedMaxKeepAliveCount: 10,
          maxNotificationsPerPublish: 0,
          publishingEnabled: true,
          priority: 1,
        });
        subs.push(sub);
        const group = await ClientMonitoredItemGroup.create(
          sub,
          items.slice(i, i + ITEMS_PER_SUBSCRIPTION),
          { samplingInterval: SAMPLING_MS, queueSize: 2, discardOldest: true },
          TimestampsToReturn.Both,
        );
        group.on('changed', (_item, dv) => {
          const ts = dv.sourceTimestamp?.getTime() ?? 0;
          if (ts < winStart || ts >= winEnd) return;
          changes++;
          lagSum += Date.now() - ts;
        });
      }
      winStart = Math.ceil((Date.now() + WARM_MS) / 1000) * 1000;
      winEnd = winStart + MEASURE_MS;
      await new Promise((r) => setTimeout(r, winStart - Date.now()));
      child.send('mark');
      await next();
      const clientCpu0 = process.cpuUsage();
      await new Promise((r) => setTimeout(r, winEnd - Date.now()));
      const clientCpu = process.cpuUsage(clientCpu0);
      const clientPct = ((clientCpu.user + clientCpu.system) / 1000 / MEASURE_MS) * 100;
      child.send('stats');
      const stats = await next();
      await new Promise((r) => setTimeout(r, DRAIN_MS)); // late notifications of the window
      const got = changes;
      const lag = got ? lagSum / got : Number.NaN;
      for (const sub of subs) await sub.terminate();
      await session.close();
      await client.disconnect();
      child.send('stop');
      await new Promise((r) => child.once('exit', r));
      const vars = n * POINTS;
      const perS = got / (MEASURE_MS / 1000);
      rows.push({
        n,
        vars,
        startS,
        rss0: idle.rssMB,
        cpuIdle: idle.cpuPct,
        ...stats,
        perS,
        ratio: perS / vars,
        lag,
        clientPct,
      });
    }
  } finally {
    await clientCm.dispose();
    rmSync(dir, { recursive: true, force: true });
  }
  const f = (x, d = 0) => x.toFixed(d);
  out('## OPC-UA simulator: value changes published\n');
  out(
    `${POINTS} variables per device (${SOURCE}) changing at 1 Hz; one client session subscribed to all (sampling ${SAMPLING_MS} ms, publishing 1000 ms, queue 2, ${ITEMS_PER_SUBSCRIPTION} items per subscription), changes counted by source time over ${MEASURE_MS / 1000} whole seconds (late arrivals waited for ${DRAIN_MS / 1000} s); CPU over the same seconds. Server in its own process; the no-client columns are measured before the client connects.\n`,
  );
  out(
    '| devices | variables | start s | changes/s delivered | delivered / expected | mean source→client lag ms | server CPU % | server RSS MB | server CPU % no client | server RSS MB no client | client CPU % |',
  );
  out('|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of rows) {
    out(
      `| ${r.n} | ${r.vars} | ${f(r.startS, 1)} | ${f(r.perS)} | ${f(r.ratio, 3)} | ${f(r.lag)} | ${f(r.cpuPct, 1)} | ${f(r.rssMB)} | ${f(r.cpuIdle, 1)} | ${f(r.rss0)} | ${f(r.clientPct, 1)} |`,
    );
  }
  const a = rows[0];
  const b = rows[rows.length - 1];
  const per1k = (x) => f(x / (b.vars / 1000), 2);
  out(
    `\nRatios (${b.vars} vs ${a.vars} variables): server RSS ${f((b.rss0 - a.rss0) / ((b.vars - a.vars) / 1000), 1)} MB per 1000 variables without a client, ${f((b.rssMB - a.rssMB) / ((b.vars - a.vars) / 1000), 1)} MB with every variable subscribed; server CPU ${per1k(b.cpuIdle)} % of a core per 1000 variables changing at 1 Hz without a client, ${per1k(b.cpuPct)} % with the subscription; delivered / expected ${f(b.ratio, 3)}.`,
  );
}
