import { describe, expect, it } from 'vitest';
import { type BroadcastingStore, oneWaitPerKey } from './one-wait-per-key.js';

/**
 * Fault injection: a store whose writes settle only when the test says so, standing in for
 * aedes-persistence-redis waiting for its broadcast (the real one is in cluster-redis.test.ts).
 */
function heldStore() {
  const started: string[] = [];
  const release = new Map<string, () => void>();
  const hold = (label: string) =>
    new Promise<void>((resolve) => {
      started.push(label);
      release.set(label, resolve);
    });
  const store: BroadcastingStore = {
    addSubscriptions: (client, subs) => hold(`add ${client.id} ${subs.map((s) => s.topic).join(',')}`),
    removeSubscriptions: (client, topics) => hold(`rm ${client.id} ${topics.join(',')}`),
  };
  return { store, started, release: (label: string) => release.get(label)?.() };
}

const tick = () => new Promise<void>((r) => setImmediate(r));

describe('one broadcast wait per key', () => {
  it('starts a write of the same client (same first filter or not) only after its previous one settled', async () => {
    const h = heldStore();
    oneWaitPerKey(h.store);
    const first = h.store.addSubscriptions({ id: 'c' }, [
      { topic: 'a', qos: 1 },
      { topic: 'b', qos: 1 },
    ]);
    const second = h.store.addSubscriptions({ id: 'c' }, [
      { topic: 'a', qos: 1 },
      { topic: 'x', qos: 1 },
    ]);
    // another client does not wait; the same client's other writes wait, in call order
    const other = h.store.addSubscriptions({ id: 'c' }, [{ topic: 'b', qos: 1 }]);
    const otherClient = h.store.addSubscriptions({ id: 'd' }, [{ topic: 'a', qos: 1 }]);
    const removal = h.store.removeSubscriptions({ id: 'c' }, ['a']);
    await tick();
    expect(h.started).toEqual(['add c a,b', 'add d a']);
    h.release('add c a,b');
    await first;
    await tick();
    expect(h.started).toEqual(['add c a,b', 'add d a', 'add c a,x']);
    h.release('add c a,x');
    await second;
    await tick();
    expect(h.started.at(-1)).toBe('add c b');
    h.release('add c b');
    await other;
    await tick();
    expect(h.started.at(-1)).toBe('rm c a');
    h.release('add d a');
    h.release('rm c a');
    await Promise.all([otherClient, removal]);
  });

  it('goes ahead after the stale bound when the previous write never settles (its broadcast was missed)', async () => {
    const h = heldStore();
    oneWaitPerKey(h.store, 20);
    void h.store.removeSubscriptions({ id: 'c' }, ['a']);
    const next = h.store.removeSubscriptions({ id: 'c' }, ['a', 'b']);
    await tick();
    expect(h.started).toEqual(['rm c a']);
    // not released: the next one starts once the bound has passed
    while (!h.started.includes('rm c a,b')) await new Promise((r) => setTimeout(r, 10));
    h.release('rm c a,b');
    await next;
  });

  it('passes a failed write on to its caller and still starts the next one', async () => {
    const calls: string[] = [];
    const store: BroadcastingStore = {
      addSubscriptions: async (_client, subs) => {
        calls.push(subs[0]?.topic ?? '');
        if (calls.length === 1) throw new Error('redis down');
      },
      removeSubscriptions: async () => {},
    };
    oneWaitPerKey(store);
    const first = store.addSubscriptions({ id: 'c' }, [{ topic: 'a', qos: 1 }]);
    const second = store.addSubscriptions({ id: 'c' }, [{ topic: 'a', qos: 1 }]);
    await expect(first).rejects.toThrow('redis down');
    await expect(second).resolves.toBeUndefined();
    expect(calls).toEqual(['a', 'a']);
  });
});
