/** /healthz, /metrics and /api/clients against a live broker; MQTT over WebSocket. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningBroker } from '../src/index.js';
import { collect, connect, endAll, login, startTestBroker, subscribe } from './helpers.js';

let broker: RunningBroker;
let base: string;

beforeAll(async () => {
  broker = await startTestBroker((cfg) => {
    cfg.http = { port: 0, host: '127.0.0.1' };
    cfg.listeners.ws = { port: 0, host: '127.0.0.1', path: '/mqtt' };
  });
  const h = broker.addresses.http;
  base = `http://${h?.host}:${h?.port}`;
});
afterAll(async () => {
  await broker.close();
});

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  if (!line) throw new Error(`no sample ${name}`);
  return Number(line.slice(name.length + 1));
}

describe('HTTP surface', () => {
  it('answers /healthz', async () => {
    const res = await fetch(`${base}/healthz`);
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ status: 'ok', id: broker.aedes.id });
  });

  it('counts connections, messages by QoS, bytes, auth failures, ACL denials and retained messages', async () => {
    const ing = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-1' });
    const got = collect(ing);
    await subscribe(ing, 'gz/v1/+/+/+/data');
    await subscribe(ing, 'gz/v1/#'); // denied
    const gw = await login(broker, 'gw-north', { clientId: 'gw-north.1' });
    await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'a', { qos: 0 });
    await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'b', { qos: 1 });
    await gw.publishAsync('gz/v1/north/gw-north/pm1/status', 'up', { qos: 1, retain: true });
    await got.until(2);
    await expect(
      connect(`mqtt://127.0.0.1:${broker.addresses.tcp?.port}`, { username: 'x', password: 'y' }),
    ).rejects.toThrow();

    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'gz_broker_connections')).toBe(2);
    expect(sample(text, 'gz_broker_messages_in_total{qos="0"}')).toBe(1);
    expect(sample(text, 'gz_broker_messages_in_total{qos="1"}')).toBe(2);
    expect(sample(text, 'gz_broker_messages_out_total{qos="0"}')).toBe(1);
    expect(sample(text, 'gz_broker_messages_out_total{qos="1"}')).toBe(1);
    expect(sample(text, 'gz_broker_bytes_in_total')).toBeGreaterThan(0);
    expect(sample(text, 'gz_broker_bytes_out_total')).toBeGreaterThan(0);
    expect(sample(text, 'gz_broker_auth_failures_total')).toBe(1);
    expect(sample(text, 'gz_broker_acl_denials_total{action="subscribe"}')).toBe(1);
    expect(sample(text, 'gz_broker_retained_messages')).toBe(1);
    expect(text).toContain('# TYPE gz_broker_queued_messages gauge');

    const clients = (await (await fetch(`${base}/api/clients`)).json()) as {
      clients: { clientId: string; user: string; role: string; subscriptions: string[] }[];
    };
    const byId = new Map(clients.clients.map((c) => [c.clientId, c]));
    expect(byId.get('ganzhi-ingest-1')).toMatchObject({
      user: 'ingest',
      role: 'ingest',
      subscriptions: ['gz/v1/+/+/+/data'],
    });
    expect(byId.get('gw-north.1')).toMatchObject({ user: 'gw-north', role: 'gateway' });
    expect(JSON.stringify(clients)).not.toContain('scrypt');
    const post = await fetch(`${base}/api/clients`, { method: 'POST' });
    expect(post.status).toBe(404);
    await endAll(ing, gw);
  });

  it('reports the queue depth of a persistent session that is offline', async () => {
    const ing = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-persistent', clean: false });
    await subscribe(ing, 'gz/v1/+/+/+/data');
    await endAll(ing);
    const gw = await login(broker, 'gw-north');
    for (let i = 0; i < 5; i++) await gw.publishAsync('gz/v1/north/gw-north/pm1/data', `q${i}`, { qos: 1 });
    const text = await (await fetch(`${base}/metrics`)).text();
    expect(sample(text, 'gz_broker_client_queue_depth{client="ganzhi-ingest-persistent"}')).toBe(5);
    const back = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-persistent', clean: false });
    const got = collect(back);
    await got.until(5);
    expect(got.got.map((m) => m.payload)).toEqual(['q0', 'q1', 'q2', 'q3', 'q4']);
    await endAll(gw, back);
  });
});

describe('WebSocket listener', () => {
  it('carries MQTT with the same identity and ACL', async () => {
    const url = `ws://127.0.0.1:${broker.addresses.ws?.port}/mqtt`;
    const viewer = await connect(url, {
      username: 'viewer-north',
      password: 'viewer-north-password',
      clientId: 'viewer-north.ws',
    });
    expect(broker.clients().find((c) => c.clientId === 'viewer-north.ws')).toMatchObject({
      listener: 'ws',
      ip: expect.stringMatching(/127\.0\.0\.1/),
      role: 'viewer',
    });
    expect(await subscribe(viewer, ['gz/v1/north/#', 'gz/v1/south/#'])).toEqual([1, 128]);
    const got = collect(viewer);
    const gw = await login(broker, 'gw-north');
    await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'via-ws', { qos: 1 });
    await got.match((m) => m.payload === 'via-ws');
    expect(got.got.every((m) => m.topic.startsWith('gz/v1/north/'))).toBe(true);
    await expect(connect(url, { username: 'viewer-north', password: 'bad' })).rejects.toThrow(
      /Bad username/i,
    );
    await endAll(viewer, gw);
  });
});

describe('persistent sessions at QoS 2', () => {
  it('queues QoS 2 messages while offline and completes the PUBREC/PUBREL/PUBCOMP flow on reconnect', async () => {
    const ing = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-qos2', clean: false });
    await subscribe(ing, 'gz/v1/+/+/+/data', 2);
    await endAll(ing);
    const gw = await login(broker, 'gw-north');
    for (let i = 0; i < 20; i++) await gw.publishAsync('gz/v1/north/gw-north/pm1/data', `x${i}`, { qos: 2 });
    const back = await login(broker, 'ingest', { clientId: 'ganzhi-ingest-qos2', clean: false });
    const got = collect(back);
    await got.until(20);
    expect(got.got.map((m) => m.payload)).toEqual(Array.from({ length: 20 }, (_, i) => `x${i}`));
    expect(got.got.every((m) => m.qos === 2)).toBe(true);
    await gw.publishAsync('gz/v1/north/gw-north/pm1/data', 'live', { qos: 2 });
    await got.until(21);
    // the queue is empty once every PUBCOMP came back
    await expect
      .poll(() => broker.clients().find((c) => c.clientId === 'ganzhi-ingest-qos2')?.queued)
      .toBe(0);
    await endAll(gw, back);
  });
});
