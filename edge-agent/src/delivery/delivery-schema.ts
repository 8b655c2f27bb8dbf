/**
 * The gateway config's `delivery` section: where readings go (MQTT, with the durable buffer in
 * front). Delivery owns it; the config schema composes it (config/config-schema.ts).
 */
import { type Static, Type } from '@sinclair/typebox';
import { DeliveryFormat, SparkplugUplinkConfig } from '../delivery/sparkplug/config.js';

export const MqttConfig = Type.Object(
  {
    url: Type.String({
      pattern: '^(mqtts?|wss?)://',
      description: 'broker URL: mqtt://host:1883, mqtts://host:8883 (TLS), ws:// or wss://',
    }),
    clientId: Type.Optional(Type.String({ description: 'default gz-<district>-<gateway>' })),
    username: Type.Optional(Type.String()),
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows the reference syntax
    password: Type.Optional(Type.String({ description: 'use ${ENV:NAME} or ${FILE:/path}, never inline' })),
    caFile: Type.Optional(
      Type.String({ description: 'CA certificate (PEM) that signed the broker certificate' }),
    ),
    certFile: Type.Optional(
      Type.String({ description: 'client certificate (PEM) for certificate identity' }),
    ),
    keyFile: Type.Optional(Type.String({ description: 'client private key (PEM)' })),
    rejectUnauthorized: Type.Optional(
      Type.Boolean({ description: 'verify the broker certificate; default true (keep it)' }),
    ),
    keepaliveS: Type.Optional(Type.Integer({ minimum: 5, maximum: 3600, description: 'default 30' })),
    reconnect: Type.Optional(
      Type.Object(
        {
          initialMs: Type.Integer({ minimum: 10, description: 'first reconnect delay; default 1000' }),
          maxMs: Type.Integer({ minimum: 10, description: 'longest reconnect delay; default 60000' }),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);

export const BufferConfig = Type.Object(
  {
    dir: Type.Optional(Type.String({ description: 'default <stateDir>/buffer' })),
    maxBytes: Type.Optional(
      Type.Integer({
        minimum: 1_048_576,
        description: 'buffer bound; oldest batches dropped past it; default 512 MiB',
      }),
    ),
    maxAgeMs: Type.Optional(
      Type.Integer({
        minimum: 60_000,
        description: 'batches older than this are dropped (counted); default 7 days',
      }),
    ),
    fsync: Type.Optional(
      Type.Union([Type.Literal('always'), Type.Literal('never'), Type.Integer({ minimum: 10 })], {
        description:
          'when the buffer is forced to disk: always (every batch), never (kill -9 safe, not power-cut safe), or a ' +
          'period in ms (the power-cut window); default 1000',
      }),
    ),
  },
  { additionalProperties: false },
);

export const DeliveryConfig = Type.Object(
  {
    mqtt: MqttConfig,
    // Sparkplug B uplink (issue 18): edge-agent/src/delivery/sparkplug/config.ts
    format: Type.Optional(DeliveryFormat),
    sparkplug: Type.Optional(SparkplugUplinkConfig),
    buffer: Type.Optional(BufferConfig),
    batch: Type.Optional(
      Type.Object(
        {
          maxReadings: Type.Optional(
            Type.Integer({ minimum: 1, maximum: 10_000, description: 'default 500' }),
          ),
          maxBytes: Type.Optional(Type.Integer({ minimum: 1024, description: 'default 131072' })),
        },
        { additionalProperties: false },
      ),
    ),
    maxInflight: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 1000, description: 'batches awaiting PUBACK; default 64' }),
    ),
    maxPublishRate: Type.Optional(
      Type.Integer({
        minimum: 1,
        description: 'batches per second at most (replay after an outage); default 1000',
      }),
    ),
  },
  { additionalProperties: false },
);

export type DeliveryConfig = Static<typeof DeliveryConfig>;
export type MqttConfig = Static<typeof MqttConfig>;

export const DELIVERY_DEFAULTS = {
  bufferMaxBytes: 512 * 1024 * 1024,
  bufferMaxAgeMs: 7 * 24 * 3600 * 1000,
  fsyncIntervalMs: 1000,
} as const;
