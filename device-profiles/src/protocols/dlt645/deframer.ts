/**
 * Streaming DL/T 645 deframer: cuts `68 A 68 C L DATA CS 16` frames out of a byte stream
 * (RS-485 line or a serial device server's TCP socket) that arrives in arbitrary pieces.
 * FE wake-up bytes are skipped silently; other bytes before a frame are counted as garbage.
 * A candidate (68 with another 68 seven bytes on) whose L is too large, whose last byte is
 * not 16, whose checksum or address is wrong is refused with the reason, and the search goes
 * on one byte after its first 68 (StartEndDeframer, ../deframe.ts).
 */
import { StartEndDeframer } from '../deframe.js';
import { decodeFrame, END, type Frame, MAX_DATA, START, WAKE } from './frame.js';

export class Dlt645Deframer extends StartEndDeframer<Frame> {
  constructor() {
    super({
      start: START,
      end: END,
      wake: WAKE,
      headerBytes: 10,
      frameLength(q) {
        if (q.at(7) !== START) return { garbage: true }; // a lone 68 (noise): not a frame header
        const len = q.at(9);
        if (len > MAX_DATA) return { refuse: `length: L = ${len} exceeds ${MAX_DATA}` };
        return 12 + len;
      },
      decode: decodeFrame,
    });
  }
}
