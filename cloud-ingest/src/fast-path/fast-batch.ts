/**
 * The fast path for the common case — a data batch whose every reading is valid: the
 * scanner (scan-batch.ts) for the commonest form, else JSON.parse and one pass over the
 * readings (parsed-batch.ts).
 *
 * It accepts only what the reference path (`decodeDataBatch` + `batchMatchesTopic` +
 * `toLineProtocol` of the contract) accepts without any rejection, and then produces exactly
 * its lines and point count (test/fast-batch.test.ts checks that on random valid and
 * invalid batches). Anything else — an invalid envelope or reading, the same point twice
 * at one timestamp, ids that differ from the topic, a payload that is not plain UTF-8 JSON —
 * returns undefined, and the caller runs the reference path, which gives the reasons for
 * the dead letters. So the fast path never decides what is invalid, only what is clean.
 *
 * Its patterns and limits are the contract's own (`@ganzhi/device-profiles/contract`
 * constants); the rules it re-checks in its own way for speed (the schema's shape, the ts
 * window, null only when not good, `_reason` names reserved, no lone surrogates, one reading
 * per point and ts, the scanner's character-level point-name check) are the ones
 * device-profiles/src/contract/envelopes.ts defines. When those change, change these too:
 * test/fast-batch.test.ts fails while the two disagree on what is clean.
 */
import type { TopicIds } from '@ganzhi/device-profiles/contract';
import { parsedDataBatch } from './parsed-batch.js';
import type { FastBatch } from './result.js';
import { scanDataBatch } from './scan-batch.js';

export type { FastBatch } from './result.js';

/**
 * Decodes, validates and maps one data batch payload for the topic's ids, or returns
 * undefined when the reference path must decide (see the file comment).
 */
export function fastDataBatch(payload: Buffer, ids: TopicIds, now: number): FastBatch | undefined {
  return scanDataBatch(payload, ids, now) ?? parsedDataBatch(payload, ids, now);
}
