/**
 * One OPC UA server (device instance). Subscribes to the profile's points as monitored
 * items (sampling interval, queue, absolute deadband from the point), or polls them with
 * the Read service (`opcua.mode: poll`). `nsu=` node ids are resolved to the server's
 * namespace index at every (re)connect.
 *
 * Liveness watchdog: every keep-alive, notification or successful read marks the session
 * alive. When nothing arrives for `watchdogMs`, or the channel or subscription dies, the
 * session is torn down and rebuilt with capped exponential backoff; meanwhile every cycle
 * yields bad-quality readings with the reason — an outage is never silence.
 *
 * The server's certificate is checked by the device's trust mode at every connection attempt
 * (server-trust.ts); a refusal is the device's lastError, naming the certificate.
 */
import { isOpcuaPoint, type OpcuaPoint } from '@ganzhi/device-profiles';
import { backoffDelay } from '@ganzhi/runtime';
import {
  AttributeIds,
  type ClientSession,
  type ClientSubscription,
  DataType,
  type DataValue,
  MessageSecurityMode,
  OPCUAClient,
  SecurityPolicy,
} from 'node-opcua';
import { DeviceStatusTracker } from '../device-status.js';
import {
  badReading,
  type DeviceState,
  type Driver,
  type DriverContext,
  type DriverReading,
  type DriverStatus,
  type PointAddress,
  type PointWrite,
  type WriteOptions,
  type WriteOutcome,
} from '../driver.js';
import { withTimeout } from '../timeout.js';
import { clientApplicationUri } from './application-uri.js';
import { readingOf } from './data-value.js';
import { IdentityError, loadIdentity, sessionFailure } from './identity.js';
import { monitorPoint } from './monitored-point.js';
import { resolveNodeId } from './node-id.js';
import {
  builtinTypeOf,
  readbackMatches,
  variantFor,
  WRITABLE_TYPES,
  type WritableTypeId,
} from './opcua-write.js';
import type { OpcuaDeviceSpec, OpcuaSettings } from './options.js';
import { ServerTrustManager } from './server-trust.js';

const MAX_QUEUE = 10_000;

interface Session {
  client: OPCUAClient;
  session: ClientSession;
  subscription?: ClientSubscription;
  /** point name → resolved node id */
  nodes: Map<string, string>;
  /** point name → why it cannot be read (namespace missing, monitored item refused) */
  broken: Map<string, string>;
  /** the server refused the subscription: this session polls instead */
  polling: boolean;
  /** the server's namespace array (resolves `nsu=` node ids) */
  namespaces: string[];
  /** torn down or replaced: its late notifications are dropped */
  retired?: boolean;
  /** point name → the node's DataType (built-in type id), read once per session for writes */
  dataTypes?: Map<string, WritableTypeId>;
}

export class OpcuaDriver implements Driver {
  readonly device: string;
  private readonly points: OpcuaPoint[];
  private readonly opts: OpcuaSettings;
  private readonly tracker: DeviceStatusTracker;
  private current: Session | undefined;
  private connecting: Promise<void> | undefined;
  private outage: string | undefined = 'not connected';
  private queue: DriverReading[] = [];
  private lastAlive = 0;
  private failures = 0;
  private retryAt = 0;
  private watchdog: unknown;
  private closed = false;
  private certificateManager: ServerTrustManager | undefined;
  readonly watchdogMs: number;
  private readonly publishingMs: number;

  constructor(
    private readonly spec: OpcuaDeviceSpec,
    private readonly ctx: DriverContext,
  ) {
    this.device = spec.id;
    this.points = spec.points.filter(isOpcuaPoint);
    this.opts = spec.opcua;
    this.tracker = new DeviceStatusTracker(ctx.clock.now());
    this.publishingMs = Math.max(50, Math.min(this.spec.pollIntervalMs, 1000));
    // a server sends a keep-alive after 3 empty publishing intervals
    this.watchdogMs = this.opts.watchdogMs ?? Math.max(3000, 4 * 3 * this.publishingMs);
  }

