/**
 * The broker and ingest of the end-to-end tests in test/ (commands, fleet), every part real and
 * set up as an operator does: our broker with a users file (the test's users plus `ingest` and
 * `hub`, a delegate operator of north; each user's password `<user>-password`, TCP on a free
 * loopback port) and the ingest with SQLite in `dir`, logged in
 * as the broker user `ingest`, with the hub's operators alice (north) and bob (south), password
 * `<name>-secret`, and the hub's MQTT user `hub`. Ready once the ingest's receiver and the hub's
 * command client are connected.
 *
 * Stopping is the test's: `ingest.close()`, then `broker.close()` in its afterAll. Only when the
 * start fails does this close what it started (ingest, then broker) before the error is thrown.
 */
import { join } from 'node:path';
import type { CredentialsFile, RunningBroker, UserEntry } from '@ganzhi/broker';
import { emptyConfig, FileCredentialStore, hashPassword, startBroker } from '@ganzhi/broker';
import { type Ingest, parseConfig as parseIngestConfig, startIngest } from '@ganzhi/cloud-ingest';
import { hashPassword as hashOperator } from '@ganzhi/runtime';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { until } from './until.js';

const CHEAP = { N: 1024, r: 8, p: 1 };

/** An HTTP Basic header for a hub operator (password `<name>-secret` unless given). */
export const basic = (name: string, pw = `${name}-secret`) =>
  `Basic ${Buffer.from(`${name}:${pw}`).toString('base64')}`;

export interface HubStack {
  broker: RunningBroker;
  mqttUrl: string;
  ingest: Ingest;
}

/** `users` are the test's own; the stack adds the two it logs in as, `ingest` and `hub`. */
export async function startHubStack(
  users: Record<string, Partial<UserEntry>>,
  dir: string,
  logger: Logger,
): Promise<HubStack> {
  const all: Record<string, Partial<UserEntry>> = {
    ingest: { role: 'ingest' } as never,
    // the hub's MQTT user as deployed: a delegate operator (the broker stamps `issuer` with it)
    hub: { role: 'operator', districts: ['north'], delegate: true } as never,
    ...users,
  };
  const creds: CredentialsFile = { users: {} };
  for (const [name, e] of Object.entries(all))
    creds.users[name] = { ...e, hash: await hashPassword(`${name}-password`, CHEAP) } as UserEntry;
  const bc = emptyConfig();
  bc.listeners.tcp = { port: 0, host: '127.0.0.1' };
  const broker = await startBroker(bc, { logger, credentials: new FileCredentialStore(creds) });
  const mqttUrl = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
  let ingest: Ingest | undefined;
  try {
    const mqtt = { url: mqttUrl, clientId: 'ingest', username: 'ingest', password: 'ingest-password' };
    const hub = {
      operators: [
        { name: 'alice', hash: await hashOperator('alice-secret', CHEAP), districts: ['north'] },
        { name: 'bob', hash: await hashOperator('bob-secret', CHEAP), districts: ['south'] },
      ],
      mqtt: { clientId: 'hub', username: 'hub', password: 'hub-password' },
    };
    const started = await startIngest(e2eIngestConfig(dir, mqtt, { hub }), { logger });
    ingest = started;
    await until('ingest and hub connected', () =>
      started.receiver.connected && started.commandClient?.connected ? true : undefined,
    );
    return { broker, mqttUrl, ingest: started };
  } catch (e) {
    await ingest?.close();
    await broker.close();
    throw e;
  }
}

/** An MQTT client logged in as `user` (client id = user name, password `<user>-password`). */
export const loginAs = (mqttUrl: string, user: string): Promise<MqttClient> =>
  mqtt.connectAsync(mqttUrl, { clientId: user, username: user, password: `${user}-password` });

/**
 * The ingest's config in the end-to-end tests: the `mqtt` section given, SQLite and its log,
 * dead letters and completeness in `dir`, HTTP on a free port, log level warn; `extra` adds
 * sections (e.g. `hub`).
 */
export function e2eIngestConfig(
  dir: string,
  mqtt: Record<string, unknown>,
  extra: Record<string, unknown> = {},
) {
  return parseIngestConfig(
    JSON.stringify({
      mqtt,
      store: { type: 'sqlite', file: join(dir, 'ingest.db') },
      log: { dir: join(dir, 'log') },
      deadLetterFile: join(dir, 'dead-letters.jsonl'),
      completeness: { file: join(dir, 'completeness.json') },
      http: { port: 0 },
      logLevel: 'warn',
      ...extra,
    }),
    join(dir, 'ingest.json'),
    {},
  );
}

/** `ingest.http.inject` as the hub's API is called: `auth` as the Authorization header, `body` as JSON. */
export function hubApi(ingest: () => Ingest) {
  return (method: 'GET' | 'POST', url: string, auth?: string, body?: unknown) =>
    ingest().http.inject({
      method,
      url,
      headers: {
        ...(auth ? { authorization: auth } : {}),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { payload: JSON.stringify(body) } : {}),
    });
}
