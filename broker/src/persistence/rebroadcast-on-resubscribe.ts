/**
 * Redis mode: a subscription write whose broadcast may have been lost in a reconnect of the
 * emitter's subscriber connection is broadcast again once that connection listens again.
 *
 * aedes-persistence-redis 12 answers a persistent SUBSCRIBE (UNSUBSCRIBE) only when its own
 * `$SYS/sub/add` (`$SYS/sub/rm`) broadcast comes back through Redis (aedes-persistence 11,
 * broadcastPersistence.js): the broadcast both adds the subscription to the in-memory index
 * of every broker and releases the waiting write, under `<client id>-sub_<first filter>`. Redis
 * pub/sub keeps nothing for a connection that is away: when mqemitter-redis' subscriber
 * connection reconnected (Redis restarted, the TCP connection cut) while a broadcast was on its
 * way, the broadcast was lost, that write waited for ever and the client never got its SUBACK
 * (redis-reconnect.test.ts).
 *
 * Each time the subscriber connection is ready again, ioredis has already written its
 * re-(P)SUBSCRIBEs; a PING on the same connection is answered after them, so once it answers
 * the subscriptions are active in Redis. Every write still waiting at that moment is then
 * broadcast again, with the same topic and payload the library sends, through the emitter's
 * publishing connection. Whichever copy comes back first releases the write; a later copy finds
 * no waiter and only re-applies the same change to the index (an add of the same subscription
 * or a removal of an absent one changes nothing). Writes that started after the PING answered
 * publish after the re-subscription and need nothing.
 *
 * What is tracked is the writes the library is running (one-wait-per-key.ts, wrapped around
 * this, starts at most one per client and per key): at most one per client, each leaving the
 * set when it settles, so a flood of SUBSCRIBEs during a reconnect costs one re-broadcast per
 * client, not per packet; the packets behind it wait in one-wait-per-key's chain, bounded by
 * what Aedes reads of a connection at once. A re-broadcast
 * carries only the client id and filters of that client's own write, so it can release only
 * that write (or the same key's write on another broker, which answers sooner, never later).
 */
import type { SubLike } from './packet-types.js';

interface ClientLike {
  id: string;
}

export interface BroadcastingStore {
  addSubscriptions(client: ClientLike, subs: SubLike[]): Promise<unknown>;
  removeSubscriptions(client: ClientLike, topics: string[]): Promise<unknown>;
}

/** mqemitter-redis' subscriber connection (ioredis). */
export interface SubscriberConnection {
  on(event: 'ready', fn: () => void): unknown;
  ping(): Promise<unknown>;
}

/** Publishes one broadcast through Redis (the emitter's publishing connection). */
export type Broadcast = (topic: string, payload: string) => Promise<void>;

interface Waiting {
  topic: '$SYS/sub/add' | '$SYS/sub/rm';
  payload: string;
}

export interface Rebroadcaster {
  /** writes waiting for their broadcast now (for tests and metrics) */
  waiting(): number;
  /** broadcasts sent again since the start */
  resent(): number;
}

export function rebroadcastOnResubscribe(
  store: BroadcastingStore,
  sub: SubscriberConnection,
  broadcast: Broadcast,
  onError: (err: Error) => void,
): Rebroadcaster {
  const add = store.addSubscriptions.bind(store);
  const remove = store.removeSubscriptions.bind(store);
  const waiting = new Set<Waiting>();
  let resent = 0;

  const tracked = <T>(w: Waiting, write: () => Promise<T>): Promise<T> => {
    waiting.add(w);
    return write().finally(() => waiting.delete(w));
  };

  store.addSubscriptions = (client, subs) => {
    // the library neither stores nor waits for an empty list
    if (subs.length === 0) return add(client, subs);
    // the payload the library publishes (aedes-persistence broadcastPersistence.js brokerPublish)
    const payload = JSON.stringify({ clientId: client.id, subs });
    return tracked({ topic: '$SYS/sub/add', payload }, () => add(client, subs));
  };
  store.removeSubscriptions = (client, topics) => {
    const payload = JSON.stringify({ clientId: client.id, subs: topics.map((topic) => ({ topic })) });
    return tracked({ topic: '$SYS/sub/rm', payload }, () => remove(client, topics));
  };

  sub.on('ready', () => {
    // PING even with nothing waiting: a write started before the answer may have published
    // before the re-subscription took effect
    sub.ping().then(
      () => {
        for (const w of waiting) {
          resent++;
          broadcast(w.topic, w.payload).catch(onError);
        }
      },
      // the connection went away again: its next 'ready' tries again
      () => {},
    );
  });

  return { waiting: () => waiting.size, resent: () => resent };
}
