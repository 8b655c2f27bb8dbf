/**
 * What every envelope decoder of the contract does first: the payload as UTF-8 JSON, and the
 * first schema error as `path: message` (one wording for every envelope).
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
