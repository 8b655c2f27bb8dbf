/**
 * Types DiskPersistence shares with its helpers, the packet identity it indexes queue rows by,
 * and the methods of Aedes' memory persistence that QueuePersistence inherits without declaring.
 */
import type { Readable } from 'node:stream';
import type { PacketLike } from './disk-persistence-store.js';
import type { QueuePersistence } from './queue-persistence.js';

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

/** Where one queued message lives in the file, found the same ways QueuePersistence finds it. */
export interface Entry {
  seq: number;
  counterKey: string | undefined;
  messageId: number | undefined;
}

export class ClientRows {
  readonly byCounter = new Map<string, Entry>();
  readonly byMessageId = new Map<number, Entry>();
  live = 0;
}

export const counterKey = (p: PacketLike): string | undefined =>
  p.brokerId !== undefined && p.brokerCounter !== undefined
    ? `${p.brokerId}\u0000${p.brokerCounter}`
    : undefined;

export type Cleared = Awaited<ReturnType<QueuePersistence['outgoingClearMessageId']>>;

// The parts of Aedes' memory persistence that QueuePersistence inherits without declaring them.
declare module './queue-persistence.js' {
  interface QueuePersistence {
    addSubscriptions(client: ClientRef, subs: SubLike[]): Promise<void>;
    removeSubscriptions(client: ClientRef, topics: string[]): Promise<void>;
    incomingStorePacket(client: ClientRef, packet: object): Promise<void>;
    incomingDelPacket(client: ClientRef, packet: object): Promise<void>;
    cleanIncoming(client: ClientRef): Promise<void>;
    putWill(client: ClientRef, packet: object): Promise<void>;
    delWill(client: ClientRef): Promise<unknown>;
    destroy(): Promise<void>;
    subscriptionsByClient(client: ClientRef): Promise<SubLike[]>;
    subscriptionsByTopic(topic: string): Promise<(SubLike & { clientId: string })[]>;
    createRetainedStream(pattern: string): Readable;
    incomingGetPacket(client: ClientRef, packet: object): Promise<unknown>;
    streamWill(brokers?: Record<string, number>): Readable;
  }
}
