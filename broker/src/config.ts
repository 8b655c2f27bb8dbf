/**
 * Broker configuration: a YAML (or JSON) file validated against a TypeBox schema, then
 * command-line flags on top. Every problem is reported at once, each naming its path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { type ClientIdRules, clientIdRuleProblems, DEFAULT_CLIENT_ID_RULES } from './auth/client-id-rules.js';
import type { Role } from './auth/identity.js';
import { type BrokerConfigFile, ConfigSchema } from './config-schema.js';
import { BrokerError } from './errors.js';

export { type BrokerConfigFile, ConfigSchema } from './config-schema.js';

export interface Limits {
  maxPacketBytes: number;
  maxConnections: number;
  connectsPerSecondPerIp: number;
  connectBurstPerIp: number;
  maxInflightInbound: number;
  /** QoS 1/2 PUBLISH written to one client and not acknowledged, at most (0 = unlimited) */
  maxInflightOutbound: number;
  maxQueuedPerClient: number;
  maxQueuedBeforeConnack: number;
  keepaliveLimitSeconds: number;
  drainTimeoutMs: number;
  /** a socket that has not sent its CONNECT by then is closed */
  connectTimeoutMs: number;
  /** longest client id accepted, in bytes (CONNACK 2 beyond) */
  maxClientIdLength: number;
  /** open sockets per client address (0 = no limit) */
  maxConnectionsPerIp: number;
  /** addresses not capped per address: local processes, a TLS-terminating proxy on this host */
  maxConnectionsPerIpExempt: readonly string[];
  /** a TLS socket that has not finished its handshake by then is closed */
  tlsHandshakeTimeoutMs: number;
  /** failed logins per address, and per user, before further attempts wait (doubling) */
  loginBackoffAfterFailures: number;
  /** the longest such wait */
  loginBackoffMaxMs: number;
  /** scrypt hashes computed at once */
  maxConcurrentPasswordChecks: number;
  /** logins waiting for a hash, at most; beyond: CONNACK 3 */
  maxQueuedPasswordChecks: number;
  /** distinct device ids one gateway may publish under */
  maxDevicesPerGateway: number;
  /** retained topics one gateway may hold */
  maxRetainedPerGateway: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = Object.freeze({
  maxPacketBytes: 256 * 1024,
  maxConnections: 20_000,
  connectsPerSecondPerIp: 50,
  connectBurstPerIp: 200,
  maxInflightInbound: 100,
  maxInflightOutbound: 1000,
  maxQueuedPerClient: 1_000_000,
  maxQueuedBeforeConnack: 42,
  keepaliveLimitSeconds: 0,
  drainTimeoutMs: 60_000,
  connectTimeoutMs: 10_000,
  maxClientIdLength: 256,
  maxConnectionsPerIp: 100,
  maxConnectionsPerIpExempt: Object.freeze(['127.0.0.1', '::1']),
  tlsHandshakeTimeoutMs: 10_000,
  loginBackoffAfterFailures: 5,
  loginBackoffMaxMs: 60_000,
  maxConcurrentPasswordChecks: 2,
  maxQueuedPasswordChecks: 64,
  maxDevicesPerGateway: 1000,
  maxRetainedPerGateway: 2001,
});

export const DEFAULT_HOST = '127.0.0.1';

/** The resolved configuration the broker factory takes (paths absolute, defaults filled). */
export interface BrokerConfig {
  id?: string;
  listeners: {
    tcp?: { port: number; host: string };
    tls?: { port: number; host: string; cert: string; key: string; ca?: string };
    ws?: { port: number; host: string; path: string };
  };
  http?: { port: number; host: string; allowedHosts?: string[] };
  users?: string;
  allowAnonymous: boolean;
  /** which client ids each role may use (auth/client-id-rules.ts) */
  clientIds: ClientIdRules;
  redis?: string;
  /** disk mode (sessions in dataDir/broker.db); absent = memory mode */
  persistence?: { dataDir: string; sync: 'normal' | 'full' };
  limits: Limits;
  heartbeatIntervalMs: number;
  logLevel: string;
}

export interface ConfigProblem {
  path: string;
  message: string;
}

function jsonPointerToPath(pointer: string): string {
  if (pointer === '') return '(root)';
  return pointer
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s, i) => (/^\d+$/.test(s) ? `[${s}]` : i === 0 ? s : `.${s}`))
    .join('');
}

