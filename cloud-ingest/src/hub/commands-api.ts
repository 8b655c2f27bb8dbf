/**
 * The hub's command API (issue 15), an encapsulated fastify plugin. Every route needs an
 * operator (HTTP Basic, operator-auth.ts) and answers only for the operator's districts.
 *
 *   POST /api/commands        {district, gateway, device, writes: [{point, value}], ttlMs?, readback?}
 *                             → 202 {id, topic, issued, expires}
 *   GET  /api/commands/:id    → 200 the command, its outcomes and state (pending | done)
 *   GET  /api/commands?district=&gateway=&device=&since=&limit=   → 200 {commands: [...]}
 *
 * Errors are `{code, message}`: 400 GZ_COMMAND_INVALID (naming the field), 401
 * GZ_AUTH_REQUIRED (with WWW-Authenticate), 403 GZ_FORBIDDEN (a district outside the
 * operator's), 404 GZ_COMMAND_UNKNOWN, 413 (body over 16 KiB), 429 GZ_AUTH_THROTTLED (with
 * Retry-After), 503 GZ_COMMANDS_UNAVAILABLE (no MQTT connection for commands, or it is down).
 *
 * A POST is checked (ids, writes, and — when the hub has heard the device's meta and knows its
 * profile — that each point exists, is `access: read-write`, has the value's type and lies in
 * the point's range; otherwise the gateway decides), gets a UUID, and is published QoS 1 on
 * the device's `cmd` topic with `onBehalfOf` = the operator. The broker stamps `issuer` (the
 * hub's MQTT user) and keeps `onBehalfOf` only from a delegating user. The 202 means the
 * broker accepted the command; its outcome comes back on the `result` topic and is read with
 * GET /api/commands/:id.
 */
import { randomUUID } from 'node:crypto';
import type { ProfileRegistry } from '@ganzhi/device-profiles';
import {
  COMMAND_LIMITS,
  type CommandRequest,
  deviceTopic,
  encodeCommandRequest,
  ID_PATTERN,
  POINT_NAME_PATTERN,
} from '@ganzhi/device-profiles/contract';
import { type Clock, systemClock } from '@ganzhi/runtime';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import type { CommandAuditStore, CommandView } from '../commands/audit-store.js';
import type { HubOperator, OperatorAuth } from './operator-auth.js';
import { operatorGate } from './operator-gate.js';
import type { HubSource } from './source.js';

const Id = Type.String({ pattern: ID_PATTERN.source, maxLength: 64 });

export const CommandBody = Type.Object(
  {
    district: Id,
    gateway: Id,
    device: Id,
    writes: Type.Array(
      Type.Object(
        {
          point: Type.String({ pattern: POINT_NAME_PATTERN.source }),
          value: Type.Union([
            Type.Number(),
            Type.Boolean(),
            Type.String({ maxLength: COMMAND_LIMITS.maxStringValue }),
          ]),
        },
        { additionalProperties: false },
      ),
      { minItems: 1, maxItems: COMMAND_LIMITS.maxWrites },
    ),
    ttlMs: Type.Optional(Type.Integer({ minimum: 1000, maximum: COMMAND_LIMITS.maxTtlMs })),
    readback: Type.Optional(Type.Boolean()),
  },
  { additionalProperties: false },
);
export type CommandBody = Static<typeof CommandBody>;

// The body is checked here, not by fastify's Ajv: its defaults coerce types (true → 1) and
// strip unknown properties, and a command's value must arrive exactly as sent.
const bodyCheck = TypeCompiler.Compile(CommandBody);

/** The body's first problem, `body.writes.0.value: …`, or undefined when it is valid. */
export function bodyProblem(body: unknown): string | undefined {
  if (bodyCheck.Check(body)) return undefined;
  const e = bodyCheck.Errors(body).First();
  if (!e) return 'body: invalid';
  return `body${e.path.replaceAll('/', '.')}: ${e.message}`;
}

