/**
 * The broker's half of fleet trust (issue 16): a gateway believes the `issuer` of its desired
 * config because the broker wrote it, exactly as for commands (command-stamp.ts). Every push on
 * `gz/v1/{d}/{g}/config` that passes the ACL is decoded with the contract's decoder (hash, no
 * inline secret, size, schema); the document must name the topic's gateway and district, and its
 * version must be above the one retained (a stale hub must not overwrite a newer desired state).
 * A valid one is re-encoded with `issuer` = the publisher's user (`anonymous` for anonymous) and
 * `onBehalfOf` kept only from an operator with `delegate: true`. An invalid one is refused: the
 * caller drops it, so the retained store keeps the previous document.
 */
import { type DesiredConfig, decodeDesiredConfig, ISSUER_PATTERN } from '@ganzhi/device-profiles/contract';
import { issuerOf } from './command-stamp.js';
import type { Identity } from './identity.js';

export type StampedConfig =
  | { ok: true; payload: Buffer; version: number; hash: string }
  /** `why` never quotes the payload; `version` when the payload had a usable one */
  | { ok: false; why: string; version?: number };

export interface ConfigTarget {
  district: string;
  gateway: string;
  /** the version of the desired config the broker holds for this topic (retained), if any */
  retainedVersion: number | undefined;
}

export function stampConfig(id: Identity, target: ConfigTarget, payload: Uint8Array | string): StampedConfig {
  const decoded = decodeDesiredConfig(payload);
  if (!decoded.ok) {
    // JSON.parse's message quotes the input: never log it
    const why = decoded.error.startsWith('payload is not JSON') ? 'payload is not JSON' : decoded.error;
    return {
      ok: false,
      why: `invalid desired config: ${why.slice(0, 200)}`,
      ...(decoded.version !== undefined ? { version: decoded.version } : {}),
    };
  }
  const d = decoded.value;
  const cfg = d.config as { gateway?: unknown; district?: unknown };
  if (cfg.gateway !== target.gateway)
    return {
      ok: false,
      why: `config.gateway is not the topic's gateway (${target.gateway})`,
      version: d.version,
    };
  if (cfg.district !== target.district)
    return {
      ok: false,
      why: `config.district is not the topic's district (${target.district})`,
      version: d.version,
    };
  if (target.retainedVersion !== undefined && d.version <= target.retainedVersion)
    return {
      ok: false,
      why: `version ${d.version} is not above the retained desired config's version ${target.retainedVersion}`,
      version: d.version,
    };
  const issuer = issuerOf(id);
  if (!ISSUER_PATTERN.test(issuer))
    return {
      ok: false,
      why: `user name cannot be a config issuer (must match ${ISSUER_PATTERN.source})`,
      version: d.version,
    };
  const { issuer: _forged, onBehalfOf, ...rest } = d;
  const keep = id.role === 'operator' && id.delegate && onBehalfOf !== undefined;
  const stamped: DesiredConfig = { ...rest, issuer, ...(keep ? { onBehalfOf } : {}) };
  // not encodeDesiredConfig: it would decode (hash, schema, secrets) a second time, and only the
  // issuer (checked above) and the removal of onBehalfOf differ from the document just decoded
  return { ok: true, payload: Buffer.from(JSON.stringify(stamped)), version: d.version, hash: d.hash };
}

/**
 * The version of a retained desired config, read without checking its hash (the broker stamped
 * it, or an older broker kept it): undefined when there is none or it has no usable version.
 */
export function retainedConfigVersion(payload: Uint8Array | undefined): number | undefined {
  if (!payload || payload.length === 0) return undefined;
  try {
    const v = (JSON.parse(Buffer.from(payload).toString('utf8')) as { version?: unknown } | null)?.version;
    return typeof v === 'number' && Number.isSafeInteger(v) && v >= 1 ? v : undefined;
  } catch {
    return undefined;
  }
}
