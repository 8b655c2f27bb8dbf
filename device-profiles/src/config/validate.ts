/**
 * Validates a plain value against a TypeBox schema and turns every error into a readable
 * `Problem` with a path like `devices[3].points[7].type` and the line it is written on.
 *
 * TypeBox reports a failed union as one opaque "Expected union value". We pick the branch
 * the author meant and report that branch's errors instead:
 * - a union of literals → `expected one of a, b, c`;
 * - objects sharing a literal discriminator (`kind: nmea | regex | column`) → the branch
 *   named by the value's discriminator;
 * - objects told apart by a property only one branch requires (`modbus` / `opcua` /
 *   `serial`) → the branch whose key is present; none or several → one clear problem;
 * - otherwise → the branch with the fewest errors.
 */
import { Kind, type TSchema } from '@sinclair/typebox';
import { Value, type ValueError, ValueErrorType } from '@sinclair/typebox/value';
import { formatPath, type PathSegment, type Problem } from './problem.js';
import { type Locate, locateNearest } from './yaml-document.js';

interface Found {
  path: PathSegment[];
  message: string;
  /** locate the key rather than the value */
  key?: boolean;
}

type AnySchema = TSchema & {
  anyOf?: TSchema[];
  const?: unknown;
  properties?: Record<string, TSchema>;
  required?: string[];
  pattern?: string;
  description?: string;
  minimum?: number;
  maximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  type?: string | string[];
};

