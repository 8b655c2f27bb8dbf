/**
 * The gateway config's Sparkplug B uplink (issue 18): `delivery.format` chooses what the
 * gateway speaks — our contract (default, the lossless path), Sparkplug B, or both — and
 * `delivery.sparkplug` says as whom.
 *
 *   delivery:
 *     format: both                      # contract | sparkplug | both
 *     sparkplug:
 *       group: dongcheng                # Sparkplug group id
 *       node: dc-gw-01                  # edge node id; default the gateway id
 *       primaryHostId: ganzhi-hub       # births wait for this host's STATE online (optional)
 *       # url / username / password / clientId: default delivery.mqtt's (clientId + ".spb")
 */
import { type Static, Type } from '@sinclair/typebox';

const spbId = (description: string) =>
  Type.String({ minLength: 1, maxLength: 256, pattern: '^[^+/#]+$', description });

export const DeliveryFormat = Type.Union(
  [Type.Literal('contract'), Type.Literal('sparkplug'), Type.Literal('both')],
  {
    description: 'contract (default, lossless), sparkplug (Sparkplug B only) or both',
  },
);

export const SparkplugUplinkConfig = Type.Object(
  {
    group: spbId('Sparkplug group id'),
    node: Type.Optional(spbId('edge node id; default the gateway id')),
    primaryHostId: Type.Optional(
      spbId('wait for spBv1.0/STATE/<id> online before births; go offline when it does'),
    ),
    url: Type.Optional(
      Type.String({ pattern: '^(mqtts?|wss?)://', description: 'default delivery.mqtt.url' }),
    ),
    clientId: Type.Optional(
      Type.String({
        description:
          'default <delivery.mqtt clientId>.spb (the broker binds gateway ids to gz-{district}-{gateway}[.suffix])',
      }),
    ),
    username: Type.Optional(Type.String({ description: 'default delivery.mqtt.username' })),
    password: Type.Optional(
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows the reference syntax
      Type.String({ description: 'default delivery.mqtt.password; ${ENV:NAME} or ${FILE:/path}' }),
    ),
  },
  { additionalProperties: false },
);

export type DeliveryFormat = Static<typeof DeliveryFormat>;
export type SparkplugUplinkConfig = Static<typeof SparkplugUplinkConfig>;
