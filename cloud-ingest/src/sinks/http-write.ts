/**
 * What the two InfluxDB HTTP sinks share — everything but how one request is sent and how
 * the store is probed: refuse malformed lines before sending, retry retriable failures,
 * isolate the lines a store refuses with 400, map HTTP statuses to coded errors, refuse use
 * after close. `createHttpSink` is the one Sink body both are built from.
 */

import type { Clock, Random } from '@ganzhi/runtime';
import { IngestError } from '../errors.js';
import { findMalformed } from '../line-protocol.js';
import type { RejectedLine, Sink, WriteResult } from '../sink.js';
import { type SendFn, type SendOutcome, sendIsolating } from './isolate.js';
import {
  DEFAULT_RETRY,
  parseRetryAfter,
  type RetryPolicy,
  type RetryTiming,
  SYSTEM_TIMING,
  withRetry,
} from './retry.js';

export interface HttpWriteDeps {
  /** one request; resolves ok / 400-ish outcome, throws IngestError otherwise */
  send: SendFn;
  retry: RetryPolicy;
  timing: RetryTiming;
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
    const send: SendFn = (ls) => withRetry(() => deps.send(ls), deps.retry, deps.timing, deps.onRetry);
    rejected.push(...(await sendIsolating(items, send)));
  }
  rejected.sort((a, b) => a.index - b.index);
  return { written: lines.length - rejected.length, rejected };
}

export interface HttpSinkParts {
  kind: string;
  /** how the sink names itself in errors, e.g. `the InfluxDB v1 sink` */
  name: string;
  send: SendFn;
  /** resolves when the store is reachable, authorised and its database/bucket exists */
  probe(): Promise<void>;
  retry: RetryPolicy;
  timing: RetryTiming;
  /** check the syntax of lines that are not `trusted` (default true) */
  validate?: boolean;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** What both InfluxDB sinks take from their options for retrying and checking. */
export interface HttpSinkCommonOptions {
  retry?: Partial<RetryPolicy>;
  validate?: boolean;
  /** what retries wait on (default the system clock) */
  clock?: Clock;
  /** the retries' jitter (default Math.random) */
  random?: Random;
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/** The retry, timing and validation parts of createHttpSink from a sink's options. */
export function commonParts(
  o: HttpSinkCommonOptions,
): Pick<HttpSinkParts, 'retry' | 'timing' | 'validate' | 'onRetry'> {
  return {
    retry: { ...DEFAULT_RETRY, ...o.retry },
    timing: { clock: o.clock ?? SYSTEM_TIMING.clock, random: o.random ?? SYSTEM_TIMING.random },
    validate: o.validate,
    onRetry: o.onRetry,
  };
}

/** A Sink over an HTTP line-protocol endpoint: the write and check bodies of every such store. */
export function createHttpSink(p: HttpSinkParts): Sink {
  let closed = false;
  const open = (): void => {
    if (closed) throw new IngestError('GZ_SINK_CLOSED', `${p.name} is closed`);
  };
  return {
    kind: p.kind,
    async write(lines, wopts): Promise<WriteResult> {
      open();
      return writeLines(lines, {
        send: p.send,
        retry: p.retry,
        timing: p.timing,
        validate: (p.validate ?? true) && wopts?.trusted !== true,
        onRetry: p.onRetry,
      });
    },
    async check() {
      open();
      await p.probe();
    },
    async close() {
      closed = true;
    },
  };
}
