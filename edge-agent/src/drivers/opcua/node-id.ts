/**
 * `nsu=<namespace uri>;s=x` node ids (stable across server restarts) resolved to the
 * `ns=<index>;s=x` the server uses in this session, from its NamespaceArray.
 */
export type Resolved = { ok: true; nodeId: string } | { ok: false; reason: string };

export function resolveNodeId(nodeId: string, namespaceArray: readonly string[]): Resolved {
  const m = /^nsu=([^;]+);(.+)$/.exec(nodeId);
  if (!m) return { ok: true, nodeId };
  const uri = m[1]!;
  const index = namespaceArray.indexOf(uri);
  if (index < 0) return { ok: false, reason: `namespace not served: ${uri}` };
  return { ok: true, nodeId: `ns=${index};${m[2]}` };
}
