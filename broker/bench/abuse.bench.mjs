// Fuzz and abuse run (issue 13): the broker as an operator runs it (users with real scrypt
// hashes, TLS + WebSocket + loopback TCP listeners, sessions on disk) under every attack of the
// issue at once, from other local addresses (127.0.0.x), while a legitimate gateway and ingest
// keep making QoS 1 round trips from 127.0.0.1:
//   fuzz        mutated MQTT packets (bit flips, truncation, length bytes, splices, random bytes)
//   churn       TCP connections opened and dropped as fast as they go
//   tls-silent  TLS sockets that never send a ClientHello
//   ws-big      WebSocket frames announcing 10 MiB
//   passwords   150 concurrent wrong-password logins, again and again
//   cardinality one gateway's password: new device ids and retained topics, as fast as it can
//   stolen-ids  one gateway's password with the ingest's and another gateway's client ids
// Then, separately, "first login under a password flood": how long a legitimate first login
// (nothing remembered) waits while 150 wrong passwords are in flight, for this build and, with
// GZ_BENCH_BASELINE=<old broker dist>, for that build side by side.
// GZ_ABUSE_MS (default 20000) sets the attack duration.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { connect as netConnect } from 'node:net';
import { join } from 'node:path';
import { seededRandom } from '@ganzhi/runtime';
import { MqttClient } from 'mqtt';
import mqttPacket from 'mqtt-packet';
import { procMeter, rssMiB, sleep, spawnLogged, waitFor } from '../../test-support/procs.mjs';
import { hashPassword } from '../dist/index.js';
import { BASELINE_CLI, CLI, fmt, tempDir } from './support.mjs';

const ATTACK_MS = Number(process.env.GZ_ABUSE_MS ?? 20_000);
const dir = tempDir();
const PW = 'abuse-bench-password';

// --- the broker as deployed ----------------------------------------------------------------
execFileSync(
  'openssl',
  [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-keyout',
    join(dir, 'key.pem'),
    '-out',
    join(dir, 'cert.pem'),
    '-days',
    '1',
    '-subj',
    '/CN=localhost',
  ],
  { stdio: 'ignore' },
);
const hash = await hashPassword(PW); // real cost: scrypt N=16384
const users = {
  'gw-good': { role: 'gateway', district: 'north', gateway: 'gw-good', hash },
  'gw-evil': { role: 'gateway', district: 'south', gateway: 'gw-evil', hash },
  ingest: { role: 'ingest', hash },
};
for (let i = 0; i < 20; i++) users[`fresh-${i}`] = { role: 'viewer', districts: ['north'], hash };
writeFileSync(join(dir, 'users.json'), JSON.stringify({ users }));

function startBroker(cli, name) {
  const conf = join(dir, `${name}.json`);
  writeFileSync(
    conf,
    JSON.stringify({
      listeners: {
        tcp: { port: 0, host: '127.0.0.1' },
        tls: { port: 0, host: '127.0.0.1', cert: join(dir, 'cert.pem'), key: join(dir, 'key.pem') },
        ws: { port: 0, host: '127.0.0.1' },
      },
      http: { port: 0 },
      users: join(dir, 'users.json'),
      persistence: { dataDir: join(dir, `${name}-data`) },
      logLevel: 'warn',
    }),
  );
  const proc = spawnLogged(process.execPath, [cli, '--config', conf], { dir, name });
  return waitFor(
    `${name} ready`,
    () => {
      const log = proc.log();
      const tcp = /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      const tls = /mqtts:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      const ws = /ws:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      const http = /http:\/\/127\.0\.0\.1:(\d+)/.exec(log)?.[1];
      if (!proc.running()) throw Object.assign(new Error(log.slice(-500)), { fatal: true });
      return tcp && tls && ws && http ? { proc, tcp: +tcp, tls: +tls, ws: +ws, http: +http } : undefined;
    },
    30_000,
  );
}

