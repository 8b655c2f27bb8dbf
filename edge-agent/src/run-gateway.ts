/**
 * Assembles a running gateway from a loaded config: acquisition → durable buffer → MQTT
 * uplink, plus the local HTTP surface. Called by the CLI (`ganzhi-agent run`) and by tests
 * that need the whole gateway in process.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { COMMAND_LIMITS, deviceTopic } from '@ganzhi/device-profiles/contract';
import type { DurableLog, FsyncPolicy } from '@ganzhi/durable-log';
import { openSegmentLog } from '@ganzhi/durable-log';
import { type Clock, systemClock, systemRandom } from '@ganzhi/runtime';
import type { FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import type { ReadingSink } from './acquisition/sink.js';
import { Agent } from './agent.js';
import { CommandExecutor } from './commands/executor.js';
import { CommandJournal } from './commands/journal.js';
import type { LoadedConfig } from './config/load-config.js';
import { DELIVERY_DEFAULTS, type MqttConfig } from './delivery/delivery-schema.js';
import { MqttSink } from './delivery/mqtt-sink.js';
import { TeeSink } from './delivery/sparkplug/sinks.js';
import { createSparkplugUplink, type SparkplugUplink } from './delivery/sparkplug/start.js';
import { loadStreamId } from './delivery/stream-id.js';
import { redactUrl, Uplink } from './delivery/uplink.js';
import type { DriverRegistry } from './drivers/registry.js';
import { AgentError } from './errors.js';
import { HTTP_DEFAULTS } from './http/http-schema.js';
import { buildHttp } from './http/server.js';

export const AGENT_VERSION = '0.1.0';

export interface GatewayHandle {
  agent: Agent;
  uplink?: Uplink;
  /** the command executor (issue 15), with the contract uplink */
  commands?: CommandExecutor;
  /** the Sparkplug B uplink, with `delivery.format: sparkplug | both` */
  sparkplug?: SparkplugUplink;
  log?: DurableLog;
  http?: FastifyInstance;
  /** where the status page listens, e.g. http://127.0.0.1:8080/ */
  statusUrl?: string;
  /** stops polling, flushes what the broker acknowledges within graceMs, closes everything */
  stop(graceMs?: number): Promise<void>;
}

export interface RunOptions {
  logger: Logger;
  /** readings go here instead of MQTT (the `--stdout` mode) */
  sink?: ReadingSink;
  clock?: Clock;
  /** overrides config.http.port (tests use 0) */
  httpPort?: number;
  /** the drivers by endpoint scheme (tests inject fault-injection drivers); default the protocol table */
  drivers?: DriverRegistry;
}

function fsyncPolicy(f: 'always' | 'never' | number | undefined): FsyncPolicy {
  if (f === 'always' || f === 'never') return f;
  return { intervalMs: typeof f === 'number' ? f : DELIVERY_DEFAULTS.fsyncIntervalMs };
}

/** The TLS files named in `delivery.mqtt` (relative to the config file), read. */
function readTls(baseDir: string, m: MqttConfig): { ca?: Buffer; cert?: Buffer; key?: Buffer } {
  const tls: { ca?: Buffer; cert?: Buffer; key?: Buffer } = {};
  for (const [what, key] of [
    ['caFile', 'ca'],
    ['certFile', 'cert'],
    ['keyFile', 'key'],
  ] as const) {
    const file = m[what];
    if (file === undefined) continue;
    try {
      tls[key] = readFileSync(resolve(baseDir, file));
    } catch (err) {
      throw new AgentError('GZ_AGENT_CONFIG_INVALID', `delivery.mqtt.${what}: cannot read ${file}`, {
        cause: err,
      });
    }
  }
  return tls;
}

