/**
 * The host application's MQTT session (Sparkplug 3.0 §5.3, §5.13, §5.14):
 *
 * - CONNECT with Clean Session = 1 (tck-id-message-flow-phid-sparkplug-clean-session-311) and,
 *   for the primary host, the Will `spBv1.0/STATE/{hostId}` {"online":false,"timestamp":T},
 *   QoS 1, retained, T = the time of this CONNECT (tck-id-host-topic-phid-death-*);
 * - then subscribe to its own STATE topic and to `spBv1.0/{group}/#` of each group, and only
 *   after the SUBACK publish the birth {"online":true,"timestamp":T} with the same T, QoS 1,
 *   retained (tck-id-host-topic-phid-birth-*, tck-id-message-flow-phid-sparkplug-subscription);
 * - a clean stop publishes {"online":false,...} and then sends DISCONNECT
 *   (tck-id-operational-behavior-host-application-disconnect-intentional);
 * - Rebirth requests are NCMD `Node Control/Rebirth` = true, QoS 0, not retained, with a
 *   timestamp and no seq (tck-id-operational-behavior-data-commands-ncmd-rebirth-*,
 *   tck-id-payloads-ncmd-*).
 *
 * Sparkplug delivers data at QoS 0 and a host keeps no session: messages published while the
 * hub is away are not queued for it. Edge nodes that name this host as their primary stop
 * publishing (and buffer, if they can) while its STATE says offline.
 */
import { sparkplug } from '@ganzhi/device-profiles';
import type { Clock } from '@ganzhi/runtime';
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { Registry } from '../metrics.js';
import type { SparkplugHostConfig } from './config.js';
import { SPARKPLUG_DEFAULTS } from './config.js';
import { type HostCounters, SparkplugHost } from './host.js';

const { DataType, encodeHostState, encodePayload, nodeTopic, stateTopic } = sparkplug;

export interface SparkplugHostOptions {
  config: SparkplugHostConfig;
  url: string;
  clientId: string;
  username?: string;
  password?: string;
  mqtt?: Partial<IClientOptions>;
  /** a contract v1 message into the ingest's log */
  emit(topic: string, payload: Buffer): void;
  deadLetter?(d: { reason: string; topic: string; point?: string }): void;
  clock: Clock;
  logger: Logger;
  registry?: Registry;
}

export interface RunningSparkplugHost {
  readonly host: SparkplugHost;
  readonly client: MqttClient;
  readonly counters: HostCounters;
  /** resolves once subscribed and the STATE birth is acknowledged (tests, start-up) */
  ready(): Promise<void>;
  close(): Promise<void>;
}