/** Every problem of `value` against `schema`, located in `file` through `locate`. */
export function validateAgainst(schema: TSchema, value: unknown, file: string, locate: Locate): Problem[] {
  const found: Found[] = [];
  collect(schema, value, [], found);
  const seen = new Set<string>();
  const problems: Problem[] = [];
  for (const f of found) {
    const path = formatPath(f.path);
    const key = `${path}\0${f.message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const at = locateNearest(locate, f.path, f.key ? { key: true } : undefined);
    problems.push({ file, ...(at ? { line: at.line, column: at.column } : {}), path, message: f.message });
  }
  return problems;
}

function pointerToSegments(pointer: string): PathSegment[] {
  if (pointer === '') return [];
  return pointer
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
    .map((s) => (/^(0|[1-9]\d*)$/.test(s) ? Number(s) : s));
}

function collect(schema: TSchema, value: unknown, base: PathSegment[], out: Found[]): void {
  const errors = [...Value.Errors(schema, value)];
  // a missing required property also fails its type check at the same path: report it once
  const missing = new Set(
    errors.filter((e) => e.type === ValueErrorType.ObjectRequiredProperty).map((e) => e.path),
  );
  for (const e of errors) {
    const path = [...base, ...pointerToSegments(e.path)];
    if (e.type !== ValueErrorType.ObjectRequiredProperty && missing.has(e.path)) continue;
    if (e.type === ValueErrorType.Union) collectUnion(e.schema as AnySchema, e.value, path, out);
    else
      out.push({
        path,
        message: describe(e, path),
        ...(e.type === ValueErrorType.ObjectAdditionalProperties ? { key: true } : {}),
      });
  }
}

const kindOf = (s: AnySchema): unknown => (s as unknown as Record<symbol, unknown>)[Kind];
const isLiteral = (s: AnySchema): boolean => kindOf(s) === 'Literal';
const isObjectSchema = (s: AnySchema): boolean => kindOf(s) === 'Object';
const isPlainObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

function collectUnion(schema: AnySchema, value: unknown, path: PathSegment[], out: Found[]): void {
  const variants = (schema.anyOf ?? []) as AnySchema[];
  if (variants.length > 0 && variants.every(isLiteral)) {
    const options = variants.map((v) => String(v.const)).join(', ');
    out.push({ path, message: `expected one of ${options}, got ${show(value)}` });
    return;
  }
  if (variants.length > 0 && variants.every(isObjectSchema)) {
    if (!isPlainObject(value)) {
      out.push({ path, message: `expected a mapping, got ${show(value)}` });
      return;
    }
    // 1. a shared literal discriminator, e.g. kind
    const discriminator = Object.keys(variants[0]?.properties ?? {}).find((k) =>
      variants.every((v) => {
        const p = v.properties?.[k] as AnySchema | undefined;
        return p !== undefined && isLiteral(p) && (v.required ?? []).includes(k);
      }),
    );
    if (discriminator !== undefined) {
      const constOf = (v: AnySchema): unknown =>
        (v.properties?.[discriminator] as AnySchema | undefined)?.const;
      const options = variants.map((v) => String(constOf(v)));
      const chosen = variants.find((v) => constOf(v) === value[discriminator]);
      if (chosen) {
        collect(chosen, value, path, out);
        return;
      }
      out.push(
        value[discriminator] === undefined
          ? {
              path: [...path, discriminator],
              message: `missing required property ${discriminator} (one of ${options.join(', ')})`,
            }
          : {
              path: [...path, discriminator],
              message: `expected one of ${options.join(', ')}, got ${show(value[discriminator])}`,
            },
      );
      return;
    }
    // 2. a key that only one branch requires, e.g. modbus / opcua / serial
    const unique = variants.map((v) =>
      (v.required ?? []).filter((k) => variants.every((o) => o === v || !(o.required ?? []).includes(k))),
    );
    if (unique.every((u) => u.length > 0)) {
      const keys = unique.map((u) => u[0] as string);
      const present = variants.filter((_, i) => unique[i]?.some((k) => k in value));
      if (present.length === 1) {
        collect(present[0] as AnySchema, value, path, out);
        return;
      }
      const names = orList(keys);
      out.push({
        path,
        message:
          present.length === 0
            ? `needs exactly one of ${names}`
            : `has ${present.length} of ${names}; exactly one is allowed`,
      });
      return;
    }
  }
  // 3. the branch with the fewest errors
  let best: AnySchema | undefined;
  let bestCount = Number.POSITIVE_INFINITY;
  for (const v of variants) {
    const n = [...Value.Errors(v, value)].length;
    if (n < bestCount) {
      best = v;
      bestCount = n;
    }
  }
  if (variants.every((v) => !isObjectSchema(v)) && !isPlainObject(value)) {
    out.push({ path, message: `expected ${orList(variants.map(typeName))}, got ${show(value)}` });
    return;
  }
  if (best) collect(best, value, path, out);
}

function orList(items: string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items[items.length - 1]}`;
}

function typeName(s: AnySchema): string {
  if (isLiteral(s)) return JSON.stringify(s.const);
  switch (kindOf(s)) {
    case 'Integer':
      return 'an integer';
    case 'Number':
      return 'a number';
    case 'String':
      return 'a string';
    case 'Boolean':
      return 'true or false';
    case 'Array':
      return 'a list';
    case 'Object':
    case 'Record':
      return 'a mapping';
    case 'Null':
      return 'null';
    default:
      return String(kindOf(s) ?? 'a value');
  }
}

/** A short rendering of the offending value for messages. */
function show(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 37)}...` : v);
  return String(v);
}

function describe(e: ValueError, path: PathSegment[]): string {
  const s = e.schema as AnySchema;
  const last = path[path.length - 1];
  const hint = s.description ? ` (${s.description})` : '';
  switch (e.type) {
    case ValueErrorType.ObjectRequiredProperty:
      return `missing required property ${String(last)}${hint}`;
    case ValueErrorType.ObjectAdditionalProperties: {
      const known = Object.keys(s.properties ?? {});
      return known.length > 0
        ? `unknown property ${String(last)} (expected one of ${known.join(', ')})`
        : `unknown property ${String(last)}`;
    }
    case ValueErrorType.Literal:
      return `expected ${JSON.stringify(s.const)}, got ${show(e.value)}`;
    case ValueErrorType.String:
      return typeof e.value === 'number' || typeof e.value === 'boolean'
        ? `expected a string, got ${show(e.value)} (quote it: "${String(e.value)}")`
        : `expected a string, got ${show(e.value)}`;
    case ValueErrorType.Number:
    case ValueErrorType.Integer:
    case ValueErrorType.Boolean:
    case ValueErrorType.Array:
    case ValueErrorType.Object:
    case ValueErrorType.Null:
      return `expected ${typeName(s)}, got ${show(e.value)}`;
    case ValueErrorType.StringPattern:
      return `expected a string matching ${s.pattern}${hint}, got ${show(e.value)}`;
    case ValueErrorType.StringMinLength:
      return s.minLength === 1 ? 'must not be empty' : `expected at least ${s.minLength} characters`;
    case ValueErrorType.StringMaxLength:
      return `expected at most ${s.maxLength} characters`;
    case ValueErrorType.IntegerMinimum:
    case ValueErrorType.NumberMinimum:
      return `expected a value >= ${s.minimum}, got ${show(e.value)}`;
    case ValueErrorType.IntegerMaximum:
    case ValueErrorType.NumberMaximum:
      return `expected a value <= ${s.maximum}, got ${show(e.value)}`;
    case ValueErrorType.ArrayMinItems:
      return `expected at least ${s.minItems} item${s.minItems === 1 ? '' : 's'}`;
    case ValueErrorType.ArrayMaxItems:
      return `expected at most ${s.maxItems} items`;
    default:
      return e.message;
  }
}
