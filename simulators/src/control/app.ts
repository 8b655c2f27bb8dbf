/**
 * The control API: what tests and testers use to see the ground truth (value and samples
 * served per point), change signals and inject or clear faults while the simulator runs.
 * Schema-first fastify routes (TypeBox schemas validate the input); the app factory is
 * separate from listen() so tests use app.inject().
 */
import { type Static, Type } from '@sinclair/typebox';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { SimDevice } from '../device/sim-device.js';
import { FAULT_KINDS, FaultSpec } from '../faults/spec.js';
import type { DeviceInfo, EndpointInfo } from '../scenario/simulation.js';
import { SignalSpec } from '../signals/spec.js';
import { type AjvLike, describeBodyErrors } from './body-errors.js';

/** signal kinds in the order of the SignalSpec union (its anyOf branches) */
const SIGNAL_KINDS = SignalSpec.anyOf.map((b) => b.properties.kind.const as string);

/** What the API controls: a running Simulation, or a single device from the CLI. */
export interface ControlTarget {
  readonly devices: ReadonlyMap<string, SimDevice>;
  describe?(id: string): DeviceInfo | undefined;
  endpoints?(): EndpointInfo[];
}

const DeviceParams = Type.Object({ id: Type.String() });
const PointParams = Type.Object({ id: Type.String(), point: Type.String() });
const FaultParams = Type.Object({ id: Type.String(), fault: Type.String() });
const ErrorBody = Type.Object({ code: Type.String(), message: Type.String() });
const WritesQuery = Type.Object({
  since: Type.Optional(
    Type.String({ pattern: '^[0-9]{1,15}$', description: 'only writes with seq > since' }),
  ),
});

type DeviceParams = Static<typeof DeviceParams>;
type PointParams = Static<typeof PointParams>;
type FaultParams = Static<typeof FaultParams>;
type WritesQuery = Static<typeof WritesQuery>;

export const ERRORS = {
  unknownDevice: 'GZ_SIM_UNKNOWN_DEVICE',
  unknownPoint: 'GZ_SIM_UNKNOWN_POINT',
  unknownFault: 'GZ_SIM_UNKNOWN_FAULT',
  badSignal: 'GZ_SIM_BAD_SIGNAL',
  badFault: 'GZ_SIM_BAD_FAULT',
} as const;

interface Validated {
  validationError?: Error & { validation?: AjvLike[] };
}

function faultView(d: SimDevice) {
  return d.faults.list().map((f) => ({
    id: f.id,
    kind: f.spec.kind,
    start: f.start,
    end: Number.isFinite(f.end) ? f.end : null,
    active: d.now() >= f.start && d.now() < f.end,
    hits: f.hits,
    spec: f.spec,
  }));
}

function summary(target: ControlTarget, d: SimDevice) {
  return {
    ...(target.describe?.(d.id) ?? { id: d.id, profile: d.profile.id }),
    served: d.servedTotal(),
    faults: d.faults.list().length,
    writes: d.writes.total,
  };
}

export function buildControlApp(target: ControlTarget, opts: { logger?: Logger } = {}): FastifyInstance {
  const app = Fastify({
    loggerInstance: opts.logger,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false, allErrors: true } },
  } as Parameters<typeof Fastify>[0]) as unknown as FastifyInstance;

  const device = (id: string) => target.devices.get(id);
  const notFound = (code: string, message: string) => ({ code, message });

  app.get('/api/health', async () => ({ ok: true, devices: target.devices.size }));

  app.get('/api/endpoints', async () => target.endpoints?.() ?? []);

  app.get('/api/devices', async () => [...target.devices.values()].map((d) => summary(target, d)));

  app.get<{ Params: DeviceParams }>(
    '/api/devices/:id',
    { schema: { params: DeviceParams, response: { 404: ErrorBody } } },
    async (req, reply) => {
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      const now = d.now();
      return { ...summary(target, d), now, points: d.truth(now), faultList: faultView(d) };
    },
  );

  app.get<{ Params: DeviceParams; Querystring: WritesQuery }>(
    '/api/devices/:id/writes',
    { schema: { params: DeviceParams, querystring: WritesQuery, response: { 404: ErrorBody } } },
    async (req, reply) => {
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      return { id: d.id, total: d.writes.total, writes: d.writes.since(Number(req.query.since ?? 0)) };
    },
  );

  app.put<{ Params: PointParams; Body: SignalSpec }>(
    '/api/devices/:id/signals/:point',
    {
      schema: { params: PointParams, body: SignalSpec, response: { 404: ErrorBody, 400: ErrorBody } },
      attachValidation: true,
    },
    async (req, reply) => {
      const invalid = (req as Validated).validationError;
      if (invalid) {
        return reply.code(400).send({
          code: ERRORS.badSignal,
          message: describeBodyErrors(invalid.validation ?? [], req.body, SIGNAL_KINDS, 'signal'),
        });
      }
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      if (!d.profile.points.some((p) => p.name === req.params.point)) {
        return reply
          .code(404)
          .send(notFound(ERRORS.unknownPoint, `${d.id} has no point ${req.params.point}`));
      }
      try {
        d.setSignal(req.params.point, req.body);
      } catch (err) {
        return reply.code(400).send({ code: ERRORS.badSignal, message: (err as Error).message });
      }
      return { point: req.params.point, signal: req.body, value: d.valueAt(req.params.point, d.now()) };
    },
  );

  app.post<{ Params: DeviceParams; Body: FaultSpec }>(
    '/api/devices/:id/faults',
    {
      schema: { params: DeviceParams, body: FaultSpec, response: { 404: ErrorBody, 400: ErrorBody } },
      attachValidation: true,
    },
    async (req, reply) => {
      const invalid = (req as Validated).validationError;
      if (invalid) {
        return reply.code(400).send({
          code: ERRORS.badFault,
          message: describeBodyErrors(invalid.validation ?? [], req.body, FAULT_KINDS, 'fault'),
        });
      }
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      for (const p of req.body.points ?? []) {
        if (!d.profile.points.some((x) => x.name === p)) {
          return reply.code(404).send(notFound(ERRORS.unknownPoint, `${d.id} has no point ${p}`));
        }
      }
      const f = d.faults.add(req.body, d.now());
      return reply
        .code(201)
        .send({ id: f.id, kind: f.spec.kind, start: f.start, end: Number.isFinite(f.end) ? f.end : null });
    },
  );

  app.delete<{ Params: FaultParams }>(
    '/api/devices/:id/faults/:fault',
    { schema: { params: FaultParams, response: { 404: ErrorBody } } },
    async (req, reply) => {
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      if (!d.faults.remove(req.params.fault)) {
        return reply
          .code(404)
          .send(notFound(ERRORS.unknownFault, `${d.id} has no fault ${req.params.fault}`));
      }
      return reply.code(204).send();
    },
  );

  app.delete<{ Params: DeviceParams }>(
    '/api/devices/:id/faults',
    { schema: { params: DeviceParams, response: { 404: ErrorBody } } },
    async (req, reply) => {
      const d = device(req.params.id);
      if (!d) return reply.code(404).send(notFound(ERRORS.unknownDevice, `no device ${req.params.id}`));
      d.faults.clear();
      return reply.code(204).send();
    },
  );

  return app;
}
