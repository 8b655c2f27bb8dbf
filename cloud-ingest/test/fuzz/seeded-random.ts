/**
 * The fuzz tests' random choices over the runtime's seeded generator (`seededRandom`,
 * mulberry32): the same seed gives the same inputs, so every failure replays with
 * `GZ_FUZZ_SEED=<seed>`.
 */
import { seededRandom } from '@ganzhi/runtime';

export interface Rng {
  readonly seed: number;
  /** [0, 1) */
  next(): number;
  /** integer in [0, n) */
  int(n: number): number;
  chance(p: number): boolean;
  pick<T>(items: readonly T[]): T;
  bytes(n: number): Buffer;
}

export function seededRng(seed: number): Rng {
  const next = seededRandom(seed);
  const int = (n: number) => Math.floor(next() * n);
  return {
    seed,
    next,
    int,
    chance: (p) => next() < p,
    pick: <T>(items: readonly T[]) => items[int(items.length)] as T,
    bytes: (n) => {
      const b = Buffer.alloc(n);
      for (let i = 0; i < n; i++) b[i] = int(256);
      return b;
    },
  };
}

/** The seed from GZ_FUZZ_SEED, else a fresh one (printed by the test so it can be replayed). */
export function fuzzSeed(): number {
  const env = process.env.GZ_FUZZ_SEED;
  if (env !== undefined && env !== '') return Number(env) >>> 0;
  return (Date.now() ^ (process.pid << 16)) >>> 0;
}

/** GZ_FUZZ_N overrides a test's default count (the full-size bench runs set it). */
export function fuzzCount(ciDefault: number): number {
  const env = Number(process.env.GZ_FUZZ_N);
  return Number.isInteger(env) && env > 0 ? env : ciDefault;
}
