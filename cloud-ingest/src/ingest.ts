/**
 * Assembles one ingest worker from a configuration: durable log → receiver (MQTT) →
 * writer → sink, the completeness tracker and its persisted state, the HTTP surface.
 * `close()` shuts down in order: stop receiving (unacked messages stay with the broker),
 * flush what is in the log to the store (bounded wait), persist the figures, close the log.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { builtinProfilesDir, ProfileRegistry } from '@ganzhi/device-profiles';
import { openSegmentLog } from '@ganzhi/durable-log';
import { type Clock, type Random, systemClock, systemRandom, type TimerHandle } from '@ganzhi/runtime';
import type { FastifyInstance } from 'fastify';
import mqtt, { type MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import { createCommandAudit } from './commands/audit.js';
import { type CommandAuditStore, openCommandAudit } from './commands/audit-store.js';
import { completenessLines } from './completeness/points.js';
import { loadTrackerState, saveTrackerState } from './completeness/state-file.js';
import { CompletenessTracker } from './completeness/tracker.js';
import type { IngestConfig } from './config.js';
import { createFleetAudit } from './fleet/audit.js';
import { type FleetStore, openFleetStore } from './fleet/store.js';
import { EventLog } from './guard/event-log.js';
import { GatewayLimits } from './guard/gateway-limits.js';
import { hostPolicy } from './guard/host-check.js';
import { InboundGuard } from './guard/inbound-guard.js';
import { buildHttpApp } from './http/app.js';
import { feedHub } from './hub/feed.js';
import { createMemoryHubSource } from './hub/memory-source.js';
import { OperatorAuth } from './hub/operator-auth.js';
import { storeSeries } from './hub/store-series.js';
import { ingestMetrics } from './metrics.js';
import { createDeadLetters } from './pipeline/dead-letter.js';
import { encodeLogRecord } from './pipeline/log-record.js';
import { makePartition } from './pipeline/partition.js';
import { type Receiver, startReceiver } from './pipeline/receiver.js';
import { Writer } from './pipeline/writer.js';
import type { Sink } from './sink.js';
import { createSink } from './sinks/create-sink.js';
import { SPARKPLUG_DEFAULTS } from './sparkplug/config.js';
import { type RunningSparkplugHost, startSparkplugHost } from './sparkplug/index.js';

export interface Ingest {
  http: FastifyInstance;
  /** the bound HTTP address, e.g. http://127.0.0.1:9464 */
  httpUrl: string;
  receiver: Receiver;
  writer: Writer;
  sink: Sink;
  tracker: CompletenessTracker;
  metrics: ReturnType<typeof ingestMetrics>;
  /** the Sparkplug B host application, when `sparkplug` is configured */
  sparkplug?: RunningSparkplugHost;
  /** the command audit (SQLite tables commands and command_outcomes) */
  commands: CommandAuditStore;
  /** the fleet audit (SQLite tables config_pushes and config_states, same file as the command audit) */
  fleet: FleetStore;
  /** the hub's connection commands are published on, when `hub.mqtt` is configured */
  commandClient?: MqttClient;
  close(opts?: { flushTimeoutMs?: number }): Promise<void>;
}

export interface IngestDeps {
  logger: Logger;
  /** the store; default the one `cfg.store` names */
  sink?: Sink;
  /** timers and time for the writer, the receiver's retries, the store's retries and the completeness points (default systemClock) */
  clock?: Clock;
  /** jitter of the retries (default Math.random) */
  random?: Random;
  /** the profiles whose ids are `model` tags (default: builtin and `cfg.profiles.dirs`) */
  profiles?: ProfileRegistry;
}

/** The profiles the configuration names: builtin (unless off) and the site directories. */
function profilesOf(cfg: IngestConfig): ProfileRegistry {
  const { builtin, dirs } = cfg.profiles;
  if (builtin && dirs.length === 0) return ProfileRegistry.builtin();
  return ProfileRegistry.fromDirs([...(builtin ? [builtinProfilesDir] : []), ...dirs]);
}

