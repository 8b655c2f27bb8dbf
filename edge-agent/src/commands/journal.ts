/**
 * The command journal: what makes a command happen at most once at the device, and its
 * result reach the hub at least once.
 *
 * An append-only file of JSON lines in the state dir (`commands/journal.jsonl`):
 *   {"t":"intent","id",…}   fsync'd BEFORE the driver is called
 *   {"t":"result","n",…}    fsync'd after the outcome is known (also for refusals)
 *   {"t":"sent","n"}        the broker acknowledged (PUBACK) result n
 * On open, an intent without a result is a command the agent died in the middle of: it
 * becomes an `interrupted` result (unsent), never executed again. A torn last line (the
 * process died while appending) is ignored. Results not yet acknowledged stay in the outbox
 * and are published again after every reconnect.
 *
 * Bounded: on open (and every `compactEvery` appends) the file is rewritten without the
 * commands whose time has passed: a command id is kept until `retainMs` after the later of
 * its reception and its expiry, and an unsent result is kept until it is sent. Since the
 * executor refuses any command expiring more than maxTtlMs after its reception, a repeat
 * arriving after an id was pruned is answered `expired` and still never written.
 */
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import type { CommandResult, CommandWrite } from '@ganzhi/device-profiles/contract';

export interface CommandIntent {
  id: string;
  device: string;
  writes: CommandWrite[];
  issuer?: string;
  onBehalfOf?: string;
  received: number;
  executed: number;
  expires: number;
}

export interface JournalResult {
  /** journal-unique number of this result (the outbox key) */
  n: number;
  /** true: the id's answer (a repeat gets it again); false: a one-off (invalid envelope, repeat) */
  final: boolean;
  topic: string;
  result: CommandResult;
  sent: boolean;
  /** the later of received and expires: the id is kept until this + retainMs */
  keepFrom: number;
}

/** A command message as it arrived, recorded before the broker is acknowledged. */
export interface Receipt {
  r: number;
  topic: string;
  /** the payload, base64 */
  payload: string;
  at: number;
}

type Line =
  | ({ t: 'received' } & Receipt)
  | { t: 'handled'; r: number }
  | ({ t: 'intent' } & CommandIntent)
  | { t: 'result'; n: number; final: boolean; topic: string; keepFrom: number; result: CommandResult }
  | { t: 'sent'; n: number };

export interface JournalOptions {
  dir: string;
  now: number;
  /** how long an id is kept after the later of its reception and expiry */
  retainMs: number;
  /** rewrite the file after this many appends; default 5000 */
  compactEvery?: number;
  /** the topic to publish an interrupted command's result on */
  resultTopic: (device: string) => string;
}

export class CommandJournal {
  private fd: number;
  private readonly file: string;
  private readonly intents = new Map<string, CommandIntent>();
  private readonly results = new Map<number, JournalResult>();
  /** command id → the final result's number */
  private readonly byId = new Map<string, number>();
  private nextN = 1;
  private nextR = 1;
  /** receipts not yet handled (the agent stopped before deciding): handled again at start */
  private readonly receipts = new Map<number, Receipt>();
  private appends = 0;
  /** ids found interrupted on open */
  readonly interrupted: string[] = [];

  constructor(private readonly o: JournalOptions) {
    mkdirSync(o.dir, { recursive: true });
    this.file = join(o.dir, 'journal.jsonl');
    if (existsSync(this.file)) this.load(readFileSync(this.file, 'utf8'));
    for (const [id, intent] of this.intents) {
      if (this.byId.has(id)) continue;
      this.interrupted.push(id);
      const now = o.now;
      this.addResult(
        {
          n: this.nextN++,
          final: true,
          topic: o.resultTopic(intent.device),
          keepFrom: Math.max(intent.received, intent.expires),
          sent: false,
          result: {
            v: 1,
            id,
            device: intent.device,
            ...(intent.issuer !== undefined ? { issuer: intent.issuer } : {}),
            ...(intent.onBehalfOf !== undefined ? { onBehalfOf: intent.onBehalfOf } : {}),
            received: intent.received,
            executed: intent.executed,
            done: now,
            reason:
              'the agent stopped during this command; it was not repeated (the write may or may not have reached the device)',
            outcomes: intent.writes.map((w) => ({
              point: w.point,
              outcome: 'interrupted',
              requested: w.value,
            })),
          },
        },
        false,
      );
    }
    this.compact(o.now);
    this.fd = openSync(this.file, 'a');
  }

  private load(text: string): void {
    const lines = text.split('\n');
    for (const [i, raw] of lines.entries()) {
      if (raw === '') continue;
      let line: Line;
      try {
        line = JSON.parse(raw) as Line;
      } catch {
        // only the last line may be torn (the process died while appending)
        if (i >= lines.length - 2) continue;
        throw new Error(`${this.file}:${i + 1}: not a journal line`);
      }
      if (line.t === 'received') {
        const { t: _t, ...rc } = line;
        this.receipts.set(rc.r, rc);
        this.nextR = Math.max(this.nextR, rc.r + 1);
      } else if (line.t === 'handled') {
        this.receipts.delete(line.r);
      } else if (line.t === 'intent') {
        const { t: _t, ...intent } = line;
        this.intents.set(intent.id, intent);
      } else if (line.t === 'result') {
        const { t: _t, ...r } = line;
        this.addResult({ ...r, sent: false }, false);
      } else if (line.t === 'sent') {
        const r = this.results.get(line.n);
        if (r) r.sent = true;
      }
    }
  }

