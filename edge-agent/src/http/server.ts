/**
 * The agent's local HTTP surface (fastify, loopback by default): health, readiness,
 * Prometheus metrics, the devices API and the status page. Requests that name another host
 * are refused (host-check.ts).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import { installHostCheck } from './host-check.js';
import { renderMetrics } from './metrics.js';
import { type AgentSources, deviceViews, uplinkView } from './snapshot.js';
import { STATUS_PAGE } from './status-page.js';

export function buildHttp(src: AgentSources): FastifyInstance {
  const app = Fastify({ logger: false });
  installHostCheck(app, src.allowedHosts ?? []);
  app.get('/healthz', async () => ({
    status: 'ok',
    uptimeS: Math.round((src.clock.now() - src.startedAt) / 1000),
  }));
  app.get('/readyz', async (_req, reply) => {
    const u = uplinkView(src);
    const devices = deviceViews(src);
    const body = {
      ready: u ? u.connected : true,
      uplink: u ? (u.connected ? 'connected' : 'offline') : 'none',
      backlog: u?.backlog ?? 0,
      bufferBytes: u?.bufferBytes ?? 0,
      devicesUp: devices.filter((d) => d.state === 'up').length,
      devices: devices.length,
    };
    return reply.code(body.ready ? 200 : 503).send(body);
  });
  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4; charset=utf-8').send(renderMetrics(src)),
  );
  app.get('/api/devices', async () => ({
    gateway: src.gateway,
    district: src.district,
    version: src.version,
    uplink: uplinkView(src) ?? null,
    fleet: src.fleet?.() ?? null,
    devices: deviceViews(src),
  }));
  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').send(STATUS_PAGE));
  return app;
}
