import { describe, expect, it } from 'vitest';
import { fnv1a, makePartition } from './partition.js';

describe('partitions', () => {
  it('by district subscribes to those districts only', () => {
    const p = makePartition({ by: 'district', districts: ['north', 'east'] });
    expect(p.filters).toContain('gz/v1/north/+/+/data');
    expect(p.filters).toContain('gz/v1/east/+/state');
    expect(p.filters.some((f) => f.includes('/+/+/+/'))).toBe(false);
  });

  it('by gateway hash: every gateway is accepted by exactly one of the workers', () => {
    const workers = [0, 1, 2].map((index) => makePartition({ by: 'gateway-hash', index, count: 3 }));
    const per = [0, 0, 0];
    for (let g = 0; g < 300; g++) {
      const topic = `gz/v1/d/gw-${g}/m/data`;
      const owners = workers.map((w, i) => (w.accept(topic) ? i : -1)).filter((i) => i >= 0);
      expect(owners).toHaveLength(1);
      per[owners[0]!]!++;
    }
    expect(Math.min(...per)).toBeGreaterThan(60);
  });

  it('FNV-1a is the documented function', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
  });

  it('prefixes $share/group/ when asked', () => {
    expect(makePartition({ by: 'none' }, 'ingest').filters[0]).toBe('$share/ingest/gz/v1/+/+/state');
  });
});
