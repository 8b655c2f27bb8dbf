/**
 * Who holds a session: client id → the user it belongs to (issue 13, finding 2). The client-id
 * rules (auth/client-id-rules.ts) say which ids a user may use; where two users' forms overlap
 * (two ingest users both allowed `ganzhi-ingest-*`, or names that collide), this table makes sure
 * neither resumes, wipes or takes over the other's session: the first user to hold an id keeps it
 * while its session lives. Kept where the sessions are — in memory, in the disk mode's session
 * file (DiskPersistence implements this interface), or in Redis, so every broker node of a cluster
 * sees the same owner.
 */
import type { Redis } from 'ioredis';

export interface SessionOwners {
  /** The user holding `clientId`'s session, if any. */
  owner(clientId: string): Promise<string | undefined>;
  /** Claims `clientId` for `user` unless another user holds it; resolves whether `user` holds it. */
  claim(clientId: string, user: string): Promise<boolean>;
  /** `user`'s session of `clientId` ended (a clean session closed): the id is free again. */
  release(clientId: string, user: string): Promise<void>;
}

/** Memory mode: the owners live and die with the sessions, in this process. */
export class MemoryOwners implements SessionOwners {
  readonly #owners = new Map<string, string>();

  async owner(clientId: string): Promise<string | undefined> {
    return this.#owners.get(clientId);
  }

  async claim(clientId: string, user: string): Promise<boolean> {
    const held = this.#owners.get(clientId);
    if (held !== undefined) return held === user;
    this.#owners.set(clientId, user);
    return true;
  }

  async release(clientId: string, user: string): Promise<void> {
    if (this.#owners.get(clientId) === user) this.#owners.delete(clientId);
  }
}

/** How the disk mode writes an owner row: `put` resolves once committed, `del` commits later. */
export interface OwnerWrites {
  put(clientId: string, user: string): Promise<void>;
  del(clientId: string, user: string): void;
}

/** Disk mode: the same table, written through to the session file (DiskPersistence.owners). */
export class DiskOwners implements SessionOwners {
  readonly #owners = new Map<string, string>();
  readonly #write: OwnerWrites;

  constructor(write: OwnerWrites) {
    this.#write = write;
  }

  /** The owners read back from the file at start. */
  load(owners: ReadonlyMap<string, string>): void {
    for (const [id, user] of owners) this.#owners.set(id, user);
  }

  async owner(clientId: string): Promise<string | undefined> {
    return this.#owners.get(clientId);
  }

  async claim(clientId: string, user: string): Promise<boolean> {
    const held = this.#owners.get(clientId);
    if (held !== undefined) return held === user;
    this.#owners.set(clientId, user);
    await this.#write.put(clientId, user);
    return true;
  }

  async release(clientId: string, user: string): Promise<void> {
    if (this.#owners.get(clientId) !== user) return;
    this.#owners.delete(clientId);
    this.#write.del(clientId, user);
  }
}

/** The Redis hash every broker node of a cluster shares: field = client id, value = user. */
export const REDIS_OWNERS_KEY = 'gz:session-owner';

/** Deletes the field only if it still names this user (another node may have taken it over). */
const RELEASE_SCRIPT =
  "if redis.call('HGET', KEYS[1], ARGV[1]) == ARGV[2] then return redis.call('HDEL', KEYS[1], ARGV[1]) end return 0";

/** Redis mode: HSETNX makes the first claim win across all broker nodes at once. */
export class RedisOwners implements SessionOwners {
  readonly #db: Redis;

  constructor(db: Redis) {
    this.#db = db;
  }

  async owner(clientId: string): Promise<string | undefined> {
    return (await this.#db.hget(REDIS_OWNERS_KEY, clientId)) ?? undefined;
  }

  async claim(clientId: string, user: string): Promise<boolean> {
    if ((await this.#db.hsetnx(REDIS_OWNERS_KEY, clientId, user)) === 1) return true;
    return (await this.#db.hget(REDIS_OWNERS_KEY, clientId)) === user;
  }

  async release(clientId: string, user: string): Promise<void> {
    await this.#db.eval(RELEASE_SCRIPT, 1, REDIS_OWNERS_KEY, clientId, user);
  }
}
