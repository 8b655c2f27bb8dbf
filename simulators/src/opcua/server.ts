/**
 * The node-opcua server behind startOpcuaServer (loaded lazily: importing node-opcua costs
 * ~2 s and ~130 MB, so nothing imports this file until a server is actually started).
 *
 * Security: endpoints for policy None (mode None) and Basic256Sha256 (Sign,
 * SignAndEncrypt), as asked for by `security.modes`. Identities: anonymous, username/password
 * (constant-time check) and X509 user certificates (only those in
 * `security.userCertificates`, written to user/trusted at start). PKI: everything under opts.pkiDir —
 * `server/` (own certificate + key, trusted/rejected client certificates) and `user/`
 * (X509 user certificates) — never under the home folder. Unknown client certificates
 * are accepted automatically (and kept in server/trusted): this is a simulator for tests
 * and demos, not a plant server.
 */
import { mkdirSync } from 'node:fs';
import { hostname as osHostname } from 'node:os';
import { join } from 'node:path';
import { MessageSecurityMode, OPCUACertificateManager, OPCUAServer, SecurityPolicy } from 'node-opcua';
import type { Logger } from 'pino';
import { buildAddressSpace } from './address-space.js';
import { SimOpcuaError } from './errors.js';
import type { OpcuaSecurityMode, OpcuaServerHandle, OpcuaServerOptions } from './options.js';
import type { PlannedDevice } from './plan.js';
import { makeUserCheck } from './users.js';
import { createValueFeed } from './value-feed.js';
import { acceptWrites } from './writes.js';

/** fastest sampling a client may ask for; values change once per tick anyway */
export const MINIMUM_SAMPLING_INTERVAL_MS = 50;
export const APPLICATION_URI = 'urn:ganzhi:simulator:opcua';

const MODE: Record<OpcuaSecurityMode, MessageSecurityMode> = {
  None: MessageSecurityMode.None,
  Sign: MessageSecurityMode.Sign,
  SignAndEncrypt: MessageSecurityMode.SignAndEncrypt,
};

