/** `ganzhi-agent probe opcua`: browse a node's children with their data types and values. */
import { connect } from 'node:net';
import { join } from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  DataType,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from 'node-opcua';
import { withHint } from './hints.js';

export interface OpcuaProbeOptions {
  url: string;
  browse: string;
  securityMode: 'None' | 'Sign' | 'SignAndEncrypt';
  username?: string;
  password?: string;
  pkiDir: string;
  out: (line: string) => void;
}

export async function probeOpcua(o: OpcuaProbeOptions): Promise<number> {
  const certificateManager = new OPCUACertificateManager({
    rootFolder: join(o.pkiDir, 'opcua'),
    automaticallyAcceptUnknownCertificate: true,
  });
  const client = OPCUAClient.create({
    applicationName: 'ganzhi-agent-probe',
    endpointMustExist: false,
    securityMode: MessageSecurityMode[o.securityMode],
    securityPolicy: o.securityMode === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager: certificateManager,
  });
  const identity: UserIdentityInfo = o.username
    ? { type: UserTokenType.UserName, userName: o.username, password: o.password ?? '' }
    : { type: UserTokenType.Anonymous };
  try {
    await client.connect(o.url);
    const session = await client.createSession(identity);
    try {
      const ns = await session.readNamespaceArray();
      o.out(`${o.url} namespaces:`);
      for (const [i, u] of ns.entries()) o.out(`  ns=${i}  ${u}`);
      const nodeId = o.browse.startsWith('nsu=')
        ? o.browse.replace(/^nsu=([^;]+);/, (_, uri: string) => `ns=${ns.indexOf(uri)};`)
        : o.browse;
      const r = await session.browse({
        nodeId,
        browseDirection: BrowseDirection.Forward,
        referenceTypeId: 'HierarchicalReferences',
        includeSubtypes: true,
        nodeClassMask: 0,
        resultMask: 63,
      });
      const refs = r.references ?? [];
      o.out(`${o.browse}: ${refs.length} children`);
      const vars = refs.filter((x) => x.nodeClass === NodeClass.Variable);
      const values = vars.length
        ? await session.read(vars.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.Value })))
        : [];
      const types = vars.length
        ? await session.read(vars.map((v) => ({ nodeId: v.nodeId, attributeId: AttributeIds.DataType })))
        : [];
      for (const ref of refs) {
        const i = vars.indexOf(ref);
        const id = ref.nodeId.toString();
        const uri = ns[ref.nodeId.namespace];
        const stable =
          ref.nodeId.namespace > 0 && uri ? ` (nsu=${uri};${id.split(';').slice(1).join(';')})` : '';
        if (i < 0) {
          o.out(
            `  ${NodeClass[ref.nodeClass]?.padEnd(8)} ${ref.browseName.toString().padEnd(32)} ${id}${stable}`,
          );
          continue;
        }
        const dv = values[i]!;
        const t = types[i]?.value?.value;
        const typeName =
          t && typeof t === 'object' && 'value' in t ? (DataType[Number(t.value)] ?? String(t)) : String(t);
        const v = dv.value?.value;
        o.out(
          `  Variable ${ref.browseName.toString().padEnd(32)} ${id}${stable}  ${typeName} = ${JSON.stringify(typeof v === 'bigint' ? String(v) : v)} [${dv.statusCode.name}]`,
        );
      }
      return 0;
    } finally {
      await session.close().catch(() => undefined);
    }
  } catch (err) {
    let message = (err as Error).message.split('\n')[0] ?? '';
    const where = o.url.replace(/^opc\.tcp:\/\//, '').replace(/\/.*$/, '');
    // node-opcua hides the socket's error code ("The connection cannot be established …"):
    // one plain TCP connect to the same address says which it was
    if (/cannot be established/i.test(message)) {
      const code = await tcpErrorCode(where);
      if (code) message = `${message.replace(/\s+\.$/, '')} (${code})`;
    }
    o.out(`error: ${withHint(message, where)}`);
    return 1;
  } finally {
    await client.disconnect().catch(() => undefined);
    await certificateManager.dispose().catch(() => undefined);
  }
}

/** The error code of a plain TCP connection to host:port (undefined when it connects). */
function tcpErrorCode(where: string): Promise<string | undefined> {
  const m = /^\[?([^\]]+?)\]?:(\d+)$/.exec(where);
  if (!m) return Promise.resolve(undefined);
  return new Promise((resolve) => {
    const socket = connect({ host: m[1], port: Number(m[2]) });
    const done = (code: string | undefined) => {
      socket.destroy();
      resolve(code);
    };
    socket.setTimeout(3000, () => done('ETIMEDOUT'));
    socket.once('connect', () => done(undefined));
    socket.once('error', (e: NodeJS.ErrnoException) => done(e.code));
  });
}
