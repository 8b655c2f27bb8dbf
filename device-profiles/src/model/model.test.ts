import { describe, expect, it } from 'vitest';
import { parseProfile } from '../loader/load-profile.js';
import { compileModel } from './compile-model.js';
import { type EvalScope, evalExpr, evalRelation, type ModelValue } from './expr-eval.js';
import { parseExpr } from './expr-parse.js';

const scope = (vals: Record<string, ModelValue>): EvalScope => ({
  ref: (n) => {
    if (n === 'pi') return Math.PI;
    const v = vals[n];
    if (v === undefined) throw new Error(`no ${n}`);
    return v;
  },
});
const ev = (src: string, vals: Record<string, ModelValue> = {}) => evalExpr(parseExpr(src), scope(vals));

describe('relation expressions', () => {
  it('follow the usual precedence: unary minus, ^ (right-assoc), * /, + -, comparisons, not, and, or, ?:', () => {
    expect(ev('1 + 2 * 3')).toBe(7);
    expect(ev('(1 + 2) * 3')).toBe(9);
    expect(ev('2 ^ 3 ^ 2')).toBe(512);
    expect(ev('-2 ^ 2')).toBe(-4);
    expect(ev('10 - 4 - 3')).toBe(3);
    expect(ev('12 / 3 / 2')).toBe(2);
    expect(ev('1 < 2 and 3 > 4 or not false')).toBe(true);
    expect(ev('1 < 2 && !(3 > 4)')).toBe(true);
    expect(ev('a > 0 ? a : -a', { a: -3 })).toBe(3);
    expect(ev('1.5e3 + .5')).toBe(1500.5);
  });

  it('compute the relations the issue names: averages, sums, V·I·PF, fault ⇔ code ≠ none', () => {
    const v = { v1: 230, v2: 231, v3: 232, i1: 10, pf: 0.9, code: 'none', lamp: true, dim: 50 };
    expect(ev('avg(v1, v2, v3)', v)).toBe(231);
    expect(ev('sum(v1, v2, v3)', v)).toBe(693);
    expect(ev('v1 * i1 * pf', v)).toBeCloseTo(2070, 9);
    expect(ev("code != 'none'", v)).toBe(false);
    expect(ev("code != 'none'", { ...v, code: 'overcurrent' })).toBe(true);
    expect(ev('if(lamp, 120 * dim / 100, 0.5)', v)).toBe(60);
    expect(ev('if(lamp, 120 * dim / 100, 0.5)', { ...v, lamp: false })).toBe(0.5);
    expect(ev('degrees(acos(0.5))')).toBeCloseTo(60, 12);
    expect(ev('clamp(150, 0, 100)')).toBe(100);
    expect(ev('round(-2.5)')).toBe(-3);
    expect(ev('lamp * 2', v)).toBe(2);
  });

  it('refuses text as a number and non-finite results of a relation', () => {
    expect(() => ev('code + 1', { code: 'none' })).toThrow(/text "none" used as a number/);
    expect(() => evalRelation(parseExpr('1 / x'), scope({ x: 0 }))).toThrow(/Infinity/);
    expect(() => evalExpr(parseExpr('integral(x)'), scope({ x: 1 }))).toThrow(/history/);
  });

  it('names the column of a syntax error', () => {
    expect(() => parseExpr('a + * b')).toThrow(/expected a value, found "\*" \(column 5\)/);
    expect(() => parseExpr('avg(a, b')).toThrow(/expected "\)", found end of expression \(column 9\)/);
    expect(() => parseExpr("x == 'open")).toThrow(/text not closed \(column 6\)/);
    expect(() => parseExpr('a < b < c')).toThrow(/do not chain/);
    expect(() => parseExpr('a $ b')).toThrow(/unexpected character "\$" \(column 3\)/);
  });
});

