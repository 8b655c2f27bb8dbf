/**
 * The SQLite file behind DiskPersistence: schema, prepared statements, packet (de)serialisation
 * and the full read-back at start-up. It knows rows, not Aedes: DiskPersistence decides what to
 * write and when to commit.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import type { PacketLike, SubLike } from './packet-types.js';

export type { PacketLike } from './packet-types.js';

export type DiskSync = 'normal' | 'full';

/** Coded error of the disk persistence (unreadable file, failed commit). Never carries payloads. */
export class DiskPersistenceError extends Error {
  readonly code = 'GZ_BROKER_STORE';
  readonly retriable: boolean;
  constructor(message: string, opts: { cause?: unknown; retriable?: boolean } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DiskPersistenceError';
    this.retriable = opts.retriable ?? false;
  }
}

/** The columns every packet table has, in this order. */
const PACKET_COLS = 'cmd, topic, payload, qos, retain, dup, message_id, broker_id, broker_counter, extra';
const PACKET_DDL = `cmd TEXT NOT NULL, topic TEXT, payload BLOB, qos INTEGER NOT NULL, retain INTEGER NOT NULL,
  dup INTEGER NOT NULL, message_id INTEGER, broker_id TEXT, broker_counter INTEGER, extra TEXT`;
const SCHEMA_VERSION = '1';

type PacketRow = [
  string,
  string | null,
  Buffer | null,
  number,
  number,
  number,
  number | null,
  string | null,
  number | null,
  string | null,
];

interface PacketRecord {
  cmd: string;
  topic: string | null;
  payload: Buffer | null;
  qos: number;
  retain: number;
  dup: number;
  message_id: number | null;
  broker_id: string | null;
  broker_counter: number | null;
  extra: string | null;
}

function toBuffer(p: Buffer | string | undefined): Buffer | null {
  if (p === undefined) return null;
  return typeof p === 'string' ? Buffer.from(p) : p;
}

/** Fields that are rare (MQTT 5 properties, expiry, will owner) travel as JSON; Buffers survive. */
function encodeExtra(p: PacketLike): string | null {
  const extra: Record<string, unknown> = {};
  let any = false;
  for (const k of ['properties', 'messageExpiry', 'clientId', 'nl'] as const) {
    if (Object.hasOwn(p, k) && p[k] !== undefined) {
      extra[k] = p[k];
      any = true;
    }
  }
  return any ? JSON.stringify(extra) : null;
}

function reviveBuffers(_key: string, v: unknown): unknown {
  if (v && typeof v === 'object' && (v as { type?: unknown }).type === 'Buffer') {
    const data = (v as { data?: unknown }).data;
    if (Array.isArray(data)) return Buffer.from(data as number[]);
  }
  return v;
}

export function encodePacket(p: PacketLike): PacketRow {
  return [
    p.cmd ?? 'publish',
    p.topic ?? null,
    toBuffer(p.payload),
    p.qos ?? 0,
    p.retain ? 1 : 0,
    p.dup ? 1 : 0,
    p.messageId ?? null,
    p.brokerId ?? null,
    p.brokerCounter ?? null,
    encodeExtra(p),
  ];
}

export function decodePacket(r: PacketRecord): PacketLike {
  const p: PacketLike = { cmd: r.cmd };
  if (r.extra !== null) Object.assign(p, JSON.parse(r.extra, reviveBuffers));
  if (r.cmd === 'pubrel') {
    // Aedes' PubRel is { cmd, messageId } and nothing else
    if (r.message_id !== null) p.messageId = r.message_id;
    return p;
  }
  if (r.topic !== null) p.topic = r.topic;
  p.payload = r.payload ?? Buffer.alloc(0);
  p.qos = r.qos;
  p.retain = r.retain === 1;
  p.dup = r.dup === 1;
  if (r.message_id !== null) p.messageId = r.message_id;
  if (r.broker_id !== null) p.brokerId = r.broker_id;
  if (r.broker_counter !== null) p.brokerCounter = r.broker_counter;
  return p;
}

/** A persistent session's subscription as stored (the same shape Aedes hands the persistence). */
export type StoredSubscription = SubLike;

/** Everything in the file, in the order it must be replayed into memory. */
export interface Snapshot {
  subscriptions: Map<string, StoredSubscription[]>;
  retained: PacketLike[];
  outgoing: { seq: number; clientId: string; packet: PacketLike }[];
  incoming: { clientId: string; packet: PacketLike }[];
  wills: { clientId: string; packet: PacketLike }[];
  /** client id → the user holding its session (session-owners.ts) */
  owners: Map<string, string>;
}

type Stmt = Database.Statement<unknown[]>;

export class SessionDb {
  readonly file: string;
  readonly db: Database.Database;
  readonly s: {
    subPut: Stmt;
    subDel: Stmt;
    subClean: Stmt;
    retainedPut: Stmt;
    retainedDel: Stmt;
    outPut: Stmt;
    outSetMessageId: Stmt;
    outReplace: Stmt;
    outDel: Stmt;
    inPut: Stmt;
    inDel: Stmt;
    inClean: Stmt;
    willPut: Stmt;
    willDel: Stmt;
    ownerPut: Stmt;
    ownerDel: Stmt;
  };

