// Backlog drain: a persistent QoS 1 session (MQTT.js, clean: false) goes offline, N messages of
// 2 KB are queued for it, then it reconnects and drains them. Our broker (auth + ACL + metrics) in
// memory mode (QueuePersistence) and in disk mode (DiskPersistence: every PUBACK after the SQLite
// commit, with synchronous=NORMAL and =FULL), bare Aedes with its default in-memory persistence,
// bare Aedes with our QueuePersistence (to isolate the persistence), and Mosquitto 2.0 without and
// with its persistence file. "fill" is the publisher's rate with 500 un-acknowledged in flight,
// i.e. what a gateway flushing its buffer sees.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../dist/index.js';
import {
  BASELINE_CLI,
  connect,
  cpuSeconds,
  fmt,
  hasBin,
  startBare,
  startMosquitto,
  startOurs,
  tempDir,
} from './support.mjs';

const N = Number(process.env.GZ_DRAIN_N ?? 100_000);
const SIZE = 2048;
const WINDOW = 500;

const dir = tempDir();
const hash = await hashPassword('bench-password');
const usersFile = join(dir, 'users.json');
writeFileSync(
  usersFile,
  JSON.stringify({
    users: {
      ingest: { role: 'ingest', hash },
      gw: { role: 'gateway', district: 'bench', gateway: 'gw', hash },
    },
  }),
);
const TOPIC = 'gz/v1/bench/gw/dev/data';

async function drain(server, auth) {
  const subOpts = {
    clientId: 'ganzhi-ingest-drainer',
    clean: false,
    ...(auth ? { username: 'ingest', password: 'bench-password' } : {}),
  };
  const sub = await connect(server.port, subOpts);
  await sub.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });
  await sub.endAsync();
  const pub = await connect(
    server.port,
    auth ? { username: 'gw', password: 'bench-password', clientId: 'gz-bench-gw' } : {},
  );
  const payload = Buffer.alloc(SIZE, 0x62);
  const tf = performance.now();
  await new Promise((resolve, reject) => {
    let sent = 0;
    let acked = 0;
    const more = () => {
      while (sent < N && sent - acked < WINDOW) {
        sent++;
        pub.publish(TOPIC, payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          acked++;
          if (acked === N) resolve();
          else more();
        });
      }
    };
    more();
  });
  const fillSecs = (performance.now() - tf) / 1000;
  if (process.env.GZ_DEBUG) console.error('filled', fillSecs);
  await pub.endAsync();
  const c0 = cpuSeconds(server.pid);
  const t0 = performance.now();
  let got = 0;
  let lastAt = performance.now();
  await new Promise((resolve, reject) => {
    connect(server.port, subOpts).then((c) => {
      // done when all arrived, or nothing more for 1 s (a broker that dropped some)
      const idle = setInterval(() => {
        if (performance.now() - lastAt > 1000) finish();
      }, 100);
      const finish = () => {
        clearInterval(idle);
        c.endAsync(true).then(resolve, resolve);
      };
      c.on('message', () => {
        lastAt = performance.now();
        if (++got === N) finish();
      });
    }, reject);
  });
  const secs = (lastAt - t0) / 1000;
  const cpu = cpuSeconds(server.pid) - c0;
  return {
    got,
    fill: N / fillSecs,
    rate: got / secs,
    secs,
    brokerCores: cpu / secs,
    cpuUsPerMsg: (cpu * 1e6) / N,
  };
}

let diskRuns = 0;
const ONLY = process.env.GZ_DRAIN_ONLY; // e.g. "disk" runs the rows whose name contains it
const baselineMem = BASELINE_CLI
  ? [
      {
        name: 'ours (baseline, QueuePersistence)',
        start: () => startOurs(dir, usersFile, [], BASELINE_CLI),
        auth: true,
      },
    ]
  : [];
const baselineDisk = BASELINE_CLI
  ? [
      {
        name: 'ours disk (baseline, sync normal)',
        start: () => startOurs(dir, usersFile, ['--data-dir', join(dir, `disk-${diskRuns++}`)], BASELINE_CLI),
        auth: true,
      },
    ]
  : [];
