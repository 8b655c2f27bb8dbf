/**
 * Builds the planned folders and variables into a node-opcua address space:
 * Objects/<device id>/<folders from the s= id>/<variable>. Numeric points with a range
 * become AnalogItemType variables (EURange in served raw units + EngineeringUnits, the
 * profile's unit after scaling); other numeric points get
 * an EngineeringUnits property; booleans and strings are plain variables. Values are
 * pushed by the value feed, never pulled by a getter, so `minimumSamplingInterval` only
 * states how fast a client may sample (subscriptions faster than 1 s are not clamped).
 */

import type { OpcuaDataType, OpcuaPoint } from '@ganzhi/device-profiles';
import {
  type AddressSpace,
  DataType,
  type EUInformation,
  makeEUInformation,
  type Namespace,
  type UAObject,
  type UAVariable,
  Variant,
} from 'node-opcua';
import type { SimPointSource } from '../device/source.js';
import { BUILTIN_TYPE_ID, isNumericType, servedRange } from './data-types.js';
import { SimOpcuaError } from './errors.js';
import { folderKey, type PlannedDevice, type PlannedVariable } from './plan.js';
import { engineeringUnitFor } from './units.js';

export interface PointBinding {
  device: SimPointSource;
  point: OpcuaPoint;
  dataType: OpcuaDataType;
  variable: UAVariable;
  /**
   * wall-clock time of the last accepted write (writes.ts): a feed tick sampled before it (a
   * late tick, on a loaded machine) must not put the value from before the write back
   */
  writtenAt?: number;
}

function euInformation(unit: string): EUInformation {
  const eu = engineeringUnitFor(unit);
  // node-opcua exports no EUInformation constructor; build one and set our own unit id
  const info = makeEUInformation('', eu.displayName, eu.description);
  info.namespaceUri = eu.namespaceUri;
  info.unitId = eu.unitId;
  return info;
}

function hasUnit(unit: string): boolean {
  return unit !== '' && unit !== '1';
}

function addVariable(
  ns: Namespace,
  folder: UAObject,
  v: PlannedVariable,
  minimumSamplingInterval: number,
): UAVariable {
  const { point } = v;
  const common = {
    organizedBy: folder,
    browseName: v.browseName,
    displayName: v.browseName,
    nodeId: `ns=${ns.index};${v.identifier}`,
    dataType: DataType[BUILTIN_TYPE_ID[v.dataType]] as string,
    minimumSamplingInterval,
    // read-write points accept writes (checked in writes.ts); read-only nodes answer BadNotWritable
    accessLevel: point.access === 'read-write' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
    userAccessLevel: point.access === 'read-write' ? 'CurrentRead | CurrentWrite' : 'CurrentRead',
    ...(point.description ? { description: point.description } : {}),
  };
  const numeric = isNumericType(v.dataType);
  if (numeric && point.range) {
    return ns.addAnalogDataItem({
      ...common,
      engineeringUnitsRange: servedRange(point) as { low: number; high: number },
      engineeringUnits: euInformation(point.unit),
    }) as unknown as UAVariable;
  }
  const variable = ns.addVariable(common);
  if (numeric && hasUnit(point.unit)) {
    ns.addVariable({
      propertyOf: variable,
      browseName: { name: 'EngineeringUnits', namespaceIndex: 0 },
      typeDefinition: 'PropertyType',
      dataType: 'EUInformation',
      minimumSamplingInterval: 0,
      value: new Variant({ dataType: DataType.ExtensionObject, value: euInformation(point.unit) }),
    });
  }
  return variable;
}

/** Adds every planned device; returns one binding per served point, in plan order. */
export function buildAddressSpace(
  addressSpace: AddressSpace,
  plan: readonly PlannedDevice[],
  minimumSamplingInterval: number,
): PointBinding[] {
  const namespaces = new Map<string, Namespace>();
  const namespaceFor = (uri: string): Namespace => {
    let ns = namespaces.get(uri);
    if (!ns) {
      ns = addressSpace.registerNamespace(uri) as Namespace;
      namespaces.set(uri, ns);
    }
    return ns;
  };
  const objects = addressSpace.rootFolder.objects;
  const bindings: PointBinding[] = [];
  for (const d of plan) {
    const deviceNs = namespaceFor(d.namespaceUri);
    const deviceFolder = deviceNs.addFolder(objects, {
      nodeId: `ns=${deviceNs.index};${d.identifier}`,
      browseName: d.device.id,
      description: `${d.device.profile.manufacturer} ${d.device.profile.model} (profile ${d.device.profile.id} ${d.device.profile.version})`,
    });
    const folders = new Map<string, UAObject>();
    for (const [key, f] of d.folders) {
      const ns = namespaceFor(f.namespaceUri);
      const parent = f.parent === undefined ? deviceFolder : (folders.get(f.parent) as UAObject);
      folders.set(
        key,
        ns.addFolder(parent, { nodeId: `ns=${ns.index};${f.identifier}`, browseName: f.browseName }),
      );
    }
    for (const v of d.variables) {
      const ns = namespaceFor(v.namespaceUri);
      const parent =
        v.folders.length === 0
          ? deviceFolder
          : (folders.get(folderKey(v.namespaceUri, v.folders)) as UAObject);
      try {
        const variable = addVariable(ns, parent, v, minimumSamplingInterval);
        bindings.push({ device: d.device, point: v.point, dataType: v.dataType, variable });
      } catch (err) {
        throw new SimOpcuaError(
          'GZ_SIM_OPCUA_CONFIG',
          `device ${d.device.id} point ${v.point.name}: cannot add node ${v.point.opcua.nodeId}: ${(err as Error).message}`,
          { cause: err },
        );
      }
    }
  }
  return bindings;
}
