/**
 * A real node-opcua client for the OPC-UA front-end tests, with its PKI in a temp dir of
 * its own (never the home folder) and no reconnection retries, so a refused session
 * fails the test at once.
 */
import { join } from 'node:path';
import {
  AttributeIds,
  BrowseDirection,
  type ClientSession,
  DataType,
  MessageSecurityMode,
  NodeClass,
  OPCUACertificateManager,
  OPCUAClient,
  type ReferenceDescription,
  SecurityPolicy,
  type UserIdentityInfo,
  UserTokenType,
} from 'node-opcua';

export interface TestClient {
  client: OPCUAClient;
  session: ClientSession;
  close(): Promise<void>;
}

export type Mode = 'None' | 'Sign' | 'SignAndEncrypt';

export async function connectClient(
  endpointUrl: string,
  pkiDir: string,
  opts: { mode?: Mode; user?: { username: string; password: string } } = {},
): Promise<TestClient> {
  const mode = opts.mode ?? 'None';
  const clientCertificateManager = new OPCUACertificateManager({
    rootFolder: join(pkiDir, 'client'),
    automaticallyAcceptUnknownCertificate: true,
    disableFileWatchers: true,
  });
  const client = OPCUAClient.create({
    applicationName: 'ganzhi-opcua-test',
    applicationUri: 'urn:ganzhi:test:opcua-client',
    endpointMustExist: false,
    securityMode: MessageSecurityMode[mode],
    securityPolicy: mode === 'None' ? SecurityPolicy.None : SecurityPolicy.Basic256Sha256,
    connectionStrategy: { maxRetry: 0, initialDelay: 100, maxDelay: 200 },
    clientCertificateManager,
  });
  const identity: UserIdentityInfo = opts.user
    ? { type: UserTokenType.UserName, userName: opts.user.username, password: opts.user.password }
    : { type: UserTokenType.Anonymous };
  try {
    await client.connect(endpointUrl);
    const session = await client.createSession(identity);
    return {
      client,
      session,
      async close() {
        await session.close().catch(() => undefined);
        await client.disconnect();
        await clientCertificateManager.dispose();
      },
    };
  } catch (err) {
    await client.disconnect().catch(() => undefined);
    await clientCertificateManager.dispose();
    throw err;
  }
}

/** namespace URI → index, as the server numbers them */
export async function namespaceIndex(session: ClientSession, uri: string): Promise<number> {
  const array = await session.readNamespaceArray();
  const i = array.indexOf(uri);
  if (i < 0) throw new Error(`namespace ${uri} not served (have ${array.join(', ')})`);
  return i;
}

/** `nsu=<uri>;s=x` → `ns=<index>;s=x` for this session */
export async function resolveNsu(session: ClientSession, nodeId: string): Promise<string> {
  const m = /^nsu=([^;]+);(.*)$/.exec(nodeId);
  if (!m) return nodeId;
  return `ns=${await namespaceIndex(session, m[1] as string)};${m[2]}`;
}

export async function browseChildren(
  session: ClientSession,
  nodeId: string,
): Promise<ReferenceDescription[]> {
  const r = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HierarchicalReferences',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  return r.references ?? [];
}

/** every Variable under nodeId (following folders and objects), keyed by node id string */
export async function browseVariables(
  session: ClientSession,
  nodeId: string,
  path = '',
  out = new Map<string, string>(),
): Promise<Map<string, string>> {
  for (const ref of await browseChildren(session, nodeId)) {
    const name = `${path}/${ref.browseName.name}`;
    if (ref.nodeClass === NodeClass.Variable) {
      if (ref.referenceTypeId.toString() !== 'ns=0;i=46') out.set(ref.nodeId.toString(), name); // not properties
    } else if (ref.nodeClass === NodeClass.Object) {
      await browseVariables(session, ref.nodeId.toString(), name, out);
    }
  }
  return out;
}

export async function readDataTypeName(session: ClientSession, nodeId: string): Promise<string> {
  const dv = await session.read({ nodeId, attributeId: AttributeIds.DataType });
  const id = dv.value.value as { namespace: number; value: number };
  return DataType[id.value] ?? `ns=${id.namespace};i=${id.value}`;
}

/** the value of a named property (EURange, EngineeringUnits) of a variable, or undefined */
export async function readProperty(session: ClientSession, nodeId: string, name: string): Promise<unknown> {
  const r = await session.browse({
    nodeId,
    browseDirection: BrowseDirection.Forward,
    referenceTypeId: 'HasProperty',
    includeSubtypes: true,
    nodeClassMask: 0,
    resultMask: 63,
  });
  const ref = (r.references ?? []).find((x) => x.browseName.name === name);
  if (!ref) return undefined;
  const dv = await session.read({ nodeId: ref.nodeId, attributeId: AttributeIds.Value });
  return dv.value.value;
}
