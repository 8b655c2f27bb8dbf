/** The durable log's catalogue of coded errors. */
export type DurableLogErrorCode =
  /** ENOSPC / EDQUOT while appending: the record was not appended, earlier records are intact. Retry later. */
  | 'GZ_LOG_DISK_FULL'
  /** Any other I/O failure on the log directory (permissions, EIO, a missing directory). */
  | 'GZ_LOG_IO'
  /** ack/ackThrough/readFrom with an offset that was never handed out, or a non-integer. */
  | 'GZ_LOG_BAD_OFFSET'
  /** One record larger than the log can ever hold (maxBytes, or the 1 GiB record limit). */
  | 'GZ_LOG_RECORD_TOO_LARGE'
  /** Another live process holds the log directory. */
  | 'GZ_LOG_LOCKED'
  /** Invalid options passed to openSegmentLog / createMemoryLog. */
  | 'GZ_LOG_BAD_OPTIONS'
  /** The log was used after close(). */
  | 'GZ_LOG_CLOSED';

export class DurableLogError extends Error {
  readonly code: DurableLogErrorCode;
  readonly retriable: boolean;
  constructor(
    code: DurableLogErrorCode,
    message: string,
    opts: { cause?: unknown; retriable?: boolean } = {},
  ) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = 'DurableLogError';
    this.code = code;
    this.retriable = opts.retriable ?? false;
  }
}

/** True for the errno codes that mean "no space left" (device full or quota exceeded). */
export function isDiskFull(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOSPC' || code === 'EDQUOT';
}
