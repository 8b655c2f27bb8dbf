/**
 * The address-space plan: which variable each device point becomes (namespace, node id,
 * folder path, browse name, data type), checked before anything is built so that every
 * problem is reported at once. Pure: no node-opcua import.
 */
import type { OpcuaDataType, OpcuaPoint } from '@ganzhi/device-profiles';
import type { SimPointSource } from '../device/source.js';
import { opcuaDataTypeOf } from './data-types.js';
import { SimOpcuaError } from './errors.js';
import { baseNamespaceUri, parseOpcuaNodeId, simNamespaceUri } from './node-ids.js';

export interface PlannedVariable {
  device: SimPointSource;
  point: OpcuaPoint;
  /** namespace URI the variable is served in (the device's own) */
  namespaceUri: string;
  /** identifier part of the node id, e.g. "s=Pump1.Flow" */
  identifier: string;
  /** folders between the device folder and the variable ("Pump1" for s=Pump1.Flow) */
  folders: string[];
  browseName: string;
  dataType: OpcuaDataType;
}

export interface PlannedFolder {
  namespaceUri: string;
  /** identifier part of the folder's node id, e.g. "s=Pump1.Motor" */
  identifier: string;
  /** the parent folder's key in PlannedDevice.folders; undefined = the device folder */
  parent: string | undefined;
  browseName: string;
}

export interface PlannedDevice {
  device: SimPointSource;
  /** namespace of the device folder (that of its first point) */
  namespaceUri: string;
  /** identifier of the device folder's node id ("s=<device id>" unless a point uses it) */
  identifier: string;
  /** folders under the device folder, parents before children, keyed by namespace + path */
  folders: Map<string, PlannedFolder>;
  variables: PlannedVariable[];
}

/** the key of a folder path in PlannedDevice.folders */
export const folderKey = (namespaceUri: string, path: readonly string[]): string =>
  `${namespaceUri}|${path.join('.')}`;

/**
 * Folder node ids follow the dotted path, as PLC servers do (folder s=Pump1.Motor holds
 * s=Pump1.Motor.Speed); the device folder is s=<device id>. Should a point already use
 * such an id, the folder takes s=<id>#<n> instead.
 */
function freeId(taken: Set<string>, namespaceUri: string, wanted: string): string {
  let id = wanted;
  for (let n = 2; taken.has(`${namespaceUri};${id}`); n++) id = `${wanted}#${n}`;
  taken.add(`${namespaceUri};${id}`);
  return id;
}

function planFolders(
  d: number,
  device: SimPointSource,
  variables: readonly PlannedVariable[],
  taken: Set<string>,
  problems: string[],
): { identifier: string; folders: Map<string, PlannedFolder> } {
  const first = variables[0] as PlannedVariable;
  const identifier = freeId(taken, first.namespaceUri, `s=${device.id}`);
  const folders = new Map<string, PlannedFolder>();
  for (const v of variables) {
    for (let i = 1; i <= v.folders.length; i++) {
      const path = v.folders.slice(0, i);
      const key = folderKey(v.namespaceUri, path);
      if (folders.has(key)) continue;
      folders.set(key, {
        namespaceUri: v.namespaceUri,
        identifier: freeId(taken, v.namespaceUri, `s=${path.join('.')}`),
        parent: i === 1 ? undefined : folderKey(v.namespaceUri, path.slice(0, -1)),
        browseName: path[i - 1] as string,
      });
    }
  }
  for (const v of variables) {
    if (folders.has(folderKey(v.namespaceUri, [...v.folders, v.browseName]))) {
      problems.push(
        `devices[${d}] (${device.id}) point ${v.point.name}: node id ${v.point.opcua.nodeId} is both a variable and a folder of other points`,
      );
    }
  }
  return { identifier, folders };
}

/**
 * Folders come from the dotted parts of an s= identifier: s=Pump1.Motor.Speed is the
 * variable "Speed" in folder Pump1/Motor. Other identifier types have no path: the
 * variable sits in the device folder under the point name.
 */
function pathOf(
  point: OpcuaPoint,
  type: string,
  identifier: string,
): { folders: string[]; browseName: string } {
  if (type !== 's') return { folders: [], browseName: point.name };
  const parts = identifier.split('.').filter((p) => p !== '');
  const browseName = parts.pop();
  return browseName ? { folders: parts, browseName } : { folders: [], browseName: point.name };
}

/** Plans the address space; throws GZ_SIM_OPCUA_CONFIG listing every problem found. */
export function planAddressSpace(devices: readonly SimPointSource[]): PlannedDevice[] {
  const problems: string[] = [];
  const seenDevices = new Set<string>();
  const planned: PlannedDevice[] = [];
  if (devices.length === 0) problems.push('devices: at least one device is needed');
  devices.forEach((device, d) => {
    if (seenDevices.has(device.id)) problems.push(`devices[${d}].id: duplicate device id "${device.id}"`);
    seenDevices.add(device.id);
    const seenIds = new Map<string, string>();
    const variables: PlannedVariable[] = [];
    for (const point of device.profile.points) {
      if (!('opcua' in point)) continue;
      const parsed = parseOpcuaNodeId(point.opcua.nodeId);
      if (!parsed) {
        problems.push(
          `devices[${d}] (${device.id}) point ${point.name}: unreadable node id "${point.opcua.nodeId}"`,
        );
        continue;
      }
      const namespaceUri = simNamespaceUri(device, baseNamespaceUri(device.profile, parsed));
      const identifier = `${parsed.identifierType}=${parsed.identifier}`;
      const key = `${namespaceUri};${identifier}`;
      const other = seenIds.get(key);
      if (other !== undefined) {
        problems.push(
          `devices[${d}] (${device.id}) point ${point.name}: node id ${point.opcua.nodeId} is also used by point ${other}`,
        );
        continue;
      }
      seenIds.set(key, point.name);
      const path = pathOf(point, parsed.identifierType, parsed.identifier);
      variables.push({ device, point, namespaceUri, identifier, ...path, dataType: opcuaDataTypeOf(point) });
    }
    const first = variables[0];
    if (!first) {
      problems.push(`devices[${d}] (${device.id}): profile ${device.profile.id} has no OPC-UA points`);
      return;
    }
    const taken = new Set(seenIds.keys());
    const { identifier, folders } = planFolders(d, device, variables, taken, problems);
    planned.push({ device, namespaceUri: first.namespaceUri, identifier, folders, variables });
  });
  if (problems.length > 0) {
    throw new SimOpcuaError(
      'GZ_SIM_OPCUA_CONFIG',
      `cannot serve these devices over OPC-UA:\n  ${problems.join('\n  ')}`,
    );
  }
  return planned;
}
