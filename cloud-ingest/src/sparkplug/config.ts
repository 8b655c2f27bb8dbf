/**
 * The ingest's `sparkplug` section: the hub as a Sparkplug B host application (issue 18).
 *
 *   sparkplug:
 *     hostId: ganzhi-hub            # spBv1.0/STATE/ganzhi-hub (primary host STATE)
 *     groups:
 *       - group: "Plant A"          # Sparkplug group id → one district
 *         district: north
 *         nodes: { "Edge 1": gw-plant-a-1 }   # edge node id → gateway id (else derived)
 *         measurement: sparkplug    # measurement of the devices of this group
 *     reorderTimeoutMs: 2000        # a seq gap not filled within this → Rebirth request
 */
import { type Static, Type } from '@sinclair/typebox';

const contractId = (description?: string, dflt?: string) =>
  Type.String({
    pattern: '^[a-z0-9][a-z0-9_-]{0,63}$',
    ...(description ? { description } : {}),
    ...(dflt ? { default: dflt } : {}),
  });
/** Sparkplug 3.0 §4.1.2–4.1.5: UTF-8 without + / # */
const spbId = (description?: string) =>
  Type.String({
    minLength: 1,
    maxLength: 256,
    pattern: '^[^+/#]+$',
    ...(description ? { description } : {}),
  });

export const SparkplugGroupSchema = Type.Object(
  {
    group: spbId('Sparkplug group id'),
    district: contractId('district id the group maps to'),
    nodes: Type.Optional(
      Type.Record(Type.String(), contractId(), {
        description:
          'edge node id → gateway id; a node not listed maps to its id lower-cased, other characters as "-"',
      }),
    ),
    measurement: Type.Optional(
      Type.String({
        pattern: '^[a-z][a-z0-9_]{0,62}$',
        description: 'measurement of this group devices (default "sparkplug")',
      }),
    ),
  },
  { additionalProperties: false },
);

export const SparkplugHostConfigSchema = Type.Object(
  {
    hostId: spbId('the Sparkplug host id: spBv1.0/STATE/{hostId}'),
    primary: Type.Boolean({
      default: true,
      description: 'publish the primary host STATE (births of nodes that wait for this host)',
    }),
    groups: Type.Array(SparkplugGroupSchema, { minItems: 1 }),
    reorderTimeoutMs: Type.Integer({
      minimum: 0,
      default: 2000,
      description: 'how long a seq gap may stay open before a Rebirth is requested (0: at once)',
    }),
    rebirthMinIntervalMs: Type.Integer({
      minimum: 0,
      default: 5000,
      description: 'at most one Rebirth request per edge node within this',
    }),
    nodeDevice: contractId('device id the edge node own metrics (NBIRTH/NDATA) are stored under', 'node'),
    mqtt: Type.Optional(
      Type.Object(
        {
          url: Type.Optional(Type.String()),
          clientId: Type.Optional(Type.String({ description: 'default <mqtt.clientId>-sparkplug' })),
          username: Type.Optional(Type.String()),
          password: Type.Optional(Type.String()),
        },
        { additionalProperties: false, description: 'default: the ingest mqtt connection settings' },
      ),
    ),
  },
  { additionalProperties: false },
);

export type SparkplugHostConfig = Static<typeof SparkplugHostConfigSchema>;
export type SparkplugGroupConfig = Static<typeof SparkplugGroupSchema>;

export const SPARKPLUG_DEFAULTS = {
  primary: true,
  reorderTimeoutMs: 2000,
  rebirthMinIntervalMs: 5000,
  nodeDevice: 'node',
  measurement: 'sparkplug',
  /** profile id (model tag) of every Sparkplug device */
  model: 'sparkplug-b',
} as const;
