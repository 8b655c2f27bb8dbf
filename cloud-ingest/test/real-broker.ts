/**
 * Our broker (@ganzhi/broker) as an operator sets it up (broker/README.md): users per gateway
 * with the district ACL, an ingest user, no anonymous access; TCP on a free loopback port.
 * Every password is `<user>-password`. (All of this test's use of the broker's API is here.)
 */
import {
  type CredentialsFile,
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
  type UserEntry,
} from '@ganzhi/broker';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';

const CHEAP_SCRYPT = { N: 1024, r: 8, p: 1 };

export interface RealBroker {
  url: string;
  broker: RunningBroker;
  close(): Promise<void>;
}

export async function startRealBroker(users: Record<string, UserEntry>): Promise<RealBroker> {
  const creds: CredentialsFile = { users: {} };
  for (const [name, e] of Object.entries(users))
    creds.users[name] = { ...e, hash: await hashPassword(`${name}-password`, CHEAP_SCRYPT) } as UserEntry;
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  const broker = await startBroker(cfg, {
    logger: pino({ level: 'silent' }),
    credentials: new FileCredentialStore(creds),
  });
  const a = broker.addresses.tcp;
  if (!a) throw new Error('the broker has no TCP listener');
  return { url: `mqtt://${a.host}:${a.port}`, broker, close: () => broker.close() };
}

/** A client logged in as `user` (client id = the user name), connected. */
export async function loginAs(url: string, user: string): Promise<MqttClient> {
  const c = mqtt.connect(url, {
    clientId: user,
    username: user,
    password: `${user}-password`,
    protocolVersion: 4,
    reconnectPeriod: 500,
  });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}
