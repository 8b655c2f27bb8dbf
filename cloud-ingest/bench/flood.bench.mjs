// One gateway floods the ingest with names (issue 13 finding 4, as the attack was reported):
// 100 000 device ids, 20 000 retained meta topics and 5 000 `model` values, published by one
// MQTT.js client under one gateway's prefix to the broker CLI, drained by the ingest CLI
// (SQLite, default limits), three times with new names; reported per build: the ingest's RSS before and after each (and its peak),
// the series the gateway made in SQLite, the size of the hub's device list, the refusals.
// With BENCH_BASELINE_DIST=<an older cloud-ingest/dist> the older CLI gets the same flood.
// FLOOD_DEVICES / FLOOD_METAS / FLOOD_MODELS change the sizes.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { deviceTopic, encodeDataBatch, encodeDeviceMeta } from '@ganzhi/device-profiles';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { freePort, rssMiB, spawnLogged, tempDir, waitFor } from '../../test-support/procs.mjs';

const ROOT = new URL('../..', import.meta.url).pathname;
const DEVICES = Number(process.env.FLOOD_DEVICES ?? 100_000);
const METAS = Number(process.env.FLOOD_METAS ?? 20_000);
const MODELS = Number(process.env.FLOOD_MODELS ?? 5_000);
const T0 = Date.now() - 3_600_000;

async function broker(dir) {
  const port = await freePort();
  const httpPort = await freePort();
  const file = join(dir, 'broker.json');
  writeFileSync(
    file,
    JSON.stringify({
      listeners: { tcp: { port } },
      http: { port: httpPort },
      allowAnonymous: true,
      logLevel: 'warn',
      limits: { maxQueuedPerClient: 1_000_000 },
    }),
  );
  const p = spawnLogged(process.execPath, [join(ROOT, 'broker/dist/cli.js'), '--config', file], {
    dir,
    cwd: ROOT,
  });
  await waitFor(
    'broker',
    async () => (await fetch(`http://127.0.0.1:${httpPort}/healthz`).catch(() => undefined))?.ok || undefined,
    20_000,
    100,
  );
  return { p, url: `mqtt://127.0.0.1:${port}` };
}

async function ingest(dir, cli, brokerUrl) {
  const httpPort = await freePort();
  const cfg = {
    mqtt: { url: brokerUrl, clientId: 'ganzhi-ingest-flood' },
    store: { type: 'sqlite', file: join(dir, 'ingest.db') },
    log: { dir: join(dir, 'log') },
    deadLetterFile: join(dir, 'dead-letters.jsonl'),
    completeness: { file: join(dir, 'completeness.json'), writeEveryMs: 0 },
    http: { port: httpPort },
    logLevel: 'warn',
  };
  writeFileSync(join(dir, 'ingest.json'), JSON.stringify(cfg));
  const p = spawnLogged(
    process.execPath,
    ['--max-semi-space-size=32', cli, '--config', join(dir, 'ingest.json')],
    {
      dir,
      cwd: ROOT,
      name: 'ingest',
    },
  );
  const base = `http://127.0.0.1:${httpPort}`;
  await waitFor(
    'ingest',
    async () => (await fetch(`${base}/readyz`).catch(() => undefined))?.ok || undefined,
    30_000,
    100,
  );
  return { p, base, db: cfg.store.file };
}

const metric = async (base, name) => {
  const text = await (await fetch(`${base}/metrics`)).text();
  let sum = 0;
  for (const l of text.split('\n'))
    if (l.startsWith(`${name} `) || l.startsWith(`${name}{`)) sum += Number(l.slice(l.lastIndexOf(' ') + 1));
  return sum;
};

