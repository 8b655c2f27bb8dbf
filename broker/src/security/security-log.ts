/**
 * One structured, rate-limited log line per security event: who (user or a fingerprint of an
 * unverified name), from where (address, listener), what (topic, filter, client id, limit), why.
 *
 * Rate-limited per kind of event (token bucket: `perSecond`, `burst`), so an attack cannot flood
 * the log: lines beyond the budget are counted, not written, and the next line written for that
 * kind says how many were suppressed before it (`suppressed`). Every event is counted on /metrics
 * (`gz_broker_security_events_total{event}`, `gz_broker_security_log_suppressed_total{event}`)
 * whether its line was written or not.
 *
 * Never a secret: the fields are fixed and structured; a user name that did not verify (it may be
 * a password typed into the user-name field) is logged only as `claimedUser`: the first 12 hex
 * digits of its SHA-256 and its length, never the text.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';

export const SECURITY_EVENTS = [
  'auth_failure',
  'auth_backoff',
  'acl_denied',
  'client_id_refused',
  'session_takeover_refused',
  'rate_limited',
  'connection_limit',
  'oversize',
  'protocol',
  'gateway_limit',
  'http_host_refused',
  /** an invalid command payload (issue 15): acknowledged, dropped */
  'command_refused',
  /** a desired config refused (issue 16): invalid, stale, another gateway's; acknowledged, dropped */
  'config_refused',
] as const;
export type SecurityEvent = (typeof SECURITY_EVENTS)[number];

export interface SecurityFields {
  /** a verified user, or a name the credential store knows */
  user?: string | null;
  /** a name that is not a known user: logged as a fingerprint only */
  claimedUser?: string | null;
  clientId?: string | null;
  ip?: string;
  listener?: string;
  /** what was refused: a topic, a filter, a client id, a limit */
  what?: string;
  why: string;
  [extra: string]: unknown;
}

export interface SecurityLogOptions {
  /** lines per second per kind of event, after the burst */
  perSecond?: number;
  burst?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

/** A name that must not be logged as text: 12 hex digits of its SHA-256, and its length. */
export function fingerprint(text: string): { sha256: string; length: number } {
  return { sha256: createHash('sha256').update(text).digest('hex').slice(0, 12), length: text.length };
}

export class SecurityLog {
  readonly #logger: Logger;
  readonly #clock: Clock;
  readonly #perMs: number;
  readonly #burst: number;
  readonly #buckets = new Map<SecurityEvent, Bucket>();
  readonly counts: Record<SecurityEvent, number>;
  readonly suppressed: Record<SecurityEvent, number>;

  constructor(logger: Logger, clock: Clock, opts: SecurityLogOptions = {}) {
    this.#logger = logger;
    this.#clock = clock;
    this.#perMs = (opts.perSecond ?? 5) / 1000;
    this.#burst = opts.burst ?? 20;
    this.counts = Object.fromEntries(SECURITY_EVENTS.map((e) => [e, 0])) as Record<SecurityEvent, number>;
    this.suppressed = { ...this.counts };
  }

  event(kind: SecurityEvent, fields: SecurityFields): void {
    this.counts[kind]++;
    const now = this.#clock.now();
    let b = this.#buckets.get(kind);
    if (!b) {
      b = { tokens: this.#burst, at: now, suppressed: 0 };
      this.#buckets.set(kind, b);
    } else {
      b.tokens = Math.min(this.#burst, b.tokens + (now - b.at) * this.#perMs);
      b.at = now;
    }
    if (b.tokens < 1) {
      b.suppressed++;
      this.suppressed[kind]++;
      return;
    }
    b.tokens -= 1;
    const { claimedUser, ...rest } = fields;
    const line: Record<string, unknown> = { security: kind, ...rest };
    if (claimedUser !== undefined && claimedUser !== null) line.claimedUser = fingerprint(claimedUser);
    if (b.suppressed > 0) {
      line.suppressed = b.suppressed;
      b.suppressed = 0;
    }
    this.#logger.warn(line, `security: ${kind.replace(/_/g, ' ')}`);
  }
}
