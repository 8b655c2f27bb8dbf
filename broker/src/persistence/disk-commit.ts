/**
 * Group commit for DiskPersistence: row changes recorded during one event-loop turn run in ONE
 * SQLite transaction (flushed on setImmediate); the promise `record()` returns resolves only after
 * that transaction has committed. `recordLazy()` takes changes nobody waits for: they ride with
 * the next awaited commit, or are committed at the latest LAZY_COMMIT_MS later.
 */
import { DiskPersistenceError, type SessionDb } from './disk-store.js';

export type Op = () => void;

/** At most this long between a change nobody waits for and its commit. */
export const LAZY_COMMIT_MS = 20;

interface Batch {
  promise: Promise<void>;
  resolve: () => void;
  reject: (e: Error) => void;
}

export class GroupCommit {
  readonly #db: SessionDb;
  readonly #onLazyError: (err: Error) => void;
  readonly #afterCommit: () => void;
  #ops: Op[] = [];
  #batch: Batch | undefined;
  #lazyTimer: NodeJS.Timeout | undefined;
  #closed = false;
  #commits = 0;

  /**
   * @param onLazyError a commit nobody waited for failed (the next awaited one fails too)
   * @param afterCommit runs after each successful commit (housekeeping such as giving space back)
   */
  constructor(db: SessionDb, onLazyError: (err: Error) => void, afterCommit: () => void) {
    this.#db = db;
    this.#onLazyError = onLazyError;
    this.#afterCommit = afterCommit;
  }

  get commits(): number {
    return this.#commits;
  }

  get pending(): number {
    return this.#ops.length;
  }

  /** Records a row change; resolves once a transaction containing it has committed. */
  record(op: Op): Promise<void> {
    if (this.#closed) return Promise.reject(this.#closedError());
    this.#ops.push(op);
    if (!this.#batch) {
      let resolve!: () => void;
      let reject!: (e: Error) => void;
      const promise = new Promise<void>((res, rej) => {
        resolve = res;
        reject = rej;
      });
      this.#batch = { promise, resolve, reject };
      setImmediate(() => this.flush());
    }
    return this.#batch.promise;
  }

  /** Records a change nobody waits for. */
  recordLazy(op: Op): void {
    if (this.#closed) return;
    this.#ops.push(op);
    if (!this.#batch && !this.#lazyTimer) {
      this.#lazyTimer = setTimeout(() => this.flush(), LAZY_COMMIT_MS);
      this.#lazyTimer.unref();
    }
  }

  /** Commits everything recorded so far, now. */
  flush(): void {
    const batch = this.#batch;
    const ops = this.#ops;
    this.#batch = undefined;
    this.#ops = [];
    if (this.#lazyTimer) {
      clearTimeout(this.#lazyTimer);
      this.#lazyTimer = undefined;
    }
    if (ops.length === 0) {
      batch?.resolve();
      return;
    }
    if (!this.#db.db.open) {
      batch?.reject(this.#closedError());
      return;
    }
    try {
      this.#db.db.transaction(() => {
        for (let i = 0; i < ops.length; i++) (ops[i] as Op)();
      })();
      this.#commits++;
    } catch (cause) {
      const err = new DiskPersistenceError(`cannot commit to broker session file ${this.#db.file}`, {
        cause,
        retriable: true,
      });
      if (batch) batch.reject(err);
      else this.#onLazyError(err);
      return;
    }
    batch?.resolve();
    this.#afterCommit();
  }

  /** Commits what is pending; later changes are refused. */
  close(): void {
    if (this.#closed) return;
    if (this.#ops.length > 0 || this.#batch) this.flush();
    this.#closed = true;
  }

  #closedError(): DiskPersistenceError {
    return new DiskPersistenceError(`broker session file ${this.#db.file} is closed`);
  }
}