async function flood(url, round, sizes = { devices: DEVICES, metas: METAS, models: MODELS, retain: true }) {
  const c = mqtt.connect(url, { clientId: 'gw-evil', protocolVersion: 4 });
  await new Promise((r) => c.once('connect', r));
  const batch = (device, seq, model = 'eastron-sdm630') => ({
    v: 1,
    district: 'north',
    gateway: 'gw-evil',
    device,
    model,
    measurement: 'energy_meter',
    stream: 'flood',
    seq,
    sent: T0,
    readings: [{ point: 'voltage_l1', value: 230, ts: T0 + seq, quality: 'good' }],
  });
  const jobs = [];
  let seq = round * 1_000_000;
  for (let d = 0; d < sizes.devices; d++) {
    const b = batch(`d${round}-${d}`, seq++);
    jobs.push([deviceTopic('north', 'gw-evil', b.device, 'data'), encodeDataBatch(b), false]);
  }
  for (let m = 0; m < sizes.metas; m++)
    jobs.push([
      deviceTopic('north', 'gw-evil', `m${round}-${m}`, 'meta'),
      encodeDeviceMeta({
        v: 1,
        profile: 'eastron-sdm630',
        profileVersion: '1.0.0',
        model: 'SDM630',
        manufacturer: 'Eastron',
        measurement: 'energy_meter',
        points: [{ name: 'voltage_l1', type: 'float', unit: 'V', access: 'read' }],
      }),
      sizes.retain,
    ]);
  for (let i = 0; i < sizes.models; i++) {
    const b = batch('d0-0', seq++, `x-model-${round}-${i}`);
    jobs.push([deviceTopic('north', 'gw-evil', 'd0-0', 'data'), encodeDataBatch(b), false]);
  }
  const t0 = performance.now();
  for (let i = 0; i < jobs.length; i += 1000)
    await Promise.all(
      jobs.slice(i, i + 1000).map(([t, p, retain]) => c.publishAsync(t, p, { qos: 1, retain })),
    );
  const secs = (performance.now() - t0) / 1000;
  await c.endAsync();
  return { sent: jobs.length, secs };
}

async function runBuild(label, cli) {
  const dir = tempDir(`ganzhi-flood-${label}-`);
  mkdirSync(dir, { recursive: true });
  const b = await broker(dir);
  const ing = await ingest(dir, cli, b.url);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const before = rssMiB(ing.p.pid);
    let peak = before;
    const sampler = setInterval(() => {
      try {
        peak = Math.max(peak, rssMiB(ing.p.pid));
      } catch {}
    }, 200);
    const rss = [];
    let sent = 0;
    for (const round of [0, 1, 2]) {
      sent += (await flood(b.url, round)).sent;
      await waitFor(
        'drained',
        async () =>
          ((await metric(ing.base, 'ganzhi_ingest_messages_total')) >= sent &&
            (await metric(ing.base, 'ganzhi_ingest_log_records')) === 0) ||
          undefined,
        900_000,
        500,
      );
      await new Promise((r) => setTimeout(r, 3000));
      rss.push(rssMiB(ing.p.pid));
    }
    clearInterval(sampler);
    peak = Math.max(peak, ...rss);
    const hub = await (await fetch(`${ing.base}/api/hub/devices?district=north&gateway=gw-evil`)).text();
    const devices = JSON.parse(hub).devices.length;
    const db = new Database(ing.db, { readonly: true });
    const series = db.prepare("SELECT COUNT(*) AS n FROM series WHERE gateway = 'gw-evil'").get().n;
    const models = db
      .prepare("SELECT COUNT(DISTINCT model) AS n FROM series WHERE gateway = 'gw-evil'")
      .get().n;
    db.close();
    let limitLines = 0;
    try {
      limitLines = readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8')
        .split('\n')
        .filter((l) => l.includes('"kind":"limit"')).length;
    } catch {}
    return {
      label,
      sent,
      before,
      rss,
      peak,
      series,
      models,
      devices,
      hubBytes: Buffer.byteLength(hub),
      limitLines,
    };
  } finally {
    await ing.p.stop();
    await b.p.stop();
  }
}

/**
 * The same flood (smaller, metas not retained so the broker keeps nothing) into an ingest in
 * a child process of its own (null sink, bare Aedes in that process too): heap in use after a
 * full GC, after each of three floods with new names — what the names keep alive in the ingest.
 */
