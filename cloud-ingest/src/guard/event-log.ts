/**
 * What the ingest refuses or distrusts, logged: one structured warning per event — who (the
 * district and gateway of the topic, or the HTTP client's address), what, why — rate-limited
 * per kind of event so an attack cannot flood the log, and counted on /metrics whether
 * logged or not. Never a payload or a secret: `why` is the ingest's own reason text, cut
 * where a parser would quote the input.
 *
 * Per kind a bucket of `burst` lines refilled at one line per `everyMs`; what the bucket has
 * no line for is counted, and the next line of that kind says how many were suppressed.
 */
import type { Clock } from '@ganzhi/runtime';
import type { Logger } from 'pino';
import type { Counter } from '../metrics.js';

export type EventKind =
  /** a message refused: not a contract topic, not JSON, a wrong envelope */
  | 'malformed'
  /** a payload naming other ids than its topic (one gateway speaking for another) */
  | 'identity-mismatch'
  /** a per-gateway limit reached: the message is refused to the dead letters */
  | 'limit'
  /** a batch or meta naming a profile the ingest does not know: tagged `unknown` */
  | 'unknown-model'
  /** a gateway's seq jumped past the plausible window: counted as a reset, not as missing */
  | 'stream-reset'
  /** an HTTP request for a Host the ingest does not serve (DNS rebinding) */
  | 'host-refused'
  /** a hub operator refused: wrong credentials, throttled, or a district outside theirs (issue 15) */
  | 'operator-refused';

export interface EventWho {
  district?: string;
  gateway?: string;
  device?: string;
  /** the remote address of an HTTP client */
  address?: string;
}

export interface EventLogOptions {
  logger: Logger;
  clock: Clock;
  /** counts every event by kind, logged or suppressed */
  counter?: Counter;
  /** counts the suppressed ones by kind */
  suppressedCounter?: Counter;
  /** lines per kind at once (default 10) */
  burst?: number;
  /** one more line per kind every this many ms (default 6000: 10 a minute) */
  everyMs?: number;
}

interface Bucket {
  tokens: number;
  at: number;
  suppressed: number;
}

const MAX_WHY = 200;

/** The reason, without any part that quotes the input (JSON.parse's messages do). */
export function safeReason(why: string): string {
  const s = why.startsWith('payload is not JSON') ? 'payload is not JSON' : why;
  return s.length > MAX_WHY ? `${s.slice(0, MAX_WHY)}…` : s;
}

export class EventLog {
  private readonly buckets = new Map<EventKind, Bucket>();
  private readonly burst: number;
  private readonly everyMs: number;

  constructor(private readonly o: EventLogOptions) {
    this.burst = o.burst ?? 10;
    this.everyMs = o.everyMs ?? 6000;
  }

  /** Records one event; logs it unless its kind is over its rate. */
  report(kind: EventKind, who: EventWho, what: string, why: string): void {
    this.o.counter?.inc(1, { event: kind });
    const now = this.o.clock.now();
    let b = this.buckets.get(kind);
    if (b === undefined) {
      b = { tokens: this.burst, at: now, suppressed: 0 };
      this.buckets.set(kind, b);
    }
    b.tokens = Math.min(this.burst, b.tokens + Math.max(0, now - b.at) / this.everyMs);
    b.at = now;
    if (b.tokens < 1) {
      b.suppressed++;
      this.o.suppressedCounter?.inc(1, { event: kind });
      return;
    }
    b.tokens -= 1;
    const suppressed = b.suppressed;
    b.suppressed = 0;
    const at = [who.district, who.gateway, who.device].filter((x) => x !== undefined).join('/');
    this.o.logger.warn(
      {
        event: kind,
        who: at || who.address || 'unknown',
        ...who,
        what,
        why: safeReason(why),
        ...(suppressed > 0 ? { suppressed } : {}),
      },
      `refused or flagged: ${kind}`,
    );
  }
}
