/**
 * DiskPersistence at the persistence API: what a restart finds (subscriptions, retained, queued
 * and in-flight QoS 1, QoS 2 state on both sides, wills), that a resolved mutation is committed,
 * that a bad file stops the start, the queue cap, and that a drained backlog gives its space back.
 * A "crash" copies the database and its WAL while the first instance still has them open: what a
 * kill -9 leaves on disk.
 */
import { copyFileSync, existsSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../test-support/process.js';
import { DiskPersistence } from '../src/persistence/disk-persistence.js';

interface Pkt {
  cmd?: string;
  topic?: string;
  payload?: Buffer;
  qos?: number;
  retain?: boolean;
  messageId?: number;
  brokerId?: string;
  brokerCounter?: number;
  clientId?: string;
}

const open: DiskPersistence[] = [];
const dirs: string[] = [];
afterEach(async () => {
  for (const p of open.splice(0)) await p.destroy().catch(() => {});
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

function dir(): string {
  const d = tempDir('gz-disk-');
  dirs.push(d);
  return d;
}

async function start(
  file: string,
  brokerId: string,
  opts: { max?: number; onDrop?: () => void; exclusive?: boolean } = {},
) {
  const p = new DiskPersistence({
    file,
    ...(opts.exclusive !== undefined ? { exclusive: opts.exclusive } : {}),
    ...(opts.max !== undefined ? { maxQueuedPerClient: opts.max } : {}),
    ...(opts.onDrop ? { onDrop: opts.onDrop } : {}),
  });
  const broker = { id: brokerId, counter: 0 };
  await p.setup(broker);
  open.push(p);
  return { p, broker };
}

/** What kill -9 leaves: the database file and its WAL as they are now. */
function crashCopy(file: string, to: string): string {
  copyFileSync(file, to);
  if (existsSync(`${file}-wal`)) copyFileSync(`${file}-wal`, `${to}-wal`);
  return to;
}

async function all<T>(s: Readable): Promise<T[]> {
  const out: T[] = [];
  for await (const x of s) out.push(x as T);
  return out;
}

function pub(topic: string, payload: string, counter: number, brokerId = 'b1', qos = 1): Pkt {
  return {
    cmd: 'publish',
    topic,
    payload: Buffer.from(payload),
    qos,
    retain: false,
    brokerId,
    brokerCounter: counter,
  };
}

describe('DiskPersistence', () => {
  it('a restart finds subscriptions, retained, queued and in-flight messages, QoS 2 state and wills', async () => {
    const d = dir();
    const { p } = await start(join(d, 'broker.db'), 'b1');
    const sub = { id: 'ingest' };
    await p.addSubscriptions(sub, [
      { topic: 'gz/v1/+/+/+/data', qos: 1 },
      { topic: 'gz/v1/+/+/state', qos: 2 },
    ]);
    await p.storeRetained({ ...pub('gz/v1/n/gw/state', 'online', 0), retain: true });
    // four messages queued; 1 and 2 delivered (message ids), 1 acknowledged; 4 is QoS 2 at PUBREL
    await p.outgoingEnqueueCombi([{ clientId: 'ingest' }], pub('t', 'm1', 1));
    await p.outgoingEnqueueCombi([{ clientId: 'ingest' }], pub('t', 'm2', 2));
    await p.outgoingEnqueue({ clientId: 'ingest' }, pub('t', 'm3', 3));
    await p.outgoingEnqueue({ clientId: 'ingest' }, pub('t', 'm4', 4, 'b1', 2));
    await p.outgoingUpdate(sub, { ...pub('t', 'm1', 1), messageId: 11 });
    await p.outgoingUpdate(sub, { ...pub('t', 'm2', 2), messageId: 12 });
    await p.outgoingUpdate(sub, { ...pub('t', 'm4', 4, 'b1', 2), messageId: 14 });
    await p.outgoingUpdate(sub, { cmd: 'pubrel', messageId: 14 });
    await p.outgoingClearMessageId(sub, { messageId: 11 });
    // a gateway's QoS 2 publish between PUBREC and PUBREL
    await p.incomingStorePacket(
      { id: 'gw-n' },
      { ...pub('gz/v1/n/gw-n/pm1/data', 'q2', 0, 'b1', 2), messageId: 7 },
    );
    await p.putWill(
      { id: 'gw-n' },
      { cmd: 'publish', topic: 'gz/v1/n/gw-n/state', payload: Buffer.from('offline'), qos: 1, retain: true },
    );

    const { p: q, broker } = await start(crashCopy(join(d, 'broker.db'), join(d, 'after.db')), 'b2');
    expect(await q.subscriptionsByClient(sub)).toEqual([
      { topic: 'gz/v1/+/+/+/data', qos: 1 },
      { topic: 'gz/v1/+/+/state', qos: 2 },
    ]);
    expect(
      (await q.subscriptionsByTopic('gz/v1/n/gw/p/data')).map((s: { clientId: string }) => s.clientId),
    ).toEqual(['ingest']);
    const retained = await all<Pkt>(q.createRetainedStream('gz/v1/#'));
    expect(retained.map((r) => [r.topic, r.payload?.toString(), r.retain])).toEqual([
      ['gz/v1/n/gw/state', 'online', true],
    ]);

    const queue = await all<Pkt>(q.outgoingStream(sub));
    expect(queue.map((m) => [m.cmd, m.payload?.toString(), m.messageId])).toEqual([
      ['publish', 'm2', 12], // in flight, un-acked: resent with the id the client saw
      ['publish', 'm3', undefined],
      ['pubrel', undefined, 14],
    ]);
    expect(q.queuedMessages).toBe(3);
    expect(q.depthOf('ingest')).toBe(3);

    const incoming = (await q.incomingGetPacket({ id: 'gw-n' }, { messageId: 7 })) as Pkt;
    expect([incoming.topic, incoming.payload?.toString(), incoming.qos, incoming.messageId]).toEqual([
      'gz/v1/n/gw-n/pm1/data',
      'q2',
      2,
      7,
    ]);

    // the will still belongs to the dead run b1, so Aedes' will sweep (which skips live brokers) publishes it
    const wills = await all<Pkt>(q.streamWill({ [broker.id]: Date.now() }));
    expect(wills.map((w) => [w.clientId, w.topic, w.payload?.toString(), w.brokerId])).toEqual([
      ['gw-n', 'gz/v1/n/gw-n/state', 'offline', 'b1'],
    ]);

    // the restarted session goes on: acknowledge m2 and the PUBREL, and a further restart agrees
    await q.outgoingClearMessageId(sub, { messageId: 12 });
    await q.outgoingClearMessageId(sub, { messageId: 14 });
    await q.incomingDelPacket({ id: 'gw-n' }, { messageId: 7 });
    await q.delWill({ id: 'gw-n' });
    await q.removeSubscriptions(sub, ['gz/v1/+/+/state']);
    await q.storeRetained({ ...pub('gz/v1/n/gw/state', '', 0), retain: true, payload: Buffer.alloc(0) });
    const { p: r } = await start(crashCopy(join(d, 'after.db'), join(d, 'again.db')), 'b3');
    expect((await all<Pkt>(r.outgoingStream(sub))).map((m) => m.payload?.toString())).toEqual(['m3']);
    await expect(r.incomingGetPacket({ id: 'gw-n' }, { messageId: 7 })).rejects.toThrow('no such packet');
    expect(await all(r.streamWill({}))).toEqual([]);
    expect(await r.subscriptionsByClient(sub)).toEqual([{ topic: 'gz/v1/+/+/+/data', qos: 1 }]);
    expect(await all(r.createRetainedStream('#'))).toEqual([]);
  });

  it('resolves a mutation only once it is committed: another connection sees the row', async () => {
    const d = dir();
    const file = join(d, 'broker.db');
    const { p } = await start(file, 'b1', { exclusive: false });
    const reader = new Database(file, { readonly: true });
    try {
      const count = () => reader.prepare('SELECT count(*) FROM outgoing').pluck().get() as number;
      const pending = [1, 2, 3].map((i) => p.outgoingEnqueueCombi([{ clientId: 'c' }], pub('t', `m${i}`, i)));
      expect(count()).toBe(0); // recorded, not yet committed
      const commitsBefore = p.commits;
      await pending[0];
      expect(count()).toBe(3);
      expect(p.commits).toBe(commitsBefore + 1); // one event-loop turn, one transaction
      await Promise.all(pending);
    } finally {
      reader.close();
    }
  });

  it('a restart with a fixed broker id publishes the previous run’s wills and keeps message counters apart', async () => {
    const d = dir();
    const { p, broker } = await start(join(d, 'broker.db'), 'fixed');
    broker.counter = 41;
    await p.outgoingEnqueue({ clientId: 'c' }, pub('t', 'old', 41, 'fixed'));
    await p.putWill({ id: 'gw' }, { cmd: 'publish', topic: 'w', payload: Buffer.from('gone'), qos: 1 });
    const { p: q, broker: b2 } = await start(crashCopy(join(d, 'broker.db'), join(d, 'c.db')), 'fixed');
    expect(b2.counter).toBe(41);
    // the sweep skips wills of live brokers; this broker (same id) is live, the will is not its own
    expect((await all<Pkt>(q.streamWill({ fixed: Date.now() }))).map((w) => w.clientId)).toEqual(['gw']);
  });

  it('refuses a file that is not a session database, naming it', async () => {
    const d = dir();
    const file = join(d, 'broker.db');
    writeFileSync(file, 'this is not an SQLite file, but a mistake'.repeat(200));
    const p = new DiskPersistence({ file });
    const err = await p
      .setup({ id: 'b', counter: 0 })
      .catch((e: unknown) => e as { code: string; message: string });
    expect(err).toMatchObject({ code: 'GZ_BROKER_STORE' });
    expect(String((err as { message?: unknown }).message)).toContain(file);
  });

  it('keeps the per-client cap: messages beyond it are dropped, counted and not written', async () => {
    const d = dir();
    let drops = 0;
    const { p } = await start(join(d, 'broker.db'), 'b1', { max: 2, onDrop: () => drops++ });
    for (let i = 1; i <= 5; i++)
      await p.outgoingEnqueueCombi([{ clientId: 'c' }, { clientId: 'e' }], pub('t', `m${i}`, i));
    expect(drops).toBe(6);
    const { p: q } = await start(crashCopy(join(d, 'broker.db'), join(d, 'c.db')), 'b2');
    expect((await all<Pkt>(q.outgoingStream({ id: 'c' }))).map((m) => m.payload?.toString())).toEqual([
      'm1',
      'm2',
    ]);
    expect(q.queuedMessages).toBe(4);
  });

  it('gives the space of a drained 100k-message backlog back to the file system', async () => {
    const d = dir();
    const file = join(d, 'broker.db');
    const { p } = await start(file, 'b1');
    const payload = 'x'.repeat(200);
    const size = () => statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0);
    let peak = 0;
    for (let round = 0; round < 2; round++) {
      const n = 50_000;
      const subs = [{ clientId: 'c' }];
      const enq: Promise<void>[] = [];
      for (let i = 1; i <= n; i++) {
        enq.push(p.outgoingEnqueueCombi(subs, pub('t', payload, round * n + i)));
        if (i % 5000 === 0) await Promise.all(enq.splice(0));
      }
      await Promise.all(enq);
      peak = Math.max(peak, size());
      const acks: Promise<unknown>[] = [];
      for (let i = 1; i <= n; i++) {
        const mid = (i % 60000) + 1;
        acks.push(p.outgoingUpdate({ id: 'c' }, { ...pub('t', payload, round * n + i), messageId: mid }));
        acks.push(p.outgoingClearMessageId({ id: 'c' }, { messageId: mid }));
        if (i % 5000 === 0) await Promise.all(acks.splice(0));
      }
      await Promise.all(acks);
      expect(p.queuedMessages).toBe(0);
    }
    await p.commitPending();
    const sizes = p.fileSizes();
    expect(sizes).toBeDefined();
    // the table is empty and its pages went back: the database is a small fraction of its peak
    expect((sizes?.pageCount ?? 0) * (sizes?.pageSize ?? 0)).toBeLessThan(peak / 10);
    await p.destroy();
    open.splice(open.indexOf(p), 1);
    expect(size()).toBeLessThan(peak / 10); // WAL checkpointed and truncated at close
  });
});