  /** The point's node id with the profile's namespace URI replaced by the server's (`opcua.namespaceUri`). */
  private nodeIdOf(p: OpcuaPoint): string {
    const nodeId = p.opcua.nodeId;
    const profileUri = this.spec.profile.opcua?.namespaceUri;
    const serverUri = this.opts.namespaceUri;
    if (serverUri && profileUri && nodeId.startsWith(`nsu=${profileUri};`)) {
      return `nsu=${serverUri};${nodeId.slice(profileUri.length + 5)}`;
    }
    return nodeId;
  }

  addresses(): ReadonlyMap<string, PointAddress> {
    const s = this.current;
    const out = new Map<string, PointAddress>();
    for (const p of this.points) {
      const a: PointAddress = { address: this.nodeIdOf(p) };
      const resolved = s?.nodes.get(p.name) ?? s?.broken.get(p.name);
      if (resolved !== undefined && resolved !== a.address) a.resolved = resolved;
      out.set(p.name, a);
    }
    return out;
  }

  async connect(): Promise<void> {
    this.armWatchdog();
    await this.rebuild();
    if (this.outage) throw new Error(this.outage);
  }

  private armWatchdog(): void {
    if (this.watchdog !== undefined || this.closed) return;
    const every = Math.max(100, Math.min(1000, Math.floor(this.watchdogMs / 4)));
    const tick = () => {
      this.watchdog = undefined;
      if (this.closed) return;
      const now = this.ctx.clock.now();
      const s = this.current;
      if (!this.outage && s && now - this.lastAlive > this.watchdogLimit(s)) {
        const silent = Math.round((now - this.lastAlive) / 1000);
        this.down(
          s.polling
            ? `watchdog: no answer to reads for ${silent} s`
            : `watchdog: no keep-alive for ${silent} s`,
        );
      }
      if (this.outage && !this.connecting && now >= this.retryAt) void this.rebuild();
      this.watchdog = this.ctx.clock.setTimeout(tick, every);
    };
    this.watchdog = this.ctx.clock.setTimeout(tick, every);
  }

  /**
   * A polled session hears from the server only when it reads: it is presumed dead after
   * two cycles without a successful read (never sooner than watchdogMs), not after
   * watchdogMs — a 60 s poll would otherwise rebuild its session before every read.
   */
  private watchdogLimit(s: Session): number {
    if (!s.polling) return this.watchdogMs;
    return Math.max(this.watchdogMs, 2 * this.spec.pollIntervalMs + this.spec.timeoutMs);
  }

  private alive(): void {
    this.lastAlive = this.ctx.clock.now();
  }

