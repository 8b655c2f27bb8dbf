/**
 * What the two InfluxDB HTTP sinks share: refuse malformed lines before sending, retry
 * retriable failures, isolate the lines a store refuses with 400, map HTTP statuses to
 * coded errors.
 */
import { IngestError } from '../errors.js';
import { findMalformed } from '../line-protocol.js';
import type { RejectedLine, WriteResult } from '../sink.js';
import { type SendFn, type SendOutcome, sendIsolating } from './isolate.js';
import { parseRetryAfter, type RetryPolicy, type Sleep, withRetry } from './retry.js';

export interface HttpWriteDeps {
  /** one request; resolves ok / 400-ish outcome, throws IngestError otherwise */
  send: SendFn;
  retry: RetryPolicy;
  sleep: Sleep;
  /** check line syntax before sending (default true) */
  validate: boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** Maps a non-2xx answer to an outcome (400/413/422: some lines refused) or a coded error. */
export function outcomeOf(
  store: string,
  status: number,
  message: string,
  retryAfter: string | null | undefined,
): SendOutcome {
  if (status === 400 || status === 413 || status === 422) return { ok: false, message };
  if (status === 401 || status === 403 || status === 404) {
    throw new IngestError('GZ_SINK_REFUSED', `${store} refused the write (HTTP ${status}): ${message}`);
  }
  throw new IngestError('GZ_SINK_UNAVAILABLE', `${store} answered HTTP ${status}: ${message}`, {
    retryAfterMs: parseRetryAfter(retryAfter, Date.now()),
  });
}

export function unreachable(store: string, err: unknown): IngestError {
  const code =
    (err as { code?: string; cause?: { code?: string } }).cause?.code ?? (err as { code?: string }).code;
  const why = code ?? (err as Error).name ?? 'error';
  return new IngestError('GZ_SINK_UNAVAILABLE', `${store} unreachable (${why})`, { cause: err });
}

export async function writeLines(lines: readonly string[], deps: HttpWriteDeps): Promise<WriteResult> {
  if (lines.length === 0) return { written: 0, rejected: [] };
  const rejected: RejectedLine[] = [];
  let items = lines.map((line, index) => ({ index, line }));
  if (deps.validate) {
    const bad = findMalformed(lines);
    if (bad.length > 0) {
      const badIdx = new Set(bad.map((b) => b.index));
      for (const b of bad)
        rejected.push({ index: b.index, line: lines[b.index] as string, reason: b.reason });
      items = items.filter((i) => !badIdx.has(i.index));
    }
  }
  if (items.length > 0) {
    const send: SendFn = (ls) => withRetry(() => deps.send(ls), deps.retry, deps.sleep, deps.onRetry);
    rejected.push(...(await sendIsolating(items, send)));
  }
  rejected.sort((a, b) => a.index - b.index);
  return { written: lines.length - rejected.length, rejected };
}
