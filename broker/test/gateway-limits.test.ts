/**
 * Issue 13, finding 4 (the broker's part): one gateway could publish under 100k device ids and
 * create 20k retained topics in 13 s. Per gateway (the district/gateway of the topic), the broker
 * now accepts at most `maxDevicesPerGateway` distinct device ids — messages for further devices
 * are acknowledged and dropped, never routed — and holds at most `maxRetainedPerGateway` retained
 * topics — further retained messages are delivered live but not retained. Both are counted on
 * /metrics and logged (rate-limited), naming the gateway and what was refused.
 */
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { type BrokerConfig, DEFAULT_LIMITS, type RunningBroker } from '../src/index.js';
import {
  capturingLogger,
  collect,
  connect,
  credentialsFor,
  endAll,
  login,
  roundTrip,
  startTestBroker,
  subscribe,
  tcpUrl,
  USERS,
} from './helpers.js';

const brokers: RunningBroker[] = [];
afterEach(async () => {
  for (const b of brokers.splice(0)) await b.close();
});

function sample(text: string, name: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name} `));
  return line ? Number(line.slice(name.length + 1)) : Number.NaN;
}

describe('per-gateway limits', () => {
  it('has sensible defaults', () => {
    expect(DEFAULT_LIMITS.maxDevicesPerGateway).toBe(1000);
    expect(DEFAULT_LIMITS.maxRetainedPerGateway).toBe(2001);
  });

  it('devices: messages for devices beyond the limit are acknowledged, dropped, counted and logged; other gateways keep their own budget', async () => {
    const { logger, lines } = capturingLogger();
    const { FileCredentialStore, emptyConfig, startBroker } = await import('../src/index.js');
    const cfg = emptyConfig();
    cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
    cfg.limits.maxDevicesPerGateway = 5;
    const b = await startBroker(cfg, {
      logger,
      credentials: new FileCredentialStore(await credentialsFor(USERS)),
    });
    brokers.push(b);
    const ing = await login(b, 'ingest');
    const got = collect(ing);
    await subscribe(ing, 'gz/v1/+/+/+/data');
    const gw = await login(b, 'gw-north');
    for (let i = 0; i < 10; i++) {
      // every publish is acknowledged (the gateway's buffer moves on); the connection stays
      await gw.publishAsync(`gz/v1/north/gw-north/d${i}/data`, `n${i}`, { qos: 1 });
    }
    for (let i = 0; i < 3; i++)
      await gw.publishAsync('gz/v1/north/gw-north/d0/data', `again${i}`, { qos: 1 });
    const south = await login(b, 'gw-south');
    for (let i = 0; i < 5; i++)
      await south.publishAsync(`gz/v1/south/gw-south/s${i}/data`, `s${i}`, { qos: 1 });
    await got.match((m) => m.payload === 's4');
    expect(gw.connected).toBe(true);
    const payloads = got.got.map((m) => m.payload);
    expect(payloads.filter((p) => p.startsWith('n'))).toEqual(['n0', 'n1', 'n2', 'n3', 'n4']);
    expect(payloads.filter((p) => p.startsWith('again'))).toHaveLength(3);
    expect(payloads.filter((p) => p.startsWith('s'))).toHaveLength(5);
    const text = b.metricsText();
    expect(sample(text, 'gz_broker_gateway_limit_dropped_total{limit="devices"}')).toBe(5);
    expect(sample(text, 'gz_broker_gateways_at_limit{limit="devices"}')).toBe(2);
    const logged = lines.filter((l) => l.security === 'gateway_limit');
    expect(logged[0]).toMatchObject({
      user: 'gw-north',
      what: 'gz/v1/north/gw-north/d5/data',
      why: expect.stringMatching(/maxDevicesPerGateway \(5\)/),
    });
    await endAll(ing, gw, south);
  });

  it('retained: beyond the limit a retained message is delivered but not retained; clearing one frees its place', async () => {
    const b = await startTestBroker((cfg) => {
      cfg.limits.maxRetainedPerGateway = 3;
    });
    brokers.push(b);
    const ing = await login(b, 'ingest');
    const live = collect(ing);
    await subscribe(ing, 'gz/v1/+/+/+/status');
    const gw = await login(b, 'gw-north');
    for (let i = 0; i < 5; i++) {
      await gw.publishAsync(`gz/v1/north/gw-north/d${i}/status`, `st${i}`, { qos: 1, retain: true });
    }
    await live.until(5);
    const retained = async () => {
      const late = await login(b, 'viewer-north');
      const seen = collect(late);
      await subscribe(late, 'gz/v1/north/+/+/status');
      await roundTrip(late, 'gz/v1/north/x/cmd');
      await new Promise((r) => setTimeout(r, 100));
      await endAll(late);
      return seen.got
        .filter((m) => m.retain)
        .map((m) => m.payload)
        .sort();
    };
    expect(await retained()).toEqual(['st0', 'st1', 'st2']);
    expect(sample(b.metricsText(), 'gz_broker_gateway_limit_dropped_total{limit="retained"}')).toBe(2);
    // updating a held topic is fine; clearing one makes room for another
    await gw.publishAsync('gz/v1/north/gw-north/d0/status', 'st0b', { qos: 1, retain: true });
    await gw.publishAsync('gz/v1/north/gw-north/d1/status', '', { qos: 1, retain: true });
    await gw.publishAsync('gz/v1/north/gw-north/d4/status', 'st4b', { qos: 1, retain: true });
    expect(await retained()).toEqual(['st0b', 'st2', 'st4b']);
    await endAll(ing, gw);
  });

  it('disk mode: the retained topics already held count after a restart', async () => {
    const dir = tempDir('gz-limits-disk-');
    const tweak = (cfg: BrokerConfig) => {
      cfg.limits.maxRetainedPerGateway = 2;
      cfg.persistence = { dataDir: join(dir, 'b'), sync: 'normal' };
    };
    let b = await startTestBroker(tweak);
    let gw = await login(b, 'gw-north');
    for (const d of ['a', 'b'])
      await gw.publishAsync(`gz/v1/north/gw-north/${d}/meta`, d, { qos: 1, retain: true });
    await endAll(gw);
    await b.close();
    b = await startTestBroker(tweak);
    brokers.push(b);
    gw = await login(b, 'gw-north');
    await gw.publishAsync('gz/v1/north/gw-north/c/meta', 'c', { qos: 1, retain: true });
    const v = await connect(tcpUrl(b), { username: 'root', password: 'root-password', clientId: 'root.v' });
    const seen = collect(v);
    await subscribe(v, 'gz/v1/north/gw-north/+/meta');
    await roundTrip(v, 'x/y');
    await new Promise((r) => setTimeout(r, 100));
    expect(seen.got.map((m) => m.payload).sort()).toEqual(['a', 'b']);
    await endAll(gw, v);
  });
});
