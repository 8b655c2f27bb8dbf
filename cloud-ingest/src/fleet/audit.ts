/**
 * The ingest's fleet audit (issue 16): what the writer calls for every decoded desired config
 * and config state (in log order, before the record is acknowledged). Rows go to the SQLite
 * fleet tables (store.ts) at once; the `config_audit` lines go with the batch to the store
 * when it is InfluxDB.
 *
 * Measurement `config_audit` (documented in docs/contract-v1.md, "InfluxDB", and
 * cloud-ingest/README.md):
 *
 *   tags    district, gateway (contract ids from the topic), kind (`push` | `state`),
 *           status (`pushed` for a push; applying | applied | rejected | rolled-back)
 *   fields  version (the desired version), hash (the desired hash), issuer, on_behalf_of
 *           (strings, pushes), applied_version, applied_hash, reason (states)
 *   time    a push's `issued` (else when the ingest saw it); a state's `ts` (ms)
 *
 * Tag values come from contract ids and closed sets, so cardinality is bounded. A redelivered
 * push or state makes the same line again (same series and time): it overwrites itself.
 */
import { type ConfigState, type DesiredConfig, escapeStringField } from '@ganzhi/device-profiles/contract';
import type { DecodedMessage } from '../pipeline/decode-record.js';
import type { FleetStore, GatewayKey } from './store.js';

export const CONFIG_AUDIT_MEASUREMENT = 'config_audit';

function fields(f: Record<string, string | number | undefined>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    if (typeof v === 'string') out.push(`${k}=${escapeStringField(v)}`);
    else if (Number.isFinite(v)) out.push(`${k}=${v}`);
  }
  return out.join(',');
}

// ids match the contract's id pattern, kinds and statuses are closed sets: nothing to escape
const prefix = (ids: GatewayKey, kind: 'push' | 'state', status: string): string =>
  `${CONFIG_AUDIT_MEASUREMENT},district=${ids.district},gateway=${ids.gateway},kind=${kind},status=${status}`;

export function pushAuditLine(ids: GatewayKey, d: DesiredConfig, seen: number): string {
  return `${prefix(ids, 'push', 'pushed')} ${fields({
    version: d.version,
    hash: d.hash,
    issuer: d.issuer,
    on_behalf_of: d.onBehalfOf,
  })} ${d.issued ?? seen}`;
}

export function stateAuditLine(ids: GatewayKey, s: ConfigState): string {
  return `${prefix(ids, 'state', s.status)} ${fields({
    version: s.desiredVersion,
    hash: s.desiredHash,
    applied_version: s.appliedVersion,
    applied_hash: s.appliedHash,
    reason: s.reason,
  })} ${s.ts}`;
}

export interface FleetAudit {
  /** records a config or config-state message; other kinds give no lines */
  observe(m: DecodedMessage, now: number): { lines: string[] };
}

export function createFleetAudit(store: FleetStore | undefined, influxLines: boolean): FleetAudit {
  return {
    observe(m, now) {
      if (m.kind === 'config') {
        store?.recordPush(m.ids, m.value, now);
        return { lines: influxLines ? [pushAuditLine(m.ids, m.value, now)] : [] };
      }
      if (m.kind === 'config-state') {
        store?.recordState(m.ids, m.value, now);
        return { lines: influxLines ? [stateAuditLine(m.ids, m.value)] : [] };
      }
      return { lines: [] };
    },
  };
}
