/**
 * What an OPC UA device adds to its config entry (`opcua`) and to its device spec. TypeBox
 * only: the config schema and `validate` import this without loading node-opcua.
 */
import { type Static, Type } from '@sinclair/typebox';
import type { DeviceSpecBase } from '../driver.js';
import type { OpcuaEndpoint } from './endpoint.js';

const Ms = (description: string, minimum = 1) =>
  Type.Integer({ minimum, description: `${description}, in ms` });

export const TRUST_MODES = ['strict', 'tofu', 'auto-accept'] as const;
export type TrustMode = (typeof TRUST_MODES)[number];
/** least privilege: nothing is trusted that the operator (or a trusted CA) did not trust */
export const DEFAULT_TRUST: TrustMode = 'strict';

export const OpcuaIdentity = Type.Union([
  Type.Object({ type: Type.Literal('anonymous') }, { additionalProperties: false }),
  Type.Object(
    {
      type: Type.Literal('username'),
      username: Type.String(),
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the description shows the reference syntax
      password: Type.String({ description: 'use ${ENV:NAME} or ${FILE:/path}' }),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      type: Type.Literal('certificate'),
      certificateFile: Type.String(),
      privateKeyFile: Type.String(),
    },
    { additionalProperties: false },
  ),
]);

export const OpcuaOptions = Type.Object(
  {
    securityMode: Type.Optional(
      Type.Union([Type.Literal('None'), Type.Literal('Sign'), Type.Literal('SignAndEncrypt')], {
        description: 'default None',
      }),
    ),
    securityPolicy: Type.Optional(
      Type.Union(
        [
          Type.Literal('None'),
          Type.Literal('Basic256Sha256'),
          Type.Literal('Aes128_Sha256_RsaOaep'),
          Type.Literal('Aes256_Sha256_RsaPss'),
        ],
        { description: 'default Basic256Sha256 when securityMode is not None' },
      ),
    ),
    identity: Type.Optional(OpcuaIdentity),
    trust: Type.Optional(
      Type.Union(
        TRUST_MODES.map((m) => Type.Literal(m)),
        {
          description:
            'how the server certificate is trusted (Sign/SignAndEncrypt): strict (default) = only certificates in ' +
            '<pkiDir>/trusted or issued by a trusted CA, an unknown one is refused and filed in <pkiDir>/rejected; ' +
            'tofu = the first certificate seen is pinned, a different one later is refused; auto-accept = any ' +
            '(only on an isolated network). Expired and revoked certificates are always refused',
        },
      ),
    ),
    pkiDir: Type.Optional(
      Type.String({
        description: 'certificate store (own, trusted, rejected, issuers); default <stateDir>/pki/opcua',
      }),
    ),
    namespaceUri: Type.Optional(
      Type.String({
        description:
          "the URI this server uses for the profile's namespace, when it differs (e.g. one server hosting several stations)",
      }),
    ),
    mode: Type.Optional(
      Type.Union([Type.Literal('subscribe'), Type.Literal('poll')], {
        description: 'subscribe (monitored items, default) or poll (Read service each interval)',
      }),
    ),
    samplingIntervalMs: Type.Optional(Ms('monitored-item sampling interval; default the poll interval', 0)),
    queueSize: Type.Optional(
      Type.Integer({ minimum: 1, description: 'monitored-item queue size; default 10' }),
    ),
    watchdogMs: Type.Optional(
      Ms(
        'no keep-alive, notification or successful read for this long → rebuild the session; default max(3 s, 12 × min(poll interval, 1 s)); a polled session at least 2 × poll interval + timeout',
      ),
    ),
  },
  { additionalProperties: false },
);

/** The config keys an OPC UA device entry may carry. */
export const OPCUA_DEVICE_FIELDS = { opcua: Type.Optional(OpcuaOptions) };

export type OpcuaOptions = Static<typeof OpcuaOptions>;
export type OpcuaIdentity = Static<typeof OpcuaIdentity>;

/** The options as the driver gets them: files absolute, the PKI folder and trust mode decided. */
export type OpcuaSettings = Omit<OpcuaOptions, 'pkiDir' | 'trust'> & { pkiDir: string; trust: TrustMode };

export interface OpcuaDeviceSpec extends DeviceSpecBase {
  protocol: 'opcua';
  endpoint: OpcuaEndpoint;
  opcua: OpcuaSettings;
}
