// Backlog drain: a persistent QoS 1 session (MQTT.js, clean: false) goes offline, N messages of
// 2 KB are queued for it, then it reconnects and drains them. Our broker (auth + ACL + metrics +
// QueuePersistence), bare Aedes with its default in-memory persistence, bare Aedes with our
// QueuePersistence (to isolate the persistence), and Mosquitto 2.0.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { hashPassword } from '../dist/index.js';
import {
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
    clientId: 'drainer',
    clean: false,
    ...(auth ? { username: 'ingest', password: 'bench-password' } : {}),
  };
  const sub = await connect(server.port, subOpts);
  await sub.subscribeAsync('gz/v1/+/+/+/data', { qos: 1 });
  await sub.endAsync();
  const pub = await connect(server.port, auth ? { username: 'gw', password: 'bench-password' } : {});
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

const servers = [
  { name: 'ours (QueuePersistence, auth+ACL+metrics)', start: () => startOurs(dir, usersFile), auth: true },
  { name: 'bare Aedes (default memory persistence)', start: () => startBare(dir), auth: false },
  { name: 'bare Aedes + QueuePersistence', start: () => startBare(dir, ['--queue']), auth: false },
];
if (hasBin('mosquitto'))
  servers.push({ name: 'Mosquitto 2.0', start: () => startMosquitto(dir), auth: false });

const rows = [];
for (const s of servers) {
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
const ours = rows[0];
const bare = rows[1];
const mosq = rows[3];
console.log('\nRatios:\n');
console.log(`- ours / bare Aedes drain rate: ${fmt(ours.rate / bare.rate, 2)}`);
console.log(
  `- bare Aedes + QueuePersistence / bare Aedes: ${fmt(by['bare Aedes + QueuePersistence'].rate / bare.rate, 2)}`,
);
if (mosq)
  console.log(
    `- ours / Mosquitto drain rate: ${fmt(ours.rate / mosq.rate, 2)}; bare Aedes / Mosquitto: ${fmt(bare.rate / mosq.rate, 2)}`,
  );