  private addResult(r: JournalResult, persist: boolean): void {
    this.results.set(r.n, r);
    this.nextN = Math.max(this.nextN, r.n + 1);
    if (r.final) this.byId.set(r.result.id, r.n);
    if (persist) {
      const { sent: _s, ...line } = r;
      this.append({ t: 'result', ...line });
    }
  }

  /** Writes one line and fsyncs it: when this returns, the line survives a crash. */
  private append(line: Line): void {
    writeSync(this.fd, `${JSON.stringify(line)}\n`);
    fsyncSync(this.fd);
    this.appends++;
  }

  /**
   * Records a command message as it arrived (fsync'd), before the broker gets its PUBACK: a
   * stop before the command is decided leaves it here, handled again at the next start.
   */
  recordReceived(topic: string, payload: Buffer, at: number): number {
    const rc: Receipt = { r: this.nextR++, topic, payload: payload.toString('base64'), at };
    this.receipts.set(rc.r, rc);
    this.append({ t: 'received', ...rc });
    return rc.r;
  }

  /** The receipt was decided (a result recorded, or dropped): not fsync'd, a replay is a repeat. */
  markHandled(r: number): void {
    if (!this.receipts.delete(r)) return;
    writeSync(this.fd, `${JSON.stringify({ t: 'handled', r })}\n`);
    this.appends++;
  }

  /** Receipts the previous run did not decide, oldest first. */
  pendingReceipts(): Receipt[] {
    return [...this.receipts.values()].sort((a, b) => a.r - b.r);
  }

  /** The final result of a command id, if it has one. */
  resultOf(id: string): JournalResult | undefined {
    const n = this.byId.get(id);
    return n === undefined ? undefined : this.results.get(n);
  }

  /** True when the id was executed or is being executed (an intent is recorded). */
  known(id: string): boolean {
    return this.byId.has(id) || this.intents.has(id);
  }

  /** Records the intent durably; call before anything goes on the wire. */
  recordIntent(intent: CommandIntent): void {
    this.intents.set(intent.id, intent);
    this.append({ t: 'intent', ...intent });
  }

  /** Records a result durably and puts it in the outbox. */
  recordResult(topic: string, result: CommandResult, final: boolean, keepFrom: number): JournalResult {
    const r: JournalResult = { n: this.nextN++, final, topic, result, sent: false, keepFrom };
    this.addResult(r, true);
    this.maybeCompact(result.done);
    return r;
  }

  markSent(n: number): void {
    const r = this.results.get(n);
    if (!r || r.sent) return;
    r.sent = true;
    // not fsync'd on its own: a lost `sent` line only means one more (harmless) publish
    writeSync(this.fd, `${JSON.stringify({ t: 'sent', n })}\n`);
    this.appends++;
    if (!r.final) this.results.delete(n);
  }

  /** Results the broker has not acknowledged yet, oldest first. */
  outbox(): JournalResult[] {
    return [...this.results.values()].filter((r) => !r.sent).sort((a, b) => a.n - b.n);
  }

  private maybeCompact(now: number): void {
    if (this.appends < (this.o.compactEvery ?? 5000)) return;
    closeSync(this.fd);
    this.compact(now);
    this.fd = openSync(this.file, 'a');
  }

  /** Rewrites the file with what is still needed (atomically: temp file, fsync, rename, dir fsync). */
  private compact(now: number): void {
    const horizon = now - this.o.retainMs;
    for (const [n, r] of this.results) {
      if (!r.sent) continue; // an unsent result is kept until it is sent
      if (r.final && r.keepFrom >= horizon) continue;
      this.results.delete(n);
      if (this.byId.get(r.result.id) === n) {
        this.byId.delete(r.result.id);
        this.intents.delete(r.result.id);
      }
    }
    for (const [id, intent] of this.intents)
      if (!this.byId.has(id) && Math.max(intent.received, intent.expires) < horizon) this.intents.delete(id);
    const lines: string[] = [];
    for (const rc of this.receipts.values()) lines.push(JSON.stringify({ t: 'received', ...rc }));
    for (const intent of this.intents.values()) lines.push(JSON.stringify({ t: 'intent', ...intent }));
    for (const r of [...this.results.values()].sort((a, b) => a.n - b.n)) {
      const { sent, ...line } = r;
      lines.push(JSON.stringify({ t: 'result', ...line }));
      if (sent) lines.push(JSON.stringify({ t: 'sent', n: r.n }));
    }
    const tmp = `${this.file}.tmp`;
    const fd = openSync(tmp, 'w');
    writeSync(fd, lines.length > 0 ? `${lines.join('\n')}\n` : '');
    fsyncSync(fd);
    closeSync(fd);
    renameSync(tmp, this.file);
    try {
      const dfd = openSync(this.o.dir, 'r');
      fsyncSync(dfd);
      closeSync(dfd);
    } catch {
      /* directories cannot be fsync'd on every platform */
    }
    this.appends = 0;
  }

  /** ids and results held (for tests and the status page) */
  size(): { ids: number; results: number } {
    return { ids: this.byId.size, results: this.results.size };
  }

  close(): void {
    try {
      fsyncSync(this.fd);
    } catch {
      /* already closed */
    }
    closeSync(this.fd);
  }
}