export async function runGateway(loaded: LoadedConfig, opts: RunOptions): Promise<GatewayHandle> {
  const cfg = loaded.config;
  if (!cfg) throw new AgentError('GZ_AGENT_CONFIG_INVALID', `${loaded.file}: config has problems`);
  const clock = opts.clock ?? systemClock;
  const logger = opts.logger;
  const baseDir = resolve(loaded.file, '..');
  const stateDir = resolve(baseDir, cfg.stateDir ?? 'state');

  let sink = opts.sink;
  let uplink: Uplink | undefined;
  let log: DurableLog | undefined;
  let journal: CommandJournal | undefined;
  let executor: CommandExecutor | undefined;
  // the uplink hands command messages to the executor, made once the drivers exist
  const commandSink: { executor?: CommandExecutor } = {};
  const d = cfg.delivery;
  const format = d?.format ?? 'contract';
  if (!sink && format !== 'sparkplug') {
    if (!d) {
      throw new AgentError(
        'GZ_AGENT_CONFIG_INVALID',
        `${loaded.file}: no delivery section — add delivery.mqtt.url, or run with --stdout`,
      );
    }
    const bufferDir = resolve(baseDir, d.buffer?.dir ?? join(stateDir, 'buffer'));
    log = openSegmentLog({
      dir: bufferDir,
      maxBytes: d.buffer?.maxBytes ?? DELIVERY_DEFAULTS.bufferMaxBytes,
      maxAgeMs: d.buffer?.maxAgeMs ?? DELIVERY_DEFAULTS.bufferMaxAgeMs,
      fsync: fsyncPolicy(d.buffer?.fsync),
      onError: (err: Error) => logger.error({ err: err.message }, 'buffer background error'),
    });
    // commands (issue 15): the journal lives in the state dir; a read-only gateway still answers
    journal = new CommandJournal({
      dir: join(stateDir, 'commands'),
      now: clock.now(),
      // an id is kept a day past its expiry (commands live at most COMMAND_LIMITS.maxTtlMs)
      retainMs: COMMAND_LIMITS.maxTtlMs,
      resultTopic: (device) => deviceTopic(cfg.district, cfg.gateway, device, 'result'),
    });
    uplink = new Uplink(
      {
        district: cfg.district,
        gateway: cfg.gateway,
        stream: loadStreamId(bufferDir),
        agentVersion: AGENT_VERSION,
        devices: loaded.devices.map((dev) => ({ id: dev.id, profile: dev.profile })),
        delivery: d,
        tls: readTls(baseDir, d.mqtt),
        commands: {
          filter: `gz/v1/${cfg.district}/${cfg.gateway}/+/cmd`,
          onMessage: (topic, payload) => {
            // a journal that cannot be written (disk full, read-only) leaves the command unanswered
            commandSink.executor
              ?.handle(topic, payload)
              .catch((err: Error) => logger.error({ err: err.message, topic }, 'command not handled'));
          },
          onConnect: () => commandSink.executor?.flush(),
          onClose: () => commandSink.executor?.disconnected(),
        },
      },
      {
        log,
        logger: logger.child({ component: 'uplink' }),
        clock,
        random: systemRandom,
        connect: mqtt.connect,
      },
    );
    if (d.mqtt.password !== undefined && !/^(mqtts|wss):/.test(d.mqtt.url)) {
      logger.warn(
        { url: redactUrl(d.mqtt.url) },
        'a password is sent without TLS: use mqtts:// outside a lab',
      );
    }
    sink = new MqttSink(uplink);
  }

  // Sparkplug B uplink (issue 18): alone, or beside the contract uplink (its own buffer and session)
  let sparkplug: SparkplugUplink | undefined;
  if (!opts.sink && d && format !== 'contract') {
    if (!d.sparkplug)
      throw new AgentError(
        'GZ_AGENT_CONFIG_INVALID',
        `${loaded.file}: delivery.format ${format} needs delivery.sparkplug.group`,
      );
    sparkplug = createSparkplugUplink({
      config: d.sparkplug,
      district: cfg.district,
      gateway: cfg.gateway,
      stateDir,
      mqtt: d.mqtt,
      tls: {
        ...readTls(baseDir, d.mqtt),
        ...(d.mqtt.rejectUnauthorized !== undefined ? { rejectUnauthorized: d.mqtt.rejectUnauthorized } : {}),
      },
      devices: loaded.devices.map((dev) => ({ id: dev.id, profile: dev.profile })),
      agentVersion: AGENT_VERSION,
      buffer: {
        maxBytes: d.buffer?.maxBytes ?? DELIVERY_DEFAULTS.bufferMaxBytes,
        maxAgeMs: d.buffer?.maxAgeMs ?? DELIVERY_DEFAULTS.bufferMaxAgeMs,
        fsync: fsyncPolicy(d.buffer?.fsync),
      },
      clock,
      logger: logger.child({ component: 'sparkplug' }),
      connect: mqtt.connect,
    });
    sink = sink ? new TeeSink([sink, sparkplug.sink]) : sparkplug.sink;
  }
  if (!sink) throw new AgentError('GZ_AGENT_CONFIG_INVALID', `${loaded.file}: no delivery configured`);

  for (const w of loaded.warnings) logger.warn({ path: w.path }, `config: ${w.message}`);
  const agent = await Agent.create({
    devices: loaded.devices,
    sink,
    logger,
    clock,
    ...(opts.drivers ? { drivers: opts.drivers } : {}),
  });
  if (journal && uplink) {
    const up = uplink;
    executor = new CommandExecutor({
      district: cfg.district,
      gateway: cfg.gateway,
      enabled: cfg.commands?.enabled ?? true,
      devices: agent.devices.map((dev) => ({
        id: dev.spec.id,
        driver: dev.driver,
        points: dev.spec.points,
        profilePoints: dev.spec.profile.points,
        timeoutMs: dev.spec.timeoutMs,
      })),
      journal,
      clock,
      logger: logger.child({ component: 'commands' }),
    });
    executor.attach({
      publish: (topic, payload, done) => up.publishQos1(topic, payload, done),
      connected: () => up.connected,
    });
    commandSink.executor = executor;
  }

  let http: FastifyInstance | undefined;
  let statusUrl: string | undefined;
  if (cfg.http?.enabled !== false) {
    const host = cfg.http?.host ?? HTTP_DEFAULTS.host;
    http = buildHttp({
      gateway: cfg.gateway,
      district: cfg.district,
      version: AGENT_VERSION,
      clock,
      startedAt: clock.now(),
      devices: () => agent.devices,
      ...(uplink ? { uplink } : {}),
      ...(log ? { log } : {}),
      ...(executor ? { commands: executor } : {}),
      bufferMaxBytes: d?.buffer?.maxBytes ?? DELIVERY_DEFAULTS.bufferMaxBytes,
      allowedHosts: [host, ...(cfg.http?.allowedHosts ?? [])],
    });
    const port = opts.httpPort ?? cfg.http?.port ?? HTTP_DEFAULTS.port;
    const addr = await http.listen({ host, port });
    statusUrl = `${addr.replace('0.0.0.0', '127.0.0.1')}/`;
  }

  uplink?.start();
  sparkplug?.start();
  await agent.start();
  // commands received before a stop and not yet decided (the journal's receipts)
  executor
    ?.replay()
    .catch((err: Error) => logger.error({ err: err.message }, 'commands received before a stop not handled'));

  let stopped = false;
  return {
    agent,
    ...(uplink ? { uplink } : {}),
    ...(executor ? { commands: executor } : {}),
    ...(sparkplug ? { sparkplug } : {}),
    ...(log ? { log } : {}),
    ...(http ? { http } : {}),
    ...(statusUrl ? { statusUrl } : {}),
    async stop(graceMs = 5000) {
      if (stopped) return;
      stopped = true;
      // commands in progress finish (and are recorded) before the drivers close
      await executor?.drain();
      await agent.stop();
      await sink.close();
      if (uplink) await uplink.stop(graceMs);
      await sparkplug?.stop();
      await executor?.close();
      log?.close();
      await http?.close();
    },
  };
}
