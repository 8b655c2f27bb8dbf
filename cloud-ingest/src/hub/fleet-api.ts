/**
 * The hub's fleet API (issue 16), an encapsulated fastify plugin beside the command API, with
 * the same operator authentication (HTTP Basic, checked before a body is read) and districts.
 *
 *   GET  /api/fleet?district=&label=        → 200 {gateways: FleetGateway[]} (fleet/view.ts)
 *   GET  /api/fleet/:district/:gateway      → 200 FleetGateway + config + history
 *   POST /api/fleet/push  {target, config? | set?}
 *        → 202 {pushes: [{district, gateway, version, hash, topic}], refused: [{district, gateway, reason}]}
 *
 * A push's target is `{district, gateway}`, `{district}` (every gateway the hub knows there) or
 * `{district?, label}` (every gateway whose desired config has the label, in the operator's
 * districts or the one named). `config` (a whole agent config, single gateway only, naming
 * that gateway and district) or `set` (dotted paths applied to each target's current desired
 * document) — exactly one. Each target gets version = the highest version the hub knows for
 * it (desired or reported) + 1, `issued` = now, `onBehalfOf` = the operator; it is published
 * QoS 1 retained on `gz/v1/{d}/{g}/config` over the hub's MQTT connection (the one commands
 * use) and recorded in the fleet store at once. The broker stamps `issuer`; the gateway's
 * outcome comes back on `config-state` and shows in GET /api/fleet.
 *
 * Everything is checked before anything is published: an invalid body, a district outside the
 * operator's, a secret written inline, a `set` without a base document — nothing goes out.
 * `refused` lists targets the broker did not acknowledge (the others were published).
 *
 * Errors `{code, message}`: 400 GZ_FLEET_INVALID (naming the field), 401 GZ_AUTH_REQUIRED,
 * 403 GZ_FORBIDDEN, 404 GZ_GATEWAY_UNKNOWN, 409 GZ_FLEET_NO_BASE, 413 (body over 256 KiB),
 * 429 GZ_AUTH_THROTTLED, 503 GZ_FLEET_UNAVAILABLE.
 */
import {
  configHash,
  type DesiredConfig,
  encodeDesiredConfig,
  FLEET_LIMITS,
  gatewayTopic,
  ID_PATTERN,
  inlineSecretPaths,
} from '@ganzhi/device-profiles/contract';
import { type Clock, systemClock } from '@ganzhi/runtime';
import { Type } from '@sinclair/typebox';
import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { parseSetPath, setAt } from '../fleet/set-path.js';
import type { FleetStore, GatewayKey } from '../fleet/store.js';
import { type FleetGateway, fleetGateway, fleetGatewayDetail, fleetHistory } from '../fleet/view.js';
import type { HubOperator, OperatorAuth } from './operator-auth.js';
import { operatorGate } from './operator-gate.js';
import type { HubSource } from './source.js';

export interface FleetApiOptions {
  auth: OperatorAuth;
  store: FleetStore;
  /** publishes QoS 1 retained and resolves once the broker acknowledged; absent: POST answers 503 */
  publish?: (topic: string, payload: Buffer) => Promise<void>;
  /** what the hub knows of gateways (birth/will) */
  source?: HubSource;
  clock?: Clock;
  /**
   * How long a push the hub published counts as the gateway's desired config before the
   * broker's stamped copy comes back through the ingest (default 30 s); after that an
   * unconfirmed push (the broker dropped it: stale, invalid) no longer does.
   */
  unconfirmedGraceMs?: number;
  /** longest wait for the broker's acknowledgement of one push (default 10 s) */
  publishTimeoutMs?: number;
  /** a refused attempt (403, 401): reported as a security event */
  onRefused?: (what: string, why: string, address: string, operator?: string) => void;
}

/** the body of a push: one agent config (≤ 256 KiB as a message) and a little envelope */
export const FLEET_BODY_LIMIT = FLEET_LIMITS.maxConfigBytes;
const MAX_SET = 64;
const ID = new RegExp(ID_PATTERN.source);
const LABEL = /^[\w.-]{1,64}$/;

const Id = Type.String({ pattern: ID_PATTERN.source, maxLength: 64 });
const ListQuery = Type.Object(
  { district: Type.Optional(Id), label: Type.Optional(Type.String({ pattern: LABEL.source })) },
  { additionalProperties: false },
);
const GatewayParams = Type.Object({ district: Id, gateway: Id });

