/**
 * What every envelope decoder of the contract does first: the payload as UTF-8 JSON, the
 * first schema error as `path: message` (one wording for every envelope), and the envelope
 * that is only its schema.
 */
import type { TypeCompiler } from '@sinclair/typebox/compiler';

export type Parsed = { ok: true; value: unknown } | { ok: false; error: string };

export function parseJson(input: Uint8Array | string): Parsed {
  let text: string;
  try {
    text = typeof input === 'string' ? input : new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch {
    return { ok: false, error: 'payload is not valid UTF-8' };
  }
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (err) {
    return { ok: false, error: `payload is not JSON: ${(err as Error).message.slice(0, 120)}` };
  }
}

export function firstError(check: ReturnType<typeof TypeCompiler.Compile>, value: unknown): string {
  const e = check.Errors(value).First();
  if (!e) return 'invalid';
  const path = e.path === '' ? '(root)' : e.path.slice(1).replaceAll('/', '.');
  return `${path}: ${e.message}`;
}

/** The parsed payload as a `T` when it follows `check`'s schema, else the first error (or the parse's). */
export function checkParsed<T>(
  check: ReturnType<typeof TypeCompiler.Compile>,
  parsed: Parsed,
): { ok: true; value: T } | { ok: false; error: string } {
  if (!parsed.ok) return parsed;
  if (!check.Check(parsed.value)) return { ok: false, error: firstError(check, parsed.value) };
  return { ok: true, value: parsed.value as T };
}
