/**
 * The broker's HTTP surface (fastify): /healthz, /metrics (Prometheus text) and the read-only
 * /api/clients. Built separately from listen() so tests can use app.inject().
 */
import Fastify, { type FastifyInstance } from 'fastify';

export interface ClientInfo {
  clientId: string;
  user: string | null;
  role: string | null;
  via: string | null;
  ip: string;
  listener: string;
  clean: boolean;
  connectedAt: string;
  subscriptions: string[];
  queued: number | null;
}

export interface HttpSources {
  healthy(): { ok: boolean; detail: Record<string, unknown> };
  metrics(): Promise<string> | string;
  clients(): ClientInfo[];
}

export function buildHttpApp(src: HttpSources): FastifyInstance {
  const app = Fastify({ logger: false });
  app.get('/healthz', async (_req, reply) => {
    const h = src.healthy();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unavailable', ...h.detail });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await src.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  app.get('/api/clients', async () => ({ clients: src.clients() }));
  return app;
}