/** An MQTT.js client from a chosen local address; resolves with it or with the CONNACK code. */
function client(port, opts, localAddress = '127.0.0.1') {
  return new Promise((resolve) => {
    const c = new MqttClient(() => netConnect({ port, host: '127.0.0.1', localAddress }), {
      protocolVersion: 4,
      reconnectPeriod: 0,
      connectTimeout: 60_000,
      ...opts,
    });
    c.on('error', () => {});
    c.once('connect', () => resolve({ c, code: 0 }));
    c.once('error', (err) => resolve({ c, code: err.code ?? -1 }));
    c.once('close', () => resolve({ c, code: -2 }));
  });
}

const stop = { now: false };
const counts = {
  fuzzPackets: 0,
  fuzzConnections: 0,
  churn: 0,
  tlsSilent: 0,
  wsBig: 0,
  passwordTries: 0,
  cardinality: 0,
  stolen: 0,
  stolenAccepted: 0,
};

// --- attacks -------------------------------------------------------------------------------
const r = seededRandom(0x0ab05e);
function fuzzPacket() {
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const kinds = [
    () => ({
      cmd: 'connect',
      protocolId: 'MQTT',
      protocolVersion: 4,
      clean: r() < 0.5,
      clientId: `fz${Math.floor(r() * 1e6)}`,
      keepalive: 30,
    }),
    () => ({
      cmd: 'publish',
      topic: pick(['gz/v1/north/gw-good/d/data', '$SYS/x', 'a/+/b', '#']),
      payload: randomBytes(Math.floor(r() * 300)),
      qos: pick([0, 1, 2]),
      messageId: 1 + Math.floor(r() * 65535),
      retain: r() < 0.3,
      dup: false,
    }),
    () => ({
      cmd: 'subscribe',
      messageId: 1 + Math.floor(r() * 65535),
      subscriptions: [{ topic: pick(['#', 'gz/v1/#', '$SYS/#', 'a+']), qos: pick([0, 1, 2]) }],
    }),
    () => ({ cmd: 'pingreq' }),
  ];
  const buf = Buffer.from(mqttPacket.generate(pick(kinds)()));
  switch (Math.floor(r() * 5)) {
    case 0:
      for (let i = 0; i < 3; i++) buf[Math.floor(r() * buf.length)] ^= 1 << Math.floor(r() * 8);
      return buf;
    case 1:
      return buf.subarray(0, Math.floor(r() * buf.length));
    case 2:
      buf[1] = 0xff;
      return Buffer.concat([buf.subarray(0, 2), Buffer.from([0xff, 0xff, 0x7f]), buf.subarray(2)]);
    case 3:
      return Buffer.concat([buf, randomBytes(Math.floor(r() * 64))]);
    default:
      return randomBytes(1 + Math.floor(r() * 128));
  }
}

async function fuzz(port) {
  while (!stop.now) {
    await new Promise((resolve) => {
      const s = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.2' }, () => {
        counts.fuzzConnections++;
        s.write(
          mqttPacket.generate({
            cmd: 'connect',
            protocolId: 'MQTT',
            protocolVersion: 4,
            clean: true,
            clientId: '',
            keepalive: 30,
          }),
        );
        for (let i = 0; i < 20; i++) {
          s.write(fuzzPacket());
          counts.fuzzPackets++;
        }
        setTimeout(() => s.destroy(), 20);
      });
      s.on('error', () => {});
      s.on('close', resolve);
    });
  }
}

async function churn(port) {
  while (!stop.now) {
    await new Promise((resolve) => {
      const s = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.3' }, () => {
        counts.churn++;
        s.destroy();
      });
      s.on('error', () => {});
      s.on('close', resolve);
    });
  }
}

const silent = [];
async function tlsSilent(port) {
  while (!stop.now) {
    if (silent.filter((s) => !s.destroyed).length < 300) {
      const s = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.4' });
      s.on('error', () => {});
      silent.push(s);
      counts.tlsSilent++;
    }
    await sleep(5);
  }
}

