/**
 * The relation expression language: a small, total grammar parsed into a tree.
 *
 *   expr    := or ('?' expr ':' expr)?
 *   or      := and (('or' | '||') and)*
 *   and     := not (('and' | '&&') not)*
 *   not     := ('not' | '!') not | cmp
 *   cmp     := add (('<' | '<=' | '>' | '>=' | '==' | '!=') add)?
 *   add     := mul (('+' | '-') mul)*
 *   mul     := unary (('*' | '/') unary)*
 *   unary   := '-' unary | pow
 *   pow     := primary ('^' unary)?            (right-associative: 2^3^2 = 2^9)
 *   primary := number | 'text' | "text" | true | false | name | name '(' args ')' | '(' expr ')'
 *
 * Every node keeps its column (1-based) so errors point into the expression.
 */

export type BinaryOp = '+' | '-' | '*' | '/' | '^' | '<' | '<=' | '>' | '>=' | '==' | '!=' | 'and' | 'or';

export type Expr =
  | { k: 'num'; v: number; col: number }
  | { k: 'str'; v: string; col: number }
  | { k: 'bool'; v: boolean; col: number }
  | { k: 'ref'; name: string; col: number }
  | { k: 'neg'; a: Expr; col: number }
  | { k: 'not'; a: Expr; col: number }
  | { k: 'bin'; op: BinaryOp; a: Expr; b: Expr; col: number }
  | { k: 'cond'; c: Expr; a: Expr; b: Expr; col: number }
  | { k: 'call'; fn: string; args: Expr[]; col: number };

export class ExprSyntaxError extends Error {
  constructor(
    message: string,
    /** 1-based column in the expression */
    readonly column: number,
  ) {
    super(`${message} (column ${column})`);
  }
}

type Tok =
  | { t: 'num'; v: number; col: number }
  | { t: 'str'; v: string; col: number }
  | { t: 'name'; v: string; col: number }
  | { t: 'op'; v: string; col: number }
  | { t: 'end'; col: number };

const OPS = [
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '+',
  '-',
  '*',
  '/',
  '^',
  '(',
  ')',
  ',',
  '?',
  ':',
  '<',
  '>',
  '!',
];

function tokenize(src: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  while (i < src.length) {
    const c = src[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    const col = i + 1;
    const num = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i));
    if (num) {
      out.push({ t: 'num', v: Number(num[0]), col });
      i += num[0].length;
      continue;
    }
    const name = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i));
    if (name) {
      out.push({ t: 'name', v: name[0], col });
      i += name[0].length;
      continue;
    }
    if (c === "'" || c === '"') {
      const end = src.indexOf(c, i + 1);
      if (end < 0) throw new ExprSyntaxError('text not closed', col);
      out.push({ t: 'str', v: src.slice(i + 1, end), col });
      i = end + 1;
      continue;
    }
    const op = OPS.find((o) => src.startsWith(o, i));
    if (!op) throw new ExprSyntaxError(`unexpected character "${c}"`, col);
    out.push({ t: 'op', v: op, col });
    i += op.length;
  }
  out.push({ t: 'end', col: src.length + 1 });
  return out;
}

const describe = (t: Tok): string =>
  t.t === 'end' ? 'end of expression' : t.t === 'str' ? `'${t.v}'` : `"${t.v}"`;

