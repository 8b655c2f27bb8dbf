/**
 * The ingest's HTTP surface (fastify): /healthz, /readyz, /metrics, /api/completeness and,
 * with a store that has a reader (SQLite), /api/series. Built separately from listen() so
 * tests use inject().
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { CompletenessTracker } from '../completeness/tracker.js';
import { IngestError } from '../errors.js';
import { type HubSource, hubPlugin } from '../hub/index.js';
import type { Registry } from '../metrics.js';
import type { SeriesReader } from '../sink.js';
import { parseSeriesQuery, parseTime } from './series-query.js';

export interface HttpDeps {
  registry: Registry;
  tracker: CompletenessTracker;
  /** resolves when ready (broker connected, store writable); rejects with the reason otherwise */
  ready(): Promise<void>;
  /** the store's reader, when it has one (SQLite) */
  series?: SeriesReader;
  /** the programme office's hub page (GET /hub) and its API */
  hub?: HubSource;
}

export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  const app = Fastify({ logger: false });

  app.setErrorHandler((err, _req, reply) => {
    if (err instanceof IngestError && err.code === 'GZ_QUERY_INVALID') {
      return reply.code(400).send({ code: err.code, message: err.message });
    }
    return reply.code(500).send({ code: 'GZ_INTERNAL', message: 'internal error' });
  });

  if (deps.hub) {
    const source = deps.hub;
    app.register(hubPlugin, { source });
  }

  app.get('/healthz', async () => ({ status: 'ok' }));

  app.get('/readyz', async (_req, reply) => {
    try {
      await deps.ready();
      return { status: 'ready' };
    } catch (err) {
      return reply.code(503).send({ status: 'not ready', reason: (err as Error).message });
    }
  });

  app.get('/metrics', async (_req, reply) =>
    reply.type('text/plain; version=0.0.4').send(deps.registry.render()),
  );

  app.get<{ Querystring: { district?: string; since?: string } }>('/api/completeness', async (req) => {
    const { district, since } = req.query;
    let sinceMs: number | undefined;
    if (since !== undefined && since !== '') {
      sinceMs = parseTime(since);
      if (sinceMs === undefined)
        throw new IngestError('GZ_QUERY_INVALID', 'since: expected ms since the epoch or an ISO date');
    }
    const gateways = deps.tracker.figures({ district: district || undefined, since: sinceMs });
    const total = { received: 0, missing: 0, duplicates: 0, late: 0 };
    for (const g of gateways) {
      total.received += g.received;
      total.missing += g.missing;
      total.duplicates += g.duplicates;
      total.late += g.late;
    }
    const expected = total.received + total.missing;
    return {
      since: sinceMs ?? null,
      total: { ...total, ratio: expected ? total.received / expected : 1 },
      gateways,
    };
  });

  app.get<{ Querystring: Record<string, string | undefined> }>('/api/series', async (req, reply) => {
    if (!deps.series) {
      return reply
        .code(404)
        .send({ code: 'GZ_NO_SQLITE', message: 'the store is InfluxDB: query it with InfluxQL or Flux' });
    }
    return deps.series.series(parseSeriesQuery(req.query));
  });

  return app;
}
