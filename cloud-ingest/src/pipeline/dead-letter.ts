/**
 * Dead letters: what the ingest could not store, one JSON object per line in a file, with
 * the reason. Appended synchronously before the message is acknowledged, so a dead letter
 * is never lost either. Payloads are kept as text when they are UTF-8, else base64.
 *
 * The file is bounded: a gateway that floods refused messages (each up to 64 KiB of payload
 * kept) must not fill the hub's disk. When an append would take the file past `maxBytes`, the
 * file becomes `<file>.1` (replacing the one before) and a new file starts, so at most about
 * twice `maxBytes` are kept; the letters of the generation replaced are counted in `dropped`
 * (and /metrics), never silently gone.
 */
import { appendFileSync, mkdirSync, renameSync, statSync } from 'node:fs';
import { dirname } from 'node:path';

/**
 * message: a message refused whole (topic, envelope, spoofed ids); reading: one reading of a
 * batch; line: a line the store refused; limit: a message over a per-gateway limit
 */
export type DeadLetterKind = 'message' | 'reading' | 'line' | 'limit';

export interface DeadLetter {
  kind: DeadLetterKind;
  reason: string;
  topic?: string;
  point?: string;
  line?: string;
  payload?: Uint8Array;
}

export interface DeadLetters {
  add(items: readonly DeadLetter[]): void;
  readonly counts: Readonly<Record<DeadLetterKind, number>>;
  /** times the file was rotated to `<file>.1`, and the letters the replaced `.1` held */
  readonly rotation: { readonly rotations: number; readonly dropped: number };
}

export const DEAD_LETTER_DEFAULTS = { maxBytes: 256 * 1024 * 1024 } as const;

const MAX_PAYLOAD = 64 * 1024;

function payloadField(p: Uint8Array): { payload?: string; payloadBase64?: string } {
  const b = Buffer.from(p.buffer, p.byteOffset, Math.min(p.byteLength, MAX_PAYLOAD));
  try {
    return { payload: new TextDecoder('utf-8', { fatal: true }).decode(b) };
  } catch {
    return { payloadBase64: b.toString('base64') };
  }
}

/** `file` undefined: count only (tests, benchmarks). */
export function createDeadLetters(
  file: string | undefined,
  now: () => number = Date.now,
  maxBytes: number = DEAD_LETTER_DEFAULTS.maxBytes,
): DeadLetters {
  const counts: Record<DeadLetterKind, number> = { message: 0, reading: 0, line: 0, limit: 0 };
  const rotation = { rotations: 0, dropped: 0 };
  // what the current file and its `.1` hold: bytes from the disk at start, letters from then on
  let size = 0;
  let letters = 0;
  let previousLetters = 0;
  if (file) {
    mkdirSync(dirname(file), { recursive: true });
    try {
      size = statSync(file).size;
    } catch {
      size = 0;
    }
  }
  const append = (text: string, n: number): void => {
    if (!file) return;
    const bytes = Buffer.byteLength(text);
    if (size > 0 && size + bytes > maxBytes) {
      renameSync(file, `${file}.1`);
      rotation.rotations++;
      rotation.dropped += previousLetters;
      previousLetters = letters;
      letters = 0;
      size = 0;
    }
    appendFileSync(file, text);
    size += bytes;
    letters += n;
  };
  return {
    counts,
    rotation,
    add(items) {
      if (items.length === 0) return;
      let text = '';
      const at = new Date(now()).toISOString();
      for (const it of items) {
        counts[it.kind]++;
        const { payload, ...rest } = it;
        text += `${JSON.stringify({ at, ...rest, ...(payload ? payloadField(payload) : {}) })}\n`;
      }
      append(text, items.length);
    },
  };
}
