/**
 * The gateway config's `http` section: the local status page, /metrics, /healthz, /readyz and
 * /api/devices. The HTTP surface owns it; the config schema composes it.
 */
import { type Static, Type } from '@sinclair/typebox';

export const HttpConfig = Type.Object(
  {
    host: Type.Optional(Type.String({ description: 'default 127.0.0.1 (loopback only)' })),
    port: Type.Optional(
      Type.Integer({ minimum: 0, maximum: 65535, description: 'default 8080; 0 = any free port' }),
    ),
    enabled: Type.Optional(Type.Boolean({ description: 'default true' })),
    allowedHosts: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description:
          'names (without port) this page may be reached by, besides localhost, IP addresses and `host`: ' +
          'a request with any other Host header is refused (DNS rebinding), e.g. [gw-haidian-01.local]',
      }),
    ),
  },
  { additionalProperties: false },
);

export type HttpConfig = Static<typeof HttpConfig>;

export const HTTP_DEFAULTS = { host: '127.0.0.1', port: 8080 } as const;
