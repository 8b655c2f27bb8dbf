/**
 * A configuration problem: what is wrong, where. Every config loader in Ganzhi (profiles,
 * gateway configs, simulator scenarios, broker and ingest configs) reports these, all at
 * once, so an engineer fixes a file in one pass instead of one error per restart.
 */
export interface Problem {
  /** file name as given by the caller (relative paths stay relative) */
  file: string;
  /** 1-based line, when the problem can be located in the source text */
  line?: number;
  /** 1-based column */
  column?: number;
  /** where in the document: `points[7].modbus.type`; '' for the whole document */
  path: string;
  /** what was expected, e.g. `expected one of int16, uint16`, `unknown property foo` */
  message: string;
}

/** One step of a document path: an object key or an array index. */
export type PathSegment = string | number;

const IDENT = /^[A-Za-z_$][A-Za-z0-9_$-]*$/;

/** Renders path segments as `points[7].modbus.type` (odd keys quoted: `enum["0"]`). */
export function formatPath(segments: readonly PathSegment[]): string {
  let out = '';
  for (const s of segments) {
    if (typeof s === 'number') out += `[${s}]`;
    else if (IDENT.test(s)) out += out === '' ? s : `.${s}`;
    else out += `[${JSON.stringify(s)}]`;
  }
  return out;
}

/** `file:line:col path: message` (the location or path part is left out when unknown). */
export function formatProblem(p: Problem): string {
  let where = p.file;
  if (p.line !== undefined) where += `:${p.line}`;
  if (p.line !== undefined && p.column !== undefined) where += `:${p.column}`;
  return p.path === '' ? `${where}: ${p.message}` : `${where} ${p.path}: ${p.message}`;
}

/** Sorts problems by file, then line, then column, keeping the original order for ties. */
export function sortProblems(problems: readonly Problem[]): Problem[] {
  return problems
    .map((p, i) => ({ p, i }))
    .sort(
      (a, b) =>
        a.p.file.localeCompare(b.p.file) ||
        (a.p.line ?? 0) - (b.p.line ?? 0) ||
        (a.p.column ?? 0) - (b.p.column ?? 0) ||
        a.i - b.i,
    )
    .map((x) => x.p);
}
