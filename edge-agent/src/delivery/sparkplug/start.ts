/**
 * Builds the Sparkplug B uplink of a gateway from its config (called by run-gateway.ts): its
 * own durable buffer and bdSeq file under `<stateDir>/sparkplug/`, its own MQTT connection
 * (a second will: the NDEATH), and the reading sink acquisition writes to.
 */
import { join } from 'node:path';
import type { Profile } from '@ganzhi/device-profiles';
import { type DurableLog, type FsyncPolicy, openSegmentLog } from '@ganzhi/durable-log';
import type { Clock } from '@ganzhi/runtime';
import type { IClientOptions, MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { ReadingSink } from '../../acquisition/sink.js';
import { BdSeq } from './bdseq.js';
import type { SparkplugUplinkConfig } from './config.js';
import { SparkplugEdgeNode } from './edge-node.js';
import { SparkplugSink } from './sinks.js';

export interface SparkplugUplink {
  node: SparkplugEdgeNode;
  sink: ReadingSink;
  log: DurableLog;
  start(): void;
  stop(): Promise<void>;
}

export interface SparkplugUplinkInput {
  config: SparkplugUplinkConfig;
  district: string;
  gateway: string;
  stateDir: string;
  /** delivery.mqtt, whose url, credentials and TLS this connection shares unless overridden */
  mqtt: { url: string; clientId?: string; username?: string; password?: string; keepaliveS?: number };
  tls: Pick<IClientOptions, 'ca' | 'cert' | 'key' | 'rejectUnauthorized'>;
  devices: { id: string; profile: Profile }[];
  agentVersion: string;
  buffer: { maxBytes: number; maxAgeMs: number; fsync: FsyncPolicy };
  clock: Clock;
  logger: Logger;
  connect: (url: string, opts: IClientOptions) => MqttClient;
}

export function createSparkplugUplink(i: SparkplugUplinkInput): SparkplugUplink {
  const c = i.config;
  const dir = join(i.stateDir, 'sparkplug');
  const log = openSegmentLog({
    dir: join(dir, 'buffer'),
    maxBytes: i.buffer.maxBytes,
    maxAgeMs: i.buffer.maxAgeMs,
    fsync: i.buffer.fsync,
    onError: (err: Error) => i.logger.error({ err: err.message }, 'Sparkplug buffer background error'),
  });
  const username = c.username ?? i.mqtt.username;
  const password = c.password ?? i.mqtt.password;
  const node = new SparkplugEdgeNode(
    {
      group: c.group,
      node: c.node ?? i.gateway,
      ...(c.primaryHostId !== undefined ? { primaryHostId: c.primaryHostId } : {}),
      url: c.url ?? i.mqtt.url,
      mqtt: {
        clientId: c.clientId ?? `${i.mqtt.clientId ?? `gz-${i.district}-${i.gateway}`}.spb`,
        keepalive: i.mqtt.keepaliveS ?? 30,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(username !== undefined ? { username } : {}),
        ...(password !== undefined ? { password } : {}),
        ...i.tls,
      },
      devices: i.devices,
      agentVersion: i.agentVersion,
    },
    { log, bdSeq: new BdSeq(dir), clock: i.clock, logger: i.logger, connect: i.connect },
  );
  return {
    node,
    sink: new SparkplugSink(node),
    log,
    start: () => node.start(),
    async stop() {
      await node.stop();
      log.close();
    },
  };
}
