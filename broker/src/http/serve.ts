/** The HTTP API on its own port: health, readiness, /metrics, /api/clients, behind the Host check. */
import type { Aedes } from 'aedes';
import type { FastifyInstance } from 'fastify';
import type { BrokerConfig } from '../config.js';
import type { Address } from '../connection/listeners.js';
import type { ClientTable } from '../introspection.js';
import type { PersistenceChoice } from '../persistence/choose.js';
import type { Policy } from '../policy.js';
import { buildHttpApp } from './http-api.js';

export interface HttpParts {
  aedes: Aedes;
  config: BrokerConfig;
  table: ClientTable;
  store: PersistenceChoice;
  policy: Policy;
  metricsText(): string;
}

export async function startHttp(
  cfg: NonNullable<BrokerConfig['http']>,
  parts: HttpParts,
): Promise<{ app: FastifyInstance; address: Address | undefined }> {
  const { aedes, table, store, policy } = parts;
  const app = buildHttpApp(
    {
      healthy: () => ({
        ok: !aedes.closed,
        detail: { id: aedes.id, connections: table.count(), redis: parts.config.redis !== undefined },
      }),
      metrics: parts.metricsText,
      clients: () => table.list(),
      ready: async () => {
        if (aedes.closed) return { ok: false, detail: { id: aedes.id } };
        if (!store.ready) return { ok: true, detail: { id: aedes.id } };
        const up = await store.ready();
        return { ok: up, detail: { id: aedes.id, redis: up ? 'up' : 'down' } };
      },
    },
    {
      allowedHosts: cfg.allowedHosts ?? [],
      bindHost: cfg.host,
      onRefused: (host, ip) =>
        policy.security.event('http_host_refused', {
          ip,
          listener: 'http',
          what: host,
          why: 'Host header not allowed',
        }),
    },
  );
  try {
    await app.listen({ port: cfg.port, host: cfg.host });
  } catch (err) {
    await app.close();
    throw err;
  }
  const a = app.server.address();
  return { app, address: a && typeof a === 'object' ? { host: a.address, port: a.port } : undefined };
}
