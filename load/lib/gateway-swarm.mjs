// Child process (forked by load/city.mjs): thousands of lightweight gateways on raw
// net sockets, MQTT 3.1.1 packets made with mqtt-packet, a hand-rolled reader for the
// few packets a broker sends a publishing-only client (CONNACK, PUBACK, PINGRESP).
// Each gateway: CONNECT with a will (retained offline GatewayState on …/state), a birth
// (retained online GatewayState), then every `periodMs` one contract v1 DataBatch of
// `points` readings (QoS 1), phases spread evenly over the period.
// Config: JSON in argv[2] = { ports, from, to, total, periodMs, points, connectPerSec }.
// Reports { type: 'stats', ... } to the parent every second; 'stop' → DISCONNECT all, exit.
import { connect } from 'node:net';
import mqttPacket from 'mqtt-packet';
import {
  deviceTopic,
  encodeDataBatch,
  encodeGatewayState,
  gatewayTopic,
} from '../../device-profiles/dist/index.js';

const cfg = JSON.parse(process.argv[2]);
const DISTRICTS = ['north', 'south', 'east', 'west', 'centre', 'harbour', 'airport', 'old-town'];
const SLOT_MS = 10;
const slots = Math.ceil(cfg.periodMs / SLOT_MS);
const buckets = Array.from({ length: slots }, () => []);
const stats = {
  connecting: 0,
  connected: 0,
  refused: 0,
  closed: 0,
  errors: 0,
  published: 0,
  pubacks: 0,
  births: 0,
  reconnects: 0,
  errCodes: [],
};
const gws = [];
let stopping = false;

for (let i = cfg.from; i < cfg.to; i++) {
  const gateway = `gw-${String(i).padStart(5, '0')}`;
  const district = DISTRICTS[i % DISTRICTS.length];
  const g = {
    i,
    gateway,
    district,
    port: cfg.ports[i % cfg.ports.length],
    stateTopic: gatewayTopic(district, gateway, 'state'),
    dataTopic: deviceTopic(district, gateway, 'meter-1', 'data'),
    stream: `st-${i.toString(36)}-${Date.now().toString(36)}`,
    seq: 0,
    mid: 0,
    sock: undefined,
    up: false,
    buf: undefined,
  };
  gws.push(g);
  const phase = Math.floor(((i * cfg.periodMs) / cfg.total) % cfg.periodMs);
  buckets[Math.floor(phase / SLOT_MS) % slots].push(g);
}

function nextMid(g) {
  g.mid = (g.mid % 65535) + 1;
  return g.mid;
}

function onPacket(g, type, body) {
  if (type === 2) {
    if (body[1] === 0) {
      g.up = true;
      stats.connected++;
      stats.connecting--;
      const birth = encodeGatewayState({
        v: 1,
        state: 'online',
        ts: Date.now(),
        agent: 'load-swarm',
        stream: g.stream,
      });
      g.sock.write(
        mqttPacket.generate({
          cmd: 'publish',
          topic: g.stateTopic,
          payload: birth,
          qos: 1,
          retain: true,
          messageId: nextMid(g),
        }),
      );
      stats.births++;
    } else {
      stats.refused++;
      g.sock.destroy();
    }
  } else if (type === 4) {
    stats.pubacks++;
  }
}

function onData(g, chunk) {
  let b = g.buf ? Buffer.concat([g.buf, chunk]) : chunk;
  let off = 0;
  for (;;) {
    if (b.length - off < 2) break;
    const type = b[off] >> 4;
    let len = 0;
    let mul = 1;
    let p = off + 1;
    let ok = false;
    while (p < b.length) {
      const d = b[p++];
      len += (d & 127) * mul;
      mul *= 128;
      if ((d & 128) === 0) {
        ok = true;
        break;
      }
    }
    if (!ok || b.length - p < len) break;
    onPacket(g, type, b.subarray(p, p + len));
    off = p + len;
  }
  b = off < b.length ? b.subarray(off) : undefined;
  g.buf = b ? Buffer.from(b) : undefined;
}

function open(g) {
  stats.connecting++;
  const sock = connect({ host: '127.0.0.1', port: g.port });
  g.sock = sock;
  sock.setNoDelay(true);
  sock.on('connect', () => {
    const will = encodeGatewayState({ v: 1, state: 'offline', ts: Date.now(), stream: g.stream });
    sock.write(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: true,
        clientId: g.gateway,
        keepalive: 60,
        will: { topic: g.stateTopic, payload: will, qos: 1, retain: true },
      }),
    );
  });
  sock.on('data', (c) => onData(g, c));
  sock.on('error', (err) => {
    stats.errors++;
    if (err.code && !stats.errCodes.includes(err.code)) stats.errCodes.push(err.code);
  });
  sock.on('close', () => {
    if (g.up) stats.connected--;
    else stats.connecting--;
    g.up = false;
    if (stopping) return;
    stats.closed++;
    // like an agent: reconnect after 1–5 s
    setTimeout(
      () => {
        if (!stopping) {
          stats.reconnects++;
          open(g);
        }
      },
      1000 + Math.random() * 4000,
    );
  });
}

function publish(g) {
  if (!g.up) return;
  const ts = Date.now();
  const readings = new Array(cfg.points);
  for (let p = 0; p < cfg.points; p++) {
    readings[p] = {
      point: `p${p < 10 ? '0' : ''}${p}`,
      value: 200 + ((g.i + p) % 50) + g.seq / 1000,
      ts,
      quality: 'good',
    };
  }
  const payload = encodeDataBatch({
    v: 1,
    gateway: g.gateway,
    district: g.district,
    device: 'meter-1',
    model: 'eastron-sdm630',
    measurement: 'load_meter',
    stream: g.stream,
    seq: g.seq++,
    sent: ts,
    readings,
  });
  g.sock.write(
    mqttPacket.generate({
      cmd: 'publish',
      topic: g.dataTopic,
      payload,
      qos: 1,
      retain: false,
      messageId: nextMid(g),
    }),
  );
  stats.published++;
}

// connect ramp
let ci = 0;
const perTick = Math.max(1, Math.round(cfg.connectPerSec / 100));
const ramp = setInterval(() => {
  for (let k = 0; k < perTick && ci < gws.length; k++) open(gws[ci++]);
  if (ci >= gws.length) clearInterval(ramp);
}, 10);

// publish schedule: slot k of the period fires at period start + k × 10 ms
const t0 = Date.now();
let done = 0; // slots processed since t0
const sched = setInterval(() => {
  const due = Math.floor((Date.now() - t0) / SLOT_MS);
  while (done <= due) {
    for (const g of buckets[done % slots]) publish(g);
    done++;
  }
}, SLOT_MS);

const report = setInterval(() => process.send?.({ type: 'stats', ...stats }), 1000);

process.on('message', (m) => {
  if (m === 'stop') {
    stopping = true;
    clearInterval(ramp);
    clearInterval(sched);
    const disc = mqttPacket.generate({ cmd: 'disconnect' });
    for (const g of gws) {
      if (g.up) g.sock.end(disc);
      else g.sock?.destroy();
    }
    setTimeout(() => {
      clearInterval(report);
      process.send?.({ type: 'stats', ...stats, final: true });
      process.exit(0);
    }, 1500);
  }
});
process.on('disconnect', () => process.exit(0));
