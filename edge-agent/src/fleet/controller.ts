/**
 * The gateway side of fleet management (issue 16): receives the retained desired config,
 * decides, applies, reports.
 *
 *   1. decode the envelope (hash, no inline secrets); no `issuer` (not stamped by a broker) →
 *      rejected; wrong gateway or district → rejected; an empty message (the desired config
 *      cleared on the hub) → nothing changes
 *   2. version ≤ applied → ignored; hash = applied → nothing restarts (reported applied);
 *      the version last refused or rolled back → not retried
 *   3. validate with the validator of `ganzhi-agent validate` (parseConfig): every problem
 *      with its path → rejected, nothing applied
 *   4. acquisition only (devices, polling, http…): write atomically, rebuild acquisition in
 *      place; the uplink and the durable buffer stay as they are
 *   5. uplink changed (delivery): try it without writing; kept — and written — only if the
 *      gateway reconnects and its birth is acknowledged within the trial bound; otherwise the
 *      last good uplink comes back and the push is reported rolled-back with the reason
 *
 * A kill at any step leaves the old config file or the new one (atomic write; the trial
 * writes nothing until it succeeded). `GZ_FLEET_TEST_CRASH_AT` (tests only) kills the process
 * with SIGKILL at `before-write`, `after-write` or `during-trial`.
 */
import { readFileSync } from 'node:fs';
import {
  type ConfigProblem,
  type ConfigState,
  canonicalConfigJson,
  type DesiredConfig,
  decodeDesiredConfig,
  encodeConfigState,
  FLEET_LIMITS,
} from '@ganzhi/device-profiles';
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import { type LoadedConfig, parseConfig } from '../config/load-config.js';
import { writeFileAtomic } from './atomic-write.js';
import { type FleetRecord, writeFleetRecord } from './fleet-state.js';

export const FLEET_DEFAULTS = { trialMs: 60_000 } as const;

/**
 * The gateway's half of fleet trust: the Ganzhi broker decodes every push that passes its ACL
 * and writes its `issuer` (broker/src/auth/config-stamp.ts). A document without one did not come
 * through such a broker (an older broker kept it, or the broker does not check who may push), so
 * the gateway believes nothing in it.
 */
export const NOT_STAMPED =
  'desired config refused: not stamped by a broker (no issuer): only a push the broker checked and stamped is applied';

export interface FleetHooks {
  /** the config file the agent runs (replaced atomically by a push) */
  configFile: string;
  /** the fleet record (state dir) */
  recordFile: string;
  /** the running config document as loaded (secret references unresolved) */
  current(): Record<string, unknown>;
  /** rebuilds acquisition from a validated config, keeping uplink and buffer */
  applyInPlace(next: LoadedConfig): Promise<void>;
  /** tries an uplink built from `next`; resolves true if kept, false after restoring the old one */
  trialUplink(next: LoadedConfig, trialMs: number): Promise<{ ok: true } | { ok: false; reason: string }>;
  /** publishes the config state (retained) */
  report(payload: Buffer): void;
  env?: NodeJS.ProcessEnv;
}

export interface FleetOptions {
  district: string;
  gateway: string;
  trialMs?: number;
  clock: Clock;
  logger: Logger;
}

export type FleetOutcome =
  | 'applied'
  | 'unchanged'
  | 'ignored-old'
  | 'ignored-refused'
  | 'rejected'
  | 'rolled-back'
  | 'busy'
  /** an empty message: the desired config was cleared on the hub; the running config stays */
  | 'cleared';

type Step = 'before-write' | 'after-write' | 'during-trial';

function crashHook(step: Step): void {
  if (process.env.GZ_FLEET_TEST_CRASH_AT === step) process.kill(process.pid, 'SIGKILL');
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}

export class FleetController {
  private busy: Promise<unknown> = Promise.resolve();
  private queued: Buffer | undefined;
  private running = false;
  /** the outcome of the last push handled, for the status page and /metrics */
  lastOutcome: FleetOutcome | undefined;
  /** the version of the last push handled (when it had one) */
  lastVersion: number | undefined;
  readonly counters = { received: 0, applied: 0, rejected: 0, rolledBack: 0, ignored: 0 };

  constructor(
    private record: FleetRecord,
    private readonly hooks: FleetHooks,
    private readonly o: FleetOptions,
  ) {}

  get state(): Readonly<FleetRecord> {
    return this.record;
  }

  /** Publishes the current record (at startup, so the hub sees what runs). */
  announce(): void {
    this.hooks.report(encodeConfigState(this.toWire()));
  }

