/**
 * Dead letters: what the ingest could not store, one JSON object per line in a file, with
 * the reason. Appended synchronously before the message is acknowledged, so a dead letter
 * is never lost either. Payloads are kept as text when they are UTF-8, else base64.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
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
}

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
export function createDeadLetters(file: string | undefined, now: () => number = Date.now): DeadLetters {
  const counts: Record<DeadLetterKind, number> = { message: 0, reading: 0, line: 0, limit: 0 };
  if (file) mkdirSync(dirname(file), { recursive: true });
  return {
    counts,
    add(items) {
      if (items.length === 0) return;
      let text = '';
      const at = new Date(now()).toISOString();
      for (const it of items) {
        counts[it.kind]++;
        const { payload, ...rest } = it;
        text += `${JSON.stringify({ at, ...rest, ...(payload ? payloadField(payload) : {}) })}\n`;
      }
      if (file) appendFileSync(file, text);
    },
  };
}
