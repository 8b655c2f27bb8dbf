/**
 * A refused subscription is never stored (issue 13, finding 1).
 *
 * Aedes 1.2 stores a persistent session's subscriptions once per filter of a SUBSCRIBE, each time
 * with the packet's whole list (lib/handlers/subscribe.js `storeSubscriptions` passes
 * `packet.subscriptions`), so a SUBSCRIBE with one allowed and one refused filter stored both:
 * SUBACK said `01 80`, while the refused `#` sat in the session, queued other districts' messages
 * while the gateway was away and delivered them at its next clean=0 connect. This wrapper on the
 * session store's `addSubscriptions` keeps only the filters the client's identity may subscribe
 * to, in memory, disk and Redis modes alike (it sits on the store Aedes calls, whichever it is).
 *
 * The filtered list is made once per list Aedes passes (Aedes passes the same array for every
 * filter of a packet; coalesce-subscriptions.ts relies on that identity to make one store write).
 */
import type { SubLike } from './packet-types.js';

interface SubscriptionStore {
  addSubscriptions(client: unknown, subs: SubLike[]): Promise<unknown>;
}

/** Says whether `client` may hold a subscription to `filter`; undefined = not one of ours (internal). */
export type SubscriptionCheck = (client: unknown, filter: string) => boolean | undefined;

export function guardSubscriptions(store: SubscriptionStore, allowed: SubscriptionCheck): void {
  const add = store.addSubscriptions.bind(store);
  const filtered = new WeakMap<SubLike[], SubLike[]>();
  store.addSubscriptions = (client, subs) => {
    let kept = filtered.get(subs);
    if (!kept) {
      kept = subs.filter((s) => allowed(client, s.topic) !== false);
      filtered.set(subs, kept);
    }
    if (kept.length === 0) return Promise.resolve();
    return add(client, kept.length === subs.length ? subs : kept);
  };
}
