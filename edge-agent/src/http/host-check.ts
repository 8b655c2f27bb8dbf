/**
 * DNS rebinding guard: a web page on an attacker's domain can make a browser on the engineer's
 * laptop send requests to the gateway (the attacker's name re-resolved to the gateway's
 * address); those requests carry the attacker's name in `Host`. Only requests that name the
 * gateway are answered:
 *
 * - loopback names (`localhost`, `*.localhost`);
 * - IP address literals (a page whose origin is an IP address is that host itself, not a rebound
 *   name);
 * - the listen host and the names in `http.allowedHosts`.
 *
 * Anything else, or no Host header at all, gets 421 Misdirected Request and nothing else.
 */
import { isIP } from 'node:net';
import type { FastifyInstance } from 'fastify';

/** The host part of a Host header (`name`, `name:port`, `[v6]`, `[v6]:port`), lower-cased. */
export function hostOf(header: string): string {
  const h = header.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(1, h.indexOf(']') === -1 ? undefined : h.indexOf(']'));
  const colon = h.lastIndexOf(':');
  return colon === -1 ? h : h.slice(0, colon);
}

export function hostAllowed(header: string | undefined, names: ReadonlySet<string>): boolean {
  if (!header) return false;
  const host = hostOf(header).replace(/\.$/, '');
  if (!host) return false;
  if (host === 'localhost' || host.endsWith('.localhost')) return true;
  if (isIP(host) !== 0) return true;
  return names.has(host);
}

export function installHostCheck(app: FastifyInstance, allowed: readonly string[]): void {
  const names = new Set(allowed.map((n) => hostOf(n)).filter((n) => n !== ''));
  app.addHook('onRequest', async (req, reply) => {
    if (hostAllowed(req.headers.host, names)) return;
    await reply
      .code(421)
      .type('text/plain; charset=utf-8')
      .send('this gateway does not answer to that host name (see http.allowedHosts in the agent config)\n');
  });
}