// a baseline build's rows run right after this build's, so load changes hit both alike
const servers = [
  { name: 'ours (QueuePersistence, auth+ACL+metrics)', start: () => startOurs(dir, usersFile), auth: true },
  ...baselineMem,
  {
    name: 'ours disk (DiskPersistence, sync normal)',
    start: () => startOurs(dir, usersFile, ['--data-dir', join(dir, `disk-${diskRuns++}`)]),
    auth: true,
  },
  ...baselineDisk,
  {
    name: 'ours disk (DiskPersistence, sync full)',
    start: () => startOurs(dir, usersFile, ['--data-dir', join(dir, `disk-${diskRuns++}`), '--sync', 'full']),
    auth: true,
  },
  { name: 'bare Aedes (default memory persistence)', start: () => startBare(dir), auth: false },
  { name: 'bare Aedes + QueuePersistence', start: () => startBare(dir, ['--queue']), auth: false },
];
if (hasBin('mosquitto')) {
  servers.push({ name: 'Mosquitto 2.0', start: () => startMosquitto(dir), auth: false });
  servers.push({
    name: 'Mosquitto 2.0 (persistence file)',
    start: () => startMosquitto(dir, { persistence: true }),
    auth: false,
  });
}

const rows = [];
for (const s of servers.filter((x) => !ONLY || ONLY.split(',').some((o) => x.name.includes(o)))) {
  const server = await s.start();
  try {
    rows.push({ name: s.name, ...(await drain(server, s.auth)) });
  } finally {
    await server.stop();
  }
}

console.log(`#### Backlog drain: ${fmt(N)} queued QoS 1 messages of ${SIZE} B, one MQTT.js subscriber\n`);
console.log(
  '| broker | fill msgs/s | delivered | drain msgs/s | drain s | broker cores | broker CPU µs/msg |',
);
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.fill)} | ${fmt(r.got)} | ${fmt(r.rate)} | ${fmt(r.secs, 2)} | ${fmt(r.brokerCores, 2)} | ${fmt(r.cpuUsPerMsg, 1)} |`,
  );
}
const by = Object.fromEntries(rows.map((r) => [r.name, r]));
const ours = by['ours (QueuePersistence, auth+ACL+metrics)'];
const disk = by['ours disk (DiskPersistence, sync normal)'];
const diskFull = by['ours disk (DiskPersistence, sync full)'];
const bare = by['bare Aedes (default memory persistence)'];
const mosq = by['Mosquitto 2.0'];
const mosqP = by['Mosquitto 2.0 (persistence file)'];
const baseMem = by['ours (baseline, QueuePersistence)'];
const baseDisk = by['ours disk (baseline, sync normal)'];
if (baseMem) console.log('\nThis build against the baseline (GZ_BENCH_BASELINE), same run:\n');
if (baseMem)
  console.log(
    `- this build / baseline, memory: fill ${fmt(ours.fill / baseMem.fill, 2)}, drain ${fmt(ours.rate / baseMem.rate, 2)}, CPU per message ${fmt(ours.cpuUsPerMsg / baseMem.cpuUsPerMsg, 2)}`,
  );
if (baseDisk && disk)
  console.log(
    `- this build / baseline, disk: fill ${fmt(disk.fill / baseDisk.fill, 2)}, drain ${fmt(disk.rate / baseDisk.rate, 2)}, CPU per message ${fmt(disk.cpuUsPerMsg / baseDisk.cpuUsPerMsg, 2)}`,
  );
if (!ours || !bare) process.exit(0);
console.log('\nRatios:\n');
if (disk) {
  console.log(
    `- ours disk / ours memory: fill ${fmt(disk.fill / ours.fill, 2)}, drain ${fmt(disk.rate / ours.rate, 2)}, ` +
      `broker CPU per message ${fmt(disk.cpuUsPerMsg / ours.cpuUsPerMsg, 2)}`,
  );
}
if (diskFull) {
  console.log(
    `- ours disk sync=full / ours memory: fill ${fmt(diskFull.fill / ours.fill, 2)}, drain ${fmt(diskFull.rate / ours.rate, 2)}`,
  );
}
if (disk && mosqP) {
  console.log(
    `- ours disk / Mosquitto with persistence: fill ${fmt(disk.fill / mosqP.fill, 2)}, drain ${fmt(disk.rate / mosqP.rate, 2)}`,
  );
}
console.log(`- ours / bare Aedes drain rate: ${fmt(ours.rate / bare.rate, 2)}`);

console.log(
  `- bare Aedes + QueuePersistence / bare Aedes: ${fmt(by['bare Aedes + QueuePersistence'].rate / bare.rate, 2)}`,
);
if (mosq)
  console.log(
    `- ours / Mosquitto drain rate: ${fmt(ours.rate / mosq.rate, 2)}; bare Aedes / Mosquitto: ${fmt(bare.rate / mosq.rate, 2)}`,
  );
