/**
 * A Sink stores line protocol. Every store (InfluxDB v1 and v2 APIs, SQLite, the null sink)
 * implements this and passes one contract suite (test/sink-contract.ts).
 *
 * - `write(lines)` resolves once every line it does not reject is durably accepted by the
 *   store. Lines the store will never accept (malformed, field type conflict) come back in
 *   `rejected` with their index and reason; their neighbours are written.
 * - It rejects with an IngestError when the batch could not be written as a whole for a
 *   reason that may pass (`retriable: true`: store down, 5xx, 429, auth): the caller keeps
 *   the data and retries later. Writes are idempotent (a line written twice is stored once),
 *   so retrying a batch that was partly written is safe.
 * - `opts.trusted`: every line was produced by the contract's mapper from a validated batch
 *   (`toLineProtocol` or the ingest's fast path), which always yields well-formed lines
 *   (test/mapper-lines.test.ts); a sink may then skip its own syntax check. Lines from
 *   anywhere else are checked.
 * - `check()` resolves when the store is reachable and writable (for /readyz).
 * - `close()` releases connections; a write after close rejects with GZ_SINK_CLOSED.
 */
export interface RejectedLine {
  index: number;
  line: string;
  reason: string;
}

export interface WriteResult {
  written: number;
  rejected: RejectedLine[];
}

export interface WriteOptions {
  /** the lines come from the contract mapper (always well-formed): skip the syntax check */
  trusted?: boolean;
}

export interface Sink {
  readonly kind: string;
  write(lines: readonly string[], opts?: WriteOptions): Promise<WriteResult>;
  check(): Promise<void>;
  close(): Promise<void>;
}