export async function startServer(
  opts: OpcuaServerOptions,
  plan: readonly PlannedDevice[],
  log: Logger | undefined,
): Promise<OpcuaServerHandle> {
  const host = opts.host ?? '127.0.0.1';
  const tickMs = opts.tickMs ?? 1000;
  const modes = [...new Set(opts.security?.modes ?? (['None', 'Sign', 'SignAndEncrypt'] as const))];
  const users = opts.security?.users ?? [];
  const userCertificates = (opts.security?.userCertificates ?? []).flatMap(certificateDer);
  const allowAnonymous =
    opts.security?.allowAnonymous ?? (users.length === 0 && userCertificates.length === 0);
  const policies = [
    ...(modes.includes('None') ? [SecurityPolicy.None] : []),
    ...(modes.some((m) => m !== 'None') ? [SecurityPolicy.Basic256Sha256] : []),
  ];
  const check = makeUserCheck(users);
  const rootServer = join(opts.pkiDir, 'server');
  const rootUser = join(opts.pkiDir, 'user');
  const managers: OPCUACertificateManager[] = [];
  try {
    mkdirSync(rootServer, { recursive: true });
    mkdirSync(rootUser, { recursive: true });
  } catch (err) {
    throw new SimOpcuaError('GZ_SIM_OPCUA_START', `cannot create PKI folder under ${opts.pkiDir}`, {
      cause: err,
    });
  }
  const serverCertificateManager = new OPCUACertificateManager({
    rootFolder: rootServer,
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  const userCertificateManager = new OPCUACertificateManager({
    rootFolder: rootUser,
    automaticallyAcceptUnknownCertificate: false,
    disableFileWatchers: true,
  });
  managers.push(serverCertificateManager, userCertificateManager);
  const sessions = Math.max(50, plan.length * 2);
  // the name clients see in the endpoint URL; a wildcard listen address is not dialable
  const urlHost = host === '0.0.0.0' || host === '::' ? osHostname() : host;

  const server = new OPCUAServer({
    host,
    hostname: urlHost,
    port: opts.port,
    securityModes: modes.map((m) => MODE[m]),
    securityPolicies: policies,
    allowAnonymous,
    ...(users.length > 0 ? { userManager: { isValidUser: (u: string, p: string) => check(u, p) } } : {}),
    serverCertificateManager,
    userCertificateManager,
    serverInfo: {
      applicationUri: APPLICATION_URI,
      productUri: 'urn:ganzhi:simulators',
      applicationName: { text: 'Ganzhi OPC-UA simulator', locale: 'en' },
    },
    buildInfo: { productName: 'ganzhi-sim', manufacturerName: 'Ganzhi', softwareVersion: '0.1.0' },
    maxConnectionsPerEndpoint: sessions,
    serverCapabilities: { maxSessions: sessions, maxSubscriptions: sessions * 10 },
    isAuditing: false,
  });

  const disposeManagers = async (): Promise<void> => {
    await Promise.allSettled(managers.map((m) => m.dispose()));
  };

  let feed: ReturnType<typeof createValueFeed> | undefined;
  try {
    await server.initialize();
    // the user PKI is initialised by server.initialize(); only these certificates are trusted
    for (const der of userCertificates) await userCertificateManager.trustCertificate(der);
    const addressSpace = server.engine.addressSpace;
    if (!addressSpace) throw new Error('node-opcua did not create an address space');
    if (opts.faultInjection?.refuseSubscriptions) {
      // FAULT INJECTION: 0 in the constructor options means "default", so set it afterwards
      server.engine.serverCapabilities.maxSubscriptions = 0;
    }
    const bindings = buildAddressSpace(addressSpace, plan, MINIMUM_SAMPLING_INTERVAL_MS);
    acceptWrites(bindings, log);
    feed = createValueFeed(bindings, tickMs, log);
    feed.tick(); // every variable has a value before the first client connects
    await server.start();
  } catch (err) {
    feed?.stop();
    await server.shutdown(0).catch(() => undefined);
    await disposeManagers();
    if (err instanceof SimOpcuaError) throw err;
    throw new SimOpcuaError('GZ_SIM_OPCUA_START', `OPC-UA server cannot start on ${host}:${opts.port}`, {
      cause: err,
      retriable: (err as NodeJS.ErrnoException).code === 'EADDRINUSE',
    });
  }
  feed.start();
  const port = server.endpoints[0]?.port ?? opts.port;
  const endpointUrl = `opc.tcp://${urlHost.includes(':') ? `[${urlHost}]` : urlHost}:${port}`;
  log?.info(
    {
      endpointUrl,
      devices: plan.length,
      modes,
      allowAnonymous,
      users: users.length,
      userCertificates: userCertificates.length,
      tickMs,
      ...(opts.faultInjection ? { faultInjection: opts.faultInjection } : {}),
    },
    'OPC-UA simulator listening',
  );

  let closing: Promise<void> | undefined;
  return {
    port,
    endpointUrl,
    close() {
      closing ??= (async () => {
        feed?.stop();
        await server.shutdown(0);
        await disposeManagers();
        log?.info({ endpointUrl, feed: feed?.stats() }, 'OPC-UA simulator stopped');
      })();
      return closing;
    },
  };
}

/** DER bytes of each certificate in a PEM text (a chain gives several), or DER bytes as given. */
function certificateDer(cert: string | Uint8Array): Buffer[] {
  if (typeof cert !== 'string') return [Buffer.from(cert)];
  const blocks = cert.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) {
    throw new SimOpcuaError(
      'GZ_SIM_OPCUA_CONFIG',
      'security.userCertificates: a string that is not a PEM certificate',
    );
  }
  return blocks.map((b) => Buffer.from(b.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
}
