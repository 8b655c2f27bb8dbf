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
}

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
  gapsOpened: number;
  lastSeq: number;
  lastSeen: number;
}

const HOUR = 3_600_000;
const KEEP_HOURS = 7 * 24;
const MAX_RANGES = 10_000;

function missingOf(s: StreamState): number {
  if (s.ranges.length === 0) return 0;
  const first = s.ranges[0]![0];
  const last = s.ranges[s.ranges.length - 1]![1];
  return last - first + 1 - s.received;
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
  through = -1;

  constructor(state?: TrackerState) {
    if (state) {
      this.through = state.through;
      for (const s of state.streams) this.streams.set(`${s.district}/${s.gateway}/${s.stream}`, s);
    }
  }

  /** Records one batch; returns what it was. */
  observe(
    district: string,
    gateway: string,
    stream: string,
    seq: number,
    now: number,
  ): 'new' | 'duplicate' | 'late' | 'gap' {
    const key = `${district}/${gateway}/${stream}`;
    let s = this.streams.get(key);
    if (!s) {
      s = {
        district,
        gateway,
        stream,
        ranges: [],
        received: 0,
        duplicates: 0,
        late: 0,
        merged: 0,
        firstSeen: now,
        lastSeen: now,
        hours: {},
      };
      this.streams.set(key, s);
    }
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
    const r = s.ranges;
    const i = lowerBound(r, seq);
    const cur = r[i];
    if (cur && seq >= cur[0] && seq <= cur[1]) {
      s.duplicates++;
      b.duplicates++;
      return 'duplicate';
    }
    s.received++;
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
      g.streams++;
      g.missing += missingOf(s);
      if (s.lastSeen >= g.lastSeen) {
        g.lastSeen = s.lastSeen;
        g.lastSeq = s.ranges.length ? s.ranges[s.ranges.length - 1]![1] : -1;
      }
      if (filter.since === undefined) {
        g.received += s.received;
        g.duplicates += s.duplicates;
        g.late += s.late;
        for (const b of Object.values(s.hours)) g.gapsOpened += b.gapsOpened;
      } else {
        const from = Math.floor(filter.since / HOUR) * HOUR;
        for (const [h, b] of Object.entries(s.hours)) {
          if (Number(h) < from) continue;
          g.received += b.received;
          g.duplicates += b.duplicates;
          g.late += b.late;
          g.gapsOpened += b.gapsOpened;
        }
      }
    }
    return [...byGw.values()].sort((a, b) =>
      a.district === b.district ? (a.gateway < b.gateway ? -1 : 1) : a.district < b.district ? -1 : 1,
    );
  }

  state(): TrackerState {
    return { v: 1, through: this.through, streams: [...this.streams.values()] };
  }
}
