/**
 * Cuts a serial byte stream into frames per the profile's framing: line (terminator),
 * delimiter, or fixed length. Pure and incremental: feed chunks as they arrive, get whole
 * frames back. Garbage never throws: an over-long run without a terminator is dropped and
 * counted, and the framer resynchronises on the next terminator.
 */
import type { SerialLine } from '@ganzhi/device-profiles';

export const MAX_FRAME = 4096;

export interface Framer {
  push(chunk: Buffer | string): string[];
  /** bytes dropped while resynchronising */
  readonly dropped: number;
}

export function createFramer(framing: SerialLine['framing'], maxFrame = MAX_FRAME): Framer {
  let buf = '';
  let dropped = 0;
  if (framing.kind === 'fixed') {
    return {
      push(chunk) {
        buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
        const out: string[] = [];
        while (buf.length >= framing.length) {
          out.push(buf.slice(0, framing.length));
          buf = buf.slice(framing.length);
        }
        return out;
      },
      get dropped() {
        return dropped;
      },
    };
  }
  // line: \r\n by default; a lone \r or \n also ends a line when the terminator is \r\n
  // (devices are sloppy), never producing empty frames
  const sep = framing.kind === 'line' ? (framing.terminator ?? '\r\n') : framing.delimiter;
  const lenient = framing.kind === 'line' && sep === '\r\n';
  return {
    push(chunk) {
      buf += typeof chunk === 'string' ? chunk : chunk.toString('latin1');
      const out: string[] = [];
      for (;;) {
        let end: number;
        let skip: number;
        if (lenient) {
          const m = /\r\n|\r|\n/.exec(buf);
          if (!m) break;
          // a trailing \r may be the first half of \r\n: wait for more
          if (m[0] === '\r' && m.index === buf.length - 1) break;
          end = m.index;
          skip = m[0].length;
        } else {
          end = buf.indexOf(sep);
          if (end < 0) break;
          skip = sep.length;
        }
        const frame = buf.slice(0, end);
        buf = buf.slice(end + skip);
        if (frame.length > maxFrame) dropped += frame.length;
        else if (frame.length > 0) out.push(frame);
      }
      if (buf.length > maxFrame) {
        dropped += buf.length;
        buf = '';
      }
      return out;
    },
    get dropped() {
      return dropped;
    },
  };
}
