/**
 * The null sink: checks every line's syntax like the real sinks (unless the lines are
 * trusted mapper output, like theirs), reports malformed lines as rejected, and stores nothing. For benchmarks (the pipeline's own ceiling) and dry runs.
 */
import { IngestError } from '../errors.js';
import { findMalformed } from '../line-protocol.js';
import type { Sink } from '../sink.js';

export function createNullSink(opts: { validate?: boolean } = {}): Sink & { readonly lines: number } {
  let closed = false;
  let count = 0;
  return {
    kind: 'null',
    get lines() {
      return count;
    },
    async write(lines, wopts) {
      if (closed) throw new IngestError('GZ_SINK_CLOSED', 'the null sink is closed');
      const bad = opts.validate === false || wopts?.trusted === true ? [] : findMalformed(lines);
      const rejected = bad.map((b) => ({ index: b.index, line: lines[b.index] as string, reason: b.reason }));
      count += lines.length - rejected.length;
      return { written: lines.length - rejected.length, rejected };
    },
    async check() {
      if (closed) throw new IngestError('GZ_SINK_CLOSED', 'the null sink is closed');
    },
    async close() {
      closed = true;
    },
  };
}
