/**
 * YAML (and JSON, which is YAML 1.2) parsing that keeps source locations, so that any
 * later check can say `file:12:7 points[3].modbus.type: …`.
 */
import { isMap, isPair, isScalar, isSeq, LineCounter, type Node, parseDocument } from 'yaml';
import type { PathSegment, Problem } from './problem.js';

export interface SourcePosition {
  /** 1-based */
  line: number;
  /** 1-based */
  column: number;
}

/**
 * Finds where a document path is written. Returns undefined when the path does not exist
 * in the document (callers fall back to a parent path; see `locateNearest`).
 */
export type Locate = (path: readonly PathSegment[], opts?: LocateOptions) => SourcePosition | undefined;

export interface LocateOptions {
  /** point at the key of the last path segment rather than at its value (e.g. unknown keys) */
  key?: boolean;
}

export interface ParsedDocument {
  /** the plain JS value; undefined when the text has syntax errors */
  value?: unknown;
  /** YAML syntax errors, each with its line and column */
  problems: Problem[];
  locate: Locate;
}

/** Anchors/aliases may expand at most this many times (guards against "billion laughs"). */
const MAX_ALIAS_COUNT = 100;

/**
 * Parses YAML or JSON text. The first syntax error (including a duplicate key) becomes a
 * problem with its line; the value is then left undefined so that nothing validates half a
 * document. Later syntax errors are not reported: they are nearly always echoes of the
 * first one, and fixing it changes them.
 */
export function parseYamlDocument(text: string, file: string): ParsedDocument {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, uniqueKeys: true });
  const pos = (offset: number): SourcePosition => {
    const lp = lineCounter.linePos(offset);
    return { line: lp.line, column: lp.col };
  };

  const locate: Locate = (path, opts) => {
    let node: unknown = doc.contents;
    // where the last key of the path is written, used for block collections
    let keyPos: SourcePosition | undefined;
    for (const seg of path) {
      if (isMap(node)) {
        const pair = node.items.find(
          (it) => isPair(it) && isScalar(it.key) && String(it.key.value) === String(seg),
        );
        if (!pair) return undefined;
        const key = pair.key as Node;
        keyPos = key.range ? pos(key.range[0]) : undefined;
        node = pair.value;
        if (node === null || node === undefined) return keyPos;
      } else if (isSeq(node) && typeof seg === 'number') {
        const item = node.items[seg];
        if (item === undefined) return undefined;
        keyPos = undefined;
        node = item;
      } else {
        return undefined;
      }
    }
    if (opts?.key && keyPos) return keyPos;
    const n = node as Node | null | undefined;
    if (!n?.range) return keyPos ?? (path.length === 0 ? { line: 1, column: 1 } : undefined);
    // a block mapping or list under a key reads best at its key line
    if ((isMap(n) || isSeq(n)) && !n.flow && keyPos) return keyPos;
    return pos(n.range[0]);
  };

  // only the first syntax error: the ones after it are nearly always its echoes
  const problems: Problem[] = doc.errors.slice(0, 1).map((e) => {
    // prettyErrors appends " at line L, column C:" and a source excerpt; keep the sentence
    let message = (e.message.split('\n')[0] ?? e.message).replace(/ at line \d+, column \d+:?$/, '');
    let at: SourcePosition | undefined = e.linePos?.[0]
      ? { line: e.linePos[0].line, column: e.linePos[0].col }
      : undefined;
    // an unclosed { [ or " is only noticed lines later: point at where it was opened
    const opener =
      /end with a ([\]}])/.exec(message)?.[1] ?? (/^Missing closing "quote/.test(message) ? '"' : undefined);
    const openedAt = opener && e.pos ? findOpener(text, e.pos[0], opener) : undefined;
    if (openedAt !== undefined) {
      at = pos(openedAt);
      message += ` (the ${text[openedAt]} here is not closed)`;
    }
    return {
      file,
      ...(at ? { line: at.line, column: at.column } : {}),
      path: '',
      message: `YAML syntax error: ${message}`,
    };
  });
  if (problems.length > 0) return { problems, locate };
  try {
    return { value: doc.toJS({ maxAliasCount: MAX_ALIAS_COUNT }), problems, locate };
  } catch (err) {
    // e.g. too many alias expansions
    return {
      problems: [{ file, path: '', message: `YAML error: ${(err as Error).message}` }],
      locate,
    };
  }
}

/** The position of the path, or of its nearest ancestor that exists in the document. */
export function locateNearest(
  locate: Locate,
  path: readonly PathSegment[],
  opts?: LocateOptions,
): SourcePosition | undefined {
  for (let n = path.length; n >= 0; n--) {
    const at = locate(path.slice(0, n), n === path.length ? opts : undefined);
    if (at) return at;
  }
  return undefined;
}

/** Offset of the unmatched opening bracket (for `]`/`}`) or quote (for `"`) before `end`. */
function findOpener(text: string, end: number, closer: string): number | undefined {
  if (closer === '"') {
    const i = text.lastIndexOf('"', end - 1);
    return i >= 0 ? i : undefined;
  }
  const open = closer === '}' ? '{' : '[';
  let depth = 0;
  for (let i = Math.min(end, text.length) - 1; i >= 0; i--) {
    const c = text[i];
    if (c === closer) depth++;
    else if (c === open) {
      if (depth === 0) return i;
      depth--;
    }
  }
  return undefined;
}
