/**
 * One subscription write per broadcast key, and per client, at a time (Redis mode).
 *
 * aedes-persistence-redis 12 (BroadcastPersistence of aedes-persistence 11) stores a session's
 * subscriptions, publishes `$SYS/sub/add` (`$SYS/sub/rm` for a removal) and resolves when that
 * broadcast comes back through Redis. It keeps the waiting callback in a Map under
 * `<client id>-sub_<first filter>` (`-unsub_` for a removal), one callback per key: a second
 * write with the same key, started while the first still waits, replaces the first's callback;
 * the first broadcast then releases the second write and nothing ever releases the first.
 * Aedes handles the packets of one read concurrently, so two SUBSCRIBEs (or two UNSUBSCRIBEs)
 * of a persistent client with the same first filter arriving together lost the first SUBACK
 * (UNSUBACK) for good, and the client waited for ever (cluster-redis.test.ts shows it).
 *
 * This wrapper starts a write only once the previous write with the same key has settled, so
 * a key never has two waiters in this process, and once the previous write of the same client
 * has settled, so that one client's SUBSCRIBEs and UNSUBSCRIBEs take effect in packet order:
 * Aedes calls the store in packet order but the library's Redis commands of concurrent writes
 * interleaved, and Aedes changes the live subscriptions when each write settles, so a SUBSCRIBE
 * [a, b] and an UNSUBSCRIBE [b] read together left `b` stored and delivering after its
 * UNSUBACK (an UNSUBSCRIBE [b] and a SUBSCRIBE [c, b]: `b` stored, not delivering;
 * cluster-redis.test.ts). A key is the client id and first filter, so a key collision across
 * clients (an id ending in `-sub_x`) only makes them take turns. A write whose broadcast was missed (the
 * subscriber connection to Redis reconnected while it was in flight) settles once the broadcast
 * is sent again after the reconnect (rebroadcast-on-resubscribe.ts); should one still never
 * settle, after `staleAfterMs` the next write with its key goes ahead anyway, which costs
 * nothing more (the stale waiter was already lost) and keeps it from blocking that client's
 * SUBSCRIBEs with that first filter until the broker restarts.
 *
 * Another broker's broadcast with the same key can still release a waiter here early (the
 * waiter matches on the key only); that answers sooner, it never loses an answer.
 */
import type { SubLike } from './packet-types.js';

interface ClientLike {
  id: string;
}

export interface BroadcastingStore {
  addSubscriptions(client: ClientLike, subs: SubLike[]): Promise<unknown>;
  removeSubscriptions(client: ClientLike, topics: string[]): Promise<unknown>;
}

/** How long a write waits for the previous one with its key before taking it as lost. */
export const STALE_BROADCAST_WAIT_MS = 10_000;

export function oneWaitPerKey(store: BroadcastingStore, staleAfterMs = STALE_BROADCAST_WAIT_MS): void {
  const add = store.addSubscriptions.bind(store);
  const remove = store.removeSubscriptions.bind(store);
  // broadcast key -> the last write started or queued with it (settles when that write settles)
  const byKey = new Map<string, Promise<unknown>>();
  // client id -> the last write of that client started or queued
  const byClient = new Map<string, Promise<unknown>>();

  const inTurn = <T>(clientId: string, key: string, write: () => Promise<T>): Promise<T> => {
    const before = [byKey.get(key), byClient.get(clientId)].filter((p) => p !== undefined);
    const mine = before.length === 0 ? write() : afterOrStale(Promise.all(before), staleAfterMs).then(write);
    const settled = mine.then(
      () => {},
      () => {},
    );
    byKey.set(key, settled);
    byClient.set(clientId, settled);
    void settled.then(() => {
      if (byKey.get(key) === settled) byKey.delete(key);
      if (byClient.get(clientId) === settled) byClient.delete(clientId);
    });
    return mine;
  };

  store.addSubscriptions = (client, subs) => {
    // the library neither stores nor waits for an empty list
    const first = subs[0];
    if (first === undefined) return add(client, subs);
    return inTurn(client.id, `${client.id}-sub_${first.topic}`, () => add(client, subs));
  };
  store.removeSubscriptions = (client, topics) =>
    inTurn(client.id, `${client.id}-unsub_${topics[0] ?? ''}`, () => remove(client, topics));
}

/** Resolves when `previous` settles or `ms` have passed, whichever comes first. */
function afterOrStale(previous: Promise<unknown>, ms: number): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    timer.unref();
    const done = (): void => {
      clearTimeout(timer);
      resolve();
    };
    previous.then(done, done);
  });
}
