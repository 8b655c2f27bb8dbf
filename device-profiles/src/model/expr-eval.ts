/**
 * Evaluating relation expressions. Values are numbers, booleans and strings (enum labels);
 * arithmetic takes booleans as 1/0, `and`/`or`/`not` take numbers as ≠ 0, `==`/`!=` compare
 * text with text (a number against a text compares its decimal form). The stateful functions
 * (integral, follow) are answered by the caller's scope, which keeps their state over time.
 */
import type { Expr } from './expr-parse.js';

export type ModelValue = number | boolean | string;
export type CallExpr = Extract<Expr, { k: 'call' }>;

export class ModelEvalError extends Error {}

export interface EvalScope {
  /** the value of a point, a param, `self`, `initial` or `pi`; throws for an unknown name */
  ref(name: string): ModelValue;
  /** the value of a stateful call (integral, follow) at the scope's time */
  stateful?(call: CallExpr): number;
}

interface Fn {
  min: number;
  max: number;
  f: (xs: number[]) => number;
}

const sumOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

/** The pure functions, with their arity. `if(c, a, b)` is built in (lazy, any type). */
export const PURE_FUNCTIONS: Readonly<Record<string, Fn>> = {
  avg: { min: 1, max: 64, f: (xs) => sumOf(xs) / xs.length },
  sum: { min: 1, max: 64, f: sumOf },
  min: { min: 1, max: 64, f: (xs) => Math.min(...xs) },
  max: { min: 1, max: 64, f: (xs) => Math.max(...xs) },
  abs: { min: 1, max: 1, f: ([x]) => Math.abs(x as number) },
  sign: { min: 1, max: 1, f: ([x]) => Math.sign(x as number) },
  sqrt: { min: 1, max: 1, f: ([x]) => Math.sqrt(x as number) },
  exp: { min: 1, max: 1, f: ([x]) => Math.exp(x as number) },
  ln: { min: 1, max: 1, f: ([x]) => Math.log(x as number) },
  round: { min: 1, max: 1, f: ([x]) => Math.sign(x as number) * Math.round(Math.abs(x as number)) },
  floor: { min: 1, max: 1, f: ([x]) => Math.floor(x as number) },
  clamp: { min: 3, max: 3, f: ([x, lo, hi]) => Math.min(hi as number, Math.max(lo as number, x as number)) },
  acos: { min: 1, max: 1, f: ([x]) => Math.acos(x as number) },
  asin: { min: 1, max: 1, f: ([x]) => Math.asin(x as number) },
  atan2: { min: 2, max: 2, f: ([y, x]) => Math.atan2(y as number, x as number) },
  degrees: { min: 1, max: 1, f: ([x]) => ((x as number) * 180) / Math.PI },
  radians: { min: 1, max: 1, f: ([x]) => ((x as number) * Math.PI) / 180 },
};

/**
 * Functions with state over time, evaluated on the model's time step (stepMs):
 * - integral(x): ∫ x dt in x-units × seconds since the start (0 at the start), x held over
 *   each step at its value at the step's start;
 * - follow(x, rate): a value that moves towards x by at most `rate` per second (a ramp: a drive
 *   following its speed set point); it starts at x.
 */
export const STATEFUL_FUNCTIONS: Readonly<Record<string, { min: number; max: number }>> = {
  integral: { min: 1, max: 1 },
  follow: { min: 2, max: 2 },
};

export const BUILTIN_NAMES = ['self', 'initial', 'pi'] as const;

export function toNumber(v: ModelValue): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'boolean') return v ? 1 : 0;
  throw new ModelEvalError(`text "${v}" used as a number`);
}

export function toBool(v: ModelValue): boolean {
  if (typeof v === 'boolean') return v;
  if (typeof v === 'number') return v !== 0;
  throw new ModelEvalError(`text "${v}" used as a condition`);
}

function equal(a: ModelValue, b: ModelValue): boolean {
  if (typeof a === 'string' || typeof b === 'string') return String(a) === String(b);
  return toNumber(a) === toNumber(b);
}

export function evalExpr(e: Expr, scope: EvalScope): ModelValue {
  switch (e.k) {
    case 'num':
    case 'str':
    case 'bool':
      return e.v;
    case 'ref':
      return scope.ref(e.name);
    case 'neg':
      return -toNumber(evalExpr(e.a, scope));
    case 'not':
      return !toBool(evalExpr(e.a, scope));
    case 'cond':
      return toBool(evalExpr(e.c, scope)) ? evalExpr(e.a, scope) : evalExpr(e.b, scope);
    case 'bin': {
      if (e.op === 'and') return toBool(evalExpr(e.a, scope)) && toBool(evalExpr(e.b, scope));
      if (e.op === 'or') return toBool(evalExpr(e.a, scope)) || toBool(evalExpr(e.b, scope));
      const a = evalExpr(e.a, scope);
      const b = evalExpr(e.b, scope);
      if (e.op === '==') return equal(a, b);
      if (e.op === '!=') return !equal(a, b);
      const x = toNumber(a);
      const y = toNumber(b);
      switch (e.op) {
        case '+':
          return x + y;
        case '-':
          return x - y;
        case '*':
          return x * y;
        case '/':
          return x / y;
        case '^':
          return x ** y;
        case '<':
          return x < y;
        case '<=':
          return x <= y;
        case '>':
          return x > y;
        case '>=':
          return x >= y;
      }
      throw new ModelEvalError(`unknown operator ${e.op as string}`);
    }
    case 'call': {
      if (e.fn === 'if') {
        return toBool(evalExpr(e.args[0] as Expr, scope))
          ? evalExpr(e.args[1] as Expr, scope)
          : evalExpr(e.args[2] as Expr, scope);
      }
      if (e.fn in STATEFUL_FUNCTIONS) {
        if (!scope.stateful) throw new ModelEvalError(`${e.fn}() needs the device's history`);
        return scope.stateful(e);
      }
      const fn = PURE_FUNCTIONS[e.fn];
      if (!fn) throw new ModelEvalError(`unknown function ${e.fn}()`);
      return fn.f(e.args.map((a) => toNumber(evalExpr(a, scope))));
    }
  }
}

/** Evaluates a relation and insists on a finite number, a boolean or a text. */
export function evalRelation(e: Expr, scope: EvalScope): ModelValue {
  const v = evalExpr(e, scope);
  if (typeof v === 'number' && !Number.isFinite(v)) throw new ModelEvalError(`result is ${v}`);
  return v;
}
