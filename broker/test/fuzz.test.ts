/**
 * Fuzz: random and mutated MQTT packets from several raw connections against a live broker,
 * while a well-behaved client keeps publishing QoS 1 and receiving its own messages. The broker
 * must stay up and the good client must lose nothing.
 */
import { connect as netConnect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { fuzzInput, rng } from './fuzz-packets.js';
import { collect, endAll, login, startTestBroker, subscribe } from './helpers.js';

const INPUTS = Number(process.env.GZ_FUZZ_INPUTS ?? 2500);
const CONNECTIONS = 8;

function sendAndClose(port: number, bytes: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = netConnect(port, '127.0.0.1', () => {
      s.write(bytes);
      // half-close: the broker answers or drops us; either way the socket ends
      s.end();
    });
    s.on('data', () => {});
    s.on('error', () => {});
    s.setTimeout(2000, () => s.destroy());
    s.on('close', () => resolve());
  });
}

describe('fuzz', () => {
  it(`survives ${INPUTS} mutated inputs while a good client loses nothing`, async () => {
    const broker = await startTestBroker((cfg) => {
      cfg.limits.maxPacketBytes = 64 * 1024;
      cfg.limits.connectsPerSecondPerIp = 1e9;
      cfg.limits.connectBurstPerIp = 1e9;
    });
    try {
      const port = broker.addresses.tcp?.port ?? 0;
      const good = await login(broker, 'root', { clientId: 'root.good-client' });
      const got = collect(good);
      await subscribe(good, 'good/#', 1);
      const sent: string[] = [];
      let stop = false;
      const publisher = (async () => {
        let i = 0;
        while (!stop) {
          const payload = `g${i++}`;
          await good.publishAsync('good/stream', payload, { qos: 1 });
          sent.push(payload);
        }
      })();
      const r = rng(0x5eed);
      let next = 0;
      const worker = async () => {
        while (next < INPUTS) {
          next++;
          await sendAndClose(port, fuzzInput(r));
        }
      };
      await Promise.all(Array.from({ length: CONNECTIONS }, worker));
      stop = true;
      await publisher;
      await got.until(sent.length);
      expect(got.got.map((m) => m.payload)).toEqual(sent);
      expect(good.connected).toBe(true);
      expect(sent.length).toBeGreaterThan(0);
      // the broker still accepts new clients
      const late = await login(broker, 'ingest');
      await endAll(good, late);
    } finally {
      await broker.close();
    }
  });
});
