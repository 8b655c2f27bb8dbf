/**
 * A small InfluxQL reader for the Grafana dashboard check: pulls out the measurements
 * (FROM), fields (SELECT), tags (WHERE, GROUP BY, SHOW TAG VALUES WITH KEY) a query names,
 * and checks them against a schema. Covers the InfluxQL the dashboard uses (SELECT with
 * functions, AS, math, regex fields; SHOW TAG VALUES), not the whole language.
 */

export interface Schema {
  /** measurement → its tag keys and field keys */
  [measurement: string]: { tags: Set<string>; fields: Set<string> };
}

export interface QueryRefs {
  measurements: string[];
  fields: string[];
  fieldRegexes: string[];
  tags: string[];
  problems: string[];
}

type Tok = { k: 'qid' | 'str' | 'regex' | 'word' | 'num' | 'op' | 'punct' | 'var'; v: string };

const OPS = ['=~', '!~', '!=', '<>', '>=', '<=', '=', '<', '>', '+', '-', '*', '/'];
const KEYWORDS = new Set([
  'SELECT',
  'FROM',
  'WHERE',
  'GROUP',
  'BY',
  'ORDER',
  'LIMIT',
  'SLIMIT',
  'OFFSET',
  'SHOW',
  'TAG',
  'VALUES',
  'WITH',
  'KEY',
  'AS',
  'AND',
  'OR',
  'DESC',
  'ASC',
  'FILL',
  'NULL',
  'NONE',
  'PREVIOUS',
  'LINEAR',
  'TIME',
  'NOW',
]);

function tokenize(q: string): Tok[] {
  const out: Tok[] = [];
  let i = 0;
  let prev: Tok | undefined;
  while (i < q.length) {
    const c = q[i] as string;
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    let tok: Tok;
    if (c === '"' || c === "'") {
      let j = i + 1;
      while (j < q.length && q[j] !== c) j += q[j] === '\\' ? 2 : 1;
      tok = { k: c === '"' ? 'qid' : 'str', v: q.slice(i + 1, j) };
      i = j + 1;
    } else if (
      c === '/' &&
      (!prev || prev.k === 'op' || prev.v === ',' || prev.v === '(' || /^(SELECT|FROM)$/i.test(prev.v))
    ) {
      // a regex literal where an operand is expected (after =~, a comma, SELECT, FROM)
      let j = i + 1;
      while (j < q.length && q[j] !== '/') j += q[j] === '\\' ? 2 : 1;
      tok = { k: 'regex', v: q.slice(i + 1, j) };
      i = j + 1;
    } else if (c === '$') {
      const m = /^\$[A-Za-z_][A-Za-z0-9_]*/.exec(q.slice(i)) as RegExpExecArray;
      tok = { k: 'var', v: m[0] };
      i += m[0].length;
    } else if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(q.slice(i)) as RegExpExecArray;
      tok = { k: 'word', v: m[0] };
      i += m[0].length;
    } else if (/[0-9.]/.test(c)) {
      const m = /^[0-9.]+[a-z]*/.exec(q.slice(i)) as RegExpExecArray;
      tok = { k: 'num', v: m[0] };
      i += m[0].length;
    } else {
      const op = OPS.find((o) => q.startsWith(o, i));
      if (op) {
        tok = { k: 'op', v: op };
        i += op.length;
      } else {
        tok = { k: 'punct', v: c };
        i++;
      }
    }
    out.push(tok);
    prev = tok;
  }
  return out;
}

/** The identifiers one query names, by clause. */
export function queryRefs(query: string): QueryRefs {
  const toks = tokenize(query);
  const r: QueryRefs = { measurements: [], fields: [], fieldRegexes: [], tags: [], problems: [] };
  let clause = '';
  for (let i = 0; i < toks.length; i++) {
    const t = toks[i] as Tok;
    const next = toks[i + 1];
    const prev = toks[i - 1];
    const W = t.k === 'word' ? t.v.toUpperCase() : '';
    if (W === 'SELECT' || W === 'FROM' || W === 'WHERE' || W === 'ORDER' || W === 'LIMIT' || W === 'SHOW') {
      clause = W;
      continue;
    }
    if (W === 'GROUP') {
      clause = 'GROUP';
      continue;
    }
    if (W === 'WITH' && toks[i + 1]?.v.toUpperCase() === 'KEY') {
      clause = 'KEY';
      i++;
      continue;
    }
    const isIdent = t.k === 'qid' || (t.k === 'word' && !KEYWORDS.has(W));
    const isFunction = t.k === 'word' && next?.v === '(';
    const isAlias = prev?.k === 'word' && prev.v.toUpperCase() === 'AS';
    switch (clause) {
      case 'SELECT':
        if (
          t.k === 'op' &&
          t.v === '*' &&
          (prev?.v === ',' || prev?.v === '(' || prev?.v.toUpperCase() === 'SELECT')
        )
          r.problems.push('SELECT * names no field: list the fields');
        else if (t.k === 'regex') r.fieldRegexes.push(t.v);
        else if (isIdent && !isFunction && !isAlias) r.fields.push(t.v);
        break;
      case 'FROM':
        if (t.k === 'regex') r.problems.push(`FROM /${t.v}/: name the measurement`);
        else if (isIdent) r.measurements.push(t.v);
        break;
      case 'WHERE':
        if (isIdent && !isFunction && next?.k === 'op' && ['=', '!=', '<>', '=~', '!~'].includes(next.v)) {
          if (t.v !== 'time') r.tags.push(t.v);
        }
        break;
      case 'GROUP':
        if (isIdent && !isFunction && t.v.toUpperCase() !== 'BY') r.tags.push(t.v);
        break;
      case 'KEY':
        if (t.k === 'op' && t.v === '=') break;
        if (t.k === 'qid' || t.k === 'word') {
          r.tags.push(t.v);
          clause = 'SHOW';
        } else if (t.k === 'regex') r.problems.push(`WITH KEY =~ /${t.v}/: name the tag`);
        break;
    }
  }
  return r;
}

/** Problems with one query against the schema (empty when it only names what exists). */
export function checkQuery(query: string, schema: Schema): string[] {
  const r = queryRefs(query);
  const problems = [...r.problems];
  const isShow = /^\s*SHOW\b/i.test(query);
  const ms = r.measurements.length > 0 ? r.measurements : isShow ? Object.keys(schema) : [];
  if (!isShow && ms.length === 0) problems.push('no measurement in FROM');
  for (const m of r.measurements) if (!schema[m]) problems.push(`measurement "${m}" is not in the schema`);
  const known = ms.map((m) => schema[m]).filter((s) => s !== undefined);
  for (const f of r.fields) {
    if (!known.some((s) => s.fields.has(f))) problems.push(`field "${f}" is not a field of ${ms.join(', ')}`);
  }
  for (const re of r.fieldRegexes) {
    const rx = new RegExp(re);
    if (!known.some((s) => [...s.fields].some((f) => rx.test(f))))
      problems.push(`field regex /${re}/ matches no field`);
  }
  for (const t of r.tags) {
    // a SHOW TAG VALUES without FROM spans every measurement: the tag must exist in one
    const ok = isShow
      ? known.some((s) => s.tags.has(t))
      : known.length > 0 && known.every((s) => s.tags.has(t));
    if (!ok) problems.push(`tag "${t}" is not a tag of ${ms.join(', ')}`);
  }
  return problems;
}
