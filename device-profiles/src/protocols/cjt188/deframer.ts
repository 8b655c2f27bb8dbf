/**
 * Streaming CJ/T 188 deframer (same contract as the DL/T 645 one): `68 T A0..A6 C L DATA CS
 * 16` frames cut from arbitrary pieces, FE wake-ups skipped, other stray bytes counted as
 * garbage, candidates with a wrong terminator, checksum or address refused with the reason and
 * the search resumed one byte after their 68 (StartEndDeframer, ../deframe.ts).
 */
import { StartEndDeframer } from '../deframe.js';
import { decodeFrame, END, type Frame, START, WAKE } from './frame.js';

export class Cjt188Deframer extends StartEndDeframer<Frame> {
  constructor() {
    super({
      start: START,
      end: END,
      wake: WAKE,
      headerBytes: 11,
      frameLength: (q) => 13 + q.at(10),
      decode: decodeFrame,
    });
  }
}