  private constructor(file: string, db: Database.Database) {
    this.file = file;
    this.db = db;
    const p = (sql: string): Stmt => db.prepare(sql);
    const q10 = '?, ?, ?, ?, ?, ?, ?, ?, ?, ?';
    this.s = {
      subPut: p(
        'INSERT OR REPLACE INTO subscriptions (client_id, topic, qos, rh, rap, nl, sub_id) VALUES (?, ?, ?, ?, ?, ?, ?)',
      ),
      subDel: p('DELETE FROM subscriptions WHERE client_id = ? AND topic = ?'),
      subClean: p('DELETE FROM subscriptions WHERE client_id = ?'),
      retainedPut: p(`INSERT OR REPLACE INTO retained (topic_key, ${PACKET_COLS}) VALUES (?, ${q10})`),
      retainedDel: p('DELETE FROM retained WHERE topic_key = ?'),
      outPut: p(`INSERT INTO outgoing (seq, client_id, ${PACKET_COLS}) VALUES (?, ?, ${q10})`),
      // the id a delivery was given lives in a narrow side table: updating the outgoing row itself
      // would rewrite its whole payload into the WAL once per delivered message
      outSetMessageId: p(
        'INSERT INTO outgoing_mid (message_id, seq) VALUES (?, ?) ON CONFLICT (seq) DO UPDATE SET message_id = excluded.message_id',
      ),
      outReplace: p(`UPDATE outgoing SET (${PACKET_COLS}) = (${q10}) WHERE seq = ?`),
      outDel: p('DELETE FROM outgoing WHERE seq = ?'),
      inPut: p(`INSERT OR REPLACE INTO incoming (client_id, mid, ${PACKET_COLS}) VALUES (?, ?, ${q10})`),
      inDel: p('DELETE FROM incoming WHERE client_id = ? AND mid = ?'),
      inClean: p('DELETE FROM incoming WHERE client_id = ?'),
      willPut: p(`INSERT OR REPLACE INTO wills (client_id, ${PACKET_COLS}) VALUES (?, ${q10})`),
      willDel: p('DELETE FROM wills WHERE client_id = ?'),
      ownerPut: p('INSERT OR REPLACE INTO session_owners (client_id, user) VALUES (?, ?)'),
      ownerDel: p('DELETE FROM session_owners WHERE client_id = ? AND user = ?'),
    };
  }

