/**
 * QueuePersistence with a write-through SQLite file, so a broker crash (kill -9, OOM, panic)
 * loses nothing it acknowledged.
 *
 * Every read is served by the in-memory indexes of QueuePersistence / Aedes' memory persistence.
 * Every mutation is applied in memory, recorded as a row change, and its promise resolves only
 * after a transaction containing that change has committed. Changes recorded in one event-loop
 * turn share ONE transaction (flushed on setImmediate): group commit. Two kinds of change are
 * committed with the next batch without being waited for, because nothing is acknowledged on
 * them and a crash before their commit can only cause a redelivery, never a loss: a subscriber's
 * PUBACK/PUBCOMP deleting a message, and the packet id given to a QoS 1 delivery.
 *
 * Aedes awaits `outgoingEnqueueCombi` (and `storeRetained`, `incomingStorePacket`) before it sends
 * a QoS 2 PUBREC, but writes a QoS 1 PUBACK before it stores the message: the broker holds that
 * PUBACK until the publish (hence the commit) is done (disk-persistence-ack-gate.ts). So every
 * acknowledgement a publisher gets means "on disk".
 *
 * `setup()` opens the file and replays it into memory before Aedes accepts a connection. Wills
 * keep the id of the broker run that stored them, so Aedes publishes the wills of clients that
 * were connected when the previous run died (at its next will sweep, every 4 heartbeat intervals)
 * unless the client reconnects first.
 */
import { createRequire } from 'node:module';
import { GroupCommit, type Op } from './disk-commit.js';
import { DiskPersistenceError, type DiskSync, encodePacket, SessionDb } from './disk-store.js';
import { type Cleared, ClientRows, counterKey, type Entry } from './disk-types.js';
import type { BrokerLike, ClientRef, PacketLike, SubLike } from './packet-types.js';
import { QueuePersistence, type QueuePersistenceOptions } from './queue-persistence.js';
import { DiskOwners } from './session-owners.js';

const require = createRequire(import.meta.url);
const Packet = require('aedes-packet') as new (original: object, broker?: unknown) => PacketLike;

export interface DiskPersistenceOptions extends QueuePersistenceOptions {
  /** The SQLite file (created if missing; its directory must exist). */
  file: string;
  /**
   * 'normal' (default): WAL + synchronous=NORMAL — survives a crash or kill -9 of the process;
   * a power cut or kernel panic may lose the last transactions. 'full': fsync on every commit —
   * survives a power cut, costs one fsync per group commit.
   */
  sync?: DiskSync;
  /**
   * true (default): the file is locked for this process until close, so a second broker on the
   * same data dir cannot start (and no other program can read the file meanwhile). false: for
   * tests that inspect the file from a second connection.
   */
  exclusive?: boolean;
  /** A commit nobody was waiting for failed (the next awaited one will fail too and say so). */
  onError?: (err: Error) => void;
}

/** Deleted queue rows after which an empty queue set gives free pages back to the file system. */
const VACUUM_AFTER_DELETES = 20_000;

export class DiskPersistence extends QueuePersistence {
  readonly file: string;
  readonly #sync: DiskSync;
  readonly #exclusive: boolean;
  readonly #dropFlag: { dropped: boolean };
  readonly #rows = new Map<string, ClientRows>();
  #db: SessionDb | undefined;
  #commit: GroupCommit | undefined;
  #seq = 0;
  #closed = false;
  #deletesSinceVacuum = 0;
  readonly #onLazyError: (err: Error) => void;
  /** Who holds each session (session-owners.ts), kept in the session file with the sessions. */
  readonly owners = new DiskOwners({
    // a claim resolves once committed: an owner the file does not know protects nothing
    put: (clientId, user) => {
      const s = this.#db?.s;
      return this.#record(() => s?.ownerPut.run(clientId, user));
    },
    del: (clientId, user) => {
      const s = this.#db?.s;
      this.#recordLazy(() => s?.ownerDel.run(clientId, user));
    },
  });

  constructor(opts: DiskPersistenceOptions) {
    const flag = { dropped: false };
    const onDrop = opts.onDrop ?? (() => {});
    super({
      ...(opts.maxQueuedPerClient !== undefined ? { maxQueuedPerClient: opts.maxQueuedPerClient } : {}),
      onDrop: (clientId) => {
        flag.dropped = true;
        onDrop(clientId);
      },
    });
    this.#dropFlag = flag;
    this.file = opts.file;
    this.#sync = opts.sync ?? 'normal';
    this.#exclusive = opts.exclusive ?? true;
    this.#onLazyError = opts.onError ?? (() => {});
  }

