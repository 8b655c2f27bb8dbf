import { describe, expect, it } from 'vitest';
import { type Point, writeValueProblem } from '../src/index.js';

const point = (p: Partial<Point> & Pick<Point, 'name' | 'type'>): Point =>
  ({ access: 'read-write', ...p }) as Point;

describe('writeValueProblem: the value rule the hub and the gateway share', () => {
  const lamp = point({ name: 'lamp_on', type: 'boolean' });
  const dim = point({ name: 'dim_level', type: 'integer', range: { min: 0, max: 100 } });
  const setpoint = point({ name: 'sp', type: 'float', range: { min: -10.5, max: 10.5 } });
  const mode = point({ name: 'mode', type: 'string', enum: { 0: 'off', 1: 'auto' } } as never);

  it('accepts values of the type, inside the range, among the labels', () => {
    expect(writeValueProblem(lamp, false)).toBeUndefined();
    expect(writeValueProblem(dim, 0)).toBeUndefined();
    expect(writeValueProblem(dim, 100)).toBeUndefined();
    expect(writeValueProblem(setpoint, -10.5)).toBeUndefined();
    expect(writeValueProblem(mode, 'auto')).toBeUndefined();
  });

  it('names the point and what it takes', () => {
    expect(writeValueProblem(lamp, 1)).toBe('lamp_on takes a boolean, got number');
    expect(writeValueProblem(lamp, null)).toBe('lamp_on takes a boolean, got null');
    expect(writeValueProblem(dim, 40.5)).toBe('dim_level takes an integer, got 40.5');
    expect(writeValueProblem(dim, '40')).toBe('dim_level takes an integer, got "40"');
    expect(writeValueProblem(setpoint, [1])).toBe('sp takes a number, got array');
    expect(writeValueProblem(mode, 1)).toBe('mode takes a string, got number');
    // the hub's check had no enum test before this rule had one home: a label the gateway refuses
    expect(writeValueProblem(mode, 'manual')).toBe('mode takes one of off, auto');
    expect(writeValueProblem(dim, 101)).toBe('dim_level: 101 is outside its range 0..100');
    expect(writeValueProblem(setpoint, -10.6)).toBe('sp: -10.6 is outside its range -10.5..10.5');
  });
});