  private rebuild(): Promise<void> {
    if (!this.connecting) {
      this.connecting = this.build().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async build(): Promise<void> {
    await this.teardown();
    if (this.closed) return;
    try {
      this.current = await this.open();
      this.failures = 0;
      this.outage = undefined;
      this.alive();
      this.ctx.logger.info('opcua session established');
    } catch (err) {
      this.failures++;
      this.tracker.counters.errors++;
      const message = (err as Error).message?.split('\n')[0] ?? String(err);
      const refusal = this.certificateManager?.refusal;
      // identity and certificate problems already say so (and never carry key material)
      const reason =
        err instanceof IdentityError
          ? message
          : refusal !== undefined
            ? `certificate: ${refusal}`
            : `connection: ${message}`;
      this.outage = reason;
      this.retryAt =
        this.ctx.clock.now() +
        backoffDelay(this.failures, { initialMs: 1000, maxMs: 60_000 }, this.ctx.random);
      if (this.failures === 1 || this.failures % 20 === 0) {
        this.ctx.logger.warn({ reason, failures: this.failures }, 'opcua connect failed');
      }
      await this.teardown();
    }
  }

  private down(reason: string): void {
    if (this.outage || this.closed) return;
    this.outage = reason;
    this.tracker.counters.errors++;
    this.retryAt = this.ctx.clock.now();
    this.ctx.logger.warn({ reason }, 'opcua session lost; rebuilding');
    void this.rebuild();
  }

  private certificates(): ServerTrustManager {
    if (!this.certificateManager) {
      this.certificateManager = new ServerTrustManager({
        pkiDir: this.opts.pkiDir,
        mode: this.opts.trust,
        device: this.device,
        endpoint: this.spec.endpoint.url,
        clock: this.ctx.clock,
        logger: this.ctx.logger,
      });
    }
    return this.certificateManager;
  }

  private async open(): Promise<Session> {
    // read first: a missing or mismatched certificate/key fails before any network traffic
    const identity = loadIdentity(this.opts.identity, this.ctx.clock.now());
    const certificates = this.certificates();
    certificates.refusal = undefined;
    const mode = this.opts.securityMode ?? 'None';
    const policy = this.opts.securityPolicy ?? (mode === 'None' ? 'None' : 'Basic256Sha256');
    const client = OPCUAClient.create({
      applicationName: 'ganzhi-agent',
      // shared by all devices of the gateway: the URI in the shared client certificate
      applicationUri: clientApplicationUri(this.opts.pkiDir),
      endpointMustExist: false,
      securityMode: MessageSecurityMode[mode],
      securityPolicy: SecurityPolicy[policy],
      // the agent does its own reconnection (with the watchdog), so node-opcua must not
      connectionStrategy: { maxRetry: 0, initialDelay: 200, maxDelay: 1000 },
      keepSessionAlive: true,
      requestedSessionTimeout: Math.max(10_000, 4 * this.watchdogMs),
      clientCertificateManager: certificates,
    });
    const lost = (why: string) => () => {
      if (this.current?.client === client) this.down(why);
    };
    client.on('connection_lost', lost('connection lost'));
    client.on('close', lost('connection closed'));
    const timeout = Math.max(this.spec.timeoutMs, 3000);
    const { clock } = this.ctx;
    await withTimeout(
      clock,
      client.connect(this.spec.endpoint.url),
      timeout,
      failure('connect timeout'),
      () => client.disconnect().catch(() => undefined),
    );
    let session: ClientSession;
    try {
      session = await withTimeout(
        clock,
        client.createSession(identity.info),
        timeout,
        failure('session timeout'),
      );
    } catch (err) {
      await client.disconnect().catch(() => undefined);
      throw sessionFailure(err, identity);
    }
    const namespaces = await session.readNamespaceArray();
    const nodes = new Map<string, string>();
    const broken = new Map<string, string>();
    for (const p of this.points) {
      const r = resolveNodeId(this.nodeIdOf(p), namespaces);
      if (r.ok) nodes.set(p.name, r.nodeId);
      else broken.set(p.name, r.reason);
    }
    const s: Session = {
      client,
      session,
      nodes,
      broken,
      namespaces,
      polling: (this.opts.mode ?? 'subscribe') === 'poll',
    };
    if (!s.polling) {
      try {
        await this.subscribe(s);
      } catch (err) {
        // e.g. BadServiceUnsupported, BadTooManySubscriptions: fall back to the Read service
        this.ctx.logger.warn(
          { reason: (err as Error).message?.split('\n')[0] },
          'opcua subscription refused; polling instead',
        );
        await s.subscription?.terminate().catch(() => undefined);
        delete s.subscription;
        s.polling = true;
      }
    }
    return s;
  }

  private async subscribe(s: Session): Promise<void> {
    const sub = await s.session.createSubscription2({
      requestedPublishingInterval: this.publishingMs,
      requestedMaxKeepAliveCount: 3,
      requestedLifetimeCount: 30,
      maxNotificationsPerPublish: 1000,
      publishingEnabled: true,
      priority: 1,
    });
    s.subscription = sub;
    sub.on('keepalive', () => this.alive());
    sub.on('received_notifications', () => this.alive());
    sub.on('terminated', () => {
      if (this.current === s) this.down('subscription terminated');
    });
    for (const p of this.points) {
      const nodeId = s.nodes.get(p.name);
      if (!nodeId) continue;
      const m = await monitorPoint(sub, p, nodeId, {
        samplingInterval:
          p.opcua.samplingInterval ?? this.opts.samplingIntervalMs ?? this.spec.pollIntervalMs,
        queueSize: this.opts.queueSize ?? 10,
      });
      if (!m.ok) {
        s.broken.set(p.name, m.reason);
        continue;
      }
      m.item.on('changed', (dv) => {
        // not `this.current !== s`: the session becomes current only after every item is
        // created, and a constant value's one initial notification arriving meanwhile was dropped
        // for good (the point was then never reported)
        if (s.retired) return;
        const r = readingOf(this.device, p, dv, this.ctx.clock.now());
        if (!m.gate || m.gate.pass(r)) this.push(r);
      });
      m.item.on('err', (message: string) => s.broken.set(p.name, `monitored item: ${message}`));
    }
  }

  private push(r: DriverReading): void {
    this.queue.push(r);
    if (this.queue.length > MAX_QUEUE) {
      this.queue.splice(0, this.queue.length - MAX_QUEUE);
      this.tracker.counters.skipped++;
    }
  }

  async read(): Promise<DriverReading[]> {
    if (this.closed) throw new Error('driver closed');
    const now = this.ctx.clock.now();
    this.tracker.counters.cycles++;
    const s = this.current;
    let out: DriverReading[];
    if (this.outage || !s) {
      const reason = this.outage ?? 'not connected';
      out = this.points.map((p) => badReading(this.device, p, now, reason));
      // values that arrived before the outage still go out, first
      out = [...this.drain(), ...out];
    } else if (s.polling) {
      out = await this.poll(s, now);
    } else {
      out = this.drain();
    }
    if (s && !this.outage) {
      for (const [name, reason] of s.broken) {
        const p = this.points.find((x) => x.name === name);
        if (p) out.push(badReading(this.device, p, now, reason));
      }
    }
    this.updateState(out, now);
    return out;
  }

  private drain(): DriverReading[] {
    const q = this.queue;
    this.queue = [];
    return q;
  }

  private async poll(s: Session, now: number): Promise<DriverReading[]> {
    const points = this.points.filter((p) => s.nodes.has(p.name));
    this.tracker.counters.requests++;
    try {
      const dvs = await withTimeout(
        this.ctx.clock,
        s.session.read(
          points.map((p) => ({ nodeId: s.nodes.get(p.name)!, attributeId: AttributeIds.Value })),
          0,
        ),
        this.spec.timeoutMs,
        failure('timeout'),
      );
      this.alive();
      return points.map((p, i) => readingOf(this.device, p, dvs[i]!, this.ctx.clock.now()));
    } catch (err) {
      this.tracker.counters.errors++;
      const reason = (err as Error).message === 'timeout' ? 'timeout' : `read: ${(err as Error).message}`;
      if (reason === 'timeout') this.tracker.counters.timeouts++;
      return this.points.map((p) => badReading(this.device, p, now, reason));
    }
  }

  /**
   * Writes points one after another with the Write service (see opcua-write.ts for the
   * Variant). Not connected → `timeout` at once with the outage; a Bad/Uncertain status →
   * `device-exception` with the status name (BadNotWritable, BadTypeMismatch,
   * BadUserAccessDenied, BadOutOfRange…); no answer by the deadline (or the device's timeout)
   * → `timeout`. Each write is sent once.
   */
  async write(writes: readonly PointWrite[], opts: WriteOptions): Promise<WriteOutcome[]> {
    if (this.closed) throw new Error('driver closed');
    const out: WriteOutcome[] = [];
    for (const w of writes) out.push(await this.writeOne(w, opts));
    return out;
  }

  private async writeOne(w: PointWrite, opts: WriteOptions): Promise<WriteOutcome> {
    const name = w.point.name;
    const point = this.points.find((p) => p.name === name) ?? (isOpcuaPoint(w.point) ? w.point : undefined);
    if (!point) return { point: name, outcome: 'rejected', reason: `point ${name} has no OPC UA binding` };
    const s = this.current;
    if (this.outage || !s) return { point: name, outcome: 'timeout', reason: this.outage ?? 'not connected' };
    const nodeId = this.nodeFor(s, point);
    if (!nodeId.ok) return { point: name, outcome: 'rejected', reason: nodeId.reason };
    const call = <T>(p: Promise<T>): Promise<T> => {
      const left = Math.min(this.spec.timeoutMs, opts.deadline - this.ctx.clock.now());
      if (left <= 0) return Promise.reject(new Error('timeout'));
      return withTimeout(this.ctx.clock, p, left, failure('timeout'));
    };
    const fault = (err: unknown): WriteOutcome => {
      this.tracker.counters.errors++;
      const m = (err as Error).message?.split('\n')[0] ?? String(err);
      if (m === 'timeout') this.tracker.counters.timeouts++;
      return { point: name, outcome: 'timeout', reason: m === 'timeout' ? 'timeout' : `write: ${m}` };
    };
    let t: Awaited<ReturnType<OpcuaDriver['nodeType']>>;
    try {
      t = await this.nodeType(s, point, nodeId.nodeId, call);
    } catch (err) {
      return fault(err);
    }
    if (!t.ok) return { point: name, ...t.outcome };
    const typeId = t.typeId;
    const plan = variantFor(point, typeId, w.value);
    if (!plan.ok) return { point: name, outcome: 'rejected', reason: plan.reason };
    const raw = plan.shown as number | boolean | string;
    let status: { value: number; name: string };
    try {
      this.tracker.counters.requests++;
      status = await call(
        s.session.write({
          nodeId: nodeId.nodeId,
          attributeId: AttributeIds.Value,
          value: { value: { dataType: DataType[plan.type], value: plan.value } },
        }),
      );
    } catch (err) {
      return { ...fault(err), raw };
    }
    const bad = statusFault(status);
    if (bad) return { point: name, outcome: 'device-exception', raw, code: bad, reason: `write: ${bad}` };
    this.ctx.logger.info({ point: name, nodeId: nodeId.nodeId, type: plan.type, raw }, 'opcua write');
    if (!opts.readback) return { point: name, outcome: 'ok', raw };
    let dv: DataValue;
    try {
      this.tracker.counters.requests++;
      dv = await call(s.session.read({ nodeId: nodeId.nodeId, attributeId: AttributeIds.Value }, 0));
    } catch (err) {
      const f = fault(err);
      return {
        point: name,
        outcome: 'readback-mismatch',
        raw,
        readback: null,
        reason: `written; readback failed: ${f.reason}`,
      };
    }
    const r = readingOf(this.device, point, dv, this.ctx.clock.now());
    if (r.quality === 'bad' || r.value === null) {
      return {
        point: name,
        outcome: 'readback-mismatch',
        raw,
        readback: null,
        reason: `written; readback: ${r.reason}`,
      };
    }
    if (readbackMatches(point, WRITABLE_TYPES[typeId], w.value, r.value)) {
      return { point: name, outcome: 'ok', raw, readback: r.value };
    }
    return {
      point: name,
      outcome: 'readback-mismatch',
      raw,
      readback: r.value,
      reason: `wrote ${String(w.value)}, read back ${String(r.value)}`,
    };
  }

  /**
   * What a write of `point` would be sent as: the node id in this session and the built-in type
   * of its DataType attribute (the probe prints it before a guarded write).
   */
  async writeTarget(
    point: OpcuaPoint,
  ): Promise<{ ok: true; nodeId: string; type: string } | { ok: false; reason: string }> {
    const s = this.current;
    if (this.outage || !s) return { ok: false, reason: this.outage ?? 'not connected' };
    const nodeId = this.nodeFor(s, point);
    if (!nodeId.ok) return nodeId;
    const call = <T>(p: Promise<T>) =>
      withTimeout(this.ctx.clock, p, this.spec.timeoutMs, failure('timeout'));
    let t: Awaited<ReturnType<OpcuaDriver['nodeType']>>;
    try {
      t = await this.nodeType(s, point, nodeId.nodeId, call);
    } catch (err) {
      return { ok: false, reason: `DataType: ${(err as Error).message}` };
    }
    if (!t.ok) return { ok: false, reason: `${t.outcome.code ?? t.outcome.outcome}: ${t.outcome.reason}` };
    return { ok: true, nodeId: nodeId.nodeId, type: WRITABLE_TYPES[t.typeId] };
  }

  /** The node's DataType as a built-in type id, read once per session (rejects on no answer). */
  private async nodeType(
    s: Session,
    point: OpcuaPoint,
    nodeId: string,
    call: <T>(p: Promise<T>) => Promise<T>,
  ): Promise<{ ok: true; typeId: WritableTypeId } | { ok: false; outcome: Omit<WriteOutcome, 'point'> }> {
    s.dataTypes ??= new Map();
    const known = s.dataTypes.get(point.name);
    if (known !== undefined) return { ok: true, typeId: known };
    this.tracker.counters.requests++;
    const dv: DataValue = await call(s.session.read({ nodeId, attributeId: AttributeIds.DataType }));
    const bad = statusFault(dv.statusCode);
    if (bad)
      return { ok: false, outcome: { outcome: 'device-exception', code: bad, reason: `DataType: ${bad}` } };
    const t = dv.value?.value as { namespace?: number; value?: unknown } | undefined;
    const typeId = builtinTypeOf(t?.namespace ?? -1, t?.value);
    if (typeId === undefined) {
      return {
        ok: false,
        outcome: {
          outcome: 'rejected',
          reason: `point ${point.name}: node DataType ${String(t)} is not a writable built-in type`,
        },
      };
    }
    s.dataTypes.set(point.name, typeId);
    return { ok: true, typeId };
  }

  /** The point's node id in this session (resolved now for a point the device does not read). */
  private nodeFor(s: Session, p: OpcuaPoint): { ok: true; nodeId: string } | { ok: false; reason: string } {
    const nodeId = s.nodes.get(p.name);
    if (nodeId) return { ok: true, nodeId };
    const broken = s.broken.get(p.name);
    if (broken && !broken.startsWith('monitored item')) return { ok: false, reason: broken };
    return resolveNodeId(this.nodeIdOf(p), s.namespaces);
  }

  private updateState(out: DriverReading[], now: number): void {
    const badCount = out.filter((r) => r.quality === 'bad').length;
    const s: DeviceState = this.outage ? 'down' : badCount > 0 ? 'degraded' : 'up';
    this.tracker.setState(s, now);
  }

  status(): DriverStatus {
    this.tracker.lastError = this.outage;
    return this.tracker.snapshot();
  }

  private async teardown(): Promise<void> {
    const s = this.current;
    this.current = undefined;
    if (!s) return;
    s.retired = true;
    this.tracker.counters.reconnects++;
    await withTimeout(
      this.ctx.clock,
      (async () => {
        await s.subscription?.terminate().catch(() => undefined);
        await s.session.close().catch(() => undefined);
        await s.client.disconnect().catch(() => undefined);
      })(),
      2000,
      failure('teardown timeout'),
    ).catch(() => undefined);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.watchdog !== undefined) this.ctx.clock.clearTimeout(this.watchdog);
    await this.connecting?.catch(() => undefined);
    await this.teardown();
    await this.certificateManager?.dispose().catch(() => undefined);
  }
}

const failure = (message: string) => () => new Error(message);

/** The status name when a status code is not Good (severity Uncertain or Bad), else undefined. */
function statusFault(code: { value: number; name: string } | undefined): string | undefined {
  if (!code || code.value >>> 30 === 0) return undefined;
  return code.name || `0x${code.value.toString(16)}`;
}