  /** Transactions committed so far (for tests and metrics). */
  get commits(): number {
    return this.#commit?.commits ?? 0;
  }

  /** Row changes recorded but not yet committed. */
  get pendingChanges(): number {
    return this.#commit?.pending ?? 0;
  }

  override async setup(broker: unknown): Promise<void> {
    await super.setup(broker);
    const db = SessionDb.open(this.file, this.#sync, this.#exclusive);
    this.#db = db;
    this.#commit = new GroupCommit(db, this.#onLazyError, () => this.#afterCommit());
    try {
      this.#restore(db, broker as BrokerLike);
    } catch (err) {
      db.db.close();
      this.#db = undefined;
      this.#commit = undefined;
      throw err;
    }
  }

  #restore(db: SessionDb, broker: BrokerLike): void {
    const snap = db.load();
    // Replays through the parent's methods, which resolve synchronously in memory.
    for (const [id, subs] of snap.subscriptions) void super.addSubscriptions({ id }, subs);
    // an owner row without any session state left is a clean session's whose broker died before
    // the row was deleted: nothing is left to protect, so the id is free again
    const withState = new Set<string>([
      ...snap.subscriptions.keys(),
      ...snap.outgoing.map((o) => o.clientId),
      ...snap.incoming.map((i) => i.clientId),
      ...snap.wills.map((w) => w.clientId),
    ]);
    const owners = new Map<string, string>();
    for (const [id, user] of snap.owners) {
      if (withState.has(id)) owners.set(id, user);
      else void this.#record(() => db.s.ownerDel.run(id, user)).catch(() => {});
    }
    this.owners.load(owners);
    for (const p of snap.retained) void super.storeRetained(p as never);
    let maxOwnCounter = 0;
    for (const { seq, clientId, packet } of snap.outgoing) {
      this.#seq = Math.max(this.#seq, seq);
      if (this.#dropFlag.dropped) this.#dropFlag.dropped = false;
      if (packet.brokerId === broker.id && packet.brokerCounter !== undefined) {
        maxOwnCounter = Math.max(maxOwnCounter, packet.brokerCounter);
      }
      this.#restoreOutgoing(clientId, seq, packet);
      if (this.#dropFlag.dropped) {
        // the queue cap was lowered below what the file holds: the newest beyond it go
        const s = db.s;
        void this.#record(() => s.outDel.run(seq)).catch(() => {});
      }
    }
    // a fixed broker id (--id) restarts its counter at 0: keep new counters clear of stored ones
    if (maxOwnCounter > broker.counter) broker.counter = maxOwnCounter;
    for (const { clientId, packet } of snap.incoming)
      void super.incomingStorePacket({ id: clientId }, packet);
    for (const { clientId, packet } of snap.wills) {
      const storedBroker = packet.brokerId;
      void super.putWill({ id: clientId }, packet);
      // putWill stamps the current broker id; the will belongs to the run that stored it. A run
      // with the same fixed id is alive now, so mark the will as the previous run's.
      packet.brokerId =
        storedBroker === broker.id || storedBroker === undefined ? `${broker.id}/previous-run` : storedBroker;
    }
  }

  #restoreOutgoing(clientId: string, seq: number, packet: PacketLike): void {
    const client = { id: clientId };
    const entry: Entry = { seq, counterKey: undefined, messageId: undefined };
    const rows = this.#clientRows(clientId);
    if (packet.cmd === 'pubrel') {
      // enqueue a placeholder under its message id, then turn it into the PUBREL, as Aedes did
      const key = { brokerId: '\u0000restore', brokerCounter: seq };
      void super.outgoingEnqueue(
        { clientId },
        { ...key, cmd: 'publish', qos: 2, topic: '', payload: Buffer.alloc(0) },
      );
      if (this.#dropFlag.dropped) return;
      void super.outgoingUpdate(client, { cmd: 'publish', ...key, messageId: packet.messageId } as never);
      void super.outgoingUpdate(client, packet as never);
    } else {
      void super.outgoingEnqueue({ clientId }, packet);
      if (this.#dropFlag.dropped) return;
      entry.counterKey = counterKey(packet);
      if (entry.counterKey !== undefined) rows.byCounter.set(entry.counterKey, entry);
      if (packet.messageId !== undefined) {
        // new Packet() drops the message id; put back the one the client saw
        void super.outgoingUpdate(client, packet as never);
      }
    }
    entry.messageId = packet.messageId;
    if (packet.messageId !== undefined) rows.byMessageId.set(packet.messageId, entry);
    rows.live++;
  }

  #clientRows(clientId: string): ClientRows {
    let rows = this.#rows.get(clientId);
    if (!rows) {
      rows = new ClientRows();
      this.#rows.set(clientId, rows);
    }
    return rows;
  }

  /** Records a row change; resolves once a transaction containing it has committed. */
  #record(op: Op): Promise<void> {
    if (!this.#commit)
      return Promise.reject(new DiskPersistenceError(`broker session file ${this.file} is closed`));
    return this.#commit.record(op);
  }

  #recordLazy(op: Op): void {
    this.#commit?.recordLazy(op);
  }

