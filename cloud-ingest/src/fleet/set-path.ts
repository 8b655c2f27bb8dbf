/**
 * `set` of a fleet push: `{"defaults.pollIntervalMs": 5000, "devices[0].endpoint.port": 502}`
 * applied to a copy of a gateway's desired document. A path is dot-separated keys with
 * optional `[n]` indexes; a missing object on the way is created, an array index must exist
 * (or be the array's length: appended), and nothing walks through a scalar.
 */

export type PathStep = string | number;

const STEP = /^([A-Za-z_$][\w$-]*)((?:\[\d{1,6}\])*)$/;
const FORBIDDEN = new Set(['__proto__', 'prototype', 'constructor']);

/** `a.b[0].c` → ['a', 'b', 0, 'c']; a string naming the problem when it is not a path. */
export function parseSetPath(path: string): PathStep[] | string {
  if (path === '' || path.length > 256) return 'a path is 1 to 256 characters';
  const steps: PathStep[] = [];
  for (const part of path.split('.')) {
    const m = STEP.exec(part);
    if (!m) return `"${part}" is not a key (letters, digits, _ - $) with optional [n] indexes`;
    const key = m[1] as string;
    if (FORBIDDEN.has(key)) return `"${key}" may not be set`;
    steps.push(key);
    for (const ix of (m[2] as string).matchAll(/\[(\d+)\]/g)) steps.push(Number(ix[1]));
  }
  return steps;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/** Sets `value` at `steps` inside `doc` (mutated); returns the problem, or undefined. */
export function setAt(doc: Record<string, unknown>, steps: PathStep[], value: unknown): string | undefined {
  let at: unknown = doc;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i] as PathStep;
    const last = i === steps.length - 1;
    const next = steps[i + 1];
    if (typeof step === 'number') {
      if (!Array.isArray(at)) return `step ${i + 1} indexes something that is not a list`;
      if (step > at.length) return `index ${step} is past the end of a list of ${at.length}`;
      if (last) at[step] = value;
      else {
        if (at[step] === undefined) at[step] = typeof next === 'number' ? [] : {};
        at = at[step];
      }
    } else {
      if (!isObject(at)) return `"${step}" is inside something that is not an object`;
      if (last) at[step] = value;
      else {
        if (at[step] === undefined) at[step] = typeof next === 'number' ? [] : {};
        at = at[step];
      }
    }
  }
  return undefined;
}