  /**
   * Handles one desired-config message. Messages are handled one at a time; one arriving
   * while another is applied waits (only the newest waiting one is kept).
   */
  onMessage(payload: Buffer): Promise<FleetOutcome> {
    this.counters.received++;
    if (this.running) {
      this.queued = payload;
      return Promise.resolve('busy');
    }
    this.running = true;
    const p = this.handle(payload).finally(async () => {
      this.running = false;
      const next = this.queued;
      this.queued = undefined;
      if (next) await this.onMessage(next);
    });
    this.busy = p;
    return p;
  }

  /** Resolves when no push is being handled. */
  async idle(): Promise<void> {
    while (this.running) await this.busy.catch(() => undefined);
  }

  /** the config state as published */
  wireState(): ConfigState {
    return this.toWire();
  }

  private toWire(): ConfigState {
    const r = this.record;
    return {
      v: 1,
      ts: r.ts || this.o.clock.now(),
      appliedVersion: r.appliedVersion,
      status: r.status,
      ...(r.appliedHash ? { appliedHash: r.appliedHash } : {}),
      ...(r.desiredVersion !== undefined ? { desiredVersion: r.desiredVersion } : {}),
      ...(r.desiredHash ? { desiredHash: r.desiredHash } : {}),
      ...(r.reason ? { reason: clip(r.reason, 256) } : {}),
      ...(r.problems && r.problems.length > 0
        ? { problems: r.problems.slice(0, FLEET_LIMITS.maxProblems) }
        : {}),
    };
  }

  private save(next: Omit<FleetRecord, 'ts'>): void {
    this.record = { ...next, ts: this.o.clock.now() };
    writeFleetRecord(this.hooks.recordFile, this.record);
    this.announce();
  }

  private decide(
    outcome: FleetOutcome,
    d: { version?: number; hash?: string },
    status: FleetRecord['status'],
    reason?: string,
    problems?: ConfigProblem[],
  ): FleetOutcome {
    const { pending: _p, problems: _pr, reason: _r, ...base } = this.record;
    const refused = status === 'rejected' || status === 'rolled-back';
    this.save({
      ...base,
      status,
      ...(d.version !== undefined ? { desiredVersion: d.version } : {}),
      ...(d.hash !== undefined ? { desiredHash: d.hash } : {}),
      ...(reason ? { reason } : {}),
      ...(problems && problems.length > 0 ? { problems } : {}),
      ...(refused && d.version !== undefined && d.hash !== undefined
        ? { refused: { version: d.version, hash: d.hash } }
        : {}),
    });
    this.lastOutcome = outcome;
    if (status === 'rejected') this.counters.rejected++;
    if (status === 'rolled-back') this.counters.rolledBack++;
    this.o.logger.info({ outcome, version: d.version, reason }, 'fleet config push');
    return outcome;
  }

  /**
   * A push that changes nothing. The retained desired config comes again on every (re)connect:
   * such a redelivery (the applied or the refused version itself) leaves the last outcome as it
   * was, so the status page keeps showing the decision that mattered.
   */
  private ignore(outcome: FleetOutcome, d: DesiredConfig): FleetOutcome {
    this.counters.ignored++;
    const r = this.record;
    const redelivery =
      (d.version === r.appliedVersion && d.hash === r.appliedHash) ||
      (d.version === r.refused?.version && d.hash === r.refused.hash);
    if (!redelivery || this.lastOutcome === undefined) this.lastOutcome = outcome;
    this.o.logger.info(
      { outcome, version: d.version, applied: this.record.appliedVersion },
      'fleet config push',
    );
    return outcome;
  }

