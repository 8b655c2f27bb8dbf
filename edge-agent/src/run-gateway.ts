/**
 * Assembles a running gateway from a loaded config: acquisition → durable buffer → MQTT
 * uplink, plus the local HTTP surface. Called by the CLI (`ganzhi-agent run`) and by tests
 * that need the whole gateway in process.
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { encodeConfigState, gatewayTopic } from '@ganzhi/device-profiles';
import { COMMAND_LIMITS, deviceTopic } from '@ganzhi/device-profiles/contract';
import type { DurableLog, FsyncPolicy } from '@ganzhi/durable-log';
import { openSegmentLog } from '@ganzhi/durable-log';
import { type Clock, systemClock, systemRandom } from '@ganzhi/runtime';
import type { FastifyInstance } from 'fastify';
import mqtt from 'mqtt';
import type { Logger } from 'pino';
import type { DeviceStatusEvent, ReadingBatch, ReadingSink } from './acquisition/sink.js';
import { Agent } from './agent.js';
import { CommandExecutor } from './commands/executor.js';
import { CommandJournal } from './commands/journal.js';
import { type LoadedConfig, parseConfig } from './config/load-config.js';
import { DELIVERY_DEFAULTS, type MqttConfig } from './delivery/delivery-schema.js';
import { MqttSink } from './delivery/mqtt-sink.js';
import { TeeSink } from './delivery/sparkplug/sinks.js';
import { createSparkplugUplink, type SparkplugUplink } from './delivery/sparkplug/start.js';
import { loadStreamId } from './delivery/stream-id.js';
import { redactUrl, Uplink } from './delivery/uplink.js';
import type { DriverRegistry } from './drivers/registry.js';
import { AgentError } from './errors.js';
import { FleetController } from './fleet/controller.js';
import { readFleetRecord, reconcile, writeFleetRecord } from './fleet/fleet-state.js';
import { HTTP_DEFAULTS } from './http/http-schema.js';
import { buildHttp } from './http/server.js';
import type { AgentSources } from './http/snapshot.js';

export const AGENT_VERSION = '0.1.0';

export interface GatewayHandle {
  /** the acquisition runtime (rebuilt when a fleet push changes devices: read it again) */
  readonly agent: Agent;
  /** the contract uplink (replaced when a fleet push changes the uplink: read it again) */
  readonly uplink?: Uplink;
  /** fleet config (issue 16), with the contract uplink */
  fleet?: FleetController;
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
  /**
   * fleet config pushes (issue 16), on by default with the contract uplink: `false` turns them
   * off; `trialMs` bounds the trial of an uplink change (default 60 s)
   */
  fleet?: false | { trialMs?: number };
  env?: NodeJS.ProcessEnv;
  /** the drivers by endpoint scheme (tests inject fault-injection drivers); default the protocol table */
  drivers?: DriverRegistry;
}

/** A sink that forwards to whichever uplink is current (an uplink trial replaces it). */
class CurrentUplinkSink implements ReadingSink {
  constructor(public target: MqttSink) {}
  write(batch: ReadingBatch): Promise<boolean> {
    return this.target.write(batch);
  }
  status(e: DeviceStatusEvent): void {
    this.target.status(e);
  }
  async close(): Promise<void> {
    await this.target.close();
  }
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
  let makeUplink: ((next: LoadedConfig) => Uplink) | undefined;
  let uplinkSink: CurrentUplinkSink | undefined;
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
    const bufLog = log;
    const stream = loadStreamId(bufferDir);
    // commands (issue 15): the journal lives in the state dir; a read-only gateway still answers
    journal = new CommandJournal({
      dir: join(stateDir, 'commands'),
      now: clock.now(),
      // an id is kept a day past its expiry (commands live at most COMMAND_LIMITS.maxTtlMs)
      retainMs: COMMAND_LIMITS.maxTtlMs,
      resultTopic: (device) => deviceTopic(cfg.district, cfg.gateway, device, 'result'),
    });
    const commands = {
      filter: `gz/v1/${cfg.district}/${cfg.gateway}/+/cmd`,
      onMessage: (topic: string, payload: Buffer) => {
        // a journal that cannot be written (disk full, read-only) leaves the command unanswered
        commandSink.executor
          ?.handle(topic, payload)
          .catch((err: Error) => logger.error({ err: err.message, topic }, 'command not handled'));
      },
      onConnect: () => commandSink.executor?.flush(),
      onClose: () => commandSink.executor?.disconnected(),
    };
    makeUplink = (next: LoadedConfig) => {
      const nd = next.config?.delivery ?? d;
      return new Uplink(
        {
          district: cfg.district,
          gateway: cfg.gateway,
          stream,
          agentVersion: AGENT_VERSION,
          devices: next.devices.map((dev) => ({ id: dev.id, profile: dev.profile })),
          delivery: nd,
          tls: readTls(baseDir, nd.mqtt),
          commands,
        },
        {
          log: bufLog,
          logger: logger.child({ component: 'uplink' }),
          clock,
          random: systemRandom,
          connect: mqtt.connect,
        },
      );
    };
    uplink = makeUplink(loaded);
    if (d.mqtt.password !== undefined && !/^(mqtts|wss):/.test(d.mqtt.url)) {
      logger.warn(
        { url: redactUrl(d.mqtt.url) },
        'a password is sent without TLS: use mqtts:// outside a lab',
      );
    }
    uplinkSink = new CurrentUplinkSink(new MqttSink(uplink));
    sink = uplinkSink;
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
  const theSink = sink;
  const drivers = opts.drivers ? { drivers: opts.drivers } : {};
  let agent = await Agent.create({ devices: loaded.devices, sink, logger, clock, ...drivers });
  const commandDevices = (a: Agent) =>
    a.devices.map((dev) => ({
      id: dev.spec.id,
      driver: dev.driver,
      points: dev.spec.points,
      profilePoints: dev.spec.profile.points,
      timeoutMs: dev.spec.timeoutMs,
    }));
  if (journal && uplink) {
    executor = new CommandExecutor({
      district: cfg.district,
      gateway: cfg.gateway,
      enabled: cfg.commands?.enabled ?? true,
      devices: commandDevices(agent),
      journal,
      clock,
      logger: logger.child({ component: 'commands' }),
    });
    // through whichever uplink is current (a fleet uplink trial replaces it)
    executor.attach({
      publish: (topic, payload, done) => uplink?.publishQos1(topic, payload, done) ?? false,
      connected: () => uplink?.connected === true,
    });
    commandSink.executor = executor;
  }

