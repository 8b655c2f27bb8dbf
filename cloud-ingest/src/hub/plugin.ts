/**
 * The hub page and its API as one encapsulated fastify plugin:
 *
 *   GET /hub                 the programme office page (self-contained HTML)
 *   GET /api/hub/overview    per district: gateways, devices by state, completeness, points/s
 *   GET /api/hub/devices     devices, optionally of one district / gateway
 *   GET /api/hub/points      the points of one device
 *   GET /api/hub/series      recent values of one point, for the chart
 *   GET /api/hub/completeness/hourly   per district and hour, the last 24 h (`hours`, ≤ 168)
 *
 * Mount with `app.register(hubPlugin, { source })`. Errors are `{ code, message }`:
 * GZ_QUERY_INVALID (400), GZ_HUB_UNKNOWN_DEVICE (404), GZ_INTERNAL (500, details logged).
 */
import type { FastifyPluginAsync } from 'fastify';
import { buildOverview } from './overview.js';
import { renderHubPage } from './page.js';
import {
  DeviceQuery,
  DevicesQuery,
  DevicesReply,
  ErrorReply,
  Overview,
  PointsReply,
  SeriesQuery,
  SeriesReply,
  TrendQuery,
  TrendReply,
} from './schemas.js';
import type { HubSource } from './source.js';
import { buildTrend } from './trend.js';

export interface HubPluginOptions {
  source: HubSource;
  /** how often the page polls, ms (default 3000) */
  refreshMs?: number;
  /** completeness window, ms (default one hour) */
  completenessWindowMs?: number;
}

const DEFAULT_SPAN = 10 * 60_000;
const MAX_SPAN = 7 * 24 * 3_600_000;
const RAW_SPAN = 3_600_000;
const MAX_BUCKETS = 720;

const CSP = [
  "default-src 'none'",
  "script-src 'unsafe-inline'",
  "style-src 'unsafe-inline'",
  "connect-src 'self'",
  "img-src 'self' data:",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const hubPlugin: FastifyPluginAsync<HubPluginOptions> = async (app, opts) => {
  const { source } = opts;
  const windowMs = opts.completenessWindowMs ?? 3_600_000;
  const page = renderHubPage({ refreshMs: opts.refreshMs ?? 3000, windowMs });

  app.setErrorHandler((err: Error & { validation?: unknown; code?: string }, req, reply) => {
    if (err.validation) return reply.code(400).send({ code: 'GZ_QUERY_INVALID', message: err.message });
    req.log.error({ err: { message: err.message, code: err.code } }, 'hub request failed');
    return reply.code(500).send({ code: 'GZ_INTERNAL', message: 'internal error' });
  });

  app.get('/hub', async (_req, reply) =>
    reply
      .type('text/html; charset=utf-8')
      .header('content-security-policy', CSP)
      .header('cache-control', 'no-store')
      .header('x-content-type-options', 'nosniff')
      .send(page),
  );

  app.get('/api/hub/overview', { schema: { response: { 200: Overview } } }, async () =>
    buildOverview(source, windowMs),
  );

  app.get<{ Querystring: TrendQuery }>(
    '/api/hub/completeness/hourly',
    { schema: { querystring: TrendQuery, response: { 200: TrendReply } } },
    async (req) => buildTrend(source, req.query.hours ?? 24, req.query.district),
  );

  app.get<{ Querystring: DevicesQuery }>(
    '/api/hub/devices',
    { schema: { querystring: DevicesQuery, response: { 200: DevicesReply } } },
    async (req) => {
      const devices = source
        .devices({ district: req.query.district, gateway: req.query.gateway })
        .map((d) => ({ ...d, points: d.points.length }))
        .sort((a, b) => (a.device < b.device ? -1 : 1));
      return { devices };
    },
  );

  const findDevice = (q: DeviceQuery) =>
    source.devices({ district: q.district, gateway: q.gateway }).find((d) => d.device === q.device);
  const unknownDevice = (q: DeviceQuery) => ({
    code: 'GZ_HUB_UNKNOWN_DEVICE',
    message: `no device ${q.district}/${q.gateway}/${q.device} has been heard of`,
  });

  app.get<{ Querystring: DeviceQuery }>(
    '/api/hub/points',
    { schema: { querystring: DeviceQuery, response: { 200: PointsReply, 404: ErrorReply } } },
    async (req, reply) => {
      const d = findDevice(req.query);
      if (!d) return reply.code(404).send(unknownDevice(req.query));
      const { district, gateway, device, model, measurement, points } = d;
      return { district, gateway, device, model, measurement, points };
    },
  );

  app.get<{ Querystring: SeriesQuery }>(
    '/api/hub/series',
    {
      schema: { querystring: SeriesQuery, response: { 200: SeriesReply, 400: ErrorReply, 404: ErrorReply } },
    },
    async (req, reply) => {
      const q = req.query;
      const d = findDevice(q);
      const measurement = q.measurement ?? d?.measurement ?? undefined;
      if (!d || measurement === undefined) return reply.code(404).send(unknownDevice(q));
      // `to` is exclusive: by default include a reading stamped this very millisecond
      const to = q.to ?? source.now() + 1;
      const from = q.from ?? to - DEFAULT_SPAN;
      if (from >= to || to - from > MAX_SPAN) {
        return reply
          .code(400)
          .send({ code: 'GZ_QUERY_INVALID', message: 'from must be before to, and the span at most 7 days' });
      }
      let every = q.every;
      if (every === undefined && to - from > RAW_SPAN) every = Math.ceil((to - from) / MAX_BUCKETS);
      const samples = await source.series({
        measurement,
        district: q.district,
        gateway: q.gateway,
        device: q.device,
        point: q.point,
        from,
        to,
        ...(every === undefined ? {} : { every }),
      });
      const p = d.points.find((x) => x.name === q.point);
      return {
        measurement,
        point: q.point,
        unit: p?.unit ?? '',
        symbol: p?.symbol ?? '',
        decimals: p?.decimals ?? null,
        from,
        to,
        every: every ?? null,
        samples,
      };
    },
  );
};
