/**
 * The command executor: the agent side of commands (issue 15).
 *
 * A command arrives on `gz/v1/{d}/{g}/{device}/cmd` (QoS 1, possibly more than once, possibly
 * after hours in a persistent session). It is decoded and checked before anything goes on the
 * wire — refused with `rejected` and a reason when the envelope is invalid, it carries no
 * issuer (it did not pass the broker), commands are disabled on this gateway, the device or
 * point is unknown, the point is not `access: read-write`, the value has the wrong type or is
 * outside the point's range, the driver cannot write, or `expires` lies further ahead than the
 * contract's max TTL. A command whose `expires` has passed on the gateway clock when its turn
 * comes is answered `expired` and never written.
 *
 * Exactly once at the device: the intent is recorded (fsync'd) in the journal before the
 * driver is called, the result after; a repeat of a known id gets the first result again with
 * `repeat: true` and nothing is written; an intent without a result found at start is
 * answered `interrupted` (journal.ts). Commands to one device run one after the other; a
 * command does not wait for the poll cycle (the driver puts its write ahead of polls).
 *
 * Results go through the journal's outbox: published QoS 1 and marked sent at PUBACK, published
 * again after every reconnect until then.
 */
import { type Point, writeValueProblem } from '@ganzhi/device-profiles';
import {
  COMMAND_LIMITS,
  type CommandRequest,
  type CommandResult,
  decodeCommandRequest,
  deviceTopic,
  encodeCommandResult,
  type PointOutcome,
  parseTopic,
} from '@ganzhi/device-profiles/contract';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { Driver, PointWrite } from '../drivers/driver.js';
import type { CommandJournal, JournalResult } from './journal.js';

export interface CommandDevice {
  id: string;
  driver: Driver;
  /** the points as configured (overrides applied) */
  points: readonly Point[];
  /** every point of the profile (a writable point need not be among the polled ones) */
  profilePoints: readonly Point[];
  /** the device's response timeout: a write gets this per point plus a margin */
  timeoutMs: number;
}

export interface CommandPublisher {
  /** publishes QoS 1; `done` gets no error when the broker acknowledged; false: not connected */
  publish(topic: string, payload: Buffer, done: (err?: Error) => void): boolean;
  connected(): boolean;
}

export interface ExecutorOptions {
  district: string;
  gateway: string;
  enabled: boolean;
  devices: readonly CommandDevice[];
  journal: CommandJournal;
  clock: Clock;
  logger: Logger;
  /** how many last commands per device the status page keeps; default 10 */
  keepLast?: number;
  /** commands waiting per device beyond which new ones are refused (a flood); default 32 */
  maxQueued?: number;
}

/** One line of the status page's "last commands". */
export interface CommandView {
  id: string;
  issuer?: string;
  onBehalfOf?: string;
  points: string[];
  /** the worst outcome of the command's points (ok when all ok) */
  outcome: string;
  reason?: string;
  repeat?: boolean;
  received: number;
  executed?: number;
  done: number;
}

export type OutcomeCounts = Record<string, number>;

const SEVERITY = [
  'ok',
  'repeat',
  'readback-mismatch',
  'device-exception',
  'timeout',
  'expired',
  'rejected',
  'interrupted',
];

export class CommandExecutor {
  private readonly devices: Map<string, CommandDevice>;
  /** per device: the tail of its queue (commands to one device never interleave) */
  private readonly tails = new Map<string, Promise<void>>();
  private readonly queued = new Map<string, number>();
  /** ids being executed → their final result when done */
  private readonly running = new Map<string, Promise<JournalResult>>();
  private readonly last = new Map<string, CommandView[]>();
  private readonly inflight = new Set<number>();
  private publisher: CommandPublisher | undefined;
  private closed = false;
  /** commands by outcome (a command counts once, under its worst point outcome; repeats as `repeat`) */
  readonly counts: OutcomeCounts = {};

  constructor(private readonly o: ExecutorOptions) {
    this.devices = new Map(o.devices.map((d) => [d.id, d]));
    for (const id of o.journal.interrupted) {
      const r = o.journal.resultOf(id);
      if (r) this.note(r.result);
      o.logger.warn({ id }, 'command interrupted by a stop of the agent: reported, not repeated');
    }
  }

  /** The filter the agent subscribes (QoS 1). */
  /**
   * The devices after a fleet push rebuilt the drivers (issue 16). Commands already running keep
   * the device they started with; the caller drains them before closing the old drivers.
   */
  setDevices(devices: readonly CommandDevice[]): void {
    this.devices.clear();
    for (const d of devices) this.devices.set(d.id, d);
  }

