/**
 * Checks and compiles a profile's `relations` section (the device model): every relation parses, names a point of the
 * profile, uses only known names and functions with the right number of arguments, and no
 * point depends on itself through other relations. Every problem is returned at once, each
 * with its path (`relations.derived.power_l1`) and the column inside the expression.
 */
import type { PathSegment } from '../config/problem.js';
import { BUILTIN_NAMES, PURE_FUNCTIONS, STATEFUL_FUNCTIONS } from './expr-eval.js';
import { type Expr, ExprSyntaxError, exprCalls, exprNames, parseExpr } from './expr-parse.js';
import type { DeviceModel } from './model-schema.js';

export const DEFAULT_MODEL_STEP_MS = 1000;

export interface CompiledRelation {
  point: string;
  source: string;
  expr: Expr;
  /** points this relation reads (not params or builtins) */
  deps: string[];
  /** it calls integral() or follow() */
  stateful: boolean;
  /** it reads `self` or `initial` (the point's own signal) */
  usesOwnSignal: boolean;
}

export interface CompiledCheck {
  source: string;
  expr: Expr;
  deps: string[];
}

export interface CompiledModel {
  stepMs: number;
  params: Readonly<Record<string, number>>;
  relations: ReadonlyMap<string, CompiledRelation>;
  /** derived points, each after every derived point it reads */
  order: readonly string[];
  checks: readonly CompiledCheck[];
}

export interface ModelFinding {
  path: PathSegment[];
  message: string;
}

function closest(name: string, known: readonly string[]): string | undefined {
  let best: string | undefined;
  let bestD = Math.max(2, Math.floor(name.length / 3)) + 1;
  for (const k of known) {
    const d = editDistance(name, k);
    if (d < bestD) {
      bestD = d;
      best = k;
    }
  }
  return best;
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        (prev[j] as number) + 1,
        (cur[j - 1] as number) + 1,
        (prev[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length] as number;
}

const FUNCTION_NAMES = ['if', ...Object.keys(PURE_FUNCTIONS), ...Object.keys(STATEFUL_FUNCTIONS)];

function arity(fn: string): { min: number; max: number } | undefined {
  if (fn === 'if') return { min: 3, max: 3 };
  return PURE_FUNCTIONS[fn] ?? STATEFUL_FUNCTIONS[fn];
}

/**
 * Compiles `model` for a profile with these point names. `model` undefined (no relations) is a
 * valid, empty model.
 */
export function compileModel(
  model: DeviceModel | undefined,
  pointNames: readonly string[],
): { model?: CompiledModel; findings: ModelFinding[] } {
  const findings: ModelFinding[] = [];
  const points = new Set(pointNames);
  const params = model?.params ?? {};
  for (const name of Object.keys(params)) {
    if (points.has(name) || (BUILTIN_NAMES as readonly string[]).includes(name)) {
      findings.push({
        path: ['relations', 'params', name],
        message: `param "${name}" has the name of a ${points.has(name) ? 'point' : 'built-in name'}: rename it`,
      });
    }
    if (!Number.isFinite(params[name])) {
      findings.push({ path: ['relations', 'params', name], message: 'must be a finite number' });
    }
  }
  const known = [...pointNames, ...Object.keys(params)];

  const checkExpr = (
    source: string,
    path: PathSegment[],
    where: 'relation' | 'check',
  ): { expr: Expr; deps: string[]; stateful: boolean; own: boolean } | undefined => {
    let expr: Expr;
    try {
      expr = parseExpr(source);
    } catch (err) {
      if (err instanceof ExprSyntaxError) {
        findings.push({ path, message: `${err.message} in "${source}"` });
        return undefined;
      }
      throw err;
    }
    let ok = true;
    const deps: string[] = [];
    let own = false;
    for (const name of exprNames(expr)) {
      if (points.has(name)) deps.push(name);
      else if (name === 'self' || name === 'initial') {
        own = true;
        if (where === 'check') {
          findings.push({ path, message: `"${name}" belongs to a relation, not a check` });
          ok = false;
        }
      } else if (!(name in params) && name !== 'pi') {
        const hint = closest(name, known);
        findings.push({
          path,
          message: `unknown name "${name}"${hint ? ` (did you mean "${hint}"?)` : ''}: not a point of the profile, a param, self, initial or pi`,
        });
        ok = false;
      }
    }
    let stateful = false;
    for (const call of exprCalls(expr)) {
      const a = arity(call.fn);
      if (!a) {
        const hint = closest(call.fn, FUNCTION_NAMES);
        findings.push({
          path,
          message: `unknown function ${call.fn}() at column ${call.col}${hint ? ` (did you mean ${hint}()?)` : ''}; known: ${FUNCTION_NAMES.join(', ')}`,
        });
        ok = false;
        continue;
      }
      if (call.args.length < a.min || call.args.length > a.max) {
        const want = a.min === a.max ? `${a.min}` : `${a.min} to ${a.max}`;
        findings.push({
          path,
          message: `${call.fn}() takes ${want} argument${a.max === 1 ? '' : 's'}, got ${call.args.length} (column ${call.col})`,
        });
        ok = false;
      }
      if (call.fn in STATEFUL_FUNCTIONS) {
        stateful = true;
        if (where === 'check') {
          findings.push({ path, message: `${call.fn}() carries state over time: not allowed in a check` });
          ok = false;
        }
      }
    }
    return ok ? { expr, deps, stateful, own } : undefined;
  };

  const relations = new Map<string, CompiledRelation>();
  for (const [point, source] of Object.entries(model?.derived ?? {})) {
    const path: PathSegment[] = ['relations', 'derived', point];
    if (!points.has(point)) {
      const hint = closest(point, pointNames);
      findings.push({
        path,
        message: `no point "${point}" in the profile${hint ? ` (did you mean "${hint}"?)` : ''}: a relation computes one of the profile's points`,
      });
      continue;
    }
    const c = checkExpr(source, path, 'relation');
    if (c) {
      relations.set(point, {
        point,
        source,
        expr: c.expr,
        deps: c.deps,
        stateful: c.stateful,
        usesOwnSignal: c.own,
      });
    }
  }

  // topological order of derived points; a cycle is reported once, naming its members
  const order: string[] = [];
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles = new Set<string>();
  const visit = (name: string, trail: string[]): void => {
    const s = state.get(name);
    if (s === 'done') return;
    if (s === 'visiting') {
      const cycle = [...trail.slice(trail.indexOf(name)), name];
      const key = [...new Set(cycle)].sort().join(',');
      if (!cycles.has(key)) {
        cycles.add(key);
        findings.push({
          path: ['relations', 'derived', name],
          message: `relations depend on themselves: ${cycle.join(' → ')}`,
        });
      }
      return;
    }
    state.set(name, 'visiting');
    const r = relations.get(name);
    for (const d of r?.deps ?? []) if (relations.has(d)) visit(d, [...trail, name]);
    state.set(name, 'done');
    order.push(name);
  };
  for (const name of relations.keys()) visit(name, []);

  const checks: CompiledCheck[] = [];
  (model?.checks ?? []).forEach((source, i) => {
    const c = checkExpr(source, ['relations', 'checks', i], 'check');
    if (c) checks.push({ source, expr: c.expr, deps: c.deps });
  });

  if (findings.length > 0) return { findings };
  return {
    model: { stepMs: model?.stepMs ?? DEFAULT_MODEL_STEP_MS, params, relations, order, checks },
    findings,
  };
}
