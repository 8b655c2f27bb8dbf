/**
 * Completeness of each gateway stream, from its sequence numbers (one counter per gateway
 * stream, +1 per batch). Per stream it keeps the set of seqs seen as sorted ranges, so:
 *
 *   received    distinct seqs seen
 *   duplicates  a seq seen again (a redelivery; harmless, storage is idempotent)
 *   late        a seq below the highest seen that fills a hole (out of order arrival)
 *   missing     holes between the first and the highest seq seen, right now
 *
 * Counting starts at the first seq the hub sees for a stream: what a gateway sent before
 * the hub first heard of it is not counted as missing. Hourly buckets (by receive time,
 * 7 days) answer "since T": received, duplicates, late and gaps opened in the window.
 * State is a plain object so it can be persisted (see state-file.ts) and restored.
 *
 * The seqs are the gateway's word, so they are not trusted to move the figures without
 * bound (issue 13): a seq more than `maxSeqJump` past the highest seen (or below the lowest)
 * is a **reset** — the gateway's counter restarted, jumped or is broken — counted in
 * `resets`; the stream's figures so far are kept and counting goes on from the new seq, so
 * one wild seq cannot turn into 9·10^15 missing batches. And a gateway keeps at most
 * `maxStreamsPerGateway` streams: a new one beyond that folds the least recently seen into
 * one entry (stream id `~folded`) that keeps its totals, so invented stream ids cannot grow
 * memory or the state file.
 */

export interface StreamFigures {
  received: number;
  duplicates: number;
  late: number;
  missing: number;
}

interface Bucket {
  received: number;
  duplicates: number;
  late: number;
  gapsOpened: number;
  resets?: number;
}

export interface TrackerOptions {
  /**
   * Largest plausible gap, in seqs: a seq that would open a bigger gap above the highest seen
   * (or lie further below the lowest) is a reset, not missing data. Default 1 000 000.
   */
  maxSeqJump?: number;
  /** live streams kept per gateway before the least recently seen is folded (default 16) */
  maxStreamsPerGateway?: number;
}

export const DEFAULT_MAX_SEQ_JUMP = 1_000_000;
export const DEFAULT_MAX_STREAMS_PER_GATEWAY = 16;
/** the stream id of a gateway's folded streams (not a valid stream id, so it never collides) */
export const FOLDED_STREAM = '~folded';

export interface StreamState {
  district: string;
  gateway: string;
  stream: string;
  /** sorted, disjoint, non-adjacent [from, to] ranges of seqs seen */
  ranges: [number, number][];
  received: number;
  duplicates: number;
  late: number;
  /** times the two oldest ranges were merged because the range list hit its cap */
  merged: number;
  /** missing batches of the counting before the last reset (and of folded streams) */
  missingBefore?: number;
  /** distinct seqs in `ranges` (received since the last reset); default `received` */
  rangeReceived?: number;
  /** seq jumps past maxSeqJump (and folded streams' resets) */
  resets?: number;
  firstSeen: number;
  lastSeen: number;
  /** hour start (ms) → counts */
  hours: Record<string, Bucket>;
}

export interface TrackerState {
  v: 1;
  /** log offset through which observations are included (replays at or below are ignored) */
  through: number;
  streams: StreamState[];
}

export interface GatewayFigures extends StreamFigures {
  district: string;
  gateway: string;
  streams: number;
  /** seq jumps past the plausible window: a restarted, jumping or broken counter */
  resets: number;
  gapsOpened: number;
  lastSeq: number;
  lastSeen: number;
}

/** One gateway's counts in one hour of receive time. */
export interface HourFigures {
  district: string;
  gateway: string;
  /** the hour's start, ms since the epoch */
  hour: number;
  received: number;
  gapsOpened: number;
  duplicates: number;
  late: number;
}

export const HOUR = 3_600_000;
const KEEP_HOURS = 7 * 24;
const MAX_RANGES = 10_000;

function missingOf(s: StreamState): number {
  const before = s.missingBefore ?? 0;
  if (s.ranges.length === 0) return before;
  const first = s.ranges[0]![0];
  const last = s.ranges[s.ranges.length - 1]![1];
  return before + last - first + 1 - (s.rangeReceived ?? s.received);
}

function newStream(district: string, gateway: string, stream: string, now: number): StreamState {
  return {
    district,
    gateway,
    stream,
    ranges: [],
    received: 0,
    duplicates: 0,
    late: 0,
    merged: 0,
    missingBefore: 0,
    rangeReceived: 0,
    resets: 0,
    firstSeen: now,
    lastSeen: now,
    hours: {},
  };
}

