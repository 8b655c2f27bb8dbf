/**
 * DNS-rebinding protection for the broker's HTTP API (issue 13, finding 7): a web page on an
 * attacker's domain can make a browser on the operator's network send requests to a name that
 * resolves to the broker (127.0.0.1 or the broker's address); the one thing it cannot choose is
 * the Host header, which carries the attacker's name. So every request whose Host is not one of
 * the names the API is meant to be reached by is refused with 403 before any route runs: the
 * loopback names (localhost, 127.0.0.1, ::1), the address the API is bound to when it is a
 * specific one, and `http.allowedHosts` (the names Prometheus or an operator use).
 */
import type { FastifyInstance } from 'fastify';

export interface HostCheckOptions {
  /** names besides the loopback ones, e.g. the broker's DNS name */
  allowedHosts: readonly string[];
  /** the bind address (allowed unless it is a wildcard) */
  bindHost: string | undefined;
  /** a request was refused (for the security log) */
  onRefused(host: string, ip: string): void;
}

const LOOPBACK = ['localhost', '127.0.0.1', '::1'];

/** The name in a Host header: brackets and port removed, lower case, no trailing dot. */
export function hostName(header: string): string {
  let h = header.trim().toLowerCase();
  if (h.startsWith('[')) {
    const end = h.indexOf(']');
    h = end > 0 ? h.slice(1, end) : h;
  } else {
    const colon = h.indexOf(':');
    if (colon >= 0 && colon === h.lastIndexOf(':')) h = h.slice(0, colon);
  }
  return h.endsWith('.') ? h.slice(0, -1) : h;
}

export function hostCheck(app: FastifyInstance, opts: HostCheckOptions): void {
  const allowed = new Set([...LOOPBACK, ...opts.allowedHosts.map((h) => hostName(h))]);
  if (opts.bindHost && opts.bindHost !== '0.0.0.0' && opts.bindHost !== '::')
    allowed.add(hostName(opts.bindHost));
  app.addHook('onRequest', async (req, reply) => {
    const name = hostName(req.headers.host ?? '');
    if (allowed.has(name)) return;
    opts.onRefused(name, req.ip);
    return reply.code(403).send({ error: 'host not allowed', host: name });
  });
}