  // fleet config pushes (issue 16): through the contract uplink's session
  let fleet: FleetController | undefined;
  const sources: AgentSources = {
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
  };
  if (uplink && makeUplink && uplinkSink && opts.fleet !== false) {
    const mk = makeUplink;
    const us = uplinkSink;
    const env = opts.env ?? process.env;
    const configFile = resolve(loaded.file);
    const recordFile = join(stateDir, 'fleet.json');
    mkdirSync(stateDir, { recursive: true });
    const fileText = readFileSync(configFile, 'utf8');
    let currentRaw = (parseConfig(fileText, configFile, { secrets: 'keep' }).config ?? {}) as Record<
      string,
      unknown
    >;
    let currentLoaded = loaded;
    const stateTopic = gatewayTopic(cfg.district, cfg.gateway, 'config-state');
    // what the file on disk holds decides (a kill between the record and the config write)
    const record = reconcile(readFleetRecord(recordFile), fileText, clock.now());
    writeFleetRecord(recordFile, record);
    const controller = new FleetController(
      record,
      {
        configFile,
        recordFile,
        env,
        current: () => currentRaw,
        report: (payload) => uplink?.setRetained(stateTopic, payload),
        applyInPlace: async (next) => {
          // commands in progress finish on the old drivers before they close
          await executor?.drain();
          await agent.stop();
          agent = await Agent.create({ devices: next.devices, sink: theSink, logger, clock, ...drivers });
          executor?.setDevices(commandDevices(agent));
          uplink?.setDevices(next.devices.map((dev) => ({ id: dev.id, profile: dev.profile })));
          await agent.start();
          currentRaw = (parseConfig(readFileSync(configFile, 'utf8'), configFile, { secrets: 'keep' })
            .config ?? currentRaw) as Record<string, unknown>;
          currentLoaded = next;
        },
        trialUplink: async (next, trialMs) => {
          const old = uplink as Uplink;
          const swap = async (to: Uplink) => {
            const from = uplink as Uplink;
            await from.stop(0);
            uplink = to;
            sources.uplink = to;
            us.target = new MqttSink(to);
            to.subscribe(
              gatewayTopic(cfg.district, cfg.gateway, 'config'),
              (p) => void controller.onMessage(p),
            );
            to.setRetained(stateTopic, encodeConfigState(controller.wireState()));
            to.start();
          };
          let candidate: Uplink;
          try {
            candidate = mk(next);
          } catch (err) {
            return { ok: false, reason: `the new uplink cannot be built: ${(err as Error).message}` };
          }
          await swap(candidate);
          if (await candidate.waitForBirthAck(trialMs)) return { ok: true };
          logger.warn({ trialMs }, 'fleet: the new uplink did not get its birth acknowledged; rolling back');
          await swap(mk(currentLoaded));
          void old;
          return {
            ok: false,
            reason: `the new uplink (${redactUrl(next.config?.delivery?.mqtt.url ?? '')}) did not connect with its birth acknowledged within ${Math.round(trialMs / 1000)} s; back on the last good config`,
          };
        },
      },
      {
        district: cfg.district,
        gateway: cfg.gateway,
        clock,
        logger: logger.child({ component: 'fleet' }),
        ...(opts.fleet?.trialMs !== undefined ? { trialMs: opts.fleet.trialMs } : {}),
      },
    );
    fleet = controller;
    sources.fleet = () => ({
      ...controller.state,
      ...(controller.lastOutcome ? { lastOutcome: controller.lastOutcome } : {}),
    });
    uplink.subscribe(gatewayTopic(cfg.district, cfg.gateway, 'config'), (p) => void controller.onMessage(p));
    controller.announce();
  }

  let http: FastifyInstance | undefined;
  let statusUrl: string | undefined;
  if (cfg.http?.enabled !== false) {
    const host = cfg.http?.host ?? HTTP_DEFAULTS.host;
    sources.allowedHosts = [host, ...(cfg.http?.allowedHosts ?? [])];
    http = buildHttp(sources);
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
    get agent() {
      return agent;
    },
    get uplink() {
      return uplink;
    },
    ...(fleet ? { fleet } : {}),
    ...(executor ? { commands: executor } : {}),
    ...(sparkplug ? { sparkplug } : {}),
    ...(log ? { log } : {}),
    ...(http ? { http } : {}),
    ...(statusUrl ? { statusUrl } : {}),
    async stop(graceMs = 5000) {
      if (stopped) return;
      stopped = true;
      await fleet?.idle();
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
