/**
 * The hub side of the fleet-config tests (issue 16): a real Ganzhi broker on port 0 with one
 * gateway user (password `<gateway>-password`) and the admin `root` (`root-password`), and
 * root's MQTT client `root.hub`, which pushes desired configs and collects what the gateway
 * reports: its config states and, with `data: true`, its data batches.
 */
import {
  type ConfigState,
  type DataBatch,
  decodeConfigState,
  decodeDataBatch,
} from '@ganzhi/device-profiles';
import mqtt, { type MqttClient } from 'mqtt';
import pino from 'pino';
import {
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
} from '../../../broker/src/index.js';

/** cheap scrypt parameters: the tests log in often, and the hash's strength is not what they test */
const CHEAP = { N: 1024, r: 8, p: 1 };

export interface FleetBroker {
  broker: RunningBroker;
  /** mqtt://127.0.0.1:port */
  url: string;
  /** root's client (`root.hub`) */
  hub: MqttClient;
  /** the gateway's config states, in the order the hub received them */
  states: ConfigState[];
  /** the gateway's data batches (with `data: true`) */
  batches: DataBatch[];
  /** ends the hub client, then closes the broker */
  close(): Promise<void>;
}

export async function startFleetBroker(
  gw: { district: string; gateway: string },
  opts: { data?: boolean } = {},
): Promise<FleetBroker> {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  const broker = await startBroker(cfg, {
    logger: pino({ level: 'silent' }),
    credentials: new FileCredentialStore({
      users: {
        [gw.gateway]: {
          role: 'gateway',
          district: gw.district,
          gateway: gw.gateway,
          hash: await hashPassword(`${gw.gateway}-password`, CHEAP),
        },
        root: { role: 'admin', hash: await hashPassword('root-password', CHEAP) },
      },
    }),
  });
  const url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;
  const states: ConfigState[] = [];
  const batches: DataBatch[] = [];
  const hub = await mqtt.connectAsync(url, {
    clientId: 'root.hub',
    username: 'root',
    password: 'root-password',
  });
  hub.on('message', (topic, payload) => {
    if (topic.endsWith('/config-state')) {
      const s = decodeConfigState(payload);
      if (s.ok) states.push(s.value);
      return;
    }
    const d = decodeDataBatch(payload);
    if (d.ok) batches.push(d.value);
  });
  const prefix = `gz/v1/${gw.district}/${gw.gateway}`;
  await hub.subscribeAsync([`${prefix}/config-state`, ...(opts.data ? [`${prefix}/+/data`] : [])], {
    qos: 1,
  });
  return {
    broker,
    url,
    hub,
    states,
    batches,
    async close() {
      await hub.endAsync();
      await broker.close();
    },
  };
}
