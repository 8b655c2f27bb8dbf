/**
 * Isolating the lines a store refuses (HTTP 400) so only they are dead-lettered.
 *
 * InfluxDB answers a batch containing bad lines with 400 and a body naming them:
 * 1.x `partial write: unable to parse '<line>': <reason>` (it wrote the good lines), 2.x
 * `unable to parse '<line>': …` (it wrote none). Type conflicts (`field type conflict …
 * dropped=N`) do not name the line. So:
 *  1. Lines named in the body are rejected with the store's reason; the rest is sent again
 *     (idempotent, so lines already written by 1.x are simply overwritten with themselves).
 *  2. When the body names none of the batch's lines, the batch is bisected: each half is
 *     sent on its own, recursively, and a single line still refused is rejected.
 * k bad lines in n cost about 2·k·log2(n) extra requests; a request budget bounds the worst case.
 */
import type { RejectedLine } from '../sink.js';

export type SendOutcome = { ok: true } | { ok: false; message: string };

/** Sends lines; resolves ok, or not-ok with the store's 400 message; throws on anything else. */
export type SendFn = (lines: string[]) => Promise<SendOutcome>;

interface Item {
  index: number;
  line: string;
}

/** The reason the store gave for `line`, if its message names it. */
export function namedReason(message: string, line: string): string | undefined {
  const marker = `unable to parse '${line}': `;
  const at = message.indexOf(marker);
  if (at < 0) return undefined;
  const rest = message.slice(at + marker.length);
  const end = rest.search(/\nunable to parse '| dropped=\d+|\n|$/);
  return `unable to parse: ${rest.slice(0, end < 0 ? undefined : end).trim()}`;
}

export async function sendIsolating(
  items: Item[],
  send: SendFn,
  budget = { requests: Math.max(16, items.length * 2) },
): Promise<RejectedLine[]> {
  const rejected: RejectedLine[] = [];
  let pending = items;
  while (pending.length > 0) {
    if (budget.requests-- <= 0) {
      for (const it of pending)
        rejected.push({ ...it, reason: 'refused by the store (isolation budget exhausted)' });
      return rejected;
    }
    const out = await send(pending.map((i) => i.line));
    if (out.ok) return rejected;
    const named: RejectedLine[] = [];
    const rest: Item[] = [];
    for (const it of pending) {
      const reason = namedReason(out.message, it.line);
      if (reason !== undefined) named.push({ ...it, reason });
      else rest.push(it);
    }
    if (named.length > 0) {
      rejected.push(...named);
      pending = rest;
      continue;
    }
    if (pending.length === 1) {
      rejected.push({ ...(pending[0] as Item), reason: out.message });
      return rejected;
    }
    const mid = pending.length >> 1;
    rejected.push(...(await sendIsolating(pending.slice(0, mid), send, budget)));
    rejected.push(...(await sendIsolating(pending.slice(mid), send, budget)));
    return rejected.sort((a, b) => a.index - b.index);
  }
  return rejected.sort((a, b) => a.index - b.index);
}
