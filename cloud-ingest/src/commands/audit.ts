/**
 * The ingest's command audit: what the writer calls for every decoded command and result
 * (in log order, before the record is acknowledged). Rows go to the SQLite audit tables
 * (audit-store.ts) at once; the `command_audit` lines (audit-lines.ts) go with the batch to
 * the store when it is InfluxDB. A refusal (a result for another gateway's command) comes
 * back as a reason for the dead letters.
 */
import { deviceTopic } from '@ganzhi/device-profiles/contract';
import type { DecodedMessage } from '../pipeline/decode-record.js';
import { commandAuditLines, resultAuditLines } from './audit-lines.js';
import type { CommandAuditStore } from './audit-store.js';

export interface AuditOutcome {
  lines: string[];
  refused?: { reason: string; topic: string };
}

export interface CommandAudit {
  observe(m: DecodedMessage, now: number): AuditOutcome;
}

export function createCommandAudit(store: CommandAuditStore | undefined, influxLines: boolean): CommandAudit {
  return {
    observe(m, now) {
      if (m.kind === 'cmd') {
        store?.recordCommand(m.ids, m.value, now);
        return { lines: influxLines ? commandAuditLines(m.ids, m.value, now) : [] };
      }
      if (m.kind === 'result') {
        const r = store?.recordResult(m.ids, m.value, now);
        if (r !== undefined && !r.ok) {
          const { district, gateway, device } = m.ids;
          return {
            lines: [],
            refused: { reason: r.reason, topic: deviceTopic(district, gateway, device, 'result') },
          };
        }
        return { lines: influxLines ? resultAuditLines(m.ids, m.value) : [] };
      }
      return { lines: [] };
    },
  };
}
