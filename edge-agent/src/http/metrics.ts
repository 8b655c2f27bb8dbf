/**
 * Prometheus text exposition (format 0.0.4) of the agent's counters and gauges.
 */
import { COMMAND_OUTCOMES } from '@ganzhi/device-profiles/contract';
import { type AgentSources, deviceViews, uplinkView } from './snapshot.js';

function esc(v: string): string {
  return v.replaceAll('\\', '\\\\').replaceAll('"', '\\"').replaceAll('\n', '\\n');
}

class Exposition {
  private out = '';
  metric(
    name: string,
    type: 'counter' | 'gauge',
    help: string,
    samples: [Record<string, string>, number][],
  ): void {
    this.out += `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
    for (const [labels, value] of samples) {
      const l = Object.entries(labels)
        .map(([k, v]) => `${k}="${esc(v)}"`)
        .join(',');
      this.out += `${name}${l ? `{${l}}` : ''} ${Number.isFinite(value) ? value : 0}\n`;
    }
  }
  toString(): string {
    return this.out;
  }
}

export function renderMetrics(src: AgentSources): string {
  const e = new Exposition();
  const devices = deviceViews(src);
  const per = (f: (d: (typeof devices)[number]) => number): [Record<string, string>, number][] =>
    devices.map((d) => [{ device: d.id }, f(d)]);
  e.metric('ganzhi_agent_info', 'gauge', 'Agent identity.', [
    [{ gateway: src.gateway, district: src.district, version: src.version }, 1],
  ]);
  e.metric(
    'ganzhi_agent_points_read_total',
    'counter',
    'Readings produced by acquisition.',
    per((d) => d.counters.readings ?? 0),
  );
  e.metric(
    'ganzhi_agent_poll_cycles_total',
    'counter',
    'Poll cycles run.',
    per((d) => d.counters.cycles ?? 0),
  );
  e.metric(
    'ganzhi_agent_poll_overruns_total',
    'counter',
    'Cycles that outlasted their interval.',
    per((d) => d.counters.overruns ?? 0),
  );
  e.metric(
    'ganzhi_agent_device_errors_total',
    'counter',
    'Failed requests per device.',
    per((d) => d.counters.errors ?? 0),
  );
  e.metric(
    'ganzhi_agent_device_timeouts_total',
    'counter',
    'Timed-out requests per device.',
    per((d) => d.counters.timeouts ?? 0),
  );
  e.metric(
    'ganzhi_agent_device_up',
    'gauge',
    '1 when the device state is up.',
    per((d) => (d.state === 'up' ? 1 : 0)),
  );
  // national-standard protocols (issue 17): frames their deframers refused, HJ 212 duplicates and refused logins
  const having = (key: string): [Record<string, string>, number][] =>
    devices.filter((d) => d.counters[key] !== undefined).map((d) => [{ device: d.id }, d.counters[key] ?? 0]);
  const refused = devices
    .filter((d) => d.counters.framesRefused !== undefined || d.counters.packetsRefused !== undefined)
    .map((d): [Record<string, string>, number] => [
      { device: d.id },
      d.counters.framesRefused ?? d.counters.packetsRefused ?? 0,
    ]);
  if (refused.length > 0) {
    e.metric(
      'ganzhi_agent_frames_refused_total',
      'counter',
      'Frames or packets refused (checksum, CRC, length, truncated …) while reading the device (DL/T 645, CJ/T 188, HJ 212).',
      refused,
    );
  }
  const dup = having('duplicates');
  if (dup.length > 0) {
    e.metric(
      'ganzhi_agent_hj212_duplicates_total',
      'counter',
      'HJ 212 data packets received again (same CN and DataTime).',
      dup,
    );
    e.metric(
      'ganzhi_agent_hj212_auth_failures_total',
      'counter',
      'HJ 212 packets with the logger’s MN and a wrong password.',
      having('authFailures'),
    );
  }
  if (src.commands) {
    const counts = src.commands.counts;
    const outcomes = [...COMMAND_OUTCOMES, 'repeat'];
    e.metric(
      'ganzhi_agent_commands_total',
      'counter',
      'Commands answered, by outcome (a command counts under its worst point outcome; repeats as repeat).',
      outcomes.map((o) => [{ outcome: o }, counts[o] ?? 0]),
    );
    e.metric(
      'ganzhi_agent_command_results_unsent',
      'gauge',
      'Command results not yet acknowledged by the broker.',
      [[{}, src.commands.unsent()]],
    );
  }
  const f = src.fleet?.();
  if (f) {
    e.metric(
      'ganzhi_agent_config_applied_version',
      'gauge',
      'Fleet config version running (0: local config).',
      [[{}, f.appliedVersion]],
    );
    e.metric(
      'ganzhi_agent_config_last_outcome',
      'gauge',
      'The last fleet config push: 1 for its outcome (applied, unchanged, ignored-old, rejected, rolled-back…).',
      f.lastOutcome ? [[{ outcome: f.lastOutcome }, 1]] : [],
    );
  }
  const u = uplinkView(src);
  if (u) {
    e.metric('ganzhi_agent_uplink_connected', 'gauge', '1 while connected to the broker.', [
      [{}, u.connected ? 1 : 0],
    ]);
    e.metric('ganzhi_agent_uplink_reconnects_total', 'counter', 'Reconnections to the broker.', [
      [{}, u.reconnects],
    ]);
    e.metric('ganzhi_agent_batches_buffered_total', 'counter', 'Batches appended to the durable buffer.', [
      [{}, u.batchesAccepted],
    ]);
    e.metric(
      'ganzhi_agent_batches_published_total',
      'counter',
      'Batches acknowledged by the broker (PUBACK).',
      [[{}, u.batchesAcked]],
    );
    e.metric('ganzhi_agent_buffer_batches', 'gauge', 'Batches buffered and not yet acknowledged.', [
      [{}, u.backlog],
    ]);
    e.metric('ganzhi_agent_buffer_bytes', 'gauge', 'Bytes in the durable buffer.', [[{}, u.bufferBytes]]);
    e.metric('ganzhi_agent_buffer_oldest_age_seconds', 'gauge', 'Age of the oldest unacknowledged batch.', [
      [{}, u.oldestAgeMs / 1000],
    ]);
    e.metric(
      'ganzhi_agent_buffer_dropped_total',
      'counter',
      'Batches dropped by the buffer bounds (drop oldest).',
      [[{}, u.dropped]],
    );
    e.metric(
      'ganzhi_agent_readings_rejected_disk_full_total',
      'counter',
      'Readings not accepted: disk full.',
      [[{}, u.rejectedDiskFull]],
    );
  }
  return e.toString();
}
