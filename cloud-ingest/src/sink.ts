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

export interface Sink {
  readonly kind: string;
  write(lines: readonly string[]): Promise<WriteResult>;
  check(): Promise<void>;
  close(): Promise<void>;
}
