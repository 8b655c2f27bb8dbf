/**
 * Wire contract v1 — commands (issue 15): the hub asks a gateway to write points of one of its
 * devices, and the gateway answers with one explicit outcome per point.
 *
 *   gz/v1/{district}/{gateway}/{device}/cmd     QoS 1   CommandRequest  (operator → gateway)
 *   gz/v1/{district}/{gateway}/{device}/result  QoS 1   CommandResult   (gateway → hub)
 *
 * Trust: `issuer` is never taken from the payload. The broker stamps it from the
 * authenticated identity of the publisher (an `operator` user's name); a delegating hub user
 * (the hub's HTTP API, which authenticated a person itself) may name that person in
 * `onBehalfOf`, and the broker keeps it only from such a user. A gateway executes a command
 * only if it carries an issuer (i.e. it passed the broker).
 *
 * Exactly once at the device: `id` is the command's identity. A gateway keeps the ids it has
 * executed and answers a repeat with the first result (marked `repeat: true`) without writing
 * again. A command whose `expires` has passed on the gateway's clock is answered `expired`
 * and never written, including one that waited in a persistent session.
 */
import { type Static, Type } from '@sinclair/typebox';
import { TypeCompiler } from '@sinclair/typebox/compiler';
import { ENVELOPE_VERSION, ID_PATTERN, LIMITS, POINT_NAME_PATTERN } from './constants.js';
import { checkParsed, firstError, parseJson } from './json-check.js';

/** a command id: chosen by the issuer (a UUID is fine), unique per gateway */
export const COMMAND_ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.:-]{7,63}$/;
/** an issuer: the broker user name (and, for a delegating hub user, `onBehalfOf`) */
export const ISSUER_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@:-]{0,127}$/;

/**
 * `issuer` and `onBehalfOf` of what the hub sends a gateway through the broker (a command, a
 * desired config): the broker stamps `issuer` from the publisher's identity and keeps
 * `onBehalfOf` only from a delegating hub user; `onBehalfOf` is described for its message.
 */
export function stampedIssuer(onBehalfOfDescription: string) {
  return {
    issuer: Type.Optional(
      Type.String({
        pattern: ISSUER_PATTERN.source,
        description: 'stamped by the broker, never trusted from the sender',
      }),
    ),
    onBehalfOf: Type.Optional(
      Type.String({ pattern: ISSUER_PATTERN.source, description: onBehalfOfDescription }),
    ),
  };
}

export const COMMAND_LIMITS = {
  /** points written by one command */
  maxWrites: 32,
  /** longest time a command may live (expires - issued): a command is for now, not for later */
  maxTtlMs: 24 * 3600 * 1000,
  /** characters of a string value written */
  maxStringValue: 256,
} as const;

export const COMMAND_OUTCOMES = [
  'ok',
  'rejected',
  'expired',
  'timeout',
  'device-exception',
  'readback-mismatch',
  'interrupted',
] as const;
export type CommandOutcome = (typeof COMMAND_OUTCOMES)[number];

const Ms = Type.Integer({ minimum: 0, description: 'ms since the Unix epoch' });
const WriteValue = Type.Union([
  Type.Number(),
  Type.Boolean(),
  Type.String({ maxLength: COMMAND_LIMITS.maxStringValue }),
]);

export const CommandWrite = Type.Object(
  {
    point: Type.String({ pattern: POINT_NAME_PATTERN.source }),
    value: WriteValue,
  },
  { additionalProperties: false },
);
export type CommandWrite = Static<typeof CommandWrite>;

export const CommandRequest = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    id: Type.String({ pattern: COMMAND_ID_PATTERN.source, description: 'command id, unique per gateway' }),
    writes: Type.Array(CommandWrite, { minItems: 1, maxItems: COMMAND_LIMITS.maxWrites }),
    issued: Type.Optional(Ms),
    expires: Type.Integer({
      minimum: 0,
      description: 'ms since the Unix epoch; the gateway refuses the command after this',
    }),
    readback: Type.Optional(
      Type.Boolean({ description: 'read each point back after writing (default true)' }),
    ),
    ...stampedIssuer('the person a delegating hub user acts for; kept by the broker only from such a user'),
  },
  { additionalProperties: false },
);
export type CommandRequest = Static<typeof CommandRequest>;

