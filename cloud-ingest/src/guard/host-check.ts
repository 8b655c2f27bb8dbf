/**
 * The Host header check of the ingest's HTTP surface (DNS rebinding, issue 13 finding 7): a
 * page on an attacker's site whose name resolves to this machine would otherwise be served
 * by the ingest and could read its API from the victim's browser. A request is answered only
 * when its Host is
 *
 *   - an IP address (a rebinding needs a name; a browser that asks for an address is
 *     same-origin with that address anyway),
 *   - `localhost`, or the name the ingest listens on (`http.host`, when it is a name),
 *   - one of `http.allowedHosts`: exact names, or `.example.org` for every name under it.
 *
 * Anything else — also a request without Host — gets 421 GZ_HOST_REFUSED, and is counted
 * and logged (rate-limited) by the caller.
 */
import { isIP } from 'node:net';

export interface HostPolicy {
  /** true when a request with this Host header may be answered */
  allows(host: string | undefined): boolean;
}

/** `name:port`, `[v6]:port`, `name.` → the bare lower-case name or address. */
export function hostName(host: string): string {
  let h = host.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    return end > 0 ? h.slice(1, end) : h;
  }
  const colon = h.lastIndexOf(':');
  if (colon >= 0 && h.indexOf(':') === colon) h = h.slice(0, colon);
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export function hostPolicy(listenHost: string, allowedHosts: readonly string[] = []): HostPolicy {
  const exact = new Set<string>(['localhost']);
  const suffixes: string[] = [];
  const listen = hostName(listenHost);
  if (listen !== '' && isIP(listen) === 0) exact.add(listen);
  for (const a of allowedHosts) {
    const n = a.trim().toLowerCase();
    if (n.startsWith('.')) suffixes.push(n);
    else if (n !== '') exact.add(hostName(n));
  }
  return {
    allows(host) {
      if (host === undefined || host === '' || host.length > 300) return false;
      const name = hostName(host);
      if (isIP(name) !== 0) return true;
      if (exact.has(name)) return true;
      return suffixes.some((s) => name.endsWith(s) && name.length > s.length);
    },
  };
}
