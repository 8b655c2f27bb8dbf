// RSS of 10 000 idle MQTT connections (CONNECT + CONNACK, then nothing), for our broker
// (password auth on every connection), bare Aedes and Mosquitto 2.0. Raw sockets on the
// load side so the generator stays small.
import { writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import mqttPacket from 'mqtt-packet';
import { hashPassword } from '../dist/index.js';
import { fmt, hasBin, rssMiB, startBare, startMosquitto, startOurs, tempDir } from './support.mjs';

const N = Number(process.env.GZ_IDLE_N ?? 10_000);
const PARALLEL = 200;

const dir = tempDir();
const usersFile = join(dir, 'users.json');
writeFileSync(
  usersFile,
  JSON.stringify({ users: { ingest: { role: 'ingest', hash: await hashPassword('bench-password') } } }),
);
const configFile = join(dir, 'broker.yaml');
writeFileSync(
  configFile,
  'listeners: {}\nlimits: { maxConnections: 50000, connectsPerSecondPerIp: 1000000, connectBurstPerIp: 1000000 }\nlogLevel: warn\n',
);

function open(port, i, auth) {
  return new Promise((resolve, reject) => {
    const s = netConnect(port, '127.0.0.1', () => {
      s.write(
        mqttPacket.generate({
          cmd: 'connect',
          protocolId: 'MQTT',
          protocolVersion: 4,
          clean: true,
          clientId: `idle-${i}`,
          keepalive: 0,
          ...(auth ? { username: 'ingest', password: Buffer.from('bench-password') } : {}),
        }),
      );
    });
    s.once('data', (d) =>
      d[0] === 0x20 && d[3] === 0 ? resolve(s) : reject(new Error(`refused: ${d.toString('hex')}`)),
    );
    s.once('error', reject);
  });
}

async function idle(server, auth) {
  await new Promise((r) => setTimeout(r, 300));
  const before = rssMiB(server.pid);
  const sockets = [];
  let next = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: PARALLEL }, async () => {
      while (next < N) {
        const i = next++;
        sockets.push(await open(server.port, i, auth));
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  await new Promise((r) => setTimeout(r, 500));
  const after = rssMiB(server.pid);
  for (const s of sockets) s.destroy();
  return { before, after, perConnKiB: ((after - before) * 1024) / N, connectRate: N / secs };
}

const servers = [
  {
    name: 'ours (scrypt auth, remembered)',
    start: () => startOurs(dir, usersFile, ['--config', configFile, '--port', '0']),
    auth: true,
  },
  { name: 'bare Aedes', start: () => startBare(dir), auth: false },
];
if (hasBin('mosquitto'))
  servers.push({ name: 'Mosquitto 2.0', start: () => startMosquitto(dir), auth: false });

const rows = [];
for (const s of servers) {
  const server = await s.start();
  try {
    rows.push({ name: s.name, ...(await idle(server, s.auth)) });
  } finally {
    await server.stop();
  }
}
console.log(`#### ${fmt(N)} idle MQTT connections\n`);
console.log('| broker | RSS before MiB | RSS with connections MiB | KiB per connection | connects/s |');
console.log('|---|---|---|---|---|');
for (const r of rows) {
  console.log(
    `| ${r.name} | ${fmt(r.before, 1)} | ${fmt(r.after, 1)} | ${fmt(r.perConnKiB, 1)} | ${fmt(r.connectRate)} |`,
  );
}
const m = rows.find((r) => r.name.startsWith('Mosquitto'));
console.log(
  `\nRatios: ours / bare Aedes per connection ${fmt(rows[0].perConnKiB / rows[1].perConnKiB, 2)}${m ? `; bare Aedes / Mosquitto ${fmt(rows[1].perConnKiB / m.perConnKiB, 2)}` : ''}`,
);