describe('compileModel', () => {
  const points = ['v1', 'v2', 'v3', 'avg_v', 'p', 'q', 'e'];

  it('orders derived points after what they read', () => {
    const { model, findings } = compileModel(
      { derived: { e: 'initial + integral(p) / 3600000', p: 'avg_v * 10', avg_v: 'avg(v1, v2, v3)' } },
      points,
    );
    expect(findings).toEqual([]);
    expect(model?.order).toEqual(['avg_v', 'p', 'e']);
    expect(model?.relations.get('e')?.stateful).toBe(true);
    expect(model?.relations.get('e')?.usesOwnSignal).toBe(true);
    expect(model?.stepMs).toBe(1000);
  });

  it('reports every problem at once, with a hint for a misspelt name', () => {
    const { model, findings } = compileModel(
      {
        params: { v1: 3, k: 2 },
        derived: {
          avg_v: 'avg(vv1, v2)',
          nope: 'v1',
          p: 'sqroot(q)',
          q: 'clamp(p, 1)',
          e: 'v1 +',
        },
        checks: ['integral(p) > 0', 'self > 0'],
      },
      points,
    );
    expect(model).toBeUndefined();
    const text = findings.map((f) => `${f.path.join('.')}: ${f.message}`);
    expect(text).toEqual([
      'relations.params.v1: param "v1" has the name of a point: rename it',
      'relations.derived.avg_v: unknown name "vv1" (did you mean "v1"?): not a point of the profile, a param, self, initial or pi',
      'relations.derived.nope: no point "nope" in the profile: a relation computes one of the profile\'s points',
      expect.stringMatching(
        /^relations\.derived\.p: unknown function sqroot\(\) at column 1 \(did you mean sqrt\(\)\?\)/,
      ),
      'relations.derived.q: clamp() takes 3 arguments, got 2 (column 1)',
      'relations.derived.e: expected a value, found end of expression (column 5) in "v1 +"',
      'relations.checks.0: integral() carries state over time: not allowed in a check',
      'relations.checks.1: "self" belongs to a relation, not a check',
    ]);
  });

  it('reports a dependency cycle once, naming its members', () => {
    const { findings } = compileModel({ derived: { p: 'q + 1', q: 'e * 2', e: 'p' } }, points);
    expect(findings).toEqual([
      { path: ['relations', 'derived', 'p'], message: 'relations depend on themselves: p → q → e → p' },
    ]);
  });
});

describe('a profile with relations', () => {
  const yaml = (derived: string) => `id: rel-test
version: 1.0.0
manufacturer: T
model: T-1
description: test
source: { document: test }
measurement: energy
protocol: modbus
points:
  - { name: voltage, unit: V, type: float, modbus: { table: input, address: 0, type: float32 } }
  - { name: current, unit: A, type: float, modbus: { table: input, address: 2, type: float32 } }
  - { name: power, unit: W, type: float, modbus: { table: input, address: 4, type: float32 } }
relations:
  derived:
    power: ${derived}
`;

  it('loads when every relation is sound', () => {
    const r = parseProfile(yaml('voltage * current'), 'rel.yaml');
    expect(r.problems).toEqual([]);
    expect(r.profile?.relations?.derived?.power).toBe('voltage * current');
  });

  it('fails with file:line and the expression problem', () => {
    const r = parseProfile(yaml('voltage * curent'), 'rel.yaml');
    expect(r.problems).toEqual([
      {
        file: 'rel.yaml',
        line: 15,
        column: 12,
        path: 'relations.derived.power',
        message:
          'unknown name "curent" (did you mean "current"?): not a point of the profile, a param, self, initial or pi',
      },
    ]);
  });

  it('rejects an unknown key in the section through the schema', () => {
    const r = parseProfile(
      yaml('voltage * current').replace('  derived:', '  derive: {}\n  derived:'),
      'rel.yaml',
    );
    expect(r.problems.map((p) => p.path)).toContain('relations.derive');
  });
});
