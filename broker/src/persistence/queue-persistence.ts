/**
 * In-memory persistence with an indexed offline queue.
 *
 * Aedes' default memory persistence keeps each client's offline queue as a plain array: every
 * PUBACK removes its message with a linear search plus `splice`, and every delivery updates the
 * message id with another linear search. Draining a backlog of n messages is therefore O(n²).
 * This subclass keeps everything else of the default persistence and replaces the outgoing queue
 * with an ordered slot array plus two indexes (by broker counter and by message id), so enqueue,
 * update and acknowledge are O(1). It also caps the queue per client (new messages beyond the
 * cap are dropped and counted, as Mosquitto's max_queued_messages does) and counts what it holds
 * for /metrics.
 */
import { createRequire } from 'node:module';
import { Readable } from 'node:stream';
import type { ClientRef, SubLike } from './packet-types.js';

interface StoredPacket {
  cmd: string;
  brokerId?: string;
  brokerCounter?: number;
  messageId?: number;
  topic?: string;
  payload?: Buffer;
}

type PacketCtor = new (original: object, broker?: unknown) => StoredPacket;

interface MemoryPersistenceBase {
  setup(broker: unknown): Promise<void>;
  storeRetained(packet: StoredPacket): Promise<void>;
  cleanSubscriptions(client: ClientRef): Promise<void>;
}

const require = createRequire(import.meta.url);
const MemoryPersistence = require('aedes-persistence/asyncPersistence.js') as new (
  opts?: object,
) => MemoryPersistenceBase;
const Packet = require('aedes-packet') as PacketCtor;

class ClientQueue {
  /** Slots in delivery order; `undefined` once acknowledged. Slot s lives at index s - base. */
  slots: (StoredPacket | undefined)[] = [];
  base = 0;
  live = 0;
  readonly bySlotOfCounter = new Map<string, Map<number, number>>();
  readonly slotOfMessageId = new Map<number, number>();

  push(p: StoredPacket): void {
    const slot = this.base + this.slots.length;
    this.slots.push(p);
    this.live++;
    if (p.brokerId !== undefined && p.brokerCounter !== undefined) {
      let m = this.bySlotOfCounter.get(p.brokerId);
      if (!m) {
        m = new Map();
        this.bySlotOfCounter.set(p.brokerId, m);
      }
      m.set(p.brokerCounter, slot);
    }
    if (p.messageId !== undefined) this.slotOfMessageId.set(p.messageId, slot);
  }

  at(slot: number): StoredPacket | undefined {
    return this.slots[slot - this.base];
  }

  remove(slot: number): StoredPacket | undefined {
    const i = slot - this.base;
    const p = this.slots[i];
    if (p === undefined) return undefined;
    this.slots[i] = undefined;
    this.live--;
    if (p.brokerId !== undefined && p.brokerCounter !== undefined) {
      const m = this.bySlotOfCounter.get(p.brokerId);
      if (m && m.get(p.brokerCounter) === slot) m.delete(p.brokerCounter);
    }
    if (p.messageId !== undefined && this.slotOfMessageId.get(p.messageId) === slot) {
      this.slotOfMessageId.delete(p.messageId);
    }
    this.compact();
    return p;
  }

  /** Index of the first slot that may still be live; everything before it is acknowledged. */
  private head = 0;

  private compact(): void {
    const slots = this.slots;
    let head = this.head;
    while (head < slots.length && slots[head] === undefined) head++;
    if (head === slots.length) {
      this.base += head;
      this.slots = [];
      this.head = 0;
      return;
    }
    // Trim the acknowledged head in big steps so the copy is amortised O(1) per message.
    if (head >= 1024 && head * 2 >= slots.length) {
      this.slots = slots.slice(head);
      this.base += head;
      head = 0;
    }
    this.head = head;
  }

  snapshot(): StoredPacket[] {
    const out: StoredPacket[] = [];
    const slots = this.slots;
    for (let i = this.head; i < slots.length; i++) {
      const p = slots[i];
      if (p !== undefined) out.push(p);
    }
    return out;
  }
}

export interface QueuePersistenceOptions {
  /** Offline/in-flight messages kept per client; beyond it new messages are dropped. 0 = unbounded. */
  maxQueuedPerClient?: number;
  /** Called for every message dropped because a client's queue was full. */
  onDrop?: (clientId: string) => void;
}

