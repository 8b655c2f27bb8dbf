/**
 * Broker counters, updated on the hot path with plain number increments (no allocation), and
 * rendered as Prometheus text at scrape time.
 */
export class BrokerMetrics {
  /** Indexed by QoS 0..2. */
  readonly messagesIn: [number, number, number] = [0, 0, 0];
  readonly messagesOut: [number, number, number] = [0, 0, 0];
  bytesInClosed = 0;
  bytesOutClosed = 0;
  socketsAccepted = 0;
  socketsOpen = 0;
  authFailures = 0;
  aclDeniedPublish = 0;
  aclDeniedSubscribe = 0;
  /** messages held for a session whose identity may not read their topic (dropped) */
  aclDeniedForward = 0;
  rejectedMaxConnections = 0;
  /** sockets refused because their address had maxConnectionsPerIp open */
  rejectedPerIp = 0;
  /** password logins refused without a hash (back-off after failures, or the hash queue full) */
  authBackoff = 0;
  rejectedRate = 0;
  rejectedProtocol = 0;
  oversizePackets = 0;
  clientErrors = 0;
  /** messages for devices beyond their gateway's limit (acknowledged, dropped) */
  gatewayLimitDrops = 0;
  queueDrops = 0;
  /** device commands decoded and stamped with their issuer (issue 15) */
  commandsStamped = 0;
  /** device commands refused for an invalid payload (acknowledged, dropped) */
  commandsRefused = 0;
  /** desired configs decoded and stamped with their issuer (issue 16) */
  configsStamped = 0;
  /** desired configs refused: invalid, stale or for another gateway (acknowledged, dropped) */
  configsRefused = 0;
}

export interface Gauges {
  connections: number;
  bytesInOpen: number;
  bytesOutOpen: number;
  retained?: number;
  queued?: number;
  queueDepths?: { clientId: string; depth: number }[];
  /** set when the outgoing in-flight limit is on */
  inflightOut?: number;
  waitingOut?: number;
  inflightByClient?: { clientId: string; inflight: number; waiting: number }[];
  /** disk mode: the session file */
  store?: { commits: number; pendingChanges: number; fileBytes: number };
  /** per-gateway limits: retained messages not retained, gateways at each limit */
  gatewayLimits?: { notRetained: number; atLimit: { devices: number; retained: number } };
  /** Redis mode: subscription writes waiting for their broadcast, broadcasts sent again */
  broadcasts?: { waiting: number; resent: number };
  /** the login throttle's hashing queue */
  passwordChecks?: { running: number; queued: number };
  /** security events by kind, and the log lines the rate limit suppressed */
  security?: { counts: Record<string, number>; suppressed: Record<string, number> };
}

