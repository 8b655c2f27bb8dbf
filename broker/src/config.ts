/**
 * Broker configuration: a YAML (or JSON) file validated against a TypeBox schema, then
 * command-line flags on top. Every problem is reported at once, each naming its path.
 */
import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml } from 'yaml';
import { BrokerError } from './errors.js';

const Host = Type.String({ minLength: 1, description: 'bind address; 127.0.0.1 unless you mean it' });
const Port = Type.Integer({ minimum: 0, maximum: 65535, description: '0 picks a free port' });

export const ConfigSchema = Type.Object(
  {
    id: Type.Optional(Type.String({ minLength: 1, description: 'broker id (appears in $SYS topics)' })),
    listeners: Type.Object(
      {
        tcp: Type.Optional(
          Type.Object({ port: Port, host: Type.Optional(Host) }, { additionalProperties: false }),
        ),
        tls: Type.Optional(
          Type.Object(
            {
              port: Port,
              host: Type.Optional(Host),
              cert: Type.String({ minLength: 1, description: 'PEM server certificate file' }),
              key: Type.String({ minLength: 1, description: 'PEM private key file' }),
              ca: Type.Optional(
                Type.String({
                  minLength: 1,
                  description: 'PEM CA for client certificates (enables cert identity)',
                }),
              ),
            },
            { additionalProperties: false },
          ),
        ),
        ws: Type.Optional(
          Type.Object(
            { port: Port, host: Type.Optional(Host), path: Type.Optional(Type.String({ pattern: '^/' })) },
            { additionalProperties: false },
          ),
        ),
      },
      { additionalProperties: false },
    ),
    http: Type.Optional(
      Type.Object({ port: Port, host: Type.Optional(Host) }, { additionalProperties: false }),
    ),
    users: Type.Optional(Type.String({ minLength: 1, description: 'credentials file (JSON or YAML)' })),
    allowAnonymous: Type.Optional(Type.Boolean()),
    redis: Type.Optional(
      Type.String({ pattern: '^rediss?://', description: 'redis://host:port/db — cluster mode' }),
    ),
    persistence: Type.Optional(
      Type.Object(
        {
          dataDir: Type.Optional(
            Type.String({
              minLength: 1,
              description: 'directory for broker.db: sessions survive a crash (disk mode); unset = memory',
            }),
          ),
          sync: Type.Optional(
            Type.Union([Type.Literal('normal'), Type.Literal('full')], {
              description:
                'normal: survives kill -9 of the broker; full: fsync every commit, survives a power cut',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    limits: Type.Optional(
      Type.Object(
        {
          maxPacketBytes: Type.Optional(Type.Integer({ minimum: 64, maximum: 268435455 })),
          maxConnections: Type.Optional(Type.Integer({ minimum: 1 })),
          connectsPerSecondPerIp: Type.Optional(Type.Number({ exclusiveMinimum: 0 })),
          connectBurstPerIp: Type.Optional(Type.Integer({ minimum: 1 })),
          maxInflightInbound: Type.Optional(Type.Integer({ minimum: 1, maximum: 65535 })),
          maxInflightOutbound: Type.Optional(
            Type.Integer({
              minimum: 0,
              maximum: 65535,
              description: 'QoS 1/2 messages sent to one client and not yet acknowledged; 0 = no limit',
            }),
          ),
          maxQueuedPerClient: Type.Optional(Type.Integer({ minimum: 0 })),
          maxQueuedBeforeConnack: Type.Optional(Type.Integer({ minimum: 1 })),
          keepaliveLimitSeconds: Type.Optional(Type.Integer({ minimum: 0, maximum: 65535 })),
          drainTimeoutMs: Type.Optional(Type.Integer({ minimum: 0 })),
        },
        { additionalProperties: false },
      ),
    ),
    heartbeatIntervalMs: Type.Optional(Type.Integer({ minimum: 100 })),
    logLevel: Type.Optional(
      Type.Union(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'].map((l) => Type.Literal(l))),
    ),
  },
  { additionalProperties: false },
);

export type BrokerConfigFile = Static<typeof ConfigSchema>;

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
  http?: { port: number; host: string };
  users?: string;
  allowAnonymous: boolean;
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
  return problems;
}

/** Turns a validated file (relative paths resolved against baseDir) into a BrokerConfig. */
export function resolveConfig(file: BrokerConfigFile, baseDir: string): BrokerConfig {
  const abs = (p: string) => resolve(baseDir, p);
  const l = file.listeners;
  const cfg: BrokerConfig = {
    listeners: {},
    allowAnonymous: file.allowAnonymous ?? false,
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
  if (file.http) cfg.http = { port: file.http.port, host: file.http.host ?? DEFAULT_HOST };
  if (file.users) cfg.users = abs(file.users);
  if (file.redis) cfg.redis = file.redis;
  if (file.persistence?.dataDir) {
    cfg.persistence = { dataDir: abs(file.persistence.dataDir), sync: file.persistence.sync ?? 'normal' };
  }
  return cfg;
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
