/**
 * The broker's HTTP surface (fastify): /healthz (alive), /readyz (can store and route messages),
 * /metrics (Prometheus text) and the read-only
 * /api/clients. Built separately from listen() so tests can use app.inject().
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { type HostCheckOptions, hostCheck } from './host-check.js';

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
  /** QoS 1/2 messages sent and not yet acknowledged (null when maxInflightOutbound is 0) */
  inflight: number | null;
  /** QoS 1/2 messages waiting for an in-flight slot */
  waiting: number | null;
}

export interface HttpSources {
  healthy(): { ok: boolean; detail: Record<string, unknown> };
  metrics(): Promise<string> | string;
  clients(): ClientInfo[];
  /** readiness: false while the broker cannot store messages (Redis unreachable) */
  ready?(): Promise<{ ok: boolean; detail: Record<string, unknown> }>;
}

export function buildHttpApp(src: HttpSources, hosts: HostCheckOptions): FastifyInstance {
  const app = Fastify({ logger: false });
  hostCheck(app, hosts);
  app.get('/healthz', async (_req, reply) => {
    const h = src.healthy();
    return reply.code(h.ok ? 200 : 503).send({ status: h.ok ? 'ok' : 'unavailable', ...h.detail });
  });
  app.get('/readyz', async (_req, reply) => {
    const r = src.ready ? await src.ready() : src.healthy();
    return reply.code(r.ok ? 200 : 503).send({ status: r.ok ? 'ready' : 'unavailable', ...r.detail });
  });
  app.get('/metrics', async (_req, reply) => {
    const text = await src.metrics();
    return reply.type('text/plain; version=0.0.4; charset=utf-8').send(text);
  });
  app.get('/api/clients', async () => ({ clients: src.clients() }));
  return app;
}
