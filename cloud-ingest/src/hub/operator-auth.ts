/**
 * Hub operators (issue 15): HTTP Basic against the scrypt hashes of `hub.operators` in the
 * ingest's configuration (the broker users file format, checked by @ganzhi/runtime in
 * constant time). Send credentials only over TLS or on loopback: the hub's listener speaks
 * plain HTTP, so a non-loopback `http.host` belongs behind a TLS-terminating proxy.
 *
 * Throttling, as the broker's login throttle does: after `failuresBeforeBackoff` wrong
 * passwords from one address or for one name, further attempts from it / for it are answered
 * 429 with Retry-After and no hash is computed, for 1 s, 2 s, 4 s … up to `maxBackoffMs`; a
 * success clears both. A password already verified since start (kept as a keyed SHA-256, never
 * the password) still passes during a back-off, so a flood against a name cannot lock its
 * operator out. At most `maxConcurrent` scrypt checks run at once, `maxQueued` wait; beyond,
 * 429. An unknown name costs the same hash as a known one.
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { type Clock, dummyHash, systemClock, verifyPassword } from '@ganzhi/runtime';

export interface HubOperator {
  name: string;
  hash: string;
  districts: string[];
}

export type AuthResult =
  | { ok: true; operator: HubOperator }
  | { ok: false; status: 401; message: string }
  | { ok: false; status: 429; message: string; retryAfterS: number };

export interface OperatorAuthOptions {
  clock?: Clock;
  failuresBeforeBackoff?: number;
  /** the first back-off (default 1 s); each further failure doubles it */
  firstBackoffMs?: number;
  maxBackoffMs?: number;
  maxConcurrent?: number;
  maxQueued?: number;
  /** remembered addresses and names at most (oldest forgotten) */
  maxKeys?: number;
}

interface Failures {
  count: number;
  until: number;
  last: number;
}

const MAX_HEADER = 1024;

/** `Basic base64(name:password)` → the pair; undefined when absent or malformed. */
export function parseBasic(header: string | undefined): { name: string; password: string } | undefined {
  if (header === undefined || header.length > MAX_HEADER) return undefined;
  const m = /^Basic ([A-Za-z0-9+/=]+)$/i.exec(header.trim());
  if (!m) return undefined;
  const text = Buffer.from(m[1] as string, 'base64').toString('utf8');
  const i = text.indexOf(':');
  if (i <= 0) return undefined;
  return { name: text.slice(0, i), password: text.slice(i + 1) };
}

export class OperatorAuth {
  readonly #byName = new Map<string, HubOperator>();
  readonly #clock: Clock;
  readonly #after: number;
  readonly #maxWait: number;
  readonly #firstWait: number;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #maxKeys: number;
  readonly #failAddr = new Map<string, Failures>();
  readonly #failName = new Map<string, Failures>();
  /** name → keyed digest of a password verified since start */
  readonly #verified = new Map<string, Buffer>();
  readonly #key = randomBytes(32);
  #running = 0;
  #queue: (() => void)[] = [];

  constructor(operators: readonly HubOperator[], opts: OperatorAuthOptions = {}) {
    for (const o of operators) this.#byName.set(o.name, o);
    this.#clock = opts.clock ?? systemClock;
    this.#after = opts.failuresBeforeBackoff ?? 5;
    this.#maxWait = opts.maxBackoffMs ?? 60_000;
    this.#firstWait = Math.min(opts.firstBackoffMs ?? 1000, this.#maxWait);
    this.#maxConcurrent = opts.maxConcurrent ?? 2;
    this.#maxQueued = opts.maxQueued ?? 32;
    this.#maxKeys = opts.maxKeys ?? 10_000;
  }

  get configured(): boolean {
    return this.#byName.size > 0;
  }

  #digest(name: string, password: string): Buffer {
    return createHmac('sha256', this.#key).update(name).update('\0').update(password).digest();
  }

  #blockedFor(map: Map<string, Failures>, key: string, now: number): number {
    const f = map.get(key);
    return f && f.until > now ? f.until - now : 0;
  }

  #fail(map: Map<string, Failures>, key: string, now: number): void {
    let f = map.get(key);
    if (f && now - f.last > 2 * this.#maxWait) f = undefined;
    f ??= { count: 0, until: 0, last: now };
    f.count++;
    f.last = now;
    if (f.count >= this.#after) {
      const wait = Math.min(this.#maxWait, this.#firstWait * 2 ** (f.count - this.#after));
      f.until = now + wait;
    }
    map.delete(key);
    map.set(key, f);
    if (map.size > this.#maxKeys) map.delete(map.keys().next().value as string);
  }

  async #hashSlot<T>(work: () => Promise<T>): Promise<T | undefined> {
    if (this.#running >= this.#maxConcurrent) {
      if (this.#queue.length >= this.#maxQueued) return undefined;
      await new Promise<void>((resolve) => this.#queue.push(resolve));
    } else this.#running++;
    try {
      return await work();
    } finally {
      const next = this.#queue.shift();
      if (next) next();
      else this.#running--;
    }
  }

  /** Checks an Authorization header from `address`. */
  async check(header: string | undefined, address: string): Promise<AuthResult> {
    const cred = parseBasic(header);
    if (!cred) return { ok: false, status: 401, message: 'operator credentials required (HTTP Basic)' };
    const now = this.#clock.now();
    const op = this.#byName.get(cred.name);
    const digest = this.#digest(cred.name, cred.password);
    const known = this.#verified.get(cred.name);
    if (op && known && timingSafeEqual(known, digest)) return { ok: true, operator: op };
    const wait = Math.max(
      this.#blockedFor(this.#failAddr, address, now),
      this.#blockedFor(this.#failName, cred.name, now),
    );
    if (wait > 0)
      return {
        ok: false,
        status: 429,
        message: 'too many failed logins: try again later',
        retryAfterS: Math.ceil(wait / 1000),
      };
    const good = await this.#hashSlot(async () =>
      verifyPassword(cred.password, op?.hash ?? (await dummyHash())),
    );
    if (good === undefined)
      return { ok: false, status: 429, message: 'too many logins waiting: try again later', retryAfterS: 1 };
    const at = this.#clock.now();
    if (good && op) {
      this.#failAddr.delete(address);
      this.#failName.delete(cred.name);
      this.#verified.set(cred.name, digest);
      return { ok: true, operator: op };
    }
    this.#fail(this.#failAddr, address, at);
    this.#fail(this.#failName, cred.name, at);
    return { ok: false, status: 401, message: 'wrong operator name or password' };
  }
}