export async function startIngest(cfg: IngestConfig, deps: IngestDeps): Promise<Ingest> {
  const { logger } = deps;
  const clock = deps.clock ?? systemClock;
  const random = deps.random ?? systemRandom;
  const metrics = ingestMetrics();
  mkdirSync(cfg.log.dir, { recursive: true });
  const log = openSegmentLog({
    dir: cfg.log.dir,
    fsync: cfg.log.fsyncIntervalMs > 0 ? { intervalMs: cfg.log.fsyncIntervalMs } : 'never',
  });
  if (log.recovery.truncatedBytes > 0) logger.warn({ recovery: log.recovery }, 'log recovered a torn tail');
  const sink =
    deps.sink ??
    (await createSink(cfg.store, {
      clock,
      random,
      onRetry(err, attempt, delayMs) {
        metrics.retries.inc();
        logger.debug({ attempt, delayMs, code: (err as { code?: string }).code }, 'store write retry');
      },
    }));
  mkdirSync(dirname(cfg.completeness.file), { recursive: true });
  const tracker = new CompletenessTracker(loadTrackerState(cfg.completeness.file), {
    maxSeqJump: cfg.completeness.maxSeqJump,
    maxStreamsPerGateway: cfg.limits.streamsPerGateway,
  });
  const deadLetters = createDeadLetters(cfg.deadLetterFile, () => clock.now());
  const profiles = deps.profiles ?? profilesOf(cfg);
  const events = new EventLog({
    logger: logger.child({ component: 'guard' }),
    clock,
    counter: metrics.events,
    suppressedCounter: metrics.eventsSuppressed,
  });
  const limits = new GatewayLimits(cfg.limits);
  // Sparkplug devices carry the host's own model id (set by the host, never from a payload)
  const knownModel = (id: string): boolean =>
    profiles.has(id) || (cfg.sparkplug !== undefined && id === SPARKPLUG_DEFAULTS.model);
  const guard = new InboundGuard({ limits, events, metrics, knownModel });
  const gatewaysOnline = new Map<string, boolean>();
  // the hub page's bookkeeping reads the ingest's tracker and, when the store can be read
  // back (SQLite), charts from the store
  const reader = sink.reader;
  const hub = createMemoryHubSource({
    tracker,
    maxPointsPerDevice: cfg.limits.pointsPerDevice,
    now: () => clock.now(),
    ...(reader ? { series: storeSeries(reader) } : {}),
  });
  // the command audit: in the store's file when it is SQLite, else in hub.commandsFile
  const auditFile =
    cfg.store.type === 'sqlite' ? (cfg.store.file ?? './data/ingest.db') : cfg.hub.commandsFile;
  mkdirSync(dirname(auditFile), { recursive: true });
  const commands = openCommandAudit(auditFile);
  const audit = createCommandAudit(commands, sink.kind.startsWith('influxdb'));
  const fleetStore = openFleetStore(auditFile);
  const writer = new Writer({
    audit,
    fleet: createFleetAudit(fleetStore, sink.kind.startsWith('influxdb')),
    onMessage: (m) => feedHub(hub, m),
    log,
    sink,
    deadLetters,
    tracker,
    metrics,
    logger: logger.child({ component: 'writer' }),
    clock,
    random,
    batchLines: cfg.batch.lines,
    flushMs: cfg.batch.flushMs,
    maxInFlight: cfg.batch.maxInFlight,
    persist: (state) => saveTrackerState(cfg.completeness.file, state),
    onGatewayState: (d, g, online) => gatewaysOnline.set(`${d}/${g}`, online),
    guard,
  });
  const reg = metrics.registry;
  reg.gauge(
    'ganzhi_ingest_log_records',
    'records in the log not yet written to the store',
    () => writer.depth,
  );
  reg.gauge(
    'ganzhi_ingest_log_bytes',
    'bytes in the log not yet written to the store',
    () => log.stats().bytes,
  );
  reg.gauge(
    'ganzhi_ingest_log_dropped',
    'records the log dropped to stay within its bounds',
    () => log.stats().dropped,
  );
  reg.gauge('ganzhi_ingest_store_up', '1 while the store accepts writes', () => (writer.healthy ? 1 : 0));
  reg.gauge(
    'ganzhi_ingest_gateways_online',
    'gateways whose last state message said online',
    () => [...gatewaysOnline.values()].filter(Boolean).length,
  );
  const fig = (k: 'received' | 'missing' | 'duplicates' | 'late') => () =>
    tracker.figures().map((g) => ({ labels: { district: g.district, gateway: g.gateway }, value: g[k] }));
  reg.gauge('ganzhi_ingest_batches_received', 'distinct data batches received per gateway', fig('received'));
  reg.gauge('ganzhi_ingest_batches_missing', 'sequence numbers missing per gateway (gaps)', fig('missing'));
  reg.gauge(
    'ganzhi_ingest_batches_duplicate',
    'data batches received more than once per gateway',
    fig('duplicates'),
  );
  reg.gauge('ganzhi_ingest_batches_late', 'data batches that arrived out of order per gateway', fig('late'));
  reg.gauge('ganzhi_ingest_stream_resets', 'seq jumps past completeness.maxSeqJump per gateway', () =>
    tracker.figures().map((g) => ({ labels: { district: g.district, gateway: g.gateway }, value: g.resets })),
  );
  reg.gauge('ganzhi_ingest_limit_tracked', 'gateways, devices and tag sets the limits remember', () => {
    const n = limits.size;
    return [
      { labels: { what: 'gateways' }, value: n.gateways },
      { labels: { what: 'devices' }, value: n.devices },
      { labels: { what: 'series' }, value: n.series },
    ];
  });

  const partition = makePartition(cfg.partition ?? { by: 'none' }, cfg.mqtt.share);
  const ca = cfg.mqtt.caFile;
  const receiver = startReceiver({
    url: cfg.mqtt.url,
    clientId: cfg.mqtt.clientId,
    username: cfg.mqtt.username,
    password: cfg.mqtt.password,
    partition,
    log,
    maxLogBytes: cfg.log.holdAckAtBytes,
    metrics,
    logger: logger.child({ component: 'receiver' }),
    onAppended: (offset, record) => writer.appended(offset, record),
    clock,
    mqtt: ca ? { ca: [(await import('node:fs')).readFileSync(ca)] } : undefined,
  });
  writer.start();

  // Sparkplug B host application (issue 18): it turns Sparkplug messages into contract
  // messages appended to the same log, so they take the path of our own gateways' data.
  const sparkplugHost = cfg.sparkplug
    ? startSparkplugHost({
        config: cfg.sparkplug,
        url: cfg.sparkplug.mqtt?.url ?? cfg.mqtt.url,
        clientId: cfg.sparkplug.mqtt?.clientId ?? `${cfg.mqtt.clientId}-sparkplug`,
        ...((cfg.sparkplug.mqtt?.username ?? cfg.mqtt.username) !== undefined
          ? { username: (cfg.sparkplug.mqtt?.username ?? cfg.mqtt.username) as string }
          : {}),
        ...((cfg.sparkplug.mqtt?.password ?? cfg.mqtt.password) !== undefined
          ? { password: (cfg.sparkplug.mqtt?.password ?? cfg.mqtt.password) as string }
          : {}),
        ...(ca ? { mqtt: { ca: [(await import('node:fs')).readFileSync(ca)] } } : {}),
        emit(topic, payload) {
          const rec = encodeLogRecord(topic, payload);
          try {
            writer.appended(log.append(rec), rec);
          } catch (err) {
            logger.error({ err: (err as Error).message, topic }, 'Sparkplug message not appended to the log');
          }
        },
        deadLetter: (d) => deadLetters.add([{ kind: 'message', reason: d.reason, topic: d.topic }]),
        clock,
        logger: logger.child({ component: 'sparkplug' }),
        registry: reg,
      })
    : undefined;

  let completenessTimer: TimerHandle | undefined;
  const every = cfg.completeness.writeEveryMs;
  const writeCompleteness = (): void => {
    completenessTimer = clock.setTimeout(writeCompleteness, every);
    const lines = completenessLines(tracker.figures(), clock.now());
    if (lines.length === 0) return;
    sink
      .write(lines)
      .catch((err) =>
        logger.debug({ err: { message: (err as Error).message } }, 'completeness points not written'),
      );
  };
  if (every > 0) completenessTimer = clock.setTimeout(writeCompleteness, every);

  // the hub's command connection (a broker user of role operator, delegate: true)
  const hm = cfg.hub.mqtt;
  const commandClient = hm
    ? mqtt.connect(hm.url ?? cfg.mqtt.url, {
        protocolVersion: 4,
        clientId: hm.clientId,
        clean: true,
        reconnectPeriod: 1000,
        connectTimeout: 10_000,
        ...(hm.username !== undefined ? { username: hm.username } : {}),
        ...(hm.password !== undefined ? { password: hm.password } : {}),
        ...(hm.caFile ? { ca: [(await import('node:fs')).readFileSync(hm.caFile)] } : {}),
      })
    : undefined;
  commandClient?.on('error', (err) =>
    logger.warn({ err: { message: err.message }, component: 'commands' }, 'command connection error'),
  );
  const publish = commandClient
    ? async (topic: string, payload: Buffer): Promise<void> => {
        if (!commandClient.connected) throw new Error('not connected to the broker');
        await commandClient.publishAsync(topic, payload, { qos: 1 });
      }
    : undefined;
  // desired configs are retained: a gateway that connects later still gets its config
  const publishRetained = commandClient
    ? async (topic: string, payload: Buffer): Promise<void> => {
        if (!commandClient.connected) throw new Error('not connected to the broker');
        await commandClient.publishAsync(topic, payload, { qos: 1, retain: true });
      }
    : undefined;
  const operatorAuth = new OperatorAuth(cfg.hub.operators, { clock, ...cfg.hub.loginThrottle });

  const http = buildHttpApp({
    commands: {
      auth: operatorAuth,
      store: commands,
      ...(publish ? { publish } : {}),
      source: hub,
      profiles,
      defaultTtlMs: cfg.hub.defaultTtlMs,
      clock,
      onRefused: (what, why, address, operator) =>
        events.report('operator-refused', { address }, operator ? `${operator}: ${what}` : what, why),
    },
    fleet: {
      auth: operatorAuth,
      store: fleetStore,
      ...(publishRetained ? { publish: publishRetained } : {}),
      source: hub,
      clock,
      onRefused: (what, why, address, operator) =>
        events.report('operator-refused', { address }, operator ? `${operator}: ${what}` : what, why),
    },
    logger,
    hosts: hostPolicy(cfg.http.host, cfg.http.allowedHosts),
    events,
    registry: reg,
    tracker,
    ...(reader ? { series: reader } : {}),
    hub,
    async ready() {
      if (!receiver.connected) throw new Error('not connected to the broker');
      if (receiver.holding) throw new Error('log full: acknowledgements held');
      await sink.check();
    },
  });
  const httpUrl = await http.listen({ host: cfg.http.host, port: cfg.http.port });
  logger.info({ http: httpUrl, store: sink.kind, partition: partition.describe }, 'ingest started');

  let closing: Promise<void> | undefined;
  return {
    http,
    httpUrl,
    receiver,
    writer,
    sink,
    tracker,
    metrics,
    ...(sparkplugHost ? { sparkplug: sparkplugHost } : {}),
    commands,
    fleet: fleetStore,
    ...(commandClient ? { commandClient } : {}),
    close(opts = {}) {
      closing ??= (async () => {
        if (completenessTimer !== undefined) clock.clearTimeout(completenessTimer);
        await sparkplugHost?.close();
        await receiver.close();
        await writer.stop(opts.flushTimeoutMs ?? 10_000);
        log.close();
        await http.close();
        await commandClient?.endAsync(true);
        commands.close();
        fleetStore.close();
        await sink.close();
        logger.info('ingest stopped');
      })();
      return closing;
    },
  };
}
