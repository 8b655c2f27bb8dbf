/** Randomness, injected: jitter and fault schedules take a `Random` so a seed makes them repeatable. */

/** Returns a number in [0, 1). */
export type Random = () => number;

export const systemRandom: Random = Math.random;

/** mulberry32: a fast 32-bit generator, deterministic for a seed; numbers in [0, 1). */
export function seededRandom(seed: number): Random {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 0x1_0000_0000;
  };
}
