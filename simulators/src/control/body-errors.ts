/**
 * One clear message for a bad request body instead of Ajv's list (a wrong fault kind used to
 * answer "body/kind must be equal to constant" once per valid kind and never name them):
 * an unknown `kind` names the valid kinds; for a union of object shapes (signals) only the
 * errors of the shape the body's `kind` picks are kept; errors at one path are merged.
 */

/** The parts of an Ajv error used here. */
export interface AjvLike {
  instancePath: string;
  schemaPath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
}

const at = (path: string): string => `body${path}`;

export function describeBodyErrors(
  errors: readonly AjvLike[],
  body: unknown,
  kinds: readonly string[],
  what: 'fault' | 'signal',
): string {
  const kind =
    typeof body === 'object' && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>).kind
      : undefined;
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return `body must be a JSON object with a "kind" (${what} kinds: ${kinds.join(', ')})`;
  }
  if (kind === undefined) return `body/kind is required: one of ${kinds.join(', ')}`;
  if (typeof kind !== 'string' || !kinds.includes(kind)) {
    return `body/kind: ${JSON.stringify(kind)} is not a ${what} kind; valid kinds: ${kinds.join(', ')}`;
  }
  // a union of shapes: keep the errors of the branch this kind selects
  const branch = kinds.indexOf(kind);
  let relevant = errors.filter(
    (e) => !/^#\/anyOf\/\d+\//.test(e.schemaPath) || e.schemaPath.startsWith(`#/anyOf/${branch}/`),
  );
  relevant = relevant.filter((e) => !(e.instancePath === '' && e.keyword === 'anyOf'));
  const byPath = new Map<string, AjvLike[]>();
  for (const e of relevant) {
    const key =
      e.keyword === 'required' ? `${e.instancePath}/${String(e.params.missingProperty)}` : e.instancePath;
    byPath.set(key, [...(byPath.get(key) ?? []), e]);
  }
  const parts: string[] = [];
  for (const [path, es] of byPath) {
    const allowed = es.flatMap((e) =>
      e.keyword === 'const'
        ? [e.params.allowedValue]
        : e.keyword === 'enum'
          ? (e.params.allowedValues as unknown[])
          : [],
    );
    if (allowed.length > 0) {
      parts.push(`${at(path)} must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`);
      continue;
    }
    const e = es.find((x) => x.keyword !== 'anyOf') ?? (es[0] as AjvLike);
    if (e.keyword === 'required') parts.push(`${at(path)} is required`);
    else if (e.keyword === 'additionalProperties')
      parts.push(`${at(path)}: unknown field "${String(e.params.additionalProperty)}"`);
    else parts.push(`${at(path)} ${e.message ?? 'is invalid'}`);
  }
  return parts.length > 0 ? parts.join('; ') : 'body is invalid';
}