/** Validates a parsed config document; returns every problem, each naming its path. */
export function validateConfig(value: unknown): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const seen = new Set<string>();
  for (const e of Value.Errors(ConfigSchema, value)) {
    const path = jsonPointerToPath(e.path);
    const key = `${path}\u0000${e.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    problems.push({ path, message: e.message });
  }
  if (problems.length === 0) {
    const ids = (value as BrokerConfigFile).clientIds;
    if (ids) problems.push(...clientIdRuleProblems(ids));
  }
  return problems;
}

/** Turns a validated file (relative paths resolved against baseDir) into a BrokerConfig. */
export function resolveConfig(file: BrokerConfigFile, baseDir: string): BrokerConfig {
  const abs = (p: string) => resolve(baseDir, p);
  const l = file.listeners;
  const cfg: BrokerConfig = {
    listeners: {},
    allowAnonymous: file.allowAnonymous ?? false,
    clientIds: clientIdRules(file.clientIds),
    limits: { ...DEFAULT_LIMITS, ...file.limits },
    heartbeatIntervalMs: file.heartbeatIntervalMs ?? 60_000,
    logLevel: file.logLevel ?? 'info',
  };
  if (file.id !== undefined) cfg.id = file.id;
  if (l.tcp) cfg.listeners.tcp = { port: l.tcp.port, host: l.tcp.host ?? DEFAULT_HOST };
  if (l.tls) {
    cfg.listeners.tls = {
      port: l.tls.port,
      host: l.tls.host ?? DEFAULT_HOST,
      cert: abs(l.tls.cert),
      key: abs(l.tls.key),
      ...(l.tls.ca ? { ca: abs(l.tls.ca) } : {}),
    };
  }
  if (l.ws)
    cfg.listeners.ws = { port: l.ws.port, host: l.ws.host ?? DEFAULT_HOST, path: l.ws.path ?? '/mqtt' };
  if (file.http) {
    cfg.http = { port: file.http.port, host: file.http.host ?? DEFAULT_HOST };
    if (file.http.allowedHosts) cfg.http.allowedHosts = [...file.http.allowedHosts];
  }
  if (file.users) cfg.users = abs(file.users);
  if (file.redis) cfg.redis = file.redis;
  if (file.persistence?.dataDir) {
    cfg.persistence = { dataDir: abs(file.persistence.dataDir), sync: file.persistence.sync ?? 'normal' };
  }
  return cfg;
}

/** The configured client-id forms over the defaults: a role listed replaces its own forms. */
function clientIdRules(file: BrokerConfigFile['clientIds']): ClientIdRules {
  if (!file) return DEFAULT_CLIENT_ID_RULES;
  const { reserved, ...allow } = file;
  const roles = allow as Partial<Record<Role, string[]>>;
  return {
    gateway: roles.gateway ?? DEFAULT_CLIENT_ID_RULES.gateway,
    ingest: roles.ingest ?? DEFAULT_CLIENT_ID_RULES.ingest,
    viewer: roles.viewer ?? DEFAULT_CLIENT_ID_RULES.viewer,
    operator: roles.operator ?? DEFAULT_CLIENT_ID_RULES.operator,
    admin: roles.admin ?? DEFAULT_CLIENT_ID_RULES.admin,
    reserved: { ...DEFAULT_CLIENT_ID_RULES.reserved, ...reserved },
  };
}

/** Reads, parses and validates a config file; throws GZ_BROKER_CONFIG listing every problem. */
export function loadConfigFile(file: string): BrokerConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new BrokerError('GZ_BROKER_CONFIG', `cannot read config file ${file}`, { cause });
  }
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new BrokerError('GZ_BROKER_CONFIG', `${file}: not valid YAML/JSON: ${(cause as Error).message}`, {
      cause,
    });
  }
  const problems = validateConfig(doc ?? {});
  if (problems.length > 0) {
    throw new BrokerError(
      'GZ_BROKER_CONFIG',
      `${file}: ${problems.length} problem(s):\n${problems.map((p) => `  ${p.path}: ${p.message}`).join('\n')}`,
    );
  }
  return resolveConfig(doc as BrokerConfigFile, dirname(resolve(file)));
}

/** A config with nothing but defaults (no listeners); the CLI fills it from flags. */
export function emptyConfig(): BrokerConfig {
  return resolveConfig({ listeners: {} }, process.cwd());
}