export function startSparkplugHost(o: SparkplugHostOptions): RunningSparkplugHost {
  const cfg = o.config;
  const primary = cfg.primary ?? SPARKPLUG_DEFAULTS.primary;
  const state = stateTopic(cfg.hostId);
  let connectTs = o.clock.now();
  const will = (): IClientOptions['will'] => ({
    topic: state,
    payload: encodeHostState({ online: false, timestamp: connectTs }),
    qos: 1,
    retain: true,
  });
  const client = mqtt.connect(o.url, {
    protocolVersion: 4,
    clientId: o.clientId,
    clean: true,
    resubscribe: false, // subscribed again on every connect, before the STATE birth
    reconnectPeriod: 1000,
    connectTimeout: 10_000,
    ...(o.username !== undefined ? { username: o.username } : {}),
    ...(o.password !== undefined ? { password: o.password } : {}),
    ...(primary ? { will: will() } : {}),
    ...o.mqtt,
  });
  // every CONNECT carries a Will with its own time; the birth after it repeats that time
  client.prependListener('close', () => {
    connectTs = o.clock.now();
    if (primary) client.options.will = will();
  });

  let birthed = false;
  let readyResolve: () => void = () => {};
  let readyPromise = new Promise<void>((r) => {
    readyResolve = r;
  });
  /** the birth after a CONNECT repeats the will's time; a republished one carries the current time */
  const publishBirth = (timestamp = connectTs): void => {
    if (!primary) {
      readyResolve();
      return;
    }
    client.publish(state, encodeHostState({ online: true, timestamp }), { qos: 1, retain: true }, (err) => {
      if (err) o.logger.warn({ err: err.message }, 'STATE birth not acknowledged');
      else readyResolve();
    });
  };

  const host = new SparkplugHost(cfg, {
    emit: o.emit,
    ...(o.deadLetter ? { deadLetter: o.deadLetter } : {}),
    clock: o.clock,
    logger: o.logger,
    requestRebirth(group, node) {
      if (!client.connected) return;
      const payload = encodePayload({
        timestamp: o.clock.now(),
        metrics: [
          { name: 'Node Control/Rebirth', timestamp: o.clock.now(), datatype: DataType.Boolean, value: true },
        ],
      });
      client.publish(nodeTopic(group, 'NCMD', node), Buffer.from(payload), { qos: 0, retain: false });
    },
    republishState() {
      // tck-id-message-flow-hid-sparkplug-state-message-delivered: online again, current time
      if (client.connected && birthed) publishBirth(o.clock.now());
    },
  });

  client.on('connect', () => {
    birthed = false;
    const filters = [state, ...cfg.groups.map((g) => `${sparkplug.SPB_NAMESPACE}/${g.group}/#`)];
    client.subscribe(filters, { qos: 1 }, (err, granted) => {
      if (err) {
        o.logger.error({ err: err.message }, 'Sparkplug subscribe failed');
        return;
      }
      const refused = (granted ?? []).filter((g) => g.qos === 128).map((g) => g.topic);
      if (refused.length > 0)
        o.logger.error(
          { refused },
          'Sparkplug subscriptions refused by the broker: give the ingest user a sparkplug {hostId, groups} mapping',
        );
      birthed = true;
      publishBirth(connectTs);
      o.logger.info({ hostId: cfg.hostId, groups: cfg.groups.map((g) => g.group) }, 'Sparkplug host online');
    });
  });
  client.on('message', (topic, payload) => {
    try {
      host.handle(topic, payload);
    } catch (err) {
      // a bug, not bad input (bad input is dead-lettered): keep the session
      o.logger.error({ err, topic }, 'Sparkplug message handling failed');
    }
  });
  client.on('close', () => {
    if (birthed) {
      birthed = false;
      readyPromise = new Promise<void>((r) => {
        readyResolve = r;
      });
      host.connectionLost();
    }
  });
  client.on('error', (err) => o.logger.warn({ err: err.message }, 'Sparkplug host mqtt error'));

  if (o.registry) {
    const c = host.counters;
    const g = (name: keyof HostCounters, help: string) =>
      o.registry?.gauge(
        `ganzhi_ingest_sparkplug_${name.replace(/[A-Z]/g, (x) => `_${x.toLowerCase()}`)}`,
        help,
        () => c[name],
      );
    g('births', 'NBIRTH certificates accepted');
    g('deaths', 'NDEATH certificates of the current session');
    g('staleDeaths', 'NDEATH certificates ignored (bdSeq of an older session)');
    g('dataBeforeBirth', 'NDATA/DDATA from a node or device without a birth (not stored)');
    g('seqGaps', 'Sparkplug seq gaps seen');
    g('rebirthRequests', 'NCMD Node Control/Rebirth requests sent');
    g('decodeErrors', 'Sparkplug payloads that could not be decoded');
    g('readingsRejected', 'Sparkplug metrics that could not be stored');
    o.registry.gauge(
      'ganzhi_ingest_sparkplug_nodes_online',
      'Sparkplug edge nodes online',
      () => host.onlineNodes().length,
    );
  }

  let closing: Promise<void> | undefined;
  return {
    host,
    client,
    counters: host.counters,
    ready: () => readyPromise,
    close() {
      closing ??= (async () => {
        host.close();
        if (client.connected && primary) {
          // tck-id-operational-behavior-host-application-disconnect-intentional: death, then DISCONNECT
          await client
            .publishAsync(state, encodeHostState({ online: false, timestamp: o.clock.now() }), {
              qos: 1,
              retain: true,
            })
            .catch(() => {});
        }
        await client.endAsync();
      })();
      return closing;
    },
  };
}
