/**
 * Fuzz input: valid MQTT packets from mqtt-packet, then mutated (bit flips, truncation, length
 * bytes, splices, random bytes). Deterministic for a given seed.
 */
import { seededRandom } from '@ganzhi/runtime';
import mqttPacket, { type Packet } from 'mqtt-packet';

/** The fuzz inputs' generator: the shared seeded mulberry32. */
export const rng = seededRandom;

const TOPICS = ['gz/v1/north/gw-north/pm1/data', 'a/b', '$SYS/x', 'a/+/b', '#', '', 'x'.repeat(300)];

function validPacket(r: () => number): Buffer {
  const pick = <T>(xs: T[]): T => xs[Math.floor(r() * xs.length)] as T;
  const qos = pick([0, 1, 2] as const);
  const id = 1 + Math.floor(r() * 65535);
  const kind = Math.floor(r() * 9);
  const topic = pick(TOPICS);
  const p = (() => {
    switch (kind) {
      case 0:
        return {
          cmd: 'connect' as const,
          protocolId: 'MQTT',
          protocolVersion: 4 as const,
          clean: true,
          clientId: `fz${id}`,
          keepalive: Math.floor(r() * 100),
          ...(r() < 0.5 ? { username: 'root', password: Buffer.from('root-password') } : {}),
        };
      case 1:
        return {
          cmd: 'publish' as const,
          topic: topic || 't',
          payload: Buffer.alloc(Math.floor(r() * 64)),
          qos,
          messageId: id,
          retain: r() < 0.2,
          dup: false,
        };
      case 2:
        return { cmd: 'subscribe' as const, messageId: id, subscriptions: [{ topic: topic || '#', qos }] };
      case 3:
        return { cmd: 'unsubscribe' as const, messageId: id, unsubscriptions: [topic || 'a'] };
      case 4:
        return { cmd: 'puback' as const, messageId: id };
      case 5:
        return { cmd: 'pubrec' as const, messageId: id };
      case 6:
        return { cmd: 'pubrel' as const, messageId: id };
      case 7:
        return { cmd: 'pingreq' as const };
      default:
        return { cmd: 'disconnect' as const };
    }
  })();
  try {
    return mqttPacket.generate(p as Packet);
  } catch {
    return Buffer.from([0xc0, 0x00]);
  }
}

/** One fuzz input: a sequence of bytes, usually starting with a valid CONNECT. */
export function fuzzInput(r: () => number): Buffer {
  const parts: Buffer[] = [];
  if (r() < 0.8) {
    parts.push(
      mqttPacket.generate({
        cmd: 'connect',
        protocolId: 'MQTT',
        protocolVersion: 4,
        clean: r() < 0.7,
        clientId: `fz-${Math.floor(r() * 1e9)}`,
        keepalive: 30,
        ...(r() < 0.7 ? { username: 'root', password: Buffer.from('root-password') } : {}),
      }),
    );
  }
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) parts.push(mutate(validPacket(r), r));
  return Buffer.concat(parts);
}

function mutate(b: Buffer, r: () => number): Buffer {
  const out = Buffer.from(b);
  switch (Math.floor(r() * 7)) {
    case 0:
      return out; // valid
    case 1: {
      const flips = 1 + Math.floor(r() * 4);
      for (let k = 0; k < flips; k++) {
        const i = Math.floor(r() * out.length);
        out[i] = (out[i] as number) ^ (1 << Math.floor(r() * 8));
      }
      return out;
    }
    case 2:
      return out.subarray(0, Math.floor(r() * out.length));
    case 3:
      if (out.length > 1) out[1] = Math.floor(r() * 256);
      return out;
    case 4:
      out[0] = Math.floor(r() * 256);
      return out;
    case 5: {
      const junk = Buffer.alloc(Math.floor(r() * 32));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
      return Buffer.concat([out.subarray(0, Math.floor(r() * out.length)), junk]);
    }
    default: {
      const junk = Buffer.alloc(1 + Math.floor(r() * 64));
      for (let i = 0; i < junk.length; i++) junk[i] = Math.floor(r() * 256);
      return junk;
    }
  }
}