export interface FleetPushResult {
  pushes: { district: string; gateway: string; version: number; hash: string; topic: string }[];
  refused: { district: string; gateway: string; reason: string }[];
}

/** The broker's acknowledgement, or a rejection after `ms` (the publish may still go out later). */
function withTimeout(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no acknowledgement from the broker within ${ms} ms`)), ms);
  });
  return Promise.race([p, late]).finally(() => clearTimeout(timer));
}

class Refusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const invalid = (message: string) => new Refusal(400, 'GZ_FLEET_INVALID', message);
const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

type Target =
  | { kind: 'gateway'; district: string; gateway: string }
  | { kind: 'district'; district: string }
  | { kind: 'label'; district?: string; label: string };

function parseTarget(t: unknown): Target {
  if (!isObject(t))
    throw invalid('body.target: an object {district, gateway}, {district} or {district?, label}');
  for (const k of Object.keys(t))
    if (k !== 'district' && k !== 'gateway' && k !== 'label')
      throw invalid(`body.target.${k.slice(0, 64)}: not a target field (district, gateway, label)`);
  const id = (k: 'district' | 'gateway') => {
    const v = t[k];
    if (typeof v !== 'string' || !ID.test(v) || v.length > 64)
      throw invalid(`body.target.${k}: a contract id (${ID_PATTERN.source})`);
    return v;
  };
  if (t.label !== undefined) {
    if (t.gateway !== undefined) throw invalid('body.target: a label target names no gateway');
    if (typeof t.label !== 'string' || !LABEL.test(t.label))
      throw invalid('body.target.label: 1 to 64 letters, digits, _ . -');
    return {
      kind: 'label',
      label: t.label,
      ...(t.district !== undefined ? { district: id('district') } : {}),
    };
  }
  const district = id('district');
  if (t.gateway !== undefined) return { kind: 'gateway', district, gateway: id('gateway') };
  return { kind: 'district', district };
}

export const fleetApi: FastifyPluginAsync<FleetApiOptions> = async (app, o) => {
  const clock = o.clock ?? systemClock;
  const grace = o.unconfirmedGraceMs ?? 30_000;
  const publishTimeout = o.publishTimeoutMs ?? 10_000;
  const current = () => ({ unconfirmedSince: clock.now() - grace });
  const desiredOf = (ids: GatewayKey) => o.store.desired(ids, current());

  const send = (reply: FastifyReply, status: number, code: string, message: string) =>
    reply.code(status).send({ code, message });

  app.setErrorHandler(
    (e: Error & { validation?: unknown; statusCode?: number; code?: string }, req, reply) => {
      if (e instanceof Refusal) return send(reply, e.status, e.code, e.message);
      if (e.validation)
        return send(reply, 400, 'GZ_FLEET_INVALID', e.message.replace(/^(body|querystring|params)\//, '$1.'));
      // a body fastify could not parse (not JSON, empty): named like any other invalid body
      if (e.statusCode === 400 && e.code?.startsWith('FST_ERR_CTP_'))
        return send(reply, 400, 'GZ_FLEET_INVALID', `body: ${e.message}`);
      if (e.statusCode !== undefined && e.statusCode >= 400 && e.statusCode < 500)
        return send(reply, e.statusCode, e.code ?? 'GZ_BAD_REQUEST', e.message);
      req.log.error({ err: { message: e.message, code: e.code } }, 'fleet request failed');
      return send(reply, 500, 'GZ_INTERNAL', 'internal error');
    },
  );

  // authenticate before the body is read: no credentials, no parsing
  app.addHook(
    'onRequest',
    operatorGate({
      auth: o.auth,
      unavailableCode: 'GZ_FLEET_UNAVAILABLE',
      ...(o.onRefused ? { onRefused: o.onRefused } : {}),
    }),
  );

  const forbidden = (req: FastifyRequest, district: string): Refusal => {
    const op = req.operator as HubOperator;
    o.onRefused?.(
      `${req.method} ${req.routeOptions.url ?? ''} for district ${district}`,
      "outside the operator's districts",
      req.socket.remoteAddress ?? 'unknown',
      op.name,
    );
    return new Refusal(403, 'GZ_FORBIDDEN', `operator ${op.name} may not act on district ${district}`);
  };

  const onlineOf = (): Map<string, FleetGateway['online']> =>
    new Map((o.source?.gateways() ?? []).map((g) => [`${g.district}/${g.gateway}`, g.state]));

  /** every gateway the hub knows (a state, a desired config or a config state) in these districts */
  const known = (districts: readonly string[]): GatewayKey[] => {
    const seen = new Map<string, GatewayKey>();
    for (const g of o.store.gateways(districts)) seen.set(`${g.district}/${g.gateway}`, g);
    for (const g of o.source?.gateways() ?? [])
      if (districts.includes(g.district))
        seen.set(`${g.district}/${g.gateway}`, { district: g.district, gateway: g.gateway });
    return [...seen.values()].sort((a, b) =>
      a.district === b.district ? a.gateway.localeCompare(b.gateway) : a.district.localeCompare(b.district),
    );
  };

  const isKnown = (ids: GatewayKey): boolean => known([ids.district]).some((g) => g.gateway === ids.gateway);

  app.get<{ Querystring: { district?: string; label?: string } }>(
    '/api/fleet',
    { schema: { querystring: ListQuery } },
    async (req) => {
      const op = req.operator as HubOperator;
      const { district, label } = req.query;
      if (district !== undefined && !op.districts.includes(district)) throw forbidden(req, district);
      const online = onlineOf();
      const gateways = known(district !== undefined ? [district] : op.districts)
        .map((k) =>
          fleetGateway(o.store, k, online.get(`${k.district}/${k.gateway}`) ?? 'unknown', current()),
        )
        .filter((g) => label === undefined || g.labels.includes(label));
      return { gateways };
    },
  );

  app.get<{ Params: GatewayKey }>(
    '/api/fleet/:district/:gateway',
    { schema: { params: GatewayParams } },
    async (req) => {
      const op = req.operator as HubOperator;
      const ids = { district: req.params.district, gateway: req.params.gateway };
      if (!op.districts.includes(ids.district)) throw forbidden(req, ids.district);
      if (!isKnown(ids))
        throw new Refusal(404, 'GZ_GATEWAY_UNKNOWN', `no gateway ${ids.district}/${ids.gateway} is known`);
      const online = onlineOf().get(`${ids.district}/${ids.gateway}`) ?? 'unknown';
      return { ...fleetGatewayDetail(o.store, ids, online, current()), history: fleetHistory(o.store, ids) };
    },
  );

  /** the gateways a target names, checked against the operator's districts */
  const resolve = (req: FastifyRequest, t: Target): GatewayKey[] => {
    const op = req.operator as HubOperator;
    if (t.kind !== 'label' || t.district !== undefined) {
      const d = t.district as string;
      if (!op.districts.includes(d)) throw forbidden(req, d);
    }
    if (t.kind === 'gateway') return [{ district: t.district, gateway: t.gateway }];
    if (t.kind === 'district') {
      const all = known([t.district]);
      if (all.length === 0)
        throw new Refusal(404, 'GZ_GATEWAY_UNKNOWN', `no gateway of district ${t.district} is known`);
      return all;
    }
    const matching = known(t.district !== undefined ? [t.district] : op.districts).filter((g) =>
      (desiredOf(g)?.labels ?? []).includes(t.label),
    );
    if (matching.length === 0)
      throw new Refusal(
        404,
        'GZ_GATEWAY_UNKNOWN',
        `no gateway${t.district !== undefined ? ` of district ${t.district}` : ''} has the label ${t.label}`,
      );
    return matching;
  };

  const secretProblem = (where: string, doc: unknown): Refusal | undefined => {
    const inline = inlineSecretPaths(doc);
    if (inline.length === 0) return undefined;
    return invalid(
      `${where}${inline[0]}: a secret must be a reference \${ENV:NAME} or \${FILE:path}, not a value`,
    );
  };

  // one push at a time: each computes its versions from what the previous one recorded
  let turn: Promise<unknown> = Promise.resolve();

  const push = async (req: FastifyRequest): Promise<FleetPushResult> => {
    const op = req.operator as HubOperator;
    const body = req.body;
    if (!isObject(body)) throw invalid('body: a JSON object {target, config} or {target, set}');
    for (const k of Object.keys(body))
      if (k !== 'target' && k !== 'config' && k !== 'set')
        throw invalid(`body.${k.slice(0, 64)}: not a push field (target, config, set)`);
    const target = parseTarget(body.target);
    if ((body.config === undefined) === (body.set === undefined))
      throw invalid('body: exactly one of config (a whole document) or set (paths to change)');
    const targets = resolve(req, target);

    // the documents to push, per gateway — all checked before anything is published
    const docs: { ids: GatewayKey; config: Record<string, unknown> }[] = [];
    if (body.config !== undefined) {
      if (target.kind !== 'gateway')
        throw invalid('body.config: a whole document goes to one gateway; use set for a district or a label');
      const config = body.config;
      if (!isObject(config)) throw invalid('body.config: an agent config object');
      for (const k of ['district', 'gateway'] as const)
        if (config[k] !== target[k])
          throw invalid(
            `body.config.${k}: must be the target's ${k} (${target[k]}), it is ${JSON.stringify(config[k] ?? null).slice(0, 80)}`,
          );
      const s = secretProblem('body.config.', config);
      if (s) throw s;
      docs.push({ ids: { district: target.district, gateway: target.gateway }, config });
    } else {
      const set = body.set;
      if (!isObject(set) || Object.keys(set).length === 0 || Object.keys(set).length > MAX_SET)
        throw invalid(`body.set: an object of 1 to ${MAX_SET} "path": value entries`);
      const steps = Object.entries(set).map(([path, value]) => {
        const p = parseSetPath(path);
        if (typeof p === 'string') throw invalid(`body.set[${JSON.stringify(path.slice(0, 80))}]: ${p}`);
        if (p[0] === 'district' || p[0] === 'gateway')
          throw invalid(`body.set[${JSON.stringify(path)}]: a gateway's ${p[0]} cannot be changed by a push`);
        return { path, p, value };
      });
      const noBase = targets.filter((g) => desiredOf(g) === undefined);
      if (noBase.length > 0)
        throw new Refusal(
          409,
          'GZ_FLEET_NO_BASE',
          `no desired config to change for ${noBase.map((g) => `${g.district}/${g.gateway}`).join(', ')}: push a whole document (config) first`,
        );
      for (const g of targets) {
        const config = structuredClone(desiredOf(g)?.config as Record<string, unknown>);
        for (const s of steps) {
          const problem = setAt(config, s.p, structuredClone(s.value));
          if (problem)
            throw invalid(
              `body.set[${JSON.stringify(s.path)}]: ${problem} in the desired config of ${g.district}/${g.gateway}`,
            );
        }
        const sp = secretProblem('body.set: config.', config);
        if (sp) throw sp;
        docs.push({ ids: g, config });
      }
    }
    if (!o.publish)
      throw new Refusal(503, 'GZ_FLEET_UNAVAILABLE', 'the hub has no MQTT connection to push on (hub.mqtt)');

    const issued = clock.now();
    const envelopes = docs.map(({ ids, config }) => {
      // above everything known, even a push the broker may have dropped: versions only grow
      const s = o.store.state(ids);
      const version = Math.max(o.store.maxVersion(ids), s?.appliedVersion ?? 0, s?.desiredVersion ?? 0) + 1;
      const env: Omit<DesiredConfig, 'v' | 'hash'> = { version, config, issued, onBehalfOf: op.name };
      let payload: Buffer;
      try {
        payload = encodeDesiredConfig(env);
      } catch (e) {
        throw invalid(`body: the desired config of ${ids.district}/${ids.gateway}: ${(e as Error).message}`);
      }
      return { ids, env: { v: 1 as const, ...env, hash: configHash(config) }, payload };
    });

    const result: FleetPushResult = { pushes: [], refused: [] };
    for (const { ids, env, payload } of envelopes) {
      const topic = gatewayTopic(ids.district, ids.gateway, 'config');
      try {
        await withTimeout(o.publish(topic, payload), publishTimeout);
      } catch (e) {
        req.log.warn({ err: { message: (e as Error).message }, topic }, 'fleet push not published');
        result.refused.push({
          ...ids,
          reason: `the broker did not acknowledge the push: ${(e as Error).message}`,
        });
        continue;
      }
      // recorded at once so a GET right after the 202 shows it; the broker's copy adds the issuer
      o.store.recordPush(ids, env, issued);
      result.pushes.push({ ...ids, version: env.version, hash: env.hash, topic });
    }
    if (result.pushes.length === 0)
      throw new Refusal(
        503,
        'GZ_FLEET_UNAVAILABLE',
        `the broker did not acknowledge the push: ${result.refused[0]?.reason.replace(/^.*?: /, '') ?? 'no target'}`,
      );
    return result;
  };

  app.post('/api/fleet/push', { bodyLimit: FLEET_BODY_LIMIT }, async (req, reply) => {
    const mine = turn.then(() => push(req));
    turn = mine.catch(() => undefined);
    return reply.code(202).send(await mine);
  });
};