async function wsBig(port) {
  while (!stop.now) {
    await new Promise((resolve) => {
      const s = netConnect({ port, host: '127.0.0.1', localAddress: '127.0.0.5' }, () => {
        s.write(
          `GET /mqtt HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: ${randomBytes(16).toString('base64')}\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: mqtt\r\n\r\n`,
        );
        s.once('data', () => {
          const h = Buffer.alloc(14);
          h[0] = 0x82;
          h[1] = 0x80 | 127;
          h.writeBigUInt64BE(10n * 1024n * 1024n, 2);
          s.write(h);
          s.write(randomBytes(64 * 1024));
          counts.wsBig++;
        });
      });
      s.on('error', () => {});
      s.on('close', resolve);
      setTimeout(() => s.destroy(), 2000);
    });
  }
}

async function passwords(port, local = '127.0.0.6') {
  while (!stop.now) {
    const tries = Array.from({ length: 150 }, (_, i) =>
      client(
        port,
        { username: 'ingest', password: `wrong-${i}-${Math.random()}`, clientId: `ingest.${i}` },
        local,
      ).then(({ c }) => {
        counts.passwordTries++;
        c.end(true);
      }),
    );
    await Promise.all(tries);
  }
}

async function cardinality(port) {
  const { c, code } = await client(
    port,
    { username: 'gw-evil', password: PW, clientId: 'gz-south-gw-evil' },
    '127.0.0.7',
  );
  if (code !== 0) return;
  let i = 0;
  while (!stop.now && c.connected) {
    const batch = [];
    for (let k = 0; k < 200; k++, i++) {
      batch.push(c.publishAsync(`gz/v1/south/gw-evil/dev-${i}/data`, '{"v":1}', { qos: 1 }).catch(() => {}));
      batch.push(
        c
          .publishAsync(`gz/v1/south/gw-evil/dev-${i}/meta`, `{"model":"m${i}"}`, { qos: 1, retain: true })
          .catch(() => {}),
      );
      counts.cardinality += 2;
    }
    await Promise.all(batch);
  }
  c.end(true);
}

async function stolenIds(port) {
  while (!stop.now) {
    for (const clientId of ['ganzhi-ingest-1', 'gz-north-gw-good']) {
      const { c, code } = await client(
        port,
        { username: 'gw-evil', password: PW, clientId, clean: clientId !== 'ganzhi-ingest-1' },
        '127.0.0.8',
      );
      counts.stolen++;
      if (code === 0) counts.stolenAccepted++;
      c.end(true);
    }
    await sleep(50);
  }
}

// --- the legitimate traffic ------------------------------------------------------------------
async function legit(port) {
  const { c: ing } = await client(port, {
    username: 'ingest',
    password: PW,
    clientId: 'ganzhi-ingest-1',
    clean: false,
  });
  const { c: gw } = await client(port, { username: 'gw-good', password: PW, clientId: 'gz-north-gw-good' });
  await ing.subscribeAsync('gz/v1/north/+/+/data', { qos: 1 });
  const waiting = new Map();
  ing.on('message', (_t, payload) => {
    const w = waiting.get(payload.toString());
    if (w) w();
  });
  const res = { ok: 0, failed: 0, rtts: [] };
  let n = 0;
  while (!stop.now) {
    const id = `rt-${n++}`;
    const t0 = performance.now();
    const arrived = new Promise((resolve) => waiting.set(id, resolve));
    const ok = await Promise.race([
      gw
        .publishAsync('gz/v1/north/gw-good/meter/data', id, { qos: 1 })
        .then(() => arrived)
        .then(() => true),
      sleep(10_000).then(() => false),
    ]).catch(() => false);
    waiting.delete(id);
    if (ok) {
      res.ok++;
      res.rtts.push(performance.now() - t0);
    } else res.failed++;
    await sleep(50);
  }
  gw.end(true);
  ing.end(true);
  return res;
}

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function metrics(httpPort) {
  const text = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
  const get = (name) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(`${name} `))
        ?.split(' ')[1] ?? Number.NaN,
    );
  return { text, get };
}

