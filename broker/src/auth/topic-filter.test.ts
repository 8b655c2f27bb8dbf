import { describe, expect, it } from 'vitest';
import { covers } from './topic-filter.js';

describe('covers(pattern, filter)', () => {
  it.each([
    ['gz/v1/+/+/state', 'gz/v1/north/gw1/state', true],
    ['gz/v1/+/+/state', 'gz/v1/+/+/state', true],
    ['gz/v1/+/+/state', 'gz/v1/north/+/state', true],
    ['gz/v1/+/+/state', 'gz/v1/#', false],
    ['gz/v1/+/+/state', 'gz/v1/+/+/+', false],
    ['gz/v1/+/+/state', 'gz/v1/+/+/state/x', false],
    ['gz/v1/north/#', 'gz/v1/north', true],
    ['gz/v1/north/#', 'gz/v1/north/#', true],
    ['gz/v1/north/#', 'gz/v1/north/+/+/data', true],
    ['gz/v1/north/#', 'gz/v1/+/gw1/state', false],
    ['gz/v1/north/#', 'gz/v1/#', false],
    ['gz/v1/north/#', 'gz/v1/northern/x', false],
    ['gz/v1/n/g/cmd', 'gz/v1/n/g/cmd', true],
    ['gz/v1/n/g/cmd', 'gz/v1/n/g/+', false],
    ['gz/v1/n/g/+/cmd', 'gz/v1/n/g/dev1/cmd', true],
    ['gz/v1/n/g/+/cmd', 'gz/v1/n/g/#', false],
    ['#', 'anything/at/all', true],
    ['a', 'ab', false],
    ['ab', 'a', false],
  ])('%s covers %s → %s', (pattern, filter, expected) => {
    expect(covers(pattern, filter)).toBe(expected);
  });
});
