import type { Logger } from 'pino';
import { SimOpcuaError } from './errors.js';
import type { OpcuaServerHandle, OpcuaServerOptions } from './options.js';
import { planAddressSpace } from './plan.js';

/**
 * Serves the devices' OPC-UA points from one node-opcua server (see README, "OPC-UA").
 * Checks the options and the address-space plan first (every problem at once, code
 * GZ_SIM_OPCUA_CONFIG), then loads node-opcua — only now, because it is heavy.
 * Resolves once the port is listening and every variable holds its first sample.
 */
export async function startOpcuaServer(opts: OpcuaServerOptions): Promise<OpcuaServerHandle> {
  const problems: string[] = [];
  if (!Number.isInteger(opts.port) || opts.port < 0 || opts.port > 65535) problems.push(`port: ${opts.port}`);
  if (!opts.pkiDir) problems.push('pkiDir: required (the server keeps its certificate there)');
  if (opts.tickMs !== undefined && !(opts.tickMs >= 10))
    problems.push(`tickMs: ${opts.tickMs} (at least 10)`);
  const modes = opts.security?.modes;
  if (modes && modes.length === 0) problems.push('security.modes: empty (no endpoint would be offered)');
  for (const [i, m] of (modes ?? []).entries()) {
    if (m !== 'None' && m !== 'Sign' && m !== 'SignAndEncrypt') {
      problems.push(`security.modes[${i}]: "${String(m)}" is not None, Sign or SignAndEncrypt`);
    }
  }
  for (const [i, u] of (opts.security?.users ?? []).entries()) {
    if (!u.username) problems.push(`security.users[${i}].username: empty`);
    if (!u.password) problems.push(`security.users[${i}].password: empty`);
  }
  if (
    opts.security?.allowAnonymous === false &&
    (opts.security.users ?? []).length === 0 &&
    (opts.security.userCertificates ?? []).length === 0
  ) {
    problems.push(
      'security: anonymous access is off and no users or user certificates are given: nobody could connect',
    );
  }
  for (const [i, c] of (opts.security?.userCertificates ?? []).entries()) {
    if (typeof c === 'string' && !c.includes('-----BEGIN CERTIFICATE-----')) {
      problems.push(`security.userCertificates[${i}]: not a PEM certificate`);
    }
  }
  if (problems.length > 0) {
    throw new SimOpcuaError('GZ_SIM_OPCUA_CONFIG', `bad OPC-UA server options:\n  ${problems.join('\n  ')}`);
  }
  const plan = planAddressSpace(opts.devices);
  const log: Logger | undefined = opts.logger?.child({ component: 'opcua-sim' });
  const { startServer } = await import('./server.js');
  return startServer(opts, plan, log);
}
