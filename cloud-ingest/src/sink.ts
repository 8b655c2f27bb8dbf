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
 * - `reader`, when the store can be read back in process (the embedded SQLite file), answers
 *   series queries for `/api/series` and the hub's chart; stores queried with their own
 *   language (InfluxQL, Flux) have none.
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

/** A query for the readings of some series over a time range, raw or aggregated per window. */
export interface SeriesQuery {
  measurement: string;
  district?: string;
  gateway?: string;
  device?: string;
  point?: string;
  quality?: 'good' | 'uncertain' | 'bad';
  /** ms since the epoch, inclusive */
  from?: number;
  /** ms since the epoch, exclusive */
  to?: number;
  /** aggregation window, ms */
  every?: number;
  fn?: AggregateFn;
  limit?: number;
}

export const AGGREGATES = ['mean', 'min', 'max', 'sum', 'count', 'first', 'last'] as const;
export type AggregateFn = (typeof AGGREGATES)[number];

export interface SeriesResult {
  series: {
    measurement: string;
    district: string | null;
    gateway: string | null;
    device: string | null;
    model: string | null;
    point: string;
    /** [ts, value] for numbers and booleans; raw queries also give text values and quality */
    values: [number, number | string | null, string?][];
  }[];
  truncated: boolean;
}

/** Reads back what a store holds (see `Sink.reader`). */
export interface SeriesReader {
  series(q: SeriesQuery): SeriesResult;
}

export interface Sink {
  readonly kind: string;
  /** present when the store can answer series queries in process (the embedded SQLite store) */
  readonly reader?: SeriesReader;
  write(lines: readonly string[], opts?: WriteOptions): Promise<WriteResult>;
  check(): Promise<void>;
  close(): Promise<void>;
}