export const PointOutcome = Type.Object(
  {
    point: Type.String({ maxLength: 64 }),
    outcome: Type.Union(COMMAND_OUTCOMES.map((o) => Type.Literal(o))),
    requested: Type.Optional(Type.Union([WriteValue, Type.Null()])),
    raw: Type.Optional(
      Type.Union([
        Type.Array(Type.Integer({ minimum: 0, maximum: 65535 }), {
          maxItems: 64,
          description: 'registers written',
        }),
        Type.Boolean({ description: 'coil written' }),
        Type.Number({ description: 'OPC UA value written' }),
        Type.String({ maxLength: COMMAND_LIMITS.maxStringValue }),
      ]),
    ),
    readback: Type.Optional(Type.Union([WriteValue, Type.Null()])),
    reason: Type.Optional(Type.String({ maxLength: LIMITS.maxReason })),
    code: Type.Optional(
      Type.String({ maxLength: 64, description: 'Modbus exception code or OPC UA status code name' }),
    ),
  },
  { additionalProperties: false },
);
export type PointOutcome = Static<typeof PointOutcome>;

export const CommandResult = Type.Object(
  {
    v: Type.Literal(ENVELOPE_VERSION),
    id: Type.String({ maxLength: 64, description: 'the command id (as received, even if invalid)' }),
    device: Type.String({ pattern: ID_PATTERN.source }),
    issuer: Type.Optional(Type.String({ maxLength: 128 })),
    onBehalfOf: Type.Optional(Type.String({ maxLength: 128 })),
    received: Ms,
    executed: Type.Optional(Ms),
    done: Ms,
    outcomes: Type.Array(PointOutcome, { maxItems: COMMAND_LIMITS.maxWrites }),
    reason: Type.Optional(
      Type.String({ maxLength: LIMITS.maxReason, description: 'why the whole command was refused' }),
    ),
    repeat: Type.Optional(
      Type.Boolean({
        description: 'a repeat of a command already executed: its first result, nothing written',
      }),
    ),
  },
  { additionalProperties: false },
);
export type CommandResult = Static<typeof CommandResult>;

const requestCheck = TypeCompiler.Compile(CommandRequest);
const resultCheck = TypeCompiler.Compile(CommandResult);

export type DecodedCommand = { ok: true; value: CommandRequest } | { ok: false; error: string; id?: string };

/**
 * Decodes a command. Beyond the schema: the same point twice is refused (which value would
 * win?), and `expires` may not lie more than maxTtlMs after `issued`. When the envelope is
 * invalid but carries a usable id, the id is returned so the refusal can be answered.
 */
export function decodeCommandRequest(input: Uint8Array | string): DecodedCommand {
  const parsed = parseJson(input);
  if (!parsed.ok) return parsed;
  const v = parsed.value as { id?: unknown } | null;
  const id = typeof v?.id === 'string' && COMMAND_ID_PATTERN.test(v.id) ? v.id : undefined;
  if (!requestCheck.Check(v)) return { ok: false, error: firstError(requestCheck, v), id };
  const cmd = v as CommandRequest;
  const seen = new Set<string>();
  for (const [i, w] of cmd.writes.entries()) {
    if (seen.has(w.point)) return { ok: false, error: `writes.${i}.point: ${w.point} is written twice`, id };
    seen.add(w.point);
    if (typeof w.value === 'number' && !Number.isFinite(w.value))
      return { ok: false, error: `writes.${i}.value: not a finite number`, id };
  }
  if (cmd.issued !== undefined && cmd.expires - cmd.issued > COMMAND_LIMITS.maxTtlMs)
    return { ok: false, error: `expires: more than ${COMMAND_LIMITS.maxTtlMs} ms after issued`, id };
  return { ok: true, value: cmd };
}

export function decodeCommandResult(
  input: Uint8Array | string,
): { ok: true; value: CommandResult } | { ok: false; error: string } {
  return checkParsed<CommandResult>(resultCheck, parseJson(input));
}

export class CommandContractError extends Error {
  readonly code = 'GZ_CONTRACT_INVALID';
}

export function encodeCommandRequest(c: CommandRequest): Buffer {
  if (!requestCheck.Check(c))
    throw new CommandContractError(`command does not follow contract v1: ${firstError(requestCheck, c)}`);
  return Buffer.from(JSON.stringify(c));
}

export function encodeCommandResult(r: CommandResult): Buffer {
  if (!resultCheck.Check(r))
    throw new CommandContractError(
      `command result does not follow contract v1: ${firstError(resultCheck, r)}`,
    );
  return Buffer.from(JSON.stringify(r));
}
