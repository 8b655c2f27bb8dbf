/**
 * What a flood of wrong passwords may cost (issue 13, finding 3): ~45 wrong passwords a second
 * were evaluated from one address, and 150 concurrent attempts made a legitimate first login wait
 * 3 s behind their scrypt hashes. Two defences:
 *
 * - Back-off: after `failuresBeforeBackoff` failed logins from one address, or for one user name
 *   (from any address), further password logins from that address / for that user are refused at
 *   once with CONNACK 3 (server unavailable: try later), without a hash, for 1 s, then 2 s, 4 s …
 *   up to `maxBackoffMs` per further failure; a success clears both. Failures older than twice
 *   the longest wait are forgotten. A password the credential store has already verified since
 *   the broker started still logs in during a back-off (it costs a SHA-256, not a scrypt), so an
 *   attacker hammering a gateway's name or sharing its address (NAT) cannot lock it out.
 * - Bounded, fair hashing: at most `maxConcurrent` scrypt checks run at once; the others wait in
 *   a queue served one address at a time in turn, at most `maxQueuedPerAddress` per address and
 *   `maxQueued` in all (beyond: CONNACK 3 without a hash). A flood from one address therefore
 *   delays another address's login by about one hash, not by the flood.
 *
 * Time comes from the injected clock; the maps are bounded (`maxKeys`).
 */
import type { Clock } from '@ganzhi/runtime';

export interface LoginThrottleOptions {
  clock: Clock;
  failuresBeforeBackoff: number;
  maxBackoffMs: number;
  maxConcurrent: number;
  maxQueued: number;
  maxQueuedPerAddress?: number;
  maxKeys?: number;
}

/** The hash queue (or this address's share of it) is full. */
export class ThrottleFull extends Error {
  readonly code = 'GZ_BROKER_RATE';
  constructor() {
    super('too many password checks waiting');
    this.name = 'ThrottleFull';
  }
}

interface Failures {
  count: number;
  last: number;
  until: number;
}

interface Task {
  work: () => Promise<boolean>;
  resolve: (v: boolean) => void;
  reject: (e: unknown) => void;
}

const FIRST_WAIT_MS = 1000;

export class LoginThrottle {
  readonly #clock: Clock;
  readonly #after: number;
  readonly #maxWait: number;
  readonly #maxConcurrent: number;
  readonly #maxQueued: number;
  readonly #perAddress: number;
  readonly #maxKeys: number;
  readonly #byAddress = new Map<string, Failures>();
  readonly #byUser = new Map<string, Failures>();
  readonly #queues = new Map<string, Task[]>();
  #turns: string[] = [];
  #running = 0;
  #queued = 0;

  constructor(opts: LoginThrottleOptions) {
    this.#clock = opts.clock;
    this.#after = opts.failuresBeforeBackoff;
    this.#maxWait = opts.maxBackoffMs;
    this.#maxConcurrent = opts.maxConcurrent;
    this.#maxQueued = opts.maxQueued;
    this.#perAddress = opts.maxQueuedPerAddress ?? 4;
    this.#maxKeys = opts.maxKeys ?? 100_000;
  }

  /** Password checks running / waiting (for /metrics). */
  get running(): number {
    return this.#running;
  }

  get queued(): number {
    return this.#queued;
  }

  /** Milliseconds the address or the user must still wait before a password is hashed (0: none). */
  waitFor(address: string, user: string): number {
    const now = this.#clock.now();
    const until = Math.max(this.#byAddress.get(address)?.until ?? 0, this.#byUser.get(user)?.until ?? 0);
    return until > now ? until - now : 0;
  }

  failed(address: string, user: string): void {
    this.#fail(this.#byAddress, address);
    this.#fail(this.#byUser, user);
  }

  succeeded(address: string, user: string): void {
    this.#byAddress.delete(address);
    this.#byUser.delete(user);
  }

  /** A scheduler for one login's hash: runs it in this address's turn (rejects with ThrottleFull). */
  schedule(address: string): (work: () => Promise<boolean>) => Promise<boolean> {
    return (work) =>
      new Promise<boolean>((resolve, reject) => {
        if (this.#running < this.#maxConcurrent && this.#queued === 0) {
          this.#start({ work, resolve, reject });
          return;
        }
        const q = this.#queues.get(address);
        if (this.#queued >= this.#maxQueued || (q?.length ?? 0) >= this.#perAddress) {
          reject(new ThrottleFull());
          return;
        }
        if (q) q.push({ work, resolve, reject });
        else {
          this.#queues.set(address, [{ work, resolve, reject }]);
          this.#turns.push(address);
        }
        this.#queued++;
      });
  }

  #start(t: Task): void {
    this.#running++;
    let p: Promise<boolean>;
    try {
      p = t.work();
    } catch (err) {
      p = Promise.reject(err);
    }
    p.then(t.resolve, t.reject).finally(() => {
      this.#running--;
      this.#next();
    });
  }

  /** Starts waiting checks while slots are free, one address after another. */
  #next(): void {
    while (this.#running < this.#maxConcurrent && this.#turns.length > 0) {
      const address = this.#turns.shift() as string;
      const q = this.#queues.get(address);
      const t = q?.shift();
      if (!q || !t) {
        this.#queues.delete(address);
        continue;
      }
      this.#queued--;
      if (q.length > 0) this.#turns.push(address);
      else this.#queues.delete(address);
      this.#start(t);
    }
  }

  #fail(map: Map<string, Failures>, key: string): void {
    const now = this.#clock.now();
    let f = map.get(key);
    if (f && now - f.last > 2 * this.#maxWait) f = undefined;
    if (!f) {
      if (map.size >= this.#maxKeys) this.#evict(map, now);
      f = { count: 0, last: now, until: 0 };
      map.set(key, f);
    }
    f.count++;
    f.last = now;
    if (f.count >= this.#after) {
      const wait = Math.min(this.#maxWait, FIRST_WAIT_MS * 2 ** Math.min(30, f.count - this.#after));
      f.until = now + wait;
    }
  }

  #evict(map: Map<string, Failures>, now: number): void {
    for (const [k, f] of map) if (now - f.last > 2 * this.#maxWait) map.delete(k);
    if (map.size >= this.#maxKeys) map.clear();
  }
}
