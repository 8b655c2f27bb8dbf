/**
 * Small deterministic pseudo-random functions (own code): a stateless hash of
 * (seed, index) for values that must be pure functions of time. Sequences (fault
 * probabilities, noise bytes) use the runtime's `seededRandom`.
 */

/** Murmur3's 32-bit finaliser: a good avalanche mix of one 32-bit word. */
export function mix32(x: number): number {
  let h = x >>> 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** FNV-1a of a string, for deriving a seed from names (device id, point name). */
export function hashString(s: string, seed = 0x811c9dc5): number {
  let h = seed >>> 0;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return mix32(h);
}

/** Derives a child seed from a parent seed and a label. */
export function deriveSeed(seed: number, label: string): number {
  return hashString(label, mix32(seed ^ 0x9e3779b9));
}

/** Uniform in [0, 1) as a pure function of (seed, index). */
export function uniformAt(seed: number, index: number): number {
  const lo = index >>> 0;
  const hi = Math.floor(index / 0x1_0000_0000) >>> 0;
  const h = mix32(mix32(seed ^ mix32(lo + 0x9e3779b9)) ^ mix32(hi + 0x7f4a7c15));
  return h / 0x1_0000_0000;
}

/** Standard normal as a pure function of (seed, index) (Box–Muller on two uniforms). */
export function normalAt(seed: number, index: number): number {
  const u1 = uniformAt(seed, index * 2) || Number.MIN_VALUE;
  const u2 = uniformAt(seed, index * 2 + 1);
  return Math.sqrt(-2 * Math.log(u1)) * Math.cos(2 * Math.PI * u2);
}