// The parts of Aedes' memory persistence that QueuePersistence inherits without declaring them.
export interface QueuePersistence {
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

// biome-ignore lint/suspicious/noUnsafeDeclarationMerging: declares what the JS base class provides
export class QueuePersistence extends MemoryPersistence {
  readonly #queues = new Map<string, ClientQueue>();
  readonly #retainedTopics = new Set<string>();
  readonly #max: number;
  readonly #onDrop: (clientId: string) => void;
  #queued = 0;

  constructor(opts: QueuePersistenceOptions = {}) {
    super({});
    this.#max = opts.maxQueuedPerClient ?? 0;
    this.#onDrop = opts.onDrop ?? (() => {});
  }

  /** Messages held for all clients (offline queue + unacknowledged in flight). */
  get queuedMessages(): number {
    return this.#queued;
  }

  get retainedCount(): number {
    return this.#retainedTopics.size;
  }

  /** The topics that hold a retained message. */
  retainedTopics(): IterableIterator<string> {
    return this.#retainedTopics.values();
  }

  /** Per-client queue depths, deepest first (for /metrics and /api/clients). */
  queueDepths(limit = 20): { clientId: string; depth: number }[] {
    const all: { clientId: string; depth: number }[] = [];
    for (const [clientId, q] of this.#queues) if (q.live > 0) all.push({ clientId, depth: q.live });
    all.sort((a, b) => b.depth - a.depth);
    return all.slice(0, limit);
  }

  depthOf(clientId: string): number {
    return this.#queues.get(clientId)?.live ?? 0;
  }

  override async storeRetained(packet: StoredPacket): Promise<void> {
    await super.storeRetained(packet);
    if (packet.topic === undefined) return;
    if (!packet.payload || packet.payload.length === 0) this.#retainedTopics.delete(packet.topic);
    else this.#retainedTopics.add(packet.topic);
  }

  #enqueue(clientId: string, packet: object): void {
    let q = this.#queues.get(clientId);
    if (!q) {
      q = new ClientQueue();
      this.#queues.set(clientId, q);
    }
    if (this.#max > 0 && q.live >= this.#max) {
      this.#onDrop(clientId);
      return;
    }
    q.push(new Packet(packet));
    this.#queued++;
  }

  async outgoingEnqueue(sub: { clientId: string }, packet: object): Promise<void> {
    this.#enqueue(sub.clientId, packet);
  }

  async outgoingEnqueueCombi(subs: { clientId: string }[], packet: object): Promise<void> {
    for (let i = 0; i < subs.length; i++) {
      const s = subs[i];
      if (s) this.#enqueue(s.clientId, packet);
    }
  }

  async outgoingUpdate(client: ClientRef, packet: StoredPacket): Promise<void> {
    const q = this.#queues.get(client.id);
    if (q) {
      if (packet.brokerId !== undefined && packet.brokerCounter !== undefined) {
        const slot = q.bySlotOfCounter.get(packet.brokerId)?.get(packet.brokerCounter);
        if (slot !== undefined) {
          const stored = q.at(slot);
          if (stored) {
            if (stored.messageId !== undefined && q.slotOfMessageId.get(stored.messageId) === slot) {
              q.slotOfMessageId.delete(stored.messageId);
            }
            stored.messageId = packet.messageId;
            if (packet.messageId !== undefined) q.slotOfMessageId.set(packet.messageId, slot);
            return;
          }
        }
      }
      if (packet.messageId !== undefined) {
        // e.g. a PUBREL replacing its PUBLISH under the same message id
        const slot = q.slotOfMessageId.get(packet.messageId);
        if (slot !== undefined && q.at(slot) !== undefined) {
          const old = q.at(slot);
          if (old?.brokerId !== undefined && old.brokerCounter !== undefined) {
            q.bySlotOfCounter.get(old.brokerId)?.delete(old.brokerCounter);
          }
          q.slots[slot - q.base] = packet;
          return;
        }
      }
    }
    throw new Error('no such packet');
  }

  async outgoingClearMessageId(client: ClientRef, packet: StoredPacket): Promise<StoredPacket | undefined> {
    const q = this.#queues.get(client.id);
    if (!q || packet.messageId === undefined) return undefined;
    const slot = q.slotOfMessageId.get(packet.messageId);
    if (slot === undefined) return undefined;
    const removed = q.remove(slot);
    if (removed) this.#queued--;
    if (q.live === 0 && q.slots.length === 0) this.#queues.delete(client.id);
    return removed;
  }

  outgoingStream(client: ClientRef): Readable {
    const q = this.#queues.get(client.id);
    return Readable.from(q ? q.snapshot() : []);
  }
}
