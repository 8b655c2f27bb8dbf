/** What the broker says at start about who can reach it and how. */
import type { Logger } from 'pino';
import type { CredentialStore } from './auth/credentials.js';
import type { BrokerConfig } from './config.js';

/** A bind address reachable only from this machine. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\./.test(host);
}

export function warnAboutAccess(
  config: BrokerConfig,
  deps: { credentials?: CredentialStore | undefined },
  logger: Logger,
): void {
  // passwords cross a plaintext listener in clear: one loud line per such listener
  if (deps.credentials) {
    for (const name of ['tcp', 'ws'] as const) {
      const l = config.listeners[name];
      if (l && !isLoopback(l.host)) {
        logger.error(
          { security: 'plaintext_listener', listener: name, host: l.host, port: l.port },
          `WARNING: passwords can cross the plaintext ${name} listener on ${l.host}: anyone on the network path can read them. Listen on 127.0.0.1 and give remote clients the TLS listener (listeners.tls)`,
        );
      }
    }
  }
  if (!deps.credentials && !config.allowAnonymous) {
    logger.warn('no credentials file and anonymous access off: every client will be refused');
  }
  if (config.allowAnonymous) {
    logger.warn(
      'anonymous clients are allowed (--allow-anonymous): they may publish and subscribe to anything but $SYS',
    );
  }
}