  get filter(): string {
    return `gz/v1/${this.o.district}/${this.o.gateway}/+/cmd`;
  }

  /** Attaches the publisher (the uplink's session) and sends what the outbox holds. */
  attach(p: CommandPublisher): void {
    this.publisher = p;
    this.flush();
  }

  /** Publishes every unacknowledged result (after a (re)connect, and after each new result). */
  flush(): void {
    const p = this.publisher;
    if (!p?.connected() || this.closed) return;
    for (const r of this.o.journal.outbox()) {
      if (this.inflight.has(r.n)) continue;
      this.inflight.add(r.n);
      const started = p.publish(r.topic, encodeCommandResult(r.result), (err) => {
        this.inflight.delete(r.n);
        if (err) return; // published again on the next connect
        if (!this.closed) this.o.journal.markSent(r.n);
      });
      if (!started) {
        this.inflight.delete(r.n);
        return;
      }
    }
  }

  /** Called when the MQTT session drops: what was in flight is published again on reconnect. */
  disconnected(): void {
    this.inflight.clear();
  }

  /**
   * Handles one message of the cmd filter. Never throws; resolves when its result is recorded.
   * Call it synchronously from the MQTT message event: the receipt is on disk before MQTT.js
   * sends the PUBACK, so a command acknowledged to the broker is never lost by a crash.
   */
  async handle(topic: string, payload: Buffer): Promise<void> {
    const received = this.o.clock.now();
    const r = this.o.journal.recordReceived(topic, payload, received);
    faultHook('after-receive');
    try {
      await this.decide(topic, payload, received);
    } finally {
      if (!this.closed) this.o.journal.markHandled(r);
    }
  }

  /** Handles the receipts a previous run left undecided (call once the drivers are connected). */
  async replay(): Promise<void> {
    const pending = this.o.journal.pendingReceipts();
    if (pending.length > 0)
      this.o.logger.warn({ commands: pending.length }, 'handling commands received before a stop');
    await Promise.all(
      pending.map(async (rc) => {
        try {
          await this.decide(rc.topic, Buffer.from(rc.payload, 'base64'), rc.at);
        } finally {
          this.o.journal.markHandled(rc.r);
        }
      }),
    );
  }

  private async decide(topic: string, payload: Buffer, received: number): Promise<void> {
    const t = parseTopic(topic);
    if (
      t?.scope !== 'device' ||
      t.kind !== 'cmd' ||
      t.district !== this.o.district ||
      t.gateway !== this.o.gateway
    ) {
      this.o.logger.warn({ topic }, 'command on a topic not of this gateway: dropped');
      return;
    }
    const device = t.device;
    const d = decodeCommandRequest(payload);
    if (!d.ok) {
      if (d.id === undefined) {
        this.o.logger.warn({ device, error: d.error }, 'invalid command without a usable id: dropped');
        return;
      }
      // not the id's answer: a valid command with this id may still come
      this.refuse(
        device,
        { id: d.id, writes: [] } as unknown as CommandRequest,
        received,
        `invalid command: ${d.error}`,
        false,
      );
      return;
    }
    const cmd = d.value;
    const known = this.o.journal.resultOf(cmd.id);
    if (known) return this.repeat(known);
    const running = this.running.get(cmd.id);
    if (running) return this.repeat(await running);

    const refusal = this.check(device, cmd, received);
    if (refusal !== undefined) {
      this.refuse(device, cmd, received, refusal, true);
      return;
    }
    const dev = this.devices.get(device) as CommandDevice;
    const job = this.enqueue(device, () => this.execute(dev, cmd, received));
    this.running.set(cmd.id, job);
    try {
      await job;
    } finally {
      this.running.delete(cmd.id);
    }
  }

  private enqueue(device: string, run: () => Promise<JournalResult>): Promise<JournalResult> {
    const tail = this.tails.get(device) ?? Promise.resolve();
    this.queued.set(device, (this.queued.get(device) ?? 0) + 1);
    const job = tail.then(run);
    const next = job.then(
      () => undefined,
      () => undefined,
    );
    void next.then(() => this.queued.set(device, (this.queued.get(device) ?? 1) - 1));
    this.tails.set(device, next);
    return job;
  }

