/**
 * The command audit as InfluxDB line protocol: measurement `command_audit` (documented in
 * docs/contract-v1.md, "InfluxDB", and cloud-ingest/README.md).
 *
 *   tags    district, gateway, device (contract ids from the topic), point (a point name of
 *           the contract's pattern), outcome (one of the contract's outcomes, or `issued`)
 *   fields  id, issuer, on_behalf_of (strings), requested, raw, readback (JSON text: a
 *           value keeps one field type whatever was written), reason, code (strings),
 *           expires, received, executed (ms, float), repeat (bool)
 *   time    `done` of the result (ms); for a command (`outcome=issued`) its `issued`, else
 *           when the ingest saw it
 *
 * Cardinality is bounded: the command id is a field, never a tag; tag values come from
 * contract ids and a closed set of outcomes. A point name outside the contract's pattern is
 * written as `point=invalid`; a command refused whole without per-point outcomes as `point=*`. A redelivered command or result makes the same line again
 * (same series and time), so it overwrites itself; a `repeat: true` answer carries the first
 * result's times and is written without the repeat flag, so it is the same point too.
 */
import {
  type CommandRequest,
  type CommandResult,
  escapeStringField,
  POINT_NAME_PATTERN,
  type TopicIds,
} from '@ganzhi/device-profiles/contract';

export const COMMAND_AUDIT_MEASUREMENT = 'command_audit';

function prefix(ids: TopicIds, point: string, outcome: string): string {
  const p = point === '*' || POINT_NAME_PATTERN.test(point) ? point : 'invalid';
  // ids match the contract's id pattern and points the point pattern: nothing to escape
  return `${COMMAND_AUDIT_MEASUREMENT},device=${ids.device},district=${ids.district},gateway=${ids.gateway},outcome=${outcome},point=${p}`;
}

function fields(f: Record<string, string | number | boolean | undefined>): string {
  const out: string[] = [];
  for (const [k, v] of Object.entries(f)) {
    if (v === undefined) continue;
    if (typeof v === 'string') out.push(`${k}=${escapeStringField(v)}`);
    else if (typeof v === 'boolean') out.push(`${k}=${v ? 'true' : 'false'}`);
    else if (Number.isFinite(v)) out.push(`${k}=${v}`);
  }
  return out.join(',');
}

const text = (v: unknown): string | undefined => (v === undefined ? undefined : JSON.stringify(v));

export function commandAuditLines(ids: TopicIds, c: CommandRequest, seen: number): string[] {
  const ts = c.issued ?? seen;
  return c.writes.map(
    (w) =>
      `${prefix(ids, w.point, 'issued')} ${fields({
        id: c.id,
        issuer: c.issuer,
        on_behalf_of: c.onBehalfOf,
        requested: text(w.value),
        expires: c.expires,
      })} ${ts}`,
  );
}

export function resultAuditLines(ids: TopicIds, r: CommandResult): string[] {
  const common = {
    id: r.id,
    issuer: r.issuer,
    on_behalf_of: r.onBehalfOf,
    received: r.received,
    executed: r.executed,
  };
  if (r.outcomes.length === 0)
    return [`${prefix(ids, '*', 'rejected')} ${fields({ ...common, reason: r.reason })} ${r.done}`];
  return r.outcomes.map(
    (o) =>
      `${prefix(ids, o.point, o.outcome)} ${fields({
        ...common,
        requested: text(o.requested),
        raw: text(o.raw),
        readback: text(o.readback),
        reason: o.reason ?? r.reason,
        code: o.code,
      })} ${r.done}`,
  );
}