// --- run 1: everything at once ---------------------------------------------------------------
const b = await startBroker(CLI, 'abuse');
const meter = procMeter(b.proc.pid);
meter.start();
const rssBefore = rssMiB(b.proc.pid);
/** RSS every 5 s of the attack: bounded means it levels off */
const rssTimeline = [];
let lastSample = performance.now();
const ticker = setInterval(() => {
  meter.tick();
  if (performance.now() - lastSample >= 5000) {
    lastSample = performance.now();
    rssTimeline.push(rssMiB(b.proc.pid));
  }
}, 200);
const legitRun = legit(b.tcp);
await sleep(500);
const attacks = [
  fuzz(b.tcp),
  churn(b.tcp),
  tlsSilent(b.tls),
  wsBig(b.ws),
  passwords(b.tcp),
  cardinality(b.tcp),
  stolenIds(b.tcp),
];
await sleep(ATTACK_MS);
stop.now = true;
await Promise.all(attacks);
const legitRes = await legitRun;
for (const s of silent) s.destroy();
await sleep(2000);
meter.tick();
clearInterval(ticker);
const m = await metrics(b.http);
const alive = b.proc.running();
const run1 = meter.result();
const log = b.proc.log();
const securityLines = log.split('\n').filter((l) => l.includes('"security"')).length;
await b.proc.stop();

// --- run 2: a first login under a password flood, this build and the baseline ------------------
async function loginUnderFlood(cli, name) {
  const br = await startBroker(cli, name);
  const quiet = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    const { c, code } = await client(br.tcp, {
      username: `fresh-${i}`,
      password: PW,
      clientId: `fresh-${i}`,
    });
    quiet.push({ ms: performance.now() - t0, code });
    c.end(true);
  }
  stop.now = false;
  const flood = passwords(br.tcp, '127.0.0.9');
  await sleep(1500);
  const loaded = [];
  for (let i = 5; i < 20; i++) {
    const t0 = performance.now();
    const { c, code } = await client(br.tcp, {
      username: `fresh-${i}`,
      password: PW,
      clientId: `fresh-${i}`,
    });
    loaded.push({ ms: performance.now() - t0, code });
    c.end(true);
    await sleep(200);
  }
  stop.now = true;
  await flood;
  await br.proc.stop();
  return { quiet, loaded };
}
const logins = [{ name: 'this build', ...(await loginUnderFlood(CLI, 'login-now')) }];
if (BASELINE_CLI) logins.push({ name: 'baseline', ...(await loginUnderFlood(BASELINE_CLI, 'login-base')) });

