/**
 * A strict InfluxDB line-protocol parser (one line at a time). Used by the SQLite sink to
 * store lines, and by the HTTP sinks to refuse malformed lines before they reach a store
 * that would silently skip them (VictoriaMetrics answers 204 and drops a bad line).
 *
 *   measurement[,tag=value…] field=value[,field=value…] [timestamp]
 *
 * Escapes: `\,` and `\ ` in the measurement; `\,` `\=` `\ ` in tag keys, tag values and field
 * keys; `\"` and `\\` inside string field values.
 */
export type FieldType = 'float' | 'int' | 'uint' | 'bool' | 'string';

export interface ParsedField {
  key: string;
  type: FieldType;
  value: number | boolean | string;
}

export interface ParsedLine {
  measurement: string;
  /** in the order written */
  tags: [string, string][];
  fields: ParsedField[];
  /** as written (the ingest writes ms); undefined when the line has none */
  ts: number | undefined;
}

export type ParseResult = { ok: true; value: ParsedLine } | { ok: false; error: string };

const COMMA = 44;
const SPACE = 32;
const EQUALS = 61;
const BACKSLASH = 92;
const QUOTE = 34;

const FLOAT = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT = /^[+-]?\d+$/;

/** Reads an identifier up to one of the stop characters (unescaped); returns [text, index of the stop]. */
function readIdent(line: string, from: number, stopOnEquals: boolean): [string, number] {
  let out = '';
  let start = from;
  let i = from;
  for (; i < line.length; i++) {
    const c = line.charCodeAt(i);
    if (c === BACKSLASH && i + 1 < line.length) {
      const n = line.charCodeAt(i + 1);
      if (n === COMMA || n === SPACE || n === EQUALS || n === BACKSLASH) {
        out += line.slice(start, i);
        start = i + 1;
        i++;
      }
      continue;
    }
    if (c === COMMA || c === SPACE || (stopOnEquals && c === EQUALS)) break;
  }
  return [out + line.slice(start, i), i];
}

function fail(error: string): ParseResult {
  return { ok: false, error };
}

function scalar(text: string): { type: FieldType; value: number | boolean } | undefined {
  switch (text) {
    case 't':
    case 'T':
    case 'true':
    case 'True':
    case 'TRUE':
      return { type: 'bool', value: true };
    case 'f':
    case 'F':
    case 'false':
    case 'False':
    case 'FALSE':
      return { type: 'bool', value: false };
  }
  const last = text.charCodeAt(text.length - 1);
  if (last === 105 /* i */ || last === 117 /* u */) {
    const digits = text.slice(0, -1);
    if (!INT.test(digits)) return undefined;
    if (last === 117 && digits.startsWith('-')) return undefined;
    return { type: last === 105 ? 'int' : 'uint', value: Number(digits) };
  }
  if (!FLOAT.test(text)) return undefined;
  const v = Number(text);
  return Number.isFinite(v) ? { type: 'float', value: v } : undefined;
}

export function parseLine(line: string): ParseResult {
  if (line.length === 0) return fail('empty line');
  if (line.includes('\n')) return fail('line contains a newline');
  const [measurement, mEnd] = readIdent(line, 0, false);
  if (measurement === '') return fail('missing measurement');
  const tags: [string, string][] = [];
  let i = mEnd;
  while (i < line.length && line.charCodeAt(i) === COMMA) {
    const [key, kEnd] = readIdent(line, i + 1, true);
    if (key === '' || line.charCodeAt(kEnd) !== EQUALS) return fail('invalid tag (expected key=value)');
    const [value, vEnd] = readIdent(line, kEnd + 1, true);
    if (value === '' || line.charCodeAt(vEnd) === EQUALS) return fail(`invalid value for tag ${key}`);
    tags.push([key, value]);
    i = vEnd;
  }
  if (line.charCodeAt(i) !== SPACE) return fail('missing fields');
  i++;
  const fields: ParsedField[] = [];
  for (;;) {
    const [key, kEnd] = readIdent(line, i, true);
    if (key === '' || line.charCodeAt(kEnd) !== EQUALS) return fail('invalid field (expected key=value)');
    i = kEnd + 1;
    if (line.charCodeAt(i) === QUOTE) {
      let out = '';
      let start = i + 1;
      let j = start;
      for (; j < line.length; j++) {
        const c = line.charCodeAt(j);
        if (c === BACKSLASH && j + 1 < line.length) {
          const n = line.charCodeAt(j + 1);
          if (n === QUOTE || n === BACKSLASH) {
            out += line.slice(start, j);
            start = j + 1;
            j++;
          }
          continue;
        }
        if (c === QUOTE) break;
      }
      if (j >= line.length) return fail(`unterminated string in field ${key}`);
      fields.push({ key, type: 'string', value: out + line.slice(start, j) });
      i = j + 1;
    } else {
      let j = i;
      while (j < line.length) {
        const c = line.charCodeAt(j);
        if (c === COMMA || c === SPACE) break;
        j++;
      }
      const s = scalar(line.slice(i, j));
      if (s === undefined) return fail(`invalid value for field ${key}`);
      fields.push({ key, type: s.type, value: s.value });
      i = j;
    }
    const c = line.charCodeAt(i);
    if (c === COMMA) {
      i++;
      continue;
    }
    break;
  }
  let ts: number | undefined;
  if (i < line.length) {
    if (line.charCodeAt(i) !== SPACE) return fail('unexpected character after fields');
    const rest = line.slice(i + 1).trim();
    if (rest !== '') {
      if (!INT.test(rest)) return fail('invalid timestamp');
      ts = Number(rest);
    }
  }
  return { ok: true, value: { measurement, tags, fields, ts } };
}

/** Index and reason of every line that does not parse. */
export function findMalformed(lines: readonly string[]): { index: number; reason: string }[] {
  const bad: { index: number; reason: string }[] = [];
  for (let i = 0; i < lines.length; i++) {
    const r = parseLine(lines[i] as string);
    if (!r.ok) bad.push({ index: i, reason: r.error });
  }
  return bad;
}
