/** /metrics: the broker's counters and the gauges read at scrape time from its parts. */
import { statSync } from 'node:fs';
import type { Limits } from './config.js';
import type { SocketGate } from './connection/socket-gate.js';
import type { ClientTable } from './introspection.js';
import { type BrokerMetrics, renderPrometheus } from './metrics.js';
import type { PersistenceChoice } from './persistence/choose.js';
import { DiskPersistence } from './persistence/disk-persistence.js';
import type { Policy } from './policy.js';

export interface MetricsSources {
  metrics: BrokerMetrics;
  limits: Limits;
  table: ClientTable;
  gate: SocketGate;
  store: PersistenceChoice;
  policy: Policy;
}

/** Prometheus text as served on /metrics. */
export function metricsText(src: MetricsSources): string {
  const { metrics, table, gate, store, policy } = src;
  const open = gate.bytesOpen();
  const mem = store.memory;
  const disk = mem instanceof DiskPersistence ? mem : undefined;
  return renderPrometheus(metrics, {
    ...(disk
      ? {
          store: {
            commits: disk.commits,
            pendingChanges: disk.pendingChanges,
            fileBytes: fileBytes(disk.file),
          },
        }
      : {}),
    ...(store.rebroadcast
      ? { broadcasts: { waiting: store.rebroadcast.waiting(), resent: store.rebroadcast.resent() } }
      : {}),
    connections: table.count(),
    security: policy.security,
    passwordChecks: { running: policy.throttle.running, queued: policy.throttle.queued },
    gatewayLimits: {
      notRetained: policy.gatewayLimits.dropped.retained,
      atLimit: policy.gatewayLimits.atLimit(),
    },
    bytesInOpen: open.bytesIn,
    bytesOutOpen: open.bytesOut,
    ...(src.limits.maxInflightOutbound > 0 ? table.windowGauges() : {}),
    ...(mem
      ? { retained: mem.retainedCount, queued: mem.queuedMessages, queueDepths: mem.queueDepths() }
      : {}),
  });
}

/** Bytes of a SQLite file and its WAL; 0 for what does not exist. */
function fileBytes(file: string): number {
  let n = 0;
  for (const f of [file, `${file}-wal`]) {
    try {
      n += statSync(f).size;
    } catch {
      // not there (yet)
    }
  }
  return n;
}
