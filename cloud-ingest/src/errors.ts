/**
 * The ingest's catalogue of coded errors. `retriable` says whether trying the same thing
 * later may succeed (the store is down, the disk is full) or never will (the config is wrong).
 */
export type IngestErrorCode =
  /** The store could not be reached, timed out or answered 5xx/429: retry later, data stays in the log. */
  | 'GZ_SINK_UNAVAILABLE'
  /** The store refused our credentials or the database/bucket does not exist (401/403/404): retried, but an operator must act. */
  | 'GZ_SINK_REFUSED'
  /** The sink was used after close(). */
  | 'GZ_SINK_CLOSED'
  /** The configuration file or environment is invalid (all problems are listed in the message). */
  | 'GZ_CONFIG_INVALID'
  /** A query to the HTTP API had invalid parameters. */
  | 'GZ_QUERY_INVALID';

export class IngestError extends Error {
  readonly code: IngestErrorCode;
  readonly retriable: boolean;
  /** Delay the store asked for (Retry-After), ms. */
  readonly retryAfterMs: number | undefined;
  constructor(
    code: IngestErrorCode,
    message: string,
    opts: { cause?: unknown; retriable?: boolean; retryAfterMs?: number } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'IngestError';
    this.code = code;
    this.retriable = opts.retriable ?? (code === 'GZ_SINK_UNAVAILABLE' || code === 'GZ_SINK_REFUSED');
    this.retryAfterMs = opts.retryAfterMs;
  }
}

export function isRetriable(err: unknown): boolean {
  return (err as { retriable?: unknown } | null)?.retriable === true;
}