  /** Why the command is refused, or undefined. Nothing here touches the device. */
  private check(device: string, cmd: CommandRequest, received: number): string | undefined {
    if (cmd.issuer === undefined) return 'no issuer: the command did not pass the broker';
    if (!this.o.enabled) return 'commands are disabled on this gateway (commands.enabled: false)';
    if (cmd.expires - received > COMMAND_LIMITS.maxTtlMs)
      return `expires lies more than ${COMMAND_LIMITS.maxTtlMs} ms ahead of the gateway clock`;
    const dev = this.devices.get(device);
    if (!dev) return `unknown device ${device}`;
    if (!dev.driver.write) return `device ${device}: its driver does not support writes`;
    const max = this.o.maxQueued ?? 32;
    if ((this.queued.get(device) ?? 0) >= max)
      return `device ${device}: ${max} commands are already waiting; try again later`;
    return undefined;
  }

  /** Per-point refusal reason, or undefined when the write may go on the wire. */
  private checkPoint(dev: CommandDevice, point: string, value: unknown): string | undefined {
    const p = dev.points.find((x) => x.name === point) ?? dev.profilePoints.find((x) => x.name === point);
    if (!p) return `unknown point ${point}`;
    if (p.access !== 'read-write') return `point ${point} is not writable (access: ${p.access ?? 'read'})`;
    const problem = writeValueProblem(p, value);
    return problem === undefined ? undefined : `point ${problem}`;
  }

  private async execute(dev: CommandDevice, cmd: CommandRequest, received: number): Promise<JournalResult> {
    const executed = this.o.clock.now();
    if (cmd.expires < executed) {
      return this.record(dev.id, cmd, received, {
        executed,
        reason: `expired at ${new Date(cmd.expires).toISOString()}, before it could be executed`,
        outcomes: cmd.writes.map((w) => ({ point: w.point, outcome: 'expired', requested: w.value })),
      });
    }
    const refusals = cmd.writes.map((w) => this.checkPoint(dev, w.point, w.value));
    if (refusals.some((r) => r !== undefined)) {
      // nothing is written when any point is refused: a command is all its writes or none
      return this.record(dev.id, cmd, received, {
        reason: `${refusals.find((r) => r !== undefined)}; nothing was written`,
        outcomes: cmd.writes.map((w, i) => ({
          point: w.point,
          outcome: 'rejected',
          requested: w.value,
          reason: refusals[i] ?? 'not written: another point of the command was refused',
        })),
      });
    }
    const writes: PointWrite[] = cmd.writes.map((w) => ({
      point: (dev.points.find((x) => x.name === w.point) ??
        dev.profilePoints.find((x) => x.name === w.point)) as Point,
      value: w.value,
    }));
    this.o.journal.recordIntent({
      id: cmd.id,
      device: dev.id,
      writes: cmd.writes,
      ...(cmd.issuer !== undefined ? { issuer: cmd.issuer } : {}),
      ...(cmd.onBehalfOf !== undefined ? { onBehalfOf: cmd.onBehalfOf } : {}),
      received,
      executed,
      expires: cmd.expires,
    });
    faultHook('after-intent');
    // the write's own deadline: the command's expiry, at most the device's timeout per point (+1 s)
    const deadline = Math.min(cmd.expires, executed + dev.timeoutMs * writes.length + 1000);
    let outcomes: PointOutcome[];
    try {
      const out = await (dev.driver.write as NonNullable<Driver['write']>)(writes, {
        readback: cmd.readback ?? true,
        deadline,
      });
      outcomes = cmd.writes.map((w, i) => {
        const o = out[i];
        if (!o || o.point !== w.point)
          return {
            point: w.point,
            outcome: 'timeout',
            requested: w.value,
            reason: 'the driver gave no outcome',
          };
        return {
          point: w.point,
          outcome: o.outcome,
          requested: w.value,
          ...(o.raw !== undefined ? { raw: o.raw } : {}),
          ...(o.readback !== undefined ? { readback: o.readback } : {}),
          ...(o.reason !== undefined ? { reason: o.reason.slice(0, 256) } : {}),
          ...(o.code !== undefined ? { code: o.code } : {}),
        };
      });
    } catch (err) {
      // a driver must not reject for a device fault; if it does, the write's fate is unknown
      outcomes = cmd.writes.map((w) => ({
        point: w.point,
        outcome: 'interrupted',
        requested: w.value,
        reason: `driver failed: ${(err as Error).message.slice(0, 200)}`,
      }));
    }
    faultHook('after-write');
    return this.record(dev.id, cmd, received, { executed, outcomes });
  }

