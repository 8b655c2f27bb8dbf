/** Hostile strings and helpers for the payload fuzz generator (payload-gen.ts). */
import type { Rng } from './seeded-random.js';

/** strings that try to break out of a line-protocol string field or a tag */
export const INJECTIONS = [
  'x=1 123\nevil,tag=1 f=1',
  'a,b=c d',
  'quote"inside',
  'back\\slash',
  'trailing\\',
  '\\"',
  '"',
  'new\nline',
  'cr\rlf\r\n',
  'tab\there',
  'nul\u0000byte',
  'bell\u0007 esc\u001b[31m',
  '東京 ✓ 🚀 Ωmega',
  'ــعربي\u200f\u202e rtl',
  "'; DROP TABLE readings; --",
  'm,district=evil gateway=1 123',
  ' ',
  '',
  '=',
  ',',
];
export const BAD_POINTS = [
  'Temp',
  '1st',
  'a b',
  'a,b',
  'a=b',
  'x=1 123\nevil,tag=1 f=1',
  'température',
  'pt\u0000',
  '',
  'a'.repeat(64),
  '_x',
  'a-b',
  'a"b',
  'a\\b',
  '__proto__',
];
export const BAD_IDS = ['North', 'a b', 'a,b=c', 'x\ny', '', 'é', '-lead', 'a'.repeat(65), 'a/b', 'a+b', '#'];

/** usable as one MQTT topic level (no separators or wildcards, not empty) */
export function okLevel(s: string): boolean {
  return s !== '' && !/[/+#]/.test(s);
}

export function nest(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = [v];
  return v;
}

/** Random text: printable ASCII, control characters, multilingual and astral characters (well-formed). */
export function randomText(rng: Rng, n: number): string {
  let s = '';
  while (s.length < n) {
    const k = rng.int(10);
    if (k < 5) s += String.fromCharCode(32 + rng.int(95));
    else if (k < 6) s += String.fromCharCode(rng.int(32));
    else if (k < 8) s += String.fromCharCode(0xa0 + rng.int(0xd7ff - 0xa0));
    else if (k < 9 && s.length + 2 <= n) s += String.fromCodePoint(0x1f300 + rng.int(0x400));
    else s += rng.pick(['"', '\\', ',', '=', ' ', '\n']);
  }
  return s;
}