  /**
   * Opens (or creates) the file, checks it and creates the schema. An unreadable, corrupt or
   * foreign file throws GZ_BROKER_STORE naming the file: the broker must not start with an empty
   * state over sessions it acknowledged.
   */
  static open(file: string, sync: DiskSync, exclusive = true): SessionDb {
    let db: Database.Database | undefined;
    try {
      mkdirSync(dirname(file), { recursive: true });
      db = new Database(file);
      db.pragma('auto_vacuum = INCREMENTAL'); // only takes effect on a new, empty file
      // One broker per file: exclusive locking mode keeps the lock taken by the first write until
      // close, so a second broker process on the same data dir fails here instead of both
      // writing one session file (set before WAL so no shared-memory index is used).
      if (exclusive) db.pragma('locking_mode = EXCLUSIVE');
      db.pragma('journal_mode = WAL');
      if (exclusive) db.exec('BEGIN EXCLUSIVE; COMMIT');
      db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
      db.pragma('journal_size_limit = 67108864');
      const check = db.pragma('quick_check', { simple: true });
      if (check !== 'ok') throw new Error(`integrity check: ${String(check)}`);
      db.exec(`
        CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
        CREATE TABLE IF NOT EXISTS subscriptions (client_id TEXT NOT NULL, topic TEXT NOT NULL,
          qos INTEGER NOT NULL, rh INTEGER, rap INTEGER, nl INTEGER, sub_id INTEGER,
          PRIMARY KEY (client_id, topic)) WITHOUT ROWID;
        CREATE TABLE IF NOT EXISTS retained (topic_key TEXT PRIMARY KEY, ${PACKET_DDL});
        CREATE TABLE IF NOT EXISTS outgoing (seq INTEGER PRIMARY KEY, client_id TEXT NOT NULL, ${PACKET_DDL});
        CREATE TABLE IF NOT EXISTS outgoing_mid (seq INTEGER PRIMARY KEY, message_id INTEGER);
        CREATE TRIGGER IF NOT EXISTS outgoing_mid_gone AFTER DELETE ON outgoing
          BEGIN DELETE FROM outgoing_mid WHERE seq = old.seq; END;
        CREATE TRIGGER IF NOT EXISTS outgoing_mid_replaced AFTER UPDATE OF message_id ON outgoing
          BEGIN DELETE FROM outgoing_mid WHERE seq = new.seq; END;
        CREATE TABLE IF NOT EXISTS incoming (client_id TEXT NOT NULL, mid INTEGER NOT NULL, ${PACKET_DDL},
          PRIMARY KEY (client_id, mid));
        CREATE TABLE IF NOT EXISTS wills (client_id TEXT PRIMARY KEY, ${PACKET_DDL});
        CREATE TABLE IF NOT EXISTS session_owners (client_id TEXT PRIMARY KEY, user TEXT NOT NULL) WITHOUT ROWID;
      `);
      const v = db.prepare('SELECT value FROM meta WHERE key = ?').pluck().get('schema') as
        | string
        | undefined;
      if (v === undefined)
        db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)').run('schema', SCHEMA_VERSION);
      else if (v !== SCHEMA_VERSION)
        throw new Error(`schema version ${v}, this broker reads ${SCHEMA_VERSION}`);
      return new SessionDb(file, db);
    } catch (cause) {
      try {
        db?.close();
      } catch {
        // already failing; the original cause is what matters
      }
      if ((cause as { code?: string }).code === 'SQLITE_BUSY') {
        throw new DiskPersistenceError(
          `broker session file ${file} is in use by another broker process: one broker per data dir ` +
            '(stop the other one, or give this one its own --data-dir)',
          { cause },
        );
      }
      throw new DiskPersistenceError(
        `broker session file ${file} cannot be used (${(cause as Error).message}); ` +
          'move it aside to start with empty sessions, or restore it from a backup',
        { cause },
      );
    }
  }

  /** Reads everything back. Throws GZ_BROKER_STORE naming the file if a row cannot be read. */
  load(): Snapshot {
    try {
      const snap: Snapshot = {
        subscriptions: new Map(),
        retained: [],
        outgoing: [],
        incoming: [],
        wills: [],
        owners: new Map(),
      };
      const subs = this.db
        .prepare('SELECT client_id, topic, qos, rh, rap, nl, sub_id FROM subscriptions ORDER BY client_id')
        .all() as {
        client_id: string;
        topic: string;
        qos: number;
        rh: number | null;
        rap: number | null;
        nl: number | null;
        sub_id: number | null;
      }[];
      for (const r of subs) {
        const sub: StoredSubscription = { topic: r.topic, qos: r.qos };
        if (r.rh !== null) sub.rh = r.rh;
        if (r.rap !== null) sub.rap = r.rap === 1;
        if (r.nl !== null) sub.nl = r.nl === 1;
        if (r.sub_id !== null) sub.subscriptionIdentifier = r.sub_id;
        let list = snap.subscriptions.get(r.client_id);
        if (!list) {
          list = [];
          snap.subscriptions.set(r.client_id, list);
        }
        list.push(sub);
      }
      for (const r of this.db.prepare(`SELECT ${PACKET_COLS} FROM retained`).iterate()) {
        snap.retained.push(decodePacket(r as PacketRecord));
      }
      for (const r of this.db
        .prepare(
          `SELECT o.seq, o.client_id, ${PACKET_COLS.split(', ')
            .map((c) =>
              c === 'message_id' ? 'COALESCE(m.message_id, o.message_id) AS message_id' : `o.${c}`,
            )
            .join(', ')} FROM outgoing o LEFT JOIN outgoing_mid m ON m.seq = o.seq ORDER BY o.seq`,
        )
        .iterate()) {
        const row = r as PacketRecord & { seq: number; client_id: string };
        snap.outgoing.push({ seq: row.seq, clientId: row.client_id, packet: decodePacket(row) });
      }
      for (const r of this.db.prepare(`SELECT client_id, ${PACKET_COLS} FROM incoming`).iterate()) {
        const row = r as PacketRecord & { client_id: string };
        snap.incoming.push({ clientId: row.client_id, packet: decodePacket(row) });
      }
      for (const r of this.db.prepare(`SELECT client_id, ${PACKET_COLS} FROM wills`).iterate()) {
        const row = r as PacketRecord & { client_id: string };
        snap.wills.push({ clientId: row.client_id, packet: decodePacket(row) });
      }
      for (const r of this.db.prepare('SELECT client_id, user FROM session_owners').iterate()) {
        const row = r as { client_id: string; user: string };
        snap.owners.set(row.client_id, row.user);
      }
      return snap;
    } catch (cause) {
      throw new DiskPersistenceError(`broker session file ${this.file} cannot be read back`, { cause });
    }
  }

  /** Returns free pages to the file system (the file shrinks after a drained backlog). */
  vacuumFreePages(): void {
    this.db.pragma('incremental_vacuum');
  }

  sizes(): { pageCount: number; freePages: number; pageSize: number } {
    return {
      pageCount: this.db.pragma('page_count', { simple: true }) as number,
      freePages: this.db.pragma('freelist_count', { simple: true }) as number,
      pageSize: this.db.pragma('page_size', { simple: true }) as number,
    };
  }

  close(): void {
    if (!this.db.open) return;
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
