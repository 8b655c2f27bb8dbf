/** The index DiskPersistence keeps of its queue rows, and the packet identity it keys them by. */
import type { PacketLike } from './packet-types.js';
import type { QueuePersistence } from './queue-persistence.js';

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
