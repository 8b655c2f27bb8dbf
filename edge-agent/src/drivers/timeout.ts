/** A deadline on the injected clock for a promise that has none of its own (a connect, a request). */
import type { Clock } from '@ganzhi/runtime';

/**
 * Settles like `p`, or rejects with `timedOut()` after `ms` on `clock` (calling `onTimeout`
 * first, e.g. to abort what `p` waits for).
 */
export function withTimeout<T>(
  clock: Clock,
  p: Promise<T>,
  ms: number,
  timedOut: () => Error,
  onTimeout?: () => unknown,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const t = clock.setTimeout(() => {
      onTimeout?.();
      reject(timedOut());
    }, ms);
    p.then(
      (v) => {
        clock.clearTimeout(t);
        resolve(v);
      },
      (err: unknown) => {
        clock.clearTimeout(t);
        reject(err);
      },
    );
  });
}
