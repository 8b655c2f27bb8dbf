/**
 * The shapes the session stores share: a packet as Aedes hands it to a persistence, a subscription,
 * a client and broker reference. No imports, so every persistence file can depend on it without
 * depending on another (the disk store and its helpers used to import types from each other).
 */

/** A packet as Aedes hands it to a persistence (aedes-packet fields, PUBREL entries included). */
export interface PacketLike {
  cmd?: string;
  topic?: string;
  payload?: Buffer | string;
  qos?: number;
  retain?: boolean;
  dup?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
  nl?: boolean;
  properties?: object;
  messageExpiry?: number;
}

export interface BrokerLike {
  id: string;
  counter: number;
}

export interface ClientRef {
  id: string;
}

export interface SubLike {
  topic: string;
  qos: number;
  rh?: number;
  rap?: boolean;
  nl?: boolean;
  subscriptionIdentifier?: number;
}