// --- report ----------------------------------------------------------------------------------
console.log(`#### Broker fuzz and abuse run (${ATTACK_MS / 1000} s, all attacks at once)\n`);
console.log(
  'Broker: `ganzhi-broker --config` with TLS + WebSocket + loopback TCP, real scrypt users, sessions on disk, default limits. Attackers on 127.0.0.2–8, the legitimate gateway and ingest on 127.0.0.1.\n',
);
console.log('| attack | volume |');
console.log('|---|---|');
console.log(
  `| fuzz: mutated packets / connections | ${fmt(counts.fuzzPackets)} / ${fmt(counts.fuzzConnections)} |`,
);
console.log(`| TCP connect-and-drop churn | ${fmt(counts.churn)} connections |`);
console.log(`| silent TLS sockets opened (≤300 held at once) | ${fmt(counts.tlsSilent)} |`);
console.log(`| WebSocket frames announcing 10 MiB | ${fmt(counts.wsBig)} |`);
console.log(`| wrong-password logins (150 at a time) | ${fmt(counts.passwordTries)} |`);
console.log(`| one gateway: data + retained meta for new device ids | ${fmt(counts.cardinality)} messages |`);
console.log(
  `| stolen client ids (ingest's, another gateway's) | ${fmt(counts.stolen)} tries, ${counts.stolenAccepted} accepted |`,
);
console.log('\n| outcome | value |');
console.log('|---|---|');
console.log(`| broker crashed | ${alive ? 'no (0 crashes)' : '**YES**'} |`);
console.log(
  `| broker RSS before / peak / after (MiB) | ${fmt(rssBefore, 0)} / ${fmt(run1.peakRssMiB, 0)} / ${fmt(run1.rssMiB, 0)} |`,
);
console.log(`| broker RSS every 5 s of the attack (MiB) | ${rssTimeline.map((x) => fmt(x, 0)).join(', ')} |`);
console.log(`| broker CPU during the run | ${fmt(run1.cpuPct, 0)} % of a core |`);
console.log(`| legitimate QoS 1 round trips OK / failed | ${fmt(legitRes.ok)} / ${legitRes.failed} |`);
console.log(
  `| legitimate round trip p50 / p99 / max (ms) | ${fmt(pct(legitRes.rtts, 50), 1)} / ${fmt(pct(legitRes.rtts, 99), 1)} / ${fmt(Math.max(...legitRes.rtts), 1)} |`,
);
console.log(
  `| devices held for the attacking gateway / dropped | ${fmt(m.get('gz_broker_gateways_at_limit{limit="devices"}'))} gateway at limit / ${fmt(m.get('gz_broker_gateway_limit_dropped_total{limit="devices"}'))} messages |`,
);
console.log(`| retained messages held (all) | ${fmt(m.get('gz_broker_retained_messages'))} |`);
console.log(
  `| sockets refused: per address / max connections | ${fmt(m.get('gz_broker_connections_rejected_total{reason="per_ip"}'))} / ${fmt(m.get('gz_broker_connections_rejected_total{reason="max_connections"}'))} |`,
);
console.log(
  `| CONNECTs refused by the per-address connect rate | ${fmt(m.get('gz_broker_connections_rejected_total{reason="rate_limit"}'))} |`,
);
console.log(
  `| oversize / protocol rejections | ${fmt(m.get('gz_broker_connections_rejected_total{reason="packet_too_large"}'))} / ${fmt(m.get('gz_broker_connections_rejected_total{reason="protocol"}'))} |`,
);
console.log(
  `| password logins refused without a hash (back-off, queue full) | ${fmt(m.get('gz_broker_auth_backoff_total'))} |`,
);
const events = m.text
  .split('\n')
  .filter((l) => l.startsWith('gz_broker_security_events_total'))
  .reduce((s, l) => s + Number(l.split(' ')[1]), 0);
const suppressed = m.text
  .split('\n')
  .filter((l) => l.startsWith('gz_broker_security_log_suppressed_total'))
  .reduce((s, l) => s + Number(l.split(' ')[1]), 0);
console.log(
  `| security events / log lines written / suppressed (counted) | ${fmt(events)} / ${fmt(securityLines)} / ${fmt(suppressed)} |`,
);
console.log(`| open sockets after the run | ${fmt(m.get('gz_broker_sockets_open'))} |`);
console.log(
  '\nA legitimate first login (nothing remembered, scrypt N=16384) while 150 wrong-password logins from another address are in flight (15 logins, 200 ms apart):\n',
);
console.log('| build | quiet: median ms | under the flood: median / max ms | refused under the flood |');
console.log('|---|---|---|---|');
for (const l of logins) {
  const ok = l.loaded.filter((x) => x.code === 0).map((x) => x.ms);
  console.log(
    `| ${l.name} | ${fmt(
      pct(
        l.quiet.map((x) => x.ms),
        50,
      ),
      0,
    )} | ${fmt(pct(ok, 50), 0)} / ${fmt(Math.max(...ok), 0)} | ${l.loaded.filter((x) => x.code !== 0).length} of ${l.loaded.length} |`,
  );
}