  #afterCommit(): void {
    if (this.#deletesSinceVacuum >= VACUUM_AFTER_DELETES && this.queuedMessages === 0) {
      this.#deletesSinceVacuum = 0;
      try {
        this.#db?.vacuumFreePages();
      } catch {
        // space is given back on the next occasion
      }
    }
  }

  // ---- subscriptions ----

  override async addSubscriptions(client: ClientRef, subs: SubLike[]): Promise<void> {
    await super.addSubscriptions(client, subs);
    const s = this.#db?.s;
    const id = client.id;
    return this.#record(() => {
      for (const sub of subs) {
        s?.subPut.run(
          id,
          sub.topic,
          sub.qos,
          sub.rh ?? null,
          sub.rap === undefined ? null : sub.rap ? 1 : 0,
          sub.nl === undefined ? null : sub.nl ? 1 : 0,
          sub.subscriptionIdentifier ?? null,
        );
      }
    });
  }

  override async removeSubscriptions(client: ClientRef, topics: string[]): Promise<void> {
    await super.removeSubscriptions(client, topics);
    const s = this.#db?.s;
    const id = client.id;
    return this.#record(() => {
      for (const t of topics) s?.subDel.run(id, t);
    });
  }

  override async cleanSubscriptions(client: ClientRef): Promise<void> {
    await super.cleanSubscriptions(client);
    const s = this.#db?.s;
    const id = client.id;
    return this.#record(() => s?.subClean.run(id));
  }

  // ---- retained ----

  override async storeRetained(packet: PacketLike): Promise<void> {
    await super.storeRetained(packet as never);
    const s = this.#db?.s;
    const topic = packet.topic ?? '';
    if (!packet.payload || packet.payload.length === 0) return this.#record(() => s?.retainedDel.run(topic));
    const row = encodePacket(packet);
    return this.#record(() => s?.retainedPut.run(topic, ...row));
  }

  // ---- outgoing queue ----

  #enqueueRow(clientId: string, packet: PacketLike, ops: Op[]): void {
    this.#dropFlag.dropped = false;
    void super.outgoingEnqueue({ clientId }, packet);
    if (this.#dropFlag.dropped) return;
    const stored = new Packet(packet); // what QueuePersistence keeps (message id cleared)
    const seq = ++this.#seq;
    const entry: Entry = { seq, counterKey: counterKey(stored), messageId: stored.messageId };
    const rows = this.#clientRows(clientId);
    if (entry.counterKey !== undefined) rows.byCounter.set(entry.counterKey, entry);
    if (entry.messageId !== undefined) rows.byMessageId.set(entry.messageId, entry);
    rows.live++;
    const row = encodePacket(stored);
    const s = this.#db?.s;
    ops.push(() => s?.outPut.run(seq, clientId, ...row));
  }

  override async outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void> {
    const ops: Op[] = [];
    this.#enqueueRow(sub.clientId, packet as PacketLike, ops);
    const op = ops[0];
    if (op) return this.#record(op);
  }

  override async outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void> {
    const ops: Op[] = [];
    for (let i = 0; i < subs.length; i++) {
      const sub = subs[i];
      if (sub) this.#enqueueRow(sub.clientId, packet as PacketLike, ops);
    }
    if (ops.length === 0) return;
    return this.#record(() => {
      for (const op of ops) op();
    });
  }

  override async outgoingUpdate(client: ClientRef, packet: PacketLike): Promise<void> {
    await super.outgoingUpdate(client, packet as never); // throws 'no such packet' as before
    const rows = this.#rows.get(client.id);
    if (!rows) return;
    const s = this.#db?.s;
    const key = counterKey(packet);
    const byCounter = key !== undefined ? rows.byCounter.get(key) : undefined;
    if (byCounter) {
      // the message id a delivery was given
      if (byCounter.messageId !== undefined && rows.byMessageId.get(byCounter.messageId) === byCounter) {
        rows.byMessageId.delete(byCounter.messageId);
      }
      byCounter.messageId = packet.messageId;
      if (packet.messageId !== undefined) rows.byMessageId.set(packet.messageId, byCounter);
      const mid = packet.messageId ?? null;
      const seq = byCounter.seq;
      const op = () => s?.outSetMessageId.run(mid, seq);
      // QoS 2 must resume with the id the subscriber saw (it deduplicates by it): wait for the
      // commit. QoS 1 need not: if the broker dies before the change commits, the message is
      // resent under a fresh id — a redelivery QoS 1 allows, never a loss. Not waiting keeps a
      // backlog drain (Aedes delivers it one message at a time, each after this call) from
      // paying one transaction per message.
      if ((packet.qos ?? 0) >= 2) return this.#record(op);
      this.#recordLazy(op);
      return;
    }
    const byId = packet.messageId !== undefined ? rows.byMessageId.get(packet.messageId) : undefined;
    if (byId) {
      // a PUBREL replacing its PUBLISH (QoS 2, after PUBREC)
      if (byId.counterKey !== undefined) rows.byCounter.delete(byId.counterKey);
      byId.counterKey = undefined;
      const row = encodePacket(packet);
      const seq = byId.seq;
      return this.#record(() => s?.outReplace.run(...row, seq));
    }
  }

  override async outgoingClearMessageId(client: ClientRef, packet: PacketLike): Promise<Cleared> {
    const removed = await super.outgoingClearMessageId(client, packet as never);
    if (!removed || packet.messageId === undefined) return removed;
    const rows = this.#rows.get(client.id);
    const entry = rows?.byMessageId.get(packet.messageId);
    if (!rows || !entry) return removed;
    rows.byMessageId.delete(packet.messageId);
    if (entry.counterKey !== undefined && rows.byCounter.get(entry.counterKey) === entry) {
      rows.byCounter.delete(entry.counterKey);
    }
    rows.live--;
    if (rows.live === 0) this.#rows.delete(client.id);
    this.#deletesSinceVacuum++;
    const s = this.#db?.s;
    const seq = entry.seq;
    // The subscriber's PUBACK/PUBCOMP is answered by nothing, so the deletion commits with the next
    // batch without holding the client: a crash before that commit redelivers the message (QoS 1
    // allows it; a resent PUBREL is answered with PUBCOMP again), never loses it. Waiting would let
    // each PUBACK (one per socket read while a backlog drains) cost a transaction of its own.
    this.#recordLazy(() => s?.outDel.run(seq));
    return removed;
  }

  // ---- incoming QoS 2 ----

  override async incomingStorePacket(client: ClientRef, packet: PacketLike): Promise<void> {
    await super.incomingStorePacket(client, packet as never);
    const s = this.#db?.s;
    const id = client.id;
    const mid = packet.messageId ?? 0;
    const row = encodePacket({ ...new Packet(packet), messageId: packet.messageId } as PacketLike);
    return this.#record(() => s?.inPut.run(id, mid, ...row));
  }

  override async incomingDelPacket(client: ClientRef, packet: PacketLike): Promise<void> {
    await super.incomingDelPacket(client, packet as never); // throws 'no such packet' as before
    const s = this.#db?.s;
    const id = client.id;
    const mid = packet.messageId ?? 0;
    return this.#record(() => s?.inDel.run(id, mid));
  }

  override async cleanIncoming(client: ClientRef): Promise<void> {
    await super.cleanIncoming(client);
    const s = this.#db?.s;
    const id = client.id;
    return this.#record(() => s?.inClean.run(id));
  }

  // ---- wills ----

  override async putWill(client: ClientRef, packet: PacketLike): Promise<void> {
    await super.putWill(client, packet as never); // stamps brokerId and clientId on the packet
    const s = this.#db?.s;
    const id = client.id;
    const row = encodePacket(packet);
    return this.#record(() => s?.willPut.run(id, ...row));
  }

  override async delWill(client: ClientRef): Promise<PacketLike | undefined> {
    const will = (await super.delWill(client)) as PacketLike | undefined;
    if (will === undefined) return will;
    const s = this.#db?.s;
    const id = client.id;
    await this.#record(() => s?.willDel.run(id));
    return will;
  }

  /** Commits what is pending, checkpoints the WAL into the file and closes it. */
  override async destroy(): Promise<void> {
    await super.destroy();
    if (this.#closed) return;
    this.#commit?.close();
    this.#commit = undefined;
    this.#closed = true;
    const db = this.#db;
    this.#db = undefined;
    db?.close();
  }

  /** Resolves once everything recorded so far, waited for or not, has committed. */
  commitPending(): Promise<void> {
    return this.#record(() => {});
  }

  /** File size figures (pages), for tests and operators. */
  fileSizes(): { pageCount: number; freePages: number; pageSize: number } | undefined {
    return this.#db?.sizes();
  }
}