function esc(v: string): string {
  return v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

export function renderPrometheus(m: BrokerMetrics, g: Gauges): string {
  const out: string[] = [];
  const metric = (name: string, type: 'counter' | 'gauge', help: string, samples: [string, number][]) => {
    out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const [labels, v] of samples) out.push(`${name}${labels} ${v}`);
  };
  metric('gz_broker_connections', 'gauge', 'MQTT clients connected (CONNACK sent)', [['', g.connections]]);
  metric('gz_broker_sockets_open', 'gauge', 'Open sockets, including not yet connected', [
    ['', m.socketsOpen],
  ]);
  metric('gz_broker_sockets_accepted_total', 'counter', 'Sockets accepted', [['', m.socketsAccepted]]);
  metric(
    'gz_broker_messages_in_total',
    'counter',
    'PUBLISH packets received from clients and authorised',
    m.messagesIn.map((v, q) => [`{qos="${q}"}`, v]),
  );
  metric(
    'gz_broker_messages_out_total',
    'counter',
    'PUBLISH packets forwarded to clients, by the QoS published',
    m.messagesOut.map((v, q) => [`{qos="${q}"}`, v]),
  );
  metric('gz_broker_bytes_in_total', 'counter', 'Bytes read from client sockets', [
    ['', m.bytesInClosed + g.bytesInOpen],
  ]);
  metric('gz_broker_bytes_out_total', 'counter', 'Bytes written to client sockets', [
    ['', m.bytesOutClosed + g.bytesOutOpen],
  ]);
  metric('gz_broker_auth_failures_total', 'counter', 'CONNECTs refused for bad credentials', [
    ['', m.authFailures],
  ]);
  metric(
    'gz_broker_auth_backoff_total',
    'counter',
    'Password logins refused without a hash: back-off after failed logins, or too many waiting (CONNACK 3)',
    [['', m.authBackoff]],
  );
  if (g.passwordChecks) {
    metric('gz_broker_password_checks_running', 'gauge', 'scrypt password checks running', [
      ['', g.passwordChecks.running],
    ]);
    metric('gz_broker_password_checks_waiting', 'gauge', 'Password checks waiting for a hashing slot', [
      ['', g.passwordChecks.queued],
    ]);
  }
  metric(
    'gz_broker_acl_denials_total',
    'counter',
    'Publishes, subscriptions and deliveries denied by the ACL',
    [
      ['{action="publish"}', m.aclDeniedPublish],
      ['{action="subscribe"}', m.aclDeniedSubscribe],
      ['{action="forward"}', m.aclDeniedForward],
    ],
  );
  metric('gz_broker_connections_rejected_total', 'counter', 'Connections refused before authentication', [
    ['{reason="max_connections"}', m.rejectedMaxConnections],
    ['{reason="per_ip"}', m.rejectedPerIp],
    ['{reason="rate_limit"}', m.rejectedRate],
    ['{reason="protocol"}', m.rejectedProtocol],
    ['{reason="packet_too_large"}', m.oversizePackets],
  ]);
  metric('gz_broker_client_errors_total', 'counter', 'Client connections closed on an error', [
    ['', m.clientErrors],
  ]);
  metric('gz_broker_queue_dropped_total', 'counter', 'Messages dropped because a client queue was full', [
    ['', m.queueDrops],
  ]);
  metric(
    'gz_broker_commands_total',
    'counter',
    'Device commands by what the broker did: stamped with their issuer and routed, or refused for an invalid payload (acknowledged, dropped)',
    [
      ['{result="stamped"}', m.commandsStamped],
      ['{result="refused"}', m.commandsRefused],
    ],
  );
  metric(
    'gz_broker_configs_total',
    'counter',
    'Desired configs by what the broker did: stamped with their issuer and retained, or refused as invalid, stale or for another gateway (acknowledged, dropped)',
    [
      ['{result="stamped"}', m.configsStamped],
      ['{result="refused"}', m.configsRefused],
    ],
  );
  if (g.gatewayLimits) {
    metric(
      'gz_broker_gateway_limit_dropped_total',
      'counter',
      'Refused by a per-gateway limit: devices = messages for a device beyond maxDevicesPerGateway (acknowledged, dropped); retained = retained messages beyond maxRetainedPerGateway (delivered, not retained)',
      [
        ['{limit="devices"}', m.gatewayLimitDrops],
        ['{limit="retained"}', g.gatewayLimits.notRetained],
      ],
    );
    metric('gz_broker_gateways_at_limit', 'gauge', 'Gateways at a per-gateway limit now', [
      ['{limit="devices"}', g.gatewayLimits.atLimit.devices],
      ['{limit="retained"}', g.gatewayLimits.atLimit.retained],
    ]);
  }
  if (g.security) {
    metric(
      'gz_broker_security_events_total',
      'counter',
      'Security events (refusals, denials, limits), each logged unless rate-limited',
      Object.entries(g.security.counts).map(([e, v]) => [`{event="${e}"}`, v]),
    );
    metric(
      'gz_broker_security_log_suppressed_total',
      'counter',
      'Security event log lines not written because of the log rate limit',
      Object.entries(g.security.suppressed).map(([e, v]) => [`{event="${e}"}`, v]),
    );
  }
  if (g.broadcasts) {
    metric(
      'gz_broker_subscription_broadcasts_waiting',
      'gauge',
      'Persistent (un)subscriptions waiting for their broadcast to come back through Redis (Redis mode)',
      [['', g.broadcasts.waiting]],
    );
    metric(
      'gz_broker_subscription_broadcasts_resent_total',
      'counter',
      'Subscription broadcasts sent again after the subscriber connection to Redis reconnected',
      [['', g.broadcasts.resent]],
    );
  }
  if (g.retained !== undefined) {
    metric('gz_broker_retained_messages', 'gauge', 'Retained messages held', [['', g.retained]]);
  }
  if (g.queued !== undefined) {
    metric('gz_broker_queued_messages', 'gauge', 'Messages queued or in flight for persistent sessions', [
      ['', g.queued],
    ]);
  }
  if (g.store) {
    metric(
      'gz_broker_store_commits_total',
      'counter',
      'Transactions committed to the session file (disk mode)',
      [['', g.store.commits]],
    );
    metric(
      'gz_broker_store_pending_changes',
      'gauge',
      'Session changes recorded and not yet committed (disk mode; stays near 0 unless the disk stalls)',
      [['', g.store.pendingChanges]],
    );
    metric('gz_broker_store_file_bytes', 'gauge', 'Size of the session file and its WAL (disk mode)', [
      ['', g.store.fileBytes],
    ]);
  }
  if (g.queueDepths && g.queueDepths.length > 0) {
    metric(
      'gz_broker_client_queue_depth',
      'gauge',
      'Queued messages of the deepest client queues (top 20)',
      g.queueDepths.map((d) => [`{client="${esc(d.clientId)}"}`, d.depth]),
    );
  }
  if (g.inflightOut !== undefined) {
    metric(
      'gz_broker_inflight_out_messages',
      'gauge',
      'QoS 1/2 messages sent to clients and not yet acknowledged (limits.maxInflightOutbound each)',
      [['', g.inflightOut]],
    );
  }
  if (g.waitingOut !== undefined) {
    metric(
      'gz_broker_inflight_waiting_messages',
      'gauge',
      'QoS 1/2 messages held back because their client has no free in-flight slot',
      [['', g.waitingOut]],
    );
  }
  if (g.inflightByClient && g.inflightByClient.length > 0) {
    metric(
      'gz_broker_client_inflight_out',
      'gauge',
      'Messages in flight to the busiest clients (top 20 by in flight + waiting)',
      g.inflightByClient.map((c) => [`{client="${esc(c.clientId)}"}`, c.inflight]),
    );
    metric(
      'gz_broker_client_inflight_waiting',
      'gauge',
      'Messages waiting for an in-flight slot, same clients',
      g.inflightByClient.map((c) => [`{client="${esc(c.clientId)}"}`, c.waiting]),
    );
  }
  return `${out.join('\n')}\n`;
}