/** Adds `from`'s figures to `into` (its ranges end: what they held is now in missingBefore). */
function fold(into: StreamState, from: StreamState): void {
  into.missingBefore = (into.missingBefore ?? 0) + missingOf(from);
  into.received += from.received;
  into.duplicates += from.duplicates;
  into.late += from.late;
  into.merged += from.merged;
  into.resets = (into.resets ?? 0) + (from.resets ?? 0);
  into.firstSeen = Math.min(into.firstSeen, from.firstSeen);
  into.lastSeen = Math.max(into.lastSeen, from.lastSeen);
  for (const [h, b] of Object.entries(from.hours)) {
    into.hours[h] ??= { received: 0, duplicates: 0, late: 0, gapsOpened: 0 };
    const t = into.hours[h];
    t.received += b.received;
    t.duplicates += b.duplicates;
    t.late += b.late;
    t.gapsOpened += b.gapsOpened;
    t.resets = (t.resets ?? 0) + (b.resets ?? 0);
  }
  const keys = Object.keys(into.hours);
  if (keys.length > KEEP_HOURS)
    for (const k of keys.sort().slice(0, keys.length - KEEP_HOURS)) delete into.hours[k];
}

/** Index of the first range whose end ≥ seq - 1 (binary search). */
function lowerBound(ranges: [number, number][], seq: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (ranges[mid]![1] < seq - 1) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

export class CompletenessTracker {
  private streams = new Map<string, StreamState>();
  /** live (not folded) streams per gateway key */
  private live = new Map<string, number>();
  private readonly maxSeqJump: number;
  private readonly maxStreams: number;
  through = -1;

  constructor(state?: TrackerState, opts: TrackerOptions = {}) {
    this.maxSeqJump = opts.maxSeqJump ?? DEFAULT_MAX_SEQ_JUMP;
    this.maxStreams = Math.max(1, opts.maxStreamsPerGateway ?? DEFAULT_MAX_STREAMS_PER_GATEWAY);
    if (state) {
      this.through = state.through;
      for (const s of state.streams) {
        this.streams.set(`${s.district}/${s.gateway}/${s.stream}`, s);
        if (s.stream !== FOLDED_STREAM) this.addLive(`${s.district}/${s.gateway}`, 1);
      }
    }
  }

  private addLive(gw: string, n: number): number {
    const c = (this.live.get(gw) ?? 0) + n;
    this.live.set(gw, c);
    return c;
  }

  /** A new stream of a gateway; folds its least recently seen one when it has too many. */
  private open(district: string, gateway: string, stream: string, now: number): StreamState {
    const gw = `${district}/${gateway}`;
    if (this.addLive(gw, 1) > this.maxStreams) {
      let oldest: StreamState | undefined;
      for (const s of this.streams.values()) {
        if (s.district !== district || s.gateway !== gateway || s.stream === FOLDED_STREAM) continue;
        if (oldest === undefined || s.lastSeen < oldest.lastSeen) oldest = s;
      }
      if (oldest) {
        const key = `${gw}/${FOLDED_STREAM}`;
        let folded = this.streams.get(key);
        if (!folded) {
          folded = newStream(district, gateway, FOLDED_STREAM, oldest.firstSeen);
          this.streams.set(key, folded);
        }
        fold(folded, oldest);
        this.streams.delete(`${gw}/${oldest.stream}`);
        this.addLive(gw, -1);
      }
    }
    const s = newStream(district, gateway, stream, now);
    this.streams.set(`${gw}/${stream}`, s);
    return s;
  }

  /** Records one batch; returns what it was. */
  observe(
    district: string,
    gateway: string,
    stream: string,
    seq: number,
    now: number,
  ): 'new' | 'duplicate' | 'late' | 'gap' | 'reset' {
    const key = `${district}/${gateway}/${stream}`;
    const s = this.streams.get(key) ?? this.open(district, gateway, stream, now);
    s.lastSeen = now;
    const hour = String(Math.floor(now / HOUR) * HOUR);
    let b = s.hours[hour];
    if (!b) {
      b = { received: 0, duplicates: 0, late: 0, gapsOpened: 0 };
      s.hours[hour] = b;
      const keys = Object.keys(s.hours);
      if (keys.length > KEEP_HOURS)
        for (const k of keys.sort().slice(0, keys.length - KEEP_HOURS)) delete s.hours[k];
    }
    let r = s.ranges;
    if (
      r.length > 0 &&
      (seq - r[r.length - 1]![1] - 1 > this.maxSeqJump || r[0]![0] - seq - 1 > this.maxSeqJump)
    ) {
      // implausible: keep what was counted so far, count on from here
      s.missingBefore = missingOf(s);
      s.ranges = [[seq, seq]];
      s.rangeReceived = 1;
      s.received++;
      s.resets = (s.resets ?? 0) + 1;
      b.received++;
      b.resets = (b.resets ?? 0) + 1;
      return 'reset';
    }
    r = s.ranges;
    const i = lowerBound(r, seq);
    const cur = r[i];
    if (cur && seq >= cur[0] && seq <= cur[1]) {
      s.duplicates++;
      b.duplicates++;
      return 'duplicate';
    }
    s.received++;
    s.rangeReceived = (s.rangeReceived ?? s.received - 1) + 1;
    b.received++;
    const top = r.length ? r[r.length - 1]![1] : undefined;
    let kind: 'new' | 'late' | 'gap' = 'new';
    if (top !== undefined && seq < top) {
      kind = 'late';
      s.late++;
      b.late++;
    } else if (top !== undefined && seq > top + 1) {
      kind = 'gap';
      b.gapsOpened += seq - top - 1;
    }
    // insert seq, merging with neighbours
    if (cur && cur[1] === seq - 1) {
      cur[1] = seq;
      const next = r[i + 1];
      if (next && next[0] === seq + 1) {
        cur[1] = next[1];
        r.splice(i + 1, 1);
      }
    } else if (cur && cur[0] === seq + 1) {
      cur[0] = seq;
    } else {
      r.splice(i, 0, [seq, seq]);
    }
    if (r.length > MAX_RANGES) {
      // Bound memory: merge the two oldest ranges. `missing` is unchanged (it is computed
      // from first, last and received); a late seq landing in that old hole will be
      // counted as a duplicate and its hole stays counted as missing.
      const a = r.shift()!;
      r[0]![0] = a[0];
      s.merged++;
    }
    return kind;
  }

  figures(filter: { district?: string; since?: number } = {}): GatewayFigures[] {
    const byGw = new Map<string, GatewayFigures>();
    for (const s of this.streams.values()) {
      if (filter.district !== undefined && s.district !== filter.district) continue;
      if (filter.since !== undefined && s.lastSeen < filter.since) continue;
      const k = `${s.district}/${s.gateway}`;
      let g = byGw.get(k);
      if (!g) {
        g = {
          district: s.district,
          gateway: s.gateway,
          streams: 0,
          resets: 0,
          received: 0,
          duplicates: 0,
          late: 0,
          missing: 0,
          gapsOpened: 0,
          lastSeq: -1,
          lastSeen: 0,
        };
        byGw.set(k, g);
      }
      if (s.stream !== FOLDED_STREAM) g.streams++;
      g.missing += missingOf(s);
      if (s.stream !== FOLDED_STREAM && s.lastSeen >= g.lastSeen) {
        g.lastSeen = s.lastSeen;
        g.lastSeq = s.ranges.length ? s.ranges[s.ranges.length - 1]![1] : -1;
      }
      if (filter.since === undefined) {
        g.received += s.received;
        g.duplicates += s.duplicates;
        g.late += s.late;
        g.resets += s.resets ?? 0;
        for (const b of Object.values(s.hours)) g.gapsOpened += b.gapsOpened;
      } else {
        const from = Math.floor(filter.since / HOUR) * HOUR;
        for (const [h, b] of Object.entries(s.hours)) {
          if (Number(h) < from) continue;
          g.received += b.received;
          g.duplicates += b.duplicates;
          g.late += b.late;
          g.gapsOpened += b.gapsOpened;
          g.resets += b.resets ?? 0;
        }
      }
    }
    return [...byGw.values()].sort((a, b) =>
      a.district === b.district ? (a.gateway < b.gateway ? -1 : 1) : a.district < b.district ? -1 : 1,
    );
  }

  /**
   * Per gateway and hour of receive time over [from, to): batches received, gaps opened,
   * duplicates and late arrivals in that hour (hours with nothing are absent). A late batch
   * counts in the hour it arrived, its gap in the hour the gap opened.
   */
  hourly(filter: { from: number; to: number; district?: string }): HourFigures[] {
    const from = Math.floor(filter.from / HOUR) * HOUR;
    const byKey = new Map<string, HourFigures>();
    for (const s of this.streams.values()) {
      if (filter.district !== undefined && s.district !== filter.district) continue;
      for (const [h, b] of Object.entries(s.hours)) {
        const hour = Number(h);
        if (hour < from || hour >= filter.to) continue;
        const k = `${s.district}/${s.gateway}/${h}`;
        let f = byKey.get(k);
        if (!f) {
          f = {
            district: s.district,
            gateway: s.gateway,
            hour,
            received: 0,
            gapsOpened: 0,
            duplicates: 0,
            late: 0,
          };
          byKey.set(k, f);
        }
        f.received += b.received;
        f.gapsOpened += b.gapsOpened;
        f.duplicates += b.duplicates;
        f.late += b.late;
      }
    }
    return [...byKey.values()].sort((a, b) => a.hour - b.hour);
  }

  state(): TrackerState {
    return { v: 1, through: this.through, streams: [...this.streams.values()] };
  }
}