  private record(
    device: string,
    cmd: CommandRequest,
    received: number,
    r: Pick<CommandResult, 'outcomes'> & Partial<Pick<CommandResult, 'executed' | 'reason'>>,
    final = true,
  ): JournalResult {
    const result: CommandResult = {
      v: 1,
      id: cmd.id,
      device,
      ...(cmd.issuer !== undefined ? { issuer: cmd.issuer } : {}),
      ...(cmd.onBehalfOf !== undefined ? { onBehalfOf: cmd.onBehalfOf } : {}),
      received,
      ...(r.executed !== undefined ? { executed: r.executed } : {}),
      done: this.o.clock.now(),
      outcomes: r.outcomes,
      ...(r.reason !== undefined ? { reason: r.reason.slice(0, 256) } : {}),
    };
    const keepFrom = Math.max(received, typeof cmd.expires === 'number' ? cmd.expires : received);
    const jr = this.o.journal.recordResult(
      deviceTopic(this.o.district, this.o.gateway, device, 'result'),
      result,
      final,
      keepFrom,
    );
    this.note(result);
    this.o.logger.info(
      { id: cmd.id, device, issuer: cmd.issuer, outcome: worst(result), reason: result.reason },
      'command done',
    );
    this.flush();
    return jr;
  }

  private refuse(
    device: string,
    cmd: CommandRequest,
    received: number,
    reason: string,
    final: boolean,
  ): void {
    this.record(
      device,
      cmd,
      received,
      {
        reason,
        outcomes: (cmd.writes ?? []).map((w) => ({
          point: w.point,
          outcome: 'rejected',
          requested: w.value,
          reason,
        })),
      },
      final,
    );
  }

  /** A repeat: the first result again, marked, nothing written. */
  private repeat(first: JournalResult): void {
    const result: CommandResult = { ...first.result, repeat: true };
    this.o.journal.recordResult(first.topic, result, false, first.keepFrom);
    this.note(result);
    this.o.logger.info(
      { id: result.id, device: result.device },
      'repeat of a command: first result sent again',
    );
    this.flush();
  }

  private note(r: CommandResult): void {
    const key = r.repeat ? 'repeat' : worst(r);
    this.counts[key] = (this.counts[key] ?? 0) + 1;
    const list = this.last.get(r.device) ?? [];
    list.unshift({
      id: r.id,
      ...(r.issuer !== undefined ? { issuer: r.issuer } : {}),
      ...(r.onBehalfOf !== undefined ? { onBehalfOf: r.onBehalfOf } : {}),
      points: r.outcomes.map((o) => o.point),
      outcome: worst(r),
      ...(r.reason !== undefined ? { reason: r.reason } : {}),
      ...(r.repeat ? { repeat: true } : {}),
      received: r.received,
      ...(r.executed !== undefined ? { executed: r.executed } : {}),
      done: r.done,
    });
    list.length = Math.min(list.length, this.o.keepLast ?? 10);
    this.last.set(r.device, list);
  }

  /** The last commands of a device, newest first (status page). */
  lastCommands(device: string): readonly CommandView[] {
    return this.last.get(device) ?? [];
  }

  /** Results recorded and not yet acknowledged by the broker. */
  unsent(): number {
    return this.o.journal.outbox().length;
  }

  /** Waits for the commands in progress (before the drivers close). */
  async drain(): Promise<void> {
    await Promise.all([...this.tails.values()]);
  }

  /** Waits for the commands in progress, then closes the journal (after the uplink stopped). */
  async close(): Promise<void> {
    await this.drain();
    if (this.closed) return;
    this.closed = true;
    this.o.journal.close();
  }
}

/** The worst outcome of a result's points (`rejected` for a refusal without points). */
export function worst(r: CommandResult): string {
  if (r.outcomes.length === 0) return 'rejected';
  let w = 'ok';
  for (const o of r.outcomes) if (SEVERITY.indexOf(o.outcome) > SEVERITY.indexOf(w)) w = o.outcome;
  return w;
}

/**
 * TEST-ONLY fault hook: `GZ_TEST_FAULT_COMMAND=after-receive|after-intent|after-write` makes the process
 * kill itself (SIGKILL) at that point of a command, so a test can check what a crash there
 * leaves behind. Never set it on a gateway.
 */
function faultHook(at: 'after-receive' | 'after-intent' | 'after-write'): void {
  if (process.env.GZ_TEST_FAULT_COMMAND === at) process.kill(process.pid, 'SIGKILL');
}
