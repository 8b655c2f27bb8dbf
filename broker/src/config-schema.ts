/**
 * The broker config file's schema (TypeBox): what `validateConfig` checks and what
 * schema/broker-config.schema.json ships for editors.
 */
import { type Static, Type } from '@sinclair/typebox';

const Host = Type.String({ minLength: 1, description: 'bind address; 127.0.0.1 unless you mean it' });
const Port = Type.Integer({ minimum: 0, maximum: 65535, description: '0 picks a free port' });
const IdForms = Type.Array(Type.String({ minLength: 1, maxLength: 256 }), { maxItems: 64 });

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
      Type.Object(
        {
          port: Port,
          host: Type.Optional(Host),
          allowedHosts: Type.Optional(
            Type.Array(Type.String({ minLength: 1 }), {
              description:
                'Host header names the HTTP API answers to (besides localhost, 127.0.0.1, ::1 and the bind address): DNS-rebinding protection',
            }),
          ),
        },
        { additionalProperties: false },
      ),
    ),
    users: Type.Optional(Type.String({ minLength: 1, description: 'credentials file (JSON or YAML)' })),
    allowAnonymous: Type.Optional(Type.Boolean()),
    clientIds: Type.Optional(
      Type.Object(
        {
          gateway: Type.Optional(IdForms),
          ingest: Type.Optional(IdForms),
          viewer: Type.Optional(IdForms),
          operator: Type.Optional(IdForms),
          admin: Type.Optional(IdForms),
          reserved: Type.Optional(
            Type.Object(
              {
                gateway: Type.Optional(IdForms),
                ingest: Type.Optional(IdForms),
                viewer: Type.Optional(IdForms),
                operator: Type.Optional(IdForms),
                admin: Type.Optional(IdForms),
              },
              { additionalProperties: false, description: 'forms no other role may use' },
            ),
          ),
        },
        {
          additionalProperties: false,
          description:
            'client ids each role may connect with ({user}, {district}, {gateway}, * = one or more of A-Za-z0-9_.-); a role listed here replaces its defaults',
        },
      ),
    ),
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
          connectTimeoutMs: Type.Optional(
            Type.Integer({ minimum: 100, description: 'a socket that sends no CONNECT by then is closed' }),
          ),
          maxClientIdLength: Type.Optional(
            Type.Integer({ minimum: 23, maximum: 65535, description: 'longest client id accepted (bytes)' }),
          ),
          maxConnectionsPerIp: Type.Optional(
            Type.Integer({ minimum: 0, description: 'open sockets per client address; 0 = no limit' }),
          ),
          maxConnectionsPerIpExempt: Type.Optional(
            Type.Array(Type.String({ minLength: 1 }), {
              description:
                'addresses not capped per address (default 127.0.0.1 and ::1: local processes, a local TLS proxy)',
            }),
          ),
          tlsHandshakeTimeoutMs: Type.Optional(
            Type.Integer({
              minimum: 100,
              description: 'a TLS socket that has not finished its handshake by then is closed',
            }),
          ),
          loginBackoffAfterFailures: Type.Optional(
            Type.Integer({
              minimum: 1,
              description: 'failed logins per address, and per user, before further attempts wait',
            }),
          ),
          loginBackoffMaxMs: Type.Optional(
            Type.Integer({ minimum: 0, description: 'longest wait after repeated failed logins' }),
          ),
          maxConcurrentPasswordChecks: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 64, description: 'scrypt hashes computed at once' }),
          ),
          maxQueuedPasswordChecks: Type.Optional(
            Type.Integer({ minimum: 0, description: 'logins waiting for a hash; beyond: CONNACK 3' }),
          ),
          maxDevicesPerGateway: Type.Optional(
            Type.Integer({ minimum: 1, description: 'distinct device ids one gateway may publish under' }),
          ),
          maxRetainedPerGateway: Type.Optional(
            Type.Integer({ minimum: 1, description: 'retained topics one gateway may hold' }),
          ),
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
