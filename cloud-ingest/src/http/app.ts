/**
 * The ingest's HTTP surface (fastify): /healthz, /readyz, /metrics, /api/completeness and,
 * with a store that has a reader (SQLite), /api/series; the hub page as a plugin. Built
 * separately from listen() so tests use inject().
 *
 * Every request first passes the Host check (guard/host-check.ts: DNS rebinding); query
 * strings are validated by schema or parser and a bad one is a 400 naming the parameter; an
 * unexpected failure is a 500 whose cause is logged and never sent.
 */
import Fastify, { type FastifyBaseLogger, type FastifyError, type FastifyInstance } from 'fastify';
import pino, { type Logger } from 'pino';
import type { CompletenessTracker } from '../completeness/tracker.js';
import { IngestError } from '../errors.js';
import type { EventLog } from '../guard/event-log.js';
import { type HostPolicy, hostPolicy } from '../guard/host-check.js';
import { type CommandsApiOptions, commandsApi } from '../hub/commands-api.js';
import { type FleetApiOptions, fleetApi } from '../hub/fleet-api.js';
import { type HubSource, hubPlugin } from '../hub/index.js';
import type { Registry } from '../metrics.js';
import type { SeriesReader } from '../sink.js';
import { CompletenessQueryString, parseSeriesQuery, parseTime, SeriesQueryString } from './series-query.js';

export interface HttpDeps {
  registry: Registry;
  tracker: CompletenessTracker;
  /** resolves when ready (broker connected, store writable); rejects with the reason otherwise */
  ready(): Promise<void>;
  /** the store's reader, when it has one (SQLite) */
  series?: SeriesReader;
  /** the programme office's hub page (GET /hub) and its API */
  hub?: HubSource;
  /** where 500s are logged with their cause (default: not logged — tests only) */
  logger?: Logger;
  /** which Host headers are answered (default: loopback names and IP addresses) */
  hosts?: HostPolicy;
  /** refused Hosts are reported here */
  events?: EventLog;
  /** the hub's command API (POST/GET /api/commands), when the ingest has a command audit */
  commands?: CommandsApiOptions;
  /** the hub's fleet API (GET /api/fleet, POST /api/fleet/push), when the ingest has a fleet store */
  fleet?: FleetApiOptions;
}

export function buildHttpApp(deps: HttpDeps): FastifyInstance {
  // our logger, at warn or above: fastify's own per-request lines are info
  const parent = deps.logger;
  const logger: FastifyBaseLogger = parent
    ? parent.child({ component: 'http' }, { level: parent.levelVal > 40 ? parent.level : 'warn' })
    : pino({ level: 'silent' });
  const app = Fastify({ loggerInstance: logger });
  const hosts = deps.hosts ?? hostPolicy('127.0.0.1');

  app.addHook('onRequest', async (req, reply) => {
    if (hosts.allows(req.headers.host)) return;
    deps.events?.report(
      'host-refused',
      { address: req.socket.remoteAddress ?? 'unknown' },
      `${req.method} request with a Host this ingest does not serve`,
      'Host is not localhost, an IP address, http.host or in http.allowedHosts (DNS rebinding)',
    );
    return reply.code(421).send({
      code: 'GZ_HOST_REFUSED',
      message: 'this ingest does not answer for that Host; add the name to http.allowedHosts',
    });
  });

  app.setErrorHandler((err: FastifyError, req, reply) => {
    if (err instanceof IngestError && err.code === 'GZ_QUERY_INVALID') {
      return reply.code(400).send({ code: err.code, message: err.message });
    }
    if (err.validation) return reply.code(400).send({ code: 'GZ_QUERY_INVALID', message: err.message });
    const status = err.statusCode;
    if (status !== undefined && status >= 400 && status < 500) {
      return reply.code(status).send({ code: err.code ?? 'GZ_BAD_REQUEST', message: err.message });
    }
    req.log.error(
      { err: { message: err.message, code: err.code }, url: req.url.slice(0, 200) },
      'request failed',
    );
    return reply.code(500).send({ code: 'GZ_INTERNAL', message: 'internal error' });
  });

  if (deps.hub) {
    const source = deps.hub;
    app.register(hubPlugin, { source });
  }

  if (deps.commands) app.register(commandsApi, deps.commands);
  if (deps.fleet) app.register(fleetApi, deps.fleet);

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

  app.get<{ Querystring: CompletenessQueryString }>(
    '/api/completeness',
    { schema: { querystring: CompletenessQueryString } },
    async (req) => {
      const { district, since } = req.query;
      let sinceMs: number | undefined;
      if (since !== undefined && since !== '') {
        sinceMs = parseTime(since);
        if (sinceMs === undefined)
          throw new IngestError('GZ_QUERY_INVALID', 'since: expected ms since the epoch or an ISO date');
      }
      const gateways = deps.tracker.figures({ district: district || undefined, since: sinceMs });
      const total = { received: 0, missing: 0, duplicates: 0, late: 0, resets: 0 };
      for (const g of gateways) {
        total.received += g.received;
        total.missing += g.missing;
        total.duplicates += g.duplicates;
        total.late += g.late;
        total.resets += g.resets;
      }
      const expected = total.received + total.missing;
      return {
        since: sinceMs ?? null,
        total: { ...total, ratio: expected ? total.received / expected : 1 },
        gateways,
      };
    },
  );

  app.get<{ Querystring: SeriesQueryString }>(
    '/api/series',
    { schema: { querystring: SeriesQueryString } },
    async (req, reply) => {
      if (!deps.series) {
        return reply
          .code(404)
          .send({ code: 'GZ_NO_SQLITE', message: 'the store is InfluxDB: query it with InfluxQL or Flux' });
      }
      return deps.series.series(parseSeriesQuery(req.query));
    },
  );

  return app;
}