export const CommandListQuery = Type.Object(
  {
    district: Type.Optional(Id),
    gateway: Type.Optional(Id),
    device: Type.Optional(Id),
    since: Type.Optional(Type.Integer({ minimum: 0, description: 'ms since the epoch' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
  },
  { additionalProperties: false },
);
export type CommandListQuery = Static<typeof CommandListQuery>;

const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });

export interface CommandsApiOptions {
  auth: OperatorAuth;
  store: CommandAuditStore;
  /** publishes QoS 1 and resolves once the broker acknowledged; absent: POST answers 503 */
  publish?: (topic: string, payload: Buffer) => Promise<void>;
  /** what the hub knows of devices (their profile ids) */
  source?: HubSource;
  profiles?: ProfileRegistry;
  defaultTtlMs?: number;
  clock?: Clock;
  /** a refused attempt (403, 401): reported as a security event */
  onRefused?: (what: string, why: string, address: string, operator?: string) => void;
}

const BODY_LIMIT = 16 * 1024;

function err(reply: FastifyReply, status: number, code: string, message: string) {
  return reply.code(status).send({ code, message });
}

/** Checks writes against the device's profile when the hub knows it; returns the problem. */
function profileProblem(o: CommandsApiOptions, b: CommandBody): string | undefined {
  const d = o.source
    ?.devices({ district: b.district, gateway: b.gateway })
    .find((x) => x.device === b.device);
  const profile = d?.model ? o.profiles?.get(d.model) : undefined;
  if (!profile) return undefined;
  for (const [i, w] of b.writes.entries()) {
    const p = profile.points.find((x) => x.name === w.point);
    const at = `writes.${i}`;
    if (!p) return `${at}.point: ${w.point} is not a point of ${profile.id}`;
    if (p.access !== 'read-write') return `${at}.point: ${w.point} of ${profile.id} is read-only`;
    const v = w.value;
    if (p.type === 'boolean' && typeof v !== 'boolean') return `${at}.value: ${w.point} takes true or false`;
    if ((p.type === 'float' || p.type === 'integer') && typeof v !== 'number')
      return `${at}.value: ${w.point} takes a number`;
    if (p.type === 'integer' && typeof v === 'number' && !Number.isInteger(v))
      return `${at}.value: ${w.point} takes an integer`;
    if (p.type === 'string' && typeof v !== 'string') return `${at}.value: ${w.point} takes a string`;
    if (p.range && typeof v === 'number' && (v < p.range.min || v > p.range.max))
      return `${at}.value: ${v} is outside ${w.point}'s range ${p.range.min}..${p.range.max}`;
  }
  return undefined;
}

export const commandsApi: FastifyPluginAsync<CommandsApiOptions> = async (app, o) => {
  const clock = o.clock ?? systemClock;
  const defaultTtl = o.defaultTtlMs ?? 60_000;

  app.setErrorHandler(
    (e: Error & { validation?: unknown; statusCode?: number; code?: string }, req, reply) => {
      if (e.validation)
        return err(
          reply,
          400,
          'GZ_COMMAND_INVALID',
          e.message.replace(/^(body|querystring|params)\//, '$1.'),
        );
      if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
        return err(reply, e.statusCode, e.code ?? 'GZ_BAD_REQUEST', e.message);
      req.log.error({ err: { message: e.message, code: e.code } }, 'command request failed');
      return err(reply, 500, 'GZ_INTERNAL', 'internal error');
    },
  );

  // authenticate before the body is read: no credentials, no parsing
  app.addHook(
    'onRequest',
    operatorGate({
      auth: o.auth,
      unavailableCode: 'GZ_COMMANDS_UNAVAILABLE',
      ...(o.onRefused ? { onRefused: o.onRefused } : {}),
    }),
  );

  const forbidden = (req: FastifyRequest, reply: FastifyReply, district: string) => {
    const op = req.operator as HubOperator;
    o.onRefused?.(
      `${req.method} ${req.routeOptions.url ?? ''} for district ${district}`,
      "outside the operator's districts",
      req.socket.remoteAddress ?? 'unknown',
      op.name,
    );
    return err(reply, 403, 'GZ_FORBIDDEN', `operator ${op.name} may not act on district ${district}`);
  };

  app.post<{ Body: unknown }>('/api/commands', { bodyLimit: BODY_LIMIT }, async (req, reply) => {
    const op = req.operator as HubOperator;
    const invalid = bodyProblem(req.body);
    if (invalid) return err(reply, 400, 'GZ_COMMAND_INVALID', invalid);
    const b = req.body as CommandBody;
    if (!op.districts.includes(b.district)) return forbidden(req, reply, b.district);
    const seen = new Set<string>();
    for (const [i, w] of b.writes.entries()) {
      if (seen.has(w.point))
        return err(reply, 400, 'GZ_COMMAND_INVALID', `body.writes.${i}.point: ${w.point} is written twice`);
      seen.add(w.point);
    }
    const problem = profileProblem(o, b);
    if (problem) return err(reply, 400, 'GZ_COMMAND_INVALID', `body.${problem}`);
    if (!o.publish)
      return err(
        reply,
        503,
        'GZ_COMMANDS_UNAVAILABLE',
        'the hub has no MQTT connection for commands (hub.mqtt)',
      );
    const issued = clock.now();
    const expires = issued + (b.ttlMs ?? defaultTtl);
    const cmd: CommandRequest = {
      v: 1,
      id: randomUUID(),
      writes: b.writes,
      issued,
      expires,
      ...(b.readback === undefined ? {} : { readback: b.readback }),
      onBehalfOf: op.name,
    };
    const topic = deviceTopic(b.district, b.gateway, b.device, 'cmd');
    try {
      await o.publish(topic, encodeCommandRequest(cmd));
    } catch (e) {
      req.log.warn({ err: { message: (e as Error).message } }, 'command not published');
      return err(
        reply,
        503,
        'GZ_COMMANDS_UNAVAILABLE',
        'the broker did not accept the command; nothing was sent',
      );
    }
    // recorded at once so a GET right after the 202 finds it; the broker's copy adds the issuer
    o.store.recordCommand({ district: b.district, gateway: b.gateway, device: b.device }, cmd, issued);
    return reply.code(202).send({ id: cmd.id, topic, issued, expires });
  });

  app.get<{ Params: { id: string } }>(
    '/api/commands/:id',
    { schema: { params: IdParams } },
    async (req, reply) => {
      const op = req.operator as HubOperator;
      const all = o.store.byId(req.params.id);
      if (all.length === 0)
        return err(reply, 404, 'GZ_COMMAND_UNKNOWN', `no command ${req.params.id} is known`);
      const mine = all.filter((c) => op.districts.includes(c.district));
      if (mine.length === 0) return forbidden(req, reply, (all[0] as CommandView).district);
      return mine[0];
    },
  );

  app.get<{ Querystring: CommandListQuery }>(
    '/api/commands',
    { schema: { querystring: CommandListQuery } },
    async (req, reply) => {
      const op = req.operator as HubOperator;
      const q = req.query;
      if (q.district !== undefined && !op.districts.includes(q.district))
        return forbidden(req, reply, q.district);
      const commands = o.store.list({
        districts: op.districts,
        ...(q.district === undefined ? {} : { district: q.district }),
        ...(q.gateway === undefined ? {} : { gateway: q.gateway }),
        ...(q.device === undefined ? {} : { device: q.device }),
        ...(q.since === undefined ? {} : { since: q.since }),
        limit: q.limit ?? 100,
      });
      return { commands };
    },
  );
};
