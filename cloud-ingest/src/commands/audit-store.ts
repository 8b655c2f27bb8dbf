/**
 * The command audit in SQLite (issue 15): every command the broker delivered on a device's
 * `cmd` topic and every per-point outcome a gateway answered on its `result` topic, as the
 * ingest's writer decodes them (documented in cloud-ingest/README.md, "Command audit").
 *
 *   commands          one row per command: (district, gateway, id) is the key
 *   command_outcomes  one row per point of a result: (district, gateway, id, point) is the key
 *
 * Both inserts are INSERT OR IGNORE on their key, so a QoS 1 redelivery, a replay of the
 * ingest's log after a crash and a gateway's `repeat: true` answer store once (the first one
 * stays). A result is refused (returned as a reason, the writer dead-letters it) when its
 * command id is known for another gateway or device: one gateway cannot write outcomes into
 * another's command. better-sqlite3 is synchronous, so a row is in the WAL before the
 * writer acknowledges its log record.
 */
import type { CommandRequest, CommandResult, TopicIds } from '@ganzhi/device-profiles/contract';
import Database from 'better-sqlite3';

export const COMMANDS_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS commands (
  id           TEXT NOT NULL,
  district     TEXT NOT NULL,
  gateway      TEXT NOT NULL,
  device       TEXT NOT NULL,
  issuer       TEXT,
  on_behalf_of TEXT,
  issued       INTEGER,
  expires      INTEGER NOT NULL,
  readback     INTEGER NOT NULL,
  writes       TEXT NOT NULL,
  seen         INTEGER NOT NULL,
  PRIMARY KEY (district, gateway, id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS commands_id ON commands (id);
CREATE INDEX IF NOT EXISTS commands_seen ON commands (seen);
CREATE TABLE IF NOT EXISTS command_outcomes (
  id        TEXT NOT NULL,
  district  TEXT NOT NULL,
  gateway   TEXT NOT NULL,
  device    TEXT NOT NULL,
  point     TEXT NOT NULL,
  requested TEXT,
  raw       TEXT,
  outcome   TEXT NOT NULL,
  readback  TEXT,
  reason    TEXT,
  code      TEXT,
  received  INTEGER NOT NULL,
  executed  INTEGER,
  done      INTEGER NOT NULL,
  repeat    INTEGER NOT NULL,
  command_reason TEXT,
  stored    INTEGER NOT NULL,
  PRIMARY KEY (district, gateway, id, point)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS command_outcomes_id ON command_outcomes (id);
`;

/** A point's outcome as stored; JSON values decoded. */
export interface StoredOutcome {
  point: string;
  requested: unknown;
  raw: unknown;
  outcome: string;
  readback: unknown;
  reason: string | null;
  code: string | null;
  received: number;
  executed: number | null;
  done: number;
  repeat: boolean;
  /** why the gateway refused the command as a whole, when it did */
  commandReason: string | null;
}

export interface StoredCommand {
  id: string;
  district: string;
  gateway: string;
  device: string;
  issuer: string | null;
  onBehalfOf: string | null;
  issued: number | null;
  expires: number;
  readback: boolean;
  writes: { point: string; value: number | boolean | string }[];
  /** when the ingest first saw it (ms), null when only its result was seen */
  seen: number | null;
}

export interface CommandView extends StoredCommand {
  /** pending: no outcome yet; done: every point written has an outcome (or the gateway refused it whole) */
  state: 'pending' | 'done';
  outcomes: StoredOutcome[];
}

export interface CommandListQuery {
  /** the caller's districts (always applied); `district` narrows further */
  districts: readonly string[];
  district?: string;
  gateway?: string;
  device?: string;
  /** seen at or after, ms */
  since?: number;
  limit: number;
}

export interface CommandAuditStore {
  /** records a command (as delivered by the broker, or as the hub published it); false when already recorded */
  recordCommand(ids: TopicIds, c: CommandRequest, seen: number): boolean;
  /** records a result; returns a refusal reason when it cannot be this gateway's answer */
  recordResult(
    ids: TopicIds,
    r: CommandResult,
    stored: number,
  ): { ok: true; fresh: number } | { ok: false; reason: string };
  /** the commands with this id (normally one) */
  byId(id: string): CommandView[];
  list(q: CommandListQuery): CommandView[];
  close(): void;
}

const json = (v: unknown): string | null => (v === undefined ? null : JSON.stringify(v));
const unjson = (s: string | null): unknown => (s === null ? null : JSON.parse(s));

interface CommandRow {
  id: string;
  district: string;
  gateway: string;
  device: string;
  issuer: string | null;
  on_behalf_of: string | null;
  issued: number | null;
  expires: number;
  readback: number;
  writes: string;
  seen: number;
}

interface OutcomeRow {
  id: string;
  district: string;
  gateway: string;
  device: string;
  point: string;
  requested: string | null;
  raw: string | null;
  outcome: string;
  readback: string | null;
  reason: string | null;
  code: string | null;
  received: number;
  executed: number | null;
  done: number;
  repeat: number;
  command_reason: string | null;
}

export function openCommandAudit(file: string, opts: { busyTimeoutMs?: number } = {}): CommandAuditStore {
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  db.exec(COMMANDS_SCHEMA_SQL);

  // The hub records what it publishes at once (issuer unknown yet); the copy the broker
  // delivers then fills in the issuer it stamped — only into that same command (same device,
  // writes and expiry), never over an issuer already known.
  const insertCommand = db.prepare(
    `INSERT INTO commands (id, district, gateway, device, issuer, on_behalf_of, issued, expires, readback, writes, seen)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (district, gateway, id) DO UPDATE SET issuer = excluded.issuer
     WHERE commands.issuer IS NULL AND excluded.issuer IS NOT NULL AND commands.device = excluded.device
       AND commands.writes = excluded.writes AND commands.expires = excluded.expires`,
  );
  const insertOutcome = db.prepare(
    `INSERT OR IGNORE INTO command_outcomes (id, district, gateway, device, point, requested, raw, outcome, readback, reason, code, received, executed, done, repeat, command_reason, stored)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  const commandsById = db.prepare('SELECT * FROM commands WHERE id = ?');
  const outcomesOf = db.prepare(
    'SELECT * FROM command_outcomes WHERE district = ? AND gateway = ? AND id = ? ORDER BY point',
  );
  const orphanOutcomes = db.prepare(
    `SELECT o.* FROM command_outcomes o WHERE o.id = ? AND NOT EXISTS
       (SELECT 1 FROM commands c WHERE c.district = o.district AND c.gateway = o.gateway AND c.id = o.id)
     ORDER BY o.district, o.gateway, o.point`,
  );

  const outcomeOf = (r: OutcomeRow): StoredOutcome => ({
    point: r.point,
    requested: unjson(r.requested),
    raw: unjson(r.raw),
    outcome: r.outcome,
    readback: unjson(r.readback),
    reason: r.reason,
    code: r.code,
    received: r.received,
    executed: r.executed,
    done: r.done,
    repeat: r.repeat === 1,
    commandReason: r.command_reason,
  });

  const viewOf = (c: CommandRow): CommandView => {
    const outcomes = (outcomesOf.all(c.district, c.gateway, c.id) as OutcomeRow[]).map(outcomeOf);
    const writes = JSON.parse(c.writes) as StoredCommand['writes'];
    const answered = new Set(outcomes.map((o) => o.point));
    const done =
      outcomes.length > 0 &&
      (writes.every((w) => answered.has(w.point)) || outcomes.some((o) => o.commandReason !== null));
    return {
      id: c.id,
      district: c.district,
      gateway: c.gateway,
      device: c.device,
      issuer: c.issuer,
      onBehalfOf: c.on_behalf_of,
      issued: c.issued,
      expires: c.expires,
      readback: c.readback === 1,
      writes,
      seen: c.seen,
      state: done ? 'done' : 'pending',
      outcomes,
    };
  };

  /** outcomes whose command the ingest never saw (it was not subscribed, or the command is older) */
  const orphanViews = (id: string): CommandView[] => {
    const rows = orphanOutcomes.all(id) as OutcomeRow[];
    const groups = new Map<string, OutcomeRow[]>();
    for (const r of rows) {
      const k = `${r.district}/${r.gateway}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    return [...groups.values()].map((g) => {
      const f = g[0] as OutcomeRow;
      return {
        id: f.id,
        district: f.district,
        gateway: f.gateway,
        device: f.device,
        issuer: null,
        onBehalfOf: null,
        issued: null,
        expires: 0,
        readback: false,
        writes: [],
        seen: null,
        state: 'done' as const,
        outcomes: g.map(outcomeOf),
      };
    });
  };

  const recordResultTx = db.transaction((ids: TopicIds, r: CommandResult, stored: number): number => {
    let fresh = 0;
    const rows =
      r.outcomes.length > 0
        ? r.outcomes
        : // refused whole with no per-point outcome: one row names the refusal
          [{ point: '*', outcome: 'rejected' as const }];
    for (const o of rows) {
      const info = insertOutcome.run(
        r.id,
        ids.district,
        ids.gateway,
        ids.device,
        o.point,
        json('requested' in o ? o.requested : undefined),
        json('raw' in o ? o.raw : undefined),
        o.outcome,
        json('readback' in o ? o.readback : undefined),
        ('reason' in o ? o.reason : undefined) ?? null,
        ('code' in o ? o.code : undefined) ?? null,
        r.received,
        r.executed ?? null,
        r.done,
        r.repeat === true ? 1 : 0,
        r.reason ?? null,
        stored,
      );
      fresh += info.changes;
    }
    return fresh;
  });

  return {
    recordCommand(ids, c, seen) {
      const info = insertCommand.run(
        c.id,
        ids.district,
        ids.gateway,
        ids.device,
        c.issuer ?? null,
        c.onBehalfOf ?? null,
        c.issued ?? null,
        c.expires,
        c.readback === false ? 0 : 1,
        JSON.stringify(c.writes),
        seen,
      );
      return info.changes > 0;
    },
    recordResult(ids, r, stored) {
      const known = commandsById.all(r.id) as CommandRow[];
      const mine = known.find((c) => c.district === ids.district && c.gateway === ids.gateway);
      if (mine === undefined && known.length > 0)
        return { ok: false, reason: 'result for a command sent to another gateway' };
      if (mine !== undefined && mine.device !== ids.device)
        return { ok: false, reason: 'result for a command sent to another device' };
      return { ok: true, fresh: recordResultTx(ids, r, stored) };
    },
    byId(id) {
      return [...(commandsById.all(id) as CommandRow[]).map(viewOf), ...orphanViews(id)];
    },
    list(q) {
      const where: string[] = [];
      const args: (string | number)[] = [];
      const districts = q.district !== undefined ? q.districts.filter((d) => d === q.district) : q.districts;
      if (districts.length === 0) return [];
      where.push(`district IN (${districts.map(() => '?').join(', ')})`);
      args.push(...districts);
      if (q.gateway !== undefined) {
        where.push('gateway = ?');
        args.push(q.gateway);
      }
      if (q.device !== undefined) {
        where.push('device = ?');
        args.push(q.device);
      }
      if (q.since !== undefined) {
        where.push('seen >= ?');
        args.push(q.since);
      }
      const rows = db
        .prepare(`SELECT * FROM commands WHERE ${where.join(' AND ')} ORDER BY seen DESC, id LIMIT ?`)
        .all(...args, q.limit) as CommandRow[];
      return rows.map(viewOf);
    },
    close() {
      if (db.open) db.close();
    },
  };
}
