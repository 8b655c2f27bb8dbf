/** One store write for the subscriptions of one SUBSCRIBE (Aedes 1.x writes them once per filter). */
export interface SubscriptionStore {
  addSubscriptions(client: unknown, subs: unknown[]): Promise<unknown>;
}

/**
 * Aedes 1.x stores the subscriptions of a SUBSCRIBE once per filter, concurrently, each time
 * with the packet's whole list. aedes-persistence-redis then waits for its own broadcast
 * under a key made from the client id and the first filter, so N concurrent identical calls
 * share one key, only one waiter is released, and a persistent (clean=false) SUBSCRIBE with
 * more than one filter never gets its SUBACK. This turns the N identical calls (the same
 * array) into one.
 */
export function coalesceAddSubscriptions(store: SubscriptionStore): void {
  const add = store.addSubscriptions.bind(store);
  const pending = new WeakMap<object, Promise<unknown>>();
  store.addSubscriptions = (client, subs) => {
    const running = pending.get(subs);
    if (running) return running;
    const p = add(client, subs).finally(() => pending.delete(subs));
    pending.set(subs, p);
    return p;
  };
}
