/**
 * Wire contract v1 — fleet configuration (issue 16): the hub states the configuration a
 * gateway should run, and the gateway reports what it runs.
 *
 *   gz/v1/{district}/{gateway}/config        retained, QoS 1   DesiredConfig  (hub → gateway)
 *   gz/v1/{district}/{gateway}/config-state  retained, QoS 1   ConfigState    (gateway → hub)
 *
 * The desired config is retained, so a gateway that (re)connects — or a replacement gateway
 * started from a bootstrap file — receives it without the hub being online. `version` only
 * grows: a gateway ignores a document whose version is not above the one it applied. `hash`
 * is the SHA-256 (hex) of the canonical JSON of `config` (canonicalConfigJson: keys sorted,
 * no whitespace), so an identical re-push is recognised and restarts nothing.
 *
 * Secrets never travel: a secret-named field (password, token, …) must be a reference
 * `${ENV:NAME}` or `${FILE:path}` resolved on the gateway; a document with an inline secret
 * is refused by the decoder. `issuer` is stamped by the broker from the publisher's identity,
 * never trusted from the payload.
 *
 * The reported state is its own retained topic rather than part of `state`: the gateway's
 * will overwrites `state` with `offline`, and the last apply's outcome must outlive that.
 */
import { createHash } from 'node:crypto';
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { stampedIssuer } from './commands.js';
import { ENVELOPE_VERSION, LIMITS } from './constants.js';
import { checkParsed, firstError, type Parsed, parseJson } from './json-check.js';

const Ms = Type.Integer({ minimum: 0, description: 'ms since the Unix epoch' });
const Version = Type.Integer({
  minimum: 1,
  maximum: Number.MAX_SAFE_INTEGER,
  description: 'config version, only ever increasing per gateway',
});
const Hash = Type.String({
  pattern: '^[0-9a-f]{64}$',
  description: 'SHA-256 (hex) of the canonical JSON of the config document',
});

export const FLEET_LIMITS = {
  /** bytes of one desired-config message */
  maxConfigBytes: 256 * 1024,
  /** problems reported in one config state */
  maxProblems: 64,
} as const;

export const CONFIG_STATUSES = ['applying', 'applied', 'rejected', 'rolled-back'] as const;
export type ConfigStatus = (typeof CONFIG_STATUSES)[number];

export const DesiredConfig = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    version: Version,
    hash: Hash,
    config: Type.Record(Type.String(), Type.Unknown(), {
      description: 'the agent config document (as `ganzhi-agent validate` reads it), secrets as references',
    }),
    issued: Type.Optional(Ms),
    ...stampedIssuer('the person a delegating hub user pushed for; kept by the broker only from such a user'),
  },
  { additionalProperties: false },
);
export type DesiredConfig = Static<typeof DesiredConfig>;

export const ConfigProblem = Type.Object(
  {
    path: Type.String({ maxLength: 256, description: 'where in the config, e.g. devices[0].endpoint' }),
    message: Type.String({ maxLength: LIMITS.maxReason }),
  },
  { additionalProperties: false },
);
export type ConfigProblem = Static<typeof ConfigProblem>;

export const ConfigState = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    ts: Ms,
    desiredVersion: Type.Optional(Version),
    desiredHash: Type.Optional(Hash),
    appliedVersion: Type.Integer({ minimum: 0, description: '0: no pushed config applied yet' }),
    appliedHash: Type.Optional(Hash),
    status: Type.Union(CONFIG_STATUSES.map((s) => Type.Literal(s))),
    reason: Type.Optional(Type.String({ maxLength: LIMITS.maxReason })),
    problems: Type.Optional(Type.Array(ConfigProblem, { maxItems: FLEET_LIMITS.maxProblems })),
  },
  { additionalProperties: false },
);
export type ConfigState = Static<typeof ConfigState>;

const desiredCheck = TypeCompiler.Compile(DesiredConfig);
const stateCheck = TypeCompiler.Compile(ConfigState);

/** JSON with object keys sorted at every level and no whitespace: what `hash` is taken over. */
export function canonicalConfigJson(value: unknown): string {
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v).sort()) out[k] = walk((v as Record<string, unknown>)[k]);
      return out;
    }
    return v;
  };
  return JSON.stringify(walk(value));
}

