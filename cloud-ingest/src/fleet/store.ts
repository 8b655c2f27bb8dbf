/**
 * The fleet audit in SQLite (issue 16), in the same file as the command audit: every desired
 * config the broker delivered on a gateway's `config` topic and every report a gateway made on
 * its `config-state` topic, as the ingest's writer decodes them (documented in
 * cloud-ingest/README.md, "Fleet audit").
 *
 *   config_pushes  one row per desired config: (district, gateway, version, hash) is the key;
 *                  the document itself is kept (secrets are references: the decoder refuses
 *                  an inline one), so the hub knows each gateway's current desired document
 *   config_states  one row per reported state: (district, gateway, ts, status) is the key; the
 *                  newest 1000 per gateway are kept (a gateway's flood is bounded)
 *
 * Both are idempotent on their key: the retained copies the broker sends again on every
 * subscribe, a QoS 1 redelivery and a replay of the ingest's log after a crash store once.
 * The hub records a push at once when it publishes it (issuer unknown yet); the broker's copy
 * then fills in the issuer and on_behalf_of it stamped, never over an issuer already known.
 */
import type { ConfigProblem, ConfigState, DesiredConfig } from '@ganzhi/device-profiles/contract';
import Database from 'better-sqlite3';

export const FLEET_SCHEMA_SQL = `
CREATE TABLE IF NOT EXISTS config_pushes (
  district     TEXT NOT NULL,
  gateway      TEXT NOT NULL,
  version      INTEGER NOT NULL,
  hash         TEXT NOT NULL,
  issuer       TEXT,
  on_behalf_of TEXT,
  issued       INTEGER,
  seen_at      INTEGER NOT NULL,
  config       TEXT NOT NULL,
  labels       TEXT NOT NULL,
  PRIMARY KEY (district, gateway, version, hash)
);
CREATE TABLE IF NOT EXISTS config_states (
  district         TEXT NOT NULL,
  gateway          TEXT NOT NULL,
  ts               INTEGER NOT NULL,
  status           TEXT NOT NULL,
  desired_version  INTEGER,
  desired_hash     TEXT,
  applied_version  INTEGER NOT NULL,
  applied_hash     TEXT,
  reason           TEXT,
  problems         TEXT NOT NULL,
  seen_at          INTEGER NOT NULL,
  PRIMARY KEY (district, gateway, ts, status)
) WITHOUT ROWID;
`;

export interface StoredPush {
  district: string;
  gateway: string;
  version: number;
  hash: string;
  issuer: string | null;
  onBehalfOf: string | null;
  issued: number | null;
  /** when the ingest (or the hub, publishing it) first recorded it, ms */
  seen: number;
  /** the document's `labels` (kept beside it: a listing need not parse every document) */
  labels: string[];
}

export interface StoredState {
  district: string;
  gateway: string;
  ts: number;
  status: ConfigState['status'];
  desiredVersion: number | null;
  desiredHash: string | null;
  appliedVersion: number;
  appliedHash: string | null;
  reason: string | null;
  problems: ConfigProblem[];
}

/** a document's `labels`: its strings, [] when absent or not a list */
export function labelsOf(config: Record<string, unknown> | undefined): string[] {
  const l = config?.labels;
  return Array.isArray(l) ? l.filter((x): x is string => typeof x === 'string') : [];
}

export type GatewayKey = { district: string; gateway: string };

export interface FleetStore {
  /** records a desired config; true when it was new or its issuer was filled in */
  recordPush(ids: GatewayKey, d: DesiredConfig, seen: number): boolean;
  /** records a config state; true when new */
  recordState(ids: GatewayKey, s: ConfigState, seen: number): boolean;
  /**
   * The current desired config of a gateway (highest version), with its document. A push the
   * hub recorded that the broker never delivered back stamped (issuer still null) counts only
   * when recorded at or after `unconfirmedSince`: the broker acknowledges and drops a push it
   * refuses (stale version, invalid), so such a row is what the hub sent, not what is retained.
   */
  desired(
    ids: GatewayKey,
    opts?: { unconfirmedSince?: number },
  ): (StoredPush & { config: Record<string, unknown> }) | undefined;
  /** the highest version recorded for a gateway, confirmed or not (0 when none) */
  maxVersion(ids: GatewayKey): number;
  /** the newest reported state of a gateway */
  state(ids: GatewayKey): StoredState | undefined;
  /** every gateway with a push or a state, in these districts */
  gateways(districts: readonly string[]): GatewayKey[];
  /** the last `limit` pushes and states, newest first */
  history(ids: GatewayKey, limit: number): { pushes: StoredPush[]; states: StoredState[] };
  close(): void;
}

interface PushRow {
  district: string;
  gateway: string;
  version: number;
  hash: string;
  issuer: string | null;
  on_behalf_of: string | null;
  issued: number | null;
  seen_at: number;
  labels: string;
}

interface StateRow {
  district: string;
  gateway: string;
  ts: number;
  status: string;
  desired_version: number | null;
  desired_hash: string | null;
  applied_version: number;
  applied_hash: string | null;
  reason: string | null;
  problems: string;
}

const pushOf = (r: PushRow): StoredPush => ({
  district: r.district,
  gateway: r.gateway,
  version: r.version,
  hash: r.hash,
  issuer: r.issuer,
  onBehalfOf: r.on_behalf_of,
  issued: r.issued,
  seen: r.seen_at,
  labels: JSON.parse(r.labels) as string[],
});

const stateOf = (r: StateRow): StoredState => ({
  district: r.district,
  gateway: r.gateway,
  ts: r.ts,
  status: r.status as StoredState['status'],
  desiredVersion: r.desired_version,
  desiredHash: r.desired_hash,
  appliedVersion: r.applied_version,
  appliedHash: r.applied_hash,
  reason: r.reason,
  problems: JSON.parse(r.problems) as ConfigProblem[],
});

