/**
 * The `onRequest` hook every operator API of the hub uses (commands, fleet): HTTP Basic checked
 * before the body is read (no credentials, no parsing), 401 with WWW-Authenticate, 429 with
 * Retry-After, 503 when no operator is configured; the operator is set on the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { HubOperator, OperatorAuth } from './operator-auth.js';

declare module 'fastify' {
  interface FastifyRequest {
    operator?: HubOperator;
  }
}

export interface OperatorGateOptions {
  auth: OperatorAuth;
  /** the 503 code when no operator is configured, e.g. GZ_COMMANDS_UNAVAILABLE */
  unavailableCode: string;
  onRefused?: (what: string, why: string, address: string, operator?: string) => void;
}

export function operatorGate(o: OperatorGateOptions) {
  return async (req: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const address = req.socket.remoteAddress ?? 'unknown';
    if (!o.auth.configured)
      return reply
        .code(503)
        .send({ code: o.unavailableCode, message: 'no hub operators are configured (hub.operators)' });
    const r = await o.auth.check(req.headers.authorization, address);
    if (r.ok) {
      req.operator = r.operator;
      return;
    }
    if (r.status === 429) {
      o.onRefused?.('login throttled', r.message, address);
      return reply
        .code(429)
        .header('retry-after', String(r.retryAfterS))
        .send({ code: 'GZ_AUTH_THROTTLED', message: r.message });
    }
    if (req.headers.authorization !== undefined) o.onRefused?.('login refused', r.message, address);
    return reply
      .code(401)
      .header('www-authenticate', 'Basic realm="ganzhi-hub", charset="UTF-8"')
      .send({ code: 'GZ_AUTH_REQUIRED', message: r.message });
  };
}
