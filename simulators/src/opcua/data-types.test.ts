import { describe, expect, it } from 'vitest';
import { coerceValue } from './data-types.js';

describe('value coercion', () => {
  it('rounds and clamps integers, converts booleans, refuses nonsense', () => {
    expect(coerceValue('Int16', 40000.4)).toBe(32767);
    expect(coerceValue('Byte', -3)).toBe(0);
    expect(coerceValue('Int32', 12.6)).toBe(13);
    expect(coerceValue('Boolean', 0)).toBe(false);
    expect(coerceValue('Boolean', 'true')).toBe(true);
    expect(coerceValue('Double', 'abc')).toBeUndefined();
    expect(coerceValue('Double', '2.5')).toBe(2.5);
    expect(coerceValue('String', 3)).toBe('3');
    expect(coerceValue('Double', null)).toBeNull();
  });
});