/** reported states kept per gateway (oldest dropped): a gateway's flood cannot grow the file without bound */
export const MAX_STATES_PER_GATEWAY = 1000;

export function openFleetStore(
  file: string,
  opts: { busyTimeoutMs?: number; maxStatesPerGateway?: number } = {},
): FleetStore {
  const keepStates = opts.maxStatesPerGateway ?? MAX_STATES_PER_GATEWAY;
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma(`busy_timeout = ${opts.busyTimeoutMs ?? 5000}`);
  db.exec(FLEET_SCHEMA_SQL);

  const insertPush = db.prepare(
    `INSERT INTO config_pushes (district, gateway, version, hash, issuer, on_behalf_of, issued, seen_at, config, labels)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (district, gateway, version, hash) DO UPDATE
       SET issuer = excluded.issuer, on_behalf_of = excluded.on_behalf_of
     WHERE config_pushes.issuer IS NULL AND excluded.issuer IS NOT NULL`,
  );
  const insertState = db.prepare(
    `INSERT OR IGNORE INTO config_states (district, gateway, ts, status, desired_version, desired_hash, applied_version, applied_hash, reason, problems, seen_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  // the document is read only when asked for: rows are large, listings need the rest
  const pruneStates = db.prepare(
    `DELETE FROM config_states WHERE district = ? AND gateway = ? AND ts < (
       SELECT ts FROM config_states WHERE district = ? AND gateway = ? ORDER BY ts DESC LIMIT 1 OFFSET ?)`,
  );
  const desiredOf = db.prepare(
    `SELECT district, gateway, version, hash, issuer, on_behalf_of, issued, seen_at, labels FROM config_pushes WHERE district = ? AND gateway = ? AND (issuer IS NOT NULL OR seen_at >= ?)
     ORDER BY version DESC, seen_at DESC LIMIT 1`,
  );
  const configOf = db.prepare(
    'SELECT config FROM config_pushes WHERE district = ? AND gateway = ? AND version = ? AND hash = ?',
  );
  const maxVersionOf = db.prepare(
    'SELECT MAX(version) AS v FROM config_pushes WHERE district = ? AND gateway = ?',
  );
  const stateOfGw = db.prepare(
    `SELECT * FROM config_states WHERE district = ? AND gateway = ?
     ORDER BY ts DESC, seen_at DESC LIMIT 1`,
  );
  const pushesOf = db.prepare(
    `SELECT district, gateway, version, hash, issuer, on_behalf_of, issued, seen_at, labels FROM config_pushes
     WHERE district = ? AND gateway = ? ORDER BY version DESC, seen_at DESC LIMIT ?`,
  );
  const statesOf = db.prepare(
    'SELECT * FROM config_states WHERE district = ? AND gateway = ? ORDER BY ts DESC, seen_at DESC LIMIT ?',
  );

  return {
    recordPush(ids, d, seen) {
      const info = insertPush.run(
        ids.district,
        ids.gateway,
        d.version,
        d.hash,
        d.issuer ?? null,
        d.onBehalfOf ?? null,
        d.issued ?? null,
        seen,
        JSON.stringify(d.config),
        JSON.stringify(labelsOf(d.config)),
      );
      return info.changes > 0;
    },
    recordState(ids, s, seen) {
      const info = insertState.run(
        ids.district,
        ids.gateway,
        s.ts,
        s.status,
        s.desiredVersion ?? null,
        s.desiredHash ?? null,
        s.appliedVersion,
        s.appliedHash ?? null,
        s.reason ?? null,
        JSON.stringify(s.problems ?? []),
        seen,
      );
      if (info.changes === 0) return false;
      pruneStates.run(ids.district, ids.gateway, ids.district, ids.gateway, keepStates - 1);
      return true;
    },
    desired(ids, opts = {}) {
      const since = opts.unconfirmedSince ?? Number.MIN_SAFE_INTEGER;
      const r = desiredOf.get(ids.district, ids.gateway, since) as PushRow | undefined;
      if (!r) return undefined;
      let doc: Record<string, unknown> | undefined;
      // read and parsed when asked for: a listing reads the labels column instead
      return Object.defineProperty(pushOf(r), 'config', {
        enumerable: true,
        get: () => {
          doc ??= JSON.parse(
            (configOf.get(r.district, r.gateway, r.version, r.hash) as { config: string }).config,
          ) as Record<string, unknown>;
          return doc;
        },
      }) as StoredPush & { config: Record<string, unknown> };
    },
    maxVersion(ids) {
      return (maxVersionOf.get(ids.district, ids.gateway) as { v: number | null }).v ?? 0;
    },
    state(ids) {
      const r = stateOfGw.get(ids.district, ids.gateway) as StateRow | undefined;
      return r ? stateOf(r) : undefined;
    },
    gateways(districts) {
      if (districts.length === 0) return [];
      const marks = districts.map(() => '?').join(', ');
      return db
        .prepare(
          `SELECT district, gateway FROM config_pushes WHERE district IN (${marks})
           UNION SELECT district, gateway FROM config_states WHERE district IN (${marks})
           ORDER BY district, gateway`,
        )
        .all(...districts, ...districts) as GatewayKey[];
    },
    history(ids, limit) {
      return {
        pushes: (pushesOf.all(ids.district, ids.gateway, limit) as PushRow[]).map(pushOf),
        states: (statesOf.all(ids.district, ids.gateway, limit) as StateRow[]).map(stateOf),
      };
    },
    close() {
      if (db.open) db.close();
    },
  };
}
