/**
 * Test fixtures for the command path at the hub: a GATEWAY STAND-IN (an MQTT.js client logged
 * in as a gateway user, NOT the real agent — the agent's executor is built separately) that
 * answers every command on its device cmd topics with a result, operators with cheap scrypt
 * hashes, and an HTTP Basic header.
 */
import {
  type CommandRequest,
  type CommandResult,
  decodeCommandRequest,
  deviceTopic,
  encodeCommandResult,
  parseTopic,
} from '@ganzhi/device-profiles/contract';
import { hashPassword } from '@ganzhi/runtime';
import type { MqttClient } from 'mqtt';

export const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

export async function operator(name: string, districts: string[]) {
  return { name, hash: await hashPassword(`${name}-secret`, CHEAP_SCRYPT), districts };
}

export function basic(name: string, password = `${name}-secret`): string {
  return `Basic ${Buffer.from(`${name}:${password}`).toString('base64')}`;
}

export interface GatewayStandIn {
  /** commands received, in order */
  received: { topic: string; cmd: CommandRequest }[];
  /** publishes a result on `device`'s result topic of this gateway */
  answer(device: string, r: CommandResult): Promise<void>;
  close(): Promise<void>;
}

/**
 * Subscribes `gz/v1/{d}/{g}/+/cmd` and, unless `auto` is false, answers each command with `ok`
 * per point (readback = the value written, raw = a made-up register image).
 */
export async function gatewayStandIn(
  client: MqttClient,
  district: string,
  gateway: string,
  auto = true,
): Promise<GatewayStandIn> {
  const received: GatewayStandIn['received'] = [];
  const answer = async (device: string, r: CommandResult) => {
    await client.publishAsync(deviceTopic(district, gateway, device, 'result'), encodeCommandResult(r), {
      qos: 1,
    });
  };
  client.on('message', (topic, payload) => {
    const t = parseTopic(topic);
    if (t?.scope !== 'device' || t.kind !== 'cmd') return;
    const d = decodeCommandRequest(payload);
    if (!d.ok) return;
    received.push({ topic, cmd: d.value });
    if (!auto) return;
    const now = Date.now();
    void answer(t.device, {
      v: 1,
      id: d.value.id,
      device: t.device,
      ...(d.value.issuer ? { issuer: d.value.issuer } : {}),
      ...(d.value.onBehalfOf ? { onBehalfOf: d.value.onBehalfOf } : {}),
      received: now,
      executed: now,
      done: now,
      outcomes: d.value.writes.map((w) => ({
        point: w.point,
        outcome: 'ok' as const,
        requested: w.value,
        raw: typeof w.value === 'boolean' ? w.value : [Math.round(Number(w.value)) & 0xffff],
        readback: w.value,
      })),
    });
  });
  await client.subscribeAsync(`gz/v1/${district}/${gateway}/+/cmd`, { qos: 1 });
  return { received, answer, close: () => client.endAsync() };
}