  private async handle(payload: Buffer): Promise<FleetOutcome> {
    if (payload.length === 0) {
      this.o.logger.info('fleet: the desired config was cleared on the hub; keeping the running config');
      return 'cleared';
    }
    const decoded = decodeDesiredConfig(payload);
    this.lastVersion = decoded.ok ? decoded.value.version : decoded.version;
    if (!decoded.ok) {
      return this.decide('rejected', decoded, 'rejected', `desired config refused: ${decoded.error}`);
    }
    const d = decoded.value;
    // reported against its version, but not remembered as refused (by version and hash): the same
    // document stamped by the broker must still be applied
    if (d.issuer === undefined)
      return this.decide('rejected', { version: d.version }, 'rejected', NOT_STAMPED);
    const r = this.record;
    if (d.version <= r.appliedVersion) {
      if (d.hash === r.appliedHash && r.status !== 'applied' && d.version === r.appliedVersion) {
        return this.decide('unchanged', d, 'applied');
      }
      return this.ignore(d.hash === r.appliedHash ? 'unchanged' : 'ignored-old', d);
    }
    if (r.refused && r.refused.version === d.version && r.refused.hash === d.hash) {
      return this.ignore('ignored-refused', d);
    }
    if (d.hash === r.appliedHash) {
      // same document under a newer version: adopt the version, restart nothing
      this.counters.applied++;
      const { problems: _p, reason: _r, refused: _f, ...base } = r;
      this.save({
        ...base,
        appliedVersion: d.version,
        desiredVersion: d.version,
        desiredHash: d.hash,
        status: 'applied',
      });
      this.lastOutcome = 'unchanged';
      return 'unchanged';
    }
    const cfg = d.config as { gateway?: unknown; district?: unknown };
    const identity: ConfigProblem[] = [];
    if (cfg.gateway !== this.o.gateway)
      identity.push({ path: 'gateway', message: `is not this gateway (${this.o.gateway})` });
    if (cfg.district !== this.o.district)
      identity.push({ path: 'district', message: `is not this gateway's district (${this.o.district})` });
    if (identity.length > 0)
      return this.decide('rejected', d, 'rejected', 'the config names another gateway', identity);

    // the validator of `ganzhi-agent validate`, against the file the config will become
    const text = `${JSON.stringify(d.config, null, 2)}\n`;
    const loaded = parseConfig(text, this.hooks.configFile, { env: this.hooks.env ?? process.env });
    if (loaded.problems.length > 0 || !loaded.config) {
      const problems = loaded.problems.map((p) => ({
        path: clip(p.path === '' ? '(root)' : p.path, 256),
        message: clip(p.message, 256),
      }));
      const n = problems.length;
      return this.decide('rejected', d, 'rejected', `config has ${n} problem${n === 1 ? '' : 's'}`, problems);
    }
    const cur = this.hooks.current();
    const fixed: ConfigProblem[] = [];
    for (const key of ['stateDir'] as const) {
      if (canonicalConfigJson(cur[key] ?? null) !== canonicalConfigJson(d.config[key] ?? null))
        fixed.push({
          path: key,
          message: 'cannot change by a push (the buffer lives there): change it on the gateway',
        });
    }
    const curBuffer = (cur.delivery as { buffer?: unknown } | undefined)?.buffer;
    const nextBuffer = (d.config.delivery as { buffer?: unknown } | undefined)?.buffer;
    if (canonicalConfigJson(curBuffer ?? null) !== canonicalConfigJson(nextBuffer ?? null))
      fixed.push({ path: 'delivery.buffer', message: 'cannot change by a push: change it on the gateway' });
    if (fixed.length > 0)
      return this.decide('rejected', d, 'rejected', 'the config changes what a push may not', fixed);

    const uplinkChanged =
      canonicalConfigJson(cur.delivery ?? null) !== canonicalConfigJson(d.config.delivery ?? null);
    this.save({
      ...this.withoutOutcome(),
      status: 'applying',
      desiredVersion: d.version,
      desiredHash: d.hash,
    });

    if (uplinkChanged) {
      crashHook('during-trial');
      const trial = await this.hooks.trialUplink(loaded, this.o.trialMs ?? FLEET_DEFAULTS.trialMs);
      if (!trial.ok) return this.decide('rolled-back', d, 'rolled-back', trial.reason);
      this.write(d, text);
      await this.hooks.applyInPlace(loaded);
    } else {
      this.write(d, text);
      await this.hooks.applyInPlace(loaded);
    }
    this.counters.applied++;
    const { pending: _p, refused: _f, ...base } = this.withoutOutcome();
    this.save({
      ...base,
      appliedVersion: d.version,
      appliedHash: d.hash,
      desiredVersion: d.version,
      desiredHash: d.hash,
      status: 'applied',
    });
    this.lastOutcome = 'applied';
    this.o.logger.info({ version: d.version, uplinkChanged }, 'fleet config applied');
    return 'applied';
  }

  private withoutOutcome(): Omit<FleetRecord, 'ts'> {
    const { problems: _p, reason: _r, ts: _t, ...base } = this.record;
    return base;
  }

  /** pending → config file (atomic, the last good kept beside it) */
  private write(d: DesiredConfig, text: string): void {
    this.record = { ...this.record, pending: { version: d.version, hash: d.hash } };
    writeFleetRecord(this.hooks.recordFile, this.record);
    crashHook('before-write');
    writeFileAtomic(`${this.hooks.configFile}.last-good`, this.currentFileText());
    writeFileAtomic(this.hooks.configFile, text);
    crashHook('after-write');
  }

  /** the running config file as it is (a hand-written YAML stays YAML in `.last-good`) */
  private currentFileText(): string {
    try {
      return readFileSync(this.hooks.configFile, 'utf8');
    } catch {
      return `${JSON.stringify(this.hooks.current(), null, 2)}\n`;
    }
  }
}
