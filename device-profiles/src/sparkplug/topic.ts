/**
 * Sparkplug B topics (Sparkplug 3.0 §4.1, tck-id-topic-structure):
 *
 *   spBv1.0/{group_id}/{NBIRTH|NDEATH|NDATA|NCMD}/{edge_node_id}
 *   spBv1.0/{group_id}/{DBIRTH|DDEATH|DDATA|DCMD}/{edge_node_id}/{device_id}
 *   spBv1.0/STATE/{sparkplug_host_id}
 *
 * Group, edge node and device ids are UTF-8 strings without `+`, `/` and `#`
 * (tck-id-topic-structure-namespace-valid-group-id, -valid-edge-node-id, -valid-device-id).
 */

export const SPB_NAMESPACE = 'spBv1.0';

export const NODE_MESSAGE_TYPES = ['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'] as const;
export const DEVICE_MESSAGE_TYPES = ['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'] as const;
export type NodeMessageType = (typeof NODE_MESSAGE_TYPES)[number];
export type DeviceMessageType = (typeof DEVICE_MESSAGE_TYPES)[number];
export type MessageType = NodeMessageType | DeviceMessageType;

export type SparkplugTopic =
  | { kind: 'node'; group: string; type: NodeMessageType; node: string }
  | { kind: 'device'; group: string; type: DeviceMessageType; node: string; device: string }
  | { kind: 'state'; hostId: string };

const NODE_TYPES: ReadonlySet<string> = new Set(NODE_MESSAGE_TYPES);
const DEVICE_TYPES: ReadonlySet<string> = new Set(DEVICE_MESSAGE_TYPES);
const RESERVED = /[+/#]/;

/** True for a valid group, edge node, device or host id. */
export function isValidSparkplugId(id: string): boolean {
  // U+0000 is not allowed in MQTT topic names either (MQTT 3.1.1 §4.7.3)
  return id.length > 0 && id.length <= 256 && !RESERVED.test(id) && !id.includes(String.fromCharCode(0));
}

export class SparkplugTopicError extends Error {
  readonly code = 'GZ_SPARKPLUG_TOPIC';
}

function check(what: string, id: string): void {
  if (!isValidSparkplugId(id))
    throw new SparkplugTopicError(`Sparkplug ${what} id ${JSON.stringify(id)} is empty or contains + / #`);
}

export function nodeTopic(group: string, type: NodeMessageType, node: string): string {
  check('group', group);
  check('edge node', node);
  return `${SPB_NAMESPACE}/${group}/${type}/${node}`;
}

export function deviceTopicSpb(group: string, type: DeviceMessageType, node: string, device: string): string {
  check('group', group);
  check('edge node', node);
  check('device', device);
  return `${SPB_NAMESPACE}/${group}/${type}/${node}/${device}`;
}

export function stateTopic(hostId: string): string {
  check('host', hostId);
  return `${SPB_NAMESPACE}/STATE/${hostId}`;
}

/** Parses a concrete Sparkplug B topic; undefined for anything else. */
export function parseSparkplugTopic(topic: string): SparkplugTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== SPB_NAMESPACE) return undefined;
  if (parts.length === 3 && parts[1] === 'STATE') {
    const hostId = parts[2] as string;
    return isValidSparkplugId(hostId) ? { kind: 'state', hostId } : undefined;
  }
  const [, group, type, node, device] = parts;
  if (group === undefined || type === undefined || node === undefined) return undefined;
  if (!isValidSparkplugId(group) || !isValidSparkplugId(node)) return undefined;
  if (parts.length === 4 && NODE_TYPES.has(type))
    return { kind: 'node', group, type: type as NodeMessageType, node };
  if (parts.length === 5 && device !== undefined && DEVICE_TYPES.has(type) && isValidSparkplugId(device))
    return { kind: 'device', group, type: type as DeviceMessageType, node, device };
  return undefined;
}