export function configHash(config: unknown): string {
  return createHash('sha256').update(canonicalConfigJson(config), 'utf8').digest('hex');
}

const SECRET_REF = /^\$\{(ENV|FILE):[^}]+\}$/;
const SECRET_KEY = /^(password|passphrase|secret|token)$|(Password|Secret|Token)$/;

/** Paths (a.b[0].c) of secret-named fields whose value is not a `${ENV:…}`/`${FILE:…}` reference. */
export function inlineSecretPaths(value: unknown): string[] {
  const found: string[] = [];
  const walk = (v: unknown, path: string): void => {
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, `${path}[${i}]`);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      const p = path === '' ? k : `${path}.${k}`;
      if (SECRET_KEY.test(k) && typeof x === 'string' && x !== '' && !SECRET_REF.test(x)) found.push(p);
      else walk(x, p);
    }
  };
  walk(value, '');
  return found;
}

function parse(input: Uint8Array | string): Parsed {
  const size = typeof input === 'string' ? Buffer.byteLength(input) : input.byteLength;
  if (size > FLEET_LIMITS.maxConfigBytes)
    return { ok: false, error: `payload is ${size} bytes, more than ${FLEET_LIMITS.maxConfigBytes}` };
  return parseJson(input);
}

export type DecodedDesiredConfig =
  | { ok: true; value: DesiredConfig }
  | { ok: false; error: string; version?: number; hash?: string };

/**
 * Decodes a desired config. Beyond the schema: `hash` must be the config's hash, and no
 * secret may be written inline (the error names the path, never the value). When the
 * envelope is invalid but carries a usable version, it is returned so the refusal can be
 * reported against it.
 */
export function decodeDesiredConfig(input: Uint8Array | string): DecodedDesiredConfig {
  const parsed = parse(input);
  if (!parsed.ok) return parsed;
  const raw = parsed.value as { version?: unknown; hash?: unknown } | null;
  const version =
    typeof raw?.version === 'number' && Number.isSafeInteger(raw.version) && raw.version >= 1
      ? raw.version
      : undefined;
  const hash = typeof raw?.hash === 'string' && /^[0-9a-f]{64}$/.test(raw.hash) ? raw.hash : undefined;
  const extra = { ...(version !== undefined ? { version } : {}), ...(hash !== undefined ? { hash } : {}) };
  if (!desiredCheck.Check(raw)) return { ok: false, error: firstError(desiredCheck, raw), ...extra };
  const d = raw as DesiredConfig;
  const inline = inlineSecretPaths(d.config);
  if (inline.length > 0)
    return {
      ok: false,
      error: `config.${inline[0]}: a secret must be a reference \${ENV:NAME} or \${FILE:path}, not a value`,
      ...extra,
    };
  if (configHash(d.config) !== d.hash)
    return { ok: false, error: 'hash: not the SHA-256 of the canonical config document', ...extra };
  return { ok: true, value: d };
}

export function decodeConfigState(
  input: Uint8Array | string,
): { ok: true; value: ConfigState } | { ok: false; error: string } {
  return checkParsed<ConfigState>(stateCheck, parse(input));
}

export class FleetContractError extends Error {
  readonly code = 'GZ_CONTRACT_INVALID';
}

/** Builds a desired config envelope (hash computed here) and checks it as a gateway would. */
export function encodeDesiredConfig(d: Omit<DesiredConfig, 'v' | 'hash'> & { hash?: string }): Buffer {
  const env: DesiredConfig = { v: 1, ...d, hash: d.hash ?? configHash(d.config) };
  const text = JSON.stringify(env);
  const back = decodeDesiredConfig(text);
  if (!back.ok) throw new FleetContractError(`desired config does not follow contract v1: ${back.error}`);
  return Buffer.from(text);
}

export function encodeConfigState(s: ConfigState): Buffer {
  if (!stateCheck.Check(s))
    throw new FleetContractError(`config state does not follow contract v1: ${firstError(stateCheck, s)}`);
  return Buffer.from(JSON.stringify(s));
}