/** Parses one relation expression; throws ExprSyntaxError naming the column. */
export function parseExpr(src: string): Expr {
  const toks = tokenize(src);
  let p = 0;
  const peek = (): Tok => toks[p] as Tok;
  const isOp = (...vs: string[]): boolean => {
    const t = peek();
    return t.t === 'op' && vs.includes(t.v);
  };
  const isWord = (...vs: string[]): boolean => {
    const t = peek();
    return t.t === 'name' && vs.includes(t.v);
  };
  const expectOp = (v: string): void => {
    if (!isOp(v)) throw new ExprSyntaxError(`expected "${v}", found ${describe(peek())}`, peek().col);
    p++;
  };

  const expr = (): Expr => {
    const c = or();
    if (!isOp('?')) return c;
    const col = peek().col;
    p++;
    const a = expr();
    expectOp(':');
    const b = expr();
    return { k: 'cond', c, a, b, col };
  };
  const or = (): Expr => {
    let a = and();
    while (isOp('||') || isWord('or')) {
      const col = peek().col;
      p++;
      a = { k: 'bin', op: 'or', a, b: and(), col };
    }
    return a;
  };
  const and = (): Expr => {
    let a = not();
    while (isOp('&&') || isWord('and')) {
      const col = peek().col;
      p++;
      a = { k: 'bin', op: 'and', a, b: not(), col };
    }
    return a;
  };
  const not = (): Expr => {
    if (isOp('!') || isWord('not')) {
      const col = peek().col;
      p++;
      return { k: 'not', a: not(), col };
    }
    return cmp();
  };
  const cmp = (): Expr => {
    const a = add();
    if (isOp('<', '<=', '>', '>=', '==', '!=')) {
      const t = peek() as { v: string; col: number };
      p++;
      const b = add();
      if (isOp('<', '<=', '>', '>=', '==', '!=')) {
        throw new ExprSyntaxError('comparisons do not chain: use "and"', peek().col);
      }
      return { k: 'bin', op: t.v as BinaryOp, a, b, col: t.col };
    }
    return a;
  };
  const add = (): Expr => {
    let a = mul();
    while (isOp('+', '-')) {
      const t = peek() as { v: string; col: number };
      p++;
      a = { k: 'bin', op: t.v as BinaryOp, a, b: mul(), col: t.col };
    }
    return a;
  };
  const mul = (): Expr => {
    let a = unary();
    while (isOp('*', '/')) {
      const t = peek() as { v: string; col: number };
      p++;
      a = { k: 'bin', op: t.v as BinaryOp, a, b: unary(), col: t.col };
    }
    return a;
  };
  const unary = (): Expr => {
    if (isOp('-')) {
      const col = peek().col;
      p++;
      return { k: 'neg', a: unary(), col };
    }
    return pow();
  };
  const pow = (): Expr => {
    const a = primary();
    if (!isOp('^')) return a;
    const col = peek().col;
    p++;
    return { k: 'bin', op: '^', a, b: unary(), col };
  };
  const primary = (): Expr => {
    const t = peek();
    if (t.t === 'num') {
      p++;
      return { k: 'num', v: t.v, col: t.col };
    }
    if (t.t === 'str') {
      p++;
      return { k: 'str', v: t.v, col: t.col };
    }
    if (t.t === 'name') {
      if (['and', 'or', 'not'].includes(t.v)) {
        throw new ExprSyntaxError(`"${t.v}" needs a value before it`, t.col);
      }
      p++;
      if (t.v === 'true' || t.v === 'false') return { k: 'bool', v: t.v === 'true', col: t.col };
      if (!isOp('(')) return { k: 'ref', name: t.v, col: t.col };
      p++;
      const args: Expr[] = [];
      if (!isOp(')')) {
        args.push(expr());
        while (isOp(',')) {
          p++;
          args.push(expr());
        }
      }
      expectOp(')');
      return { k: 'call', fn: t.v, args, col: t.col };
    }
    if (isOp('(')) {
      p++;
      const e = expr();
      expectOp(')');
      return e;
    }
    throw new ExprSyntaxError(`expected a value, found ${describe(t)}`, t.col);
  };

  const e = expr();
  if (peek().t !== 'end') throw new ExprSyntaxError(`unexpected ${describe(peek())}`, peek().col);
  return e;
}

/** Every name an expression refers to (points, params, self, initial, pi). */
export function exprNames(e: Expr, out = new Set<string>()): Set<string> {
  switch (e.k) {
    case 'ref':
      out.add(e.name);
      break;
    case 'neg':
    case 'not':
      exprNames(e.a, out);
      break;
    case 'bin':
      exprNames(e.a, out);
      exprNames(e.b, out);
      break;
    case 'cond':
      exprNames(e.c, out);
      exprNames(e.a, out);
      exprNames(e.b, out);
      break;
    case 'call':
      for (const a of e.args) exprNames(a, out);
      break;
    default:
      break;
  }
  return out;
}

/** Every function call in an expression, outermost first. */
export function exprCalls(e: Expr, out: Extract<Expr, { k: 'call' }>[] = []): Extract<Expr, { k: 'call' }>[] {
  switch (e.k) {
    case 'call':
      out.push(e);
      for (const a of e.args) exprCalls(a, out);
      break;
    case 'neg':
    case 'not':
      exprCalls(e.a, out);
      break;
    case 'bin':
      exprCalls(e.a, out);
      exprCalls(e.b, out);
      break;
    case 'cond':
      exprCalls(e.c, out);
      exprCalls(e.a, out);
      exprCalls(e.b, out);
      break;
    default:
      break;
  }
  return out;
}