async function heapRounds(label, dist) {
  const { Aedes } = await import('aedes');
  const { createServer } = await import('node:net');
  const pino = (await import('pino')).default;
  const lib = await import(pathToFileURL(resolve(dist, 'index.js')).href);
  const aedes = await Aedes.createBroker();
  const server = createServer(aedes.handle);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const url = `mqtt://127.0.0.1:${server.address().port}`;
  const dir = tempDir(`ganzhi-flood-heap-${label}-`);
  const cfg = lib.parseConfig(
    JSON.stringify({
      mqtt: { url, clientId: 'ganzhi-ingest-heap' },
      store: { type: 'null' },
      log: { dir: join(dir, 'log') },
      deadLetterFile: join(dir, 'dl.jsonl'),
      completeness: { file: join(dir, 'c.json'), writeEveryMs: 0 },
      http: { port: 0 },
      logLevel: 'warn',
    }),
    join(dir, 'ingest.json'),
    {},
  );
  const ing = await lib.startIngest(cfg, { logger: pino({ level: 'silent' }) });
  await waitFor('connected', () => ing.receiver.connected || undefined, 20_000, 50);
  await new Promise((r) => setTimeout(r, 300));
  const heap = () => {
    globalThis.gc?.();
    globalThis.gc?.();
    return process.memoryUsage().heapUsed / 2 ** 20;
  };
  const out = [heap()];
  let sent = 0;
  for (const round of [0, 1, 2]) {
    sent += (
      await flood(url, round + 10, {
        devices: DEVICES / 2,
        metas: METAS / 2,
        models: MODELS / 2,
        retain: false,
      })
    ).sent;
    await waitFor(
      'drained',
      () => (ing.metrics.messages.get() >= sent && ing.writer.depth === 0) || undefined,
      900_000,
      200,
    );
    await new Promise((r) => setTimeout(r, 500));
    out.push(heap());
  }
  await ing.close();
  await new Promise((r) => aedes.close(r));
  await new Promise((r) => server.close(r));
  return { label, heap: out, sent };
}

if (process.argv[2] === '--heap') {
  // the child: one build's heap rounds, as JSON on stdout
  console.log(JSON.stringify(await heapRounds(process.argv[3], process.argv[4])));
  process.exit(0);
}

function heapInChild(label, dist) {
  const r = spawnSync(
    process.execPath,
    ['--expose-gc', new URL(import.meta.url).pathname, '--heap', label, dist],
    {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      timeout: 1_800_000,
    },
  );
  if (r.status !== 0) throw new Error(`heap rounds of ${label} failed (${r.status})`);
  return JSON.parse(r.stdout.trim().split('\n').pop());
}

const rows = [];
if (process.env.BENCH_BASELINE_DIST)
  rows.push(await runBuild('baseline', resolve(process.env.BENCH_BASELINE_DIST, 'cli.js')));
rows.push(await runBuild('this-build', join(ROOT, 'cloud-ingest/dist/cli.js')));
const f = (n) => Math.round(n).toLocaleString('en');
console.log(`### cloud-ingest: one gateway floods the ingest with names

One MQTT.js client publishes under \`gz/v1/north/gw-evil/…\` to the broker CLI (memory mode): ${f(DEVICES)} data batches for as many device ids, ${f(METAS)} retained metas of new devices, ${f(MODELS)} batches on one device with as many invented \`model\` values (QoS 1, 1000 in flight). The ingest CLI (SQLite, default limits) drains them; then twice more with new names. RSS from /proc/<pid>/status 3 s after the log is empty, after each flood (peak sampled every 200 ms). RSS keeps what the heap once took, so the second table counts what stays alive.

| build | messages | ingest RSS before → after flood 1 → 2 → 3 (peak), MiB | series of gw-evil in SQLite | distinct model tags | hub devices of gw-evil (list bytes) | \`limit\` dead letters |
|---|---:|---|---:|---:|---:|---:|
${rows.map((r) => `| ${r.label} | ${f(r.sent)} | ${r.before.toFixed(0)} → ${r.rss.map((x) => x.toFixed(0)).join(' → ')} (${r.peak.toFixed(0)}) | ${f(r.series)} | ${f(r.models)} | ${f(r.devices)} (${f(r.hubBytes)}) | ${f(r.limitLines)} |`).join('\n')}`);
const heaps = [];
if (process.env.BENCH_BASELINE_DIST) heaps.push(heapInChild('baseline', process.env.BENCH_BASELINE_DIST));
heaps.push(heapInChild('this-build', join(ROOT, 'cloud-ingest/dist')));
console.log(`
In a child process per build (the ingest with a null sink and a bare Aedes broker, metas not retained, half the sizes: ${f(heaps[0]?.sent / 3)} messages a flood), heap in use after a full GC:

| build | heap MiB: before → after flood 1 → 2 → 3 |
|---|---|
${heaps.map((h) => `| ${h.label} | ${h.heap.map((x) => x.toFixed(0)).join(' → ')} |`).join('\n')}`);
