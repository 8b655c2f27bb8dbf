/**
 * The broker's half of command trust (issue 15): a gateway believes the `issuer` of a command
 * because the broker wrote it. Every device command that passes the ACL is decoded with the
 * contract's decoder; an invalid one is refused (the caller drops it); a valid one is re-encoded
 * with `issuer` = the publisher's user name (whatever the payload said) and `onBehalfOf` kept only
 * from an operator with `delegate: true` (the hub's own user, which authenticated that person
 * itself). Anonymous publishers (--allow-anonymous, the local demo) are stamped `anonymous`.
 */
import {
  type CommandRequest,
  decodeCommandRequest,
  encodeCommandRequest,
  ISSUER_PATTERN,
} from '@ganzhi/device-profiles/contract';
import type { Identity } from './identity.js';

export const ANONYMOUS_ISSUER = 'anonymous';

export type Stamped =
  | { ok: true; payload: Buffer; id: string }
  /** `why` never quotes the payload (a JSON parse error would); `id` when the payload had a usable one */
  | { ok: false; why: string; id?: string };

/** The issuer the broker writes for an identity. */
export function issuerOf(id: Identity): string {
  return id.role === 'anonymous' ? ANONYMOUS_ISSUER : id.user;
}

export function stampCommand(id: Identity, payload: Uint8Array | string): Stamped {
  const decoded = decodeCommandRequest(payload);
  if (!decoded.ok) {
    // JSON.parse's message quotes the input: never log it
    const why = decoded.error.startsWith('payload is not JSON') ? 'payload is not JSON' : decoded.error;
    return {
      ok: false,
      why: `invalid command: ${why.slice(0, 200)}`,
      ...(decoded.id ? { id: decoded.id } : {}),
    };
  }
  const issuer = issuerOf(id);
  if (!ISSUER_PATTERN.test(issuer)) {
    return {
      ok: false,
      why: `user name cannot be a command issuer (must match ${ISSUER_PATTERN.source})`,
      id: decoded.value.id,
    };
  }
  const { issuer: _forged, onBehalfOf, ...rest } = decoded.value;
  const keep = id.role === 'operator' && id.delegate && onBehalfOf !== undefined;
  const stamped: CommandRequest = { ...rest, issuer, ...(keep ? { onBehalfOf } : {}) };
  return { ok: true, payload: encodeCommandRequest(stamped), id: stamped.id };
}
