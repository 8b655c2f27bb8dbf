/**
 * What the gateway remembers of fleet pushes (state dir, `fleet.json`, written atomically):
 * the version and hash it runs, the last decision, and the version it refused or rolled back
 * (so the retained desired config, delivered again on every connect, is not retried forever).
 *
 * The config file and this record cannot be replaced in one step, so `pending` names the
 * version about to be written: after a crash between the two writes, the config file's own
 * hash tells which one it holds.
 */
import { readFileSync } from 'node:fs';
import { type ConfigProblem, type ConfigStatus, configHash } from '@ganzhi/device-profiles';
import { writeFileAtomic } from './atomic-write.js';

export interface FleetRecord {
  appliedVersion: number;
  appliedHash?: string;
  desiredVersion?: number;
  desiredHash?: string;
  status: ConfigStatus;
  reason?: string;
  problems?: ConfigProblem[];
  /** a version refused or rolled back: the same version and hash are not tried again */
  refused?: { version: number; hash: string };
  /** written just before the config file is replaced */
  pending?: { version: number; hash: string };
  /** ms since the epoch of the last decision */
  ts: number;
}

export const EMPTY_RECORD: FleetRecord = { appliedVersion: 0, status: 'applied', ts: 0 };

export function readFleetRecord(file: string): FleetRecord {
  try {
    const r = JSON.parse(readFileSync(file, 'utf8')) as FleetRecord;
    if (typeof r.appliedVersion !== 'number') return { ...EMPTY_RECORD };
    return r;
  } catch {
    return { ...EMPTY_RECORD };
  }
}

export function writeFleetRecord(file: string, r: FleetRecord): void {
  writeFileAtomic(file, `${JSON.stringify(r, null, 2)}\n`);
}

/** The hash of a config file written by a push (JSON); undefined for a hand-written YAML file. */
export function configFileHash(text: string): string | undefined {
  try {
    const v = JSON.parse(text) as unknown;
    return v && typeof v === 'object' && !Array.isArray(v) ? configHash(v) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Reconciles the record with the config file actually on disk (startup): a crash after the
 * config was written and before the record was updated leaves `pending` = the file's hash.
 * A file that is not the one the record names (edited or replaced on the gateway) runs no
 * pushed version: applied version 0 and no applied hash. A record that changes here gets the
 * time `now`, so its report is a new one (the hub keeps one report per gateway and time).
 */
export function reconcile(r: FleetRecord, fileText: string, now = Date.now()): FleetRecord {
  const next = reconcileRecord(r, fileText);
  const changed =
    next.appliedVersion !== r.appliedVersion ||
    next.appliedHash !== r.appliedHash ||
    next.status !== r.status ||
    next.desiredVersion !== r.desiredVersion;
  return changed ? { ...next, ts: now } : next;
}

function reconcileRecord(r: FleetRecord, fileText: string): FleetRecord {
  const hash = configFileHash(fileText);
  if (hash !== undefined && r.pending?.hash === hash) {
    const { pending, ...rest } = r;
    return {
      ...rest,
      appliedVersion: pending.version,
      appliedHash: hash,
      status: 'applied',
      desiredVersion: pending.version,
      desiredHash: hash,
    };
  }
  const { pending: _drop, ...rest } = r;
  if (hash !== undefined && r.appliedHash === hash) return rest;
  // the file is not the one the record names: a local edit, or a crash before the write
  if (r.appliedHash !== undefined && hash !== r.appliedHash) {
    const { appliedHash: _h, ...noHash } = rest;
    return { ...noHash, appliedVersion: 0 };
  }
  return rest;
}
