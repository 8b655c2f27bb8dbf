/**
 * Order on resume: a persistent session's backlog first, then the messages published while it was
 * being sent — each once.
 *
 * Aedes 1.2 restores a persistent session's subscriptions (so live messages start arriving in
 * `client.deliverQoS`) before it sends the stored backlog (lib/handlers/connect.js `emptyQueue`,
 * from a snapshot of the session's queue). A message published in between is queued in the
 * session *and* delivered live, so it overtakes the backlog, and if the snapshot already held it,
 * it is also sent a second time from there. Seen on the wire: backlog m2…m29, live m31…m34 arrived
 * as `m2 m31 m3 m4 m32 …` and then `m31` again.
 *
 * So, per client, until Aedes reports it ready (`clientReady`, emitted when the backlog has been
 * written): live QoS 1/2 deliveries to a persistent session are set aside (their callback runs at
 * once, so publishers are not held up; the message is already in the session's queue), and the
 * identity (broker id, broker counter) of every backlog message is noted where Aedes records it as
 * sent (`persistence.outgoingUpdate`). When the backlog is done, the set-aside messages go through
 * Aedes' own `deliverQoS`, in order, except those the backlog already sent. If the connection ends
 * first, the set-aside messages stay in the session's queue for the next connect.
 *
 * `client.deliverQoS` must be replaced before the client subscribes (Aedes captures it per
 * subscription), i.e. right after `aedes.handle`.
 */

interface QueuedPacket {
  qos?: number;
  retain?: boolean;
  brokerId?: string | null;
  brokerCounter?: number;
}

type Deliver = (packet: QueuedPacket, cb: (err?: unknown) => void) => void;

interface ResumingClient {
  clean: boolean;
  deliverQoS: Deliver;
}

interface ResumeState {
  ready: boolean;
  deliver: Deliver;
  /** live deliveries set aside while the backlog is sent */
  held: QueuedPacket[];
  /** broker id → counters of the backlog messages sent */
  sent: Map<string, Set<number>>;
}

interface OutgoingUpdater {
  outgoingUpdate(client: unknown, packet: QueuedPacket): Promise<unknown>;
}

const noop = () => {};

export class ResumeOrder {
  readonly #states = new WeakMap<object, ResumeState>();

  /** Wraps the session store's `outgoingUpdate` (the instance's, not the class'). */
  constructor(persistence: object) {
    const store = persistence as OutgoingUpdater;
    const update = store.outgoingUpdate.bind(store);
    store.outgoingUpdate = (client, packet) => {
      const st = this.#states.get(client as object);
      if (st && !st.ready && packet.brokerId && packet.brokerCounter !== undefined) {
        let counters = st.sent.get(packet.brokerId);
        if (!counters) {
          counters = new Set();
          st.sent.set(packet.brokerId, counters);
        }
        counters.add(packet.brokerCounter);
      }
      return update(client, packet);
    };
  }

  /** Call right after `aedes.handle(conn)`, before the client can subscribe. */
  track(client: ResumingClient): void {
    const st: ResumeState = { ready: false, deliver: client.deliverQoS, held: [], sent: new Map() };
    this.#states.set(client, st);
    client.deliverQoS = (packet, cb) => {
      if (!st.ready && !client.clean && (packet.qos ?? 0) > 0 && !packet.retain) {
        st.held.push(packet);
        setImmediate(cb);
        return;
      }
      st.deliver(packet, cb);
    };
  }

  /** Messages set aside for this client right now (for tests and /api/clients). */
  held(client: object): number {
    return this.#states.get(client)?.held.length ?? 0;
  }

  /** Aedes' `clientReady`: the backlog has been written; deliver what was set aside. */
  ready(client: object): void {
    const st = this.#states.get(client);
    if (!st || st.ready) return;
    st.ready = true;
    const held = st.held;
    const sent = st.sent;
    st.held = [];
    st.sent = new Map();
    for (const p of held) {
      if (p.brokerId && p.brokerCounter !== undefined && sent.get(p.brokerId)?.has(p.brokerCounter)) continue;
      st.deliver(p, noop);
    }
  }
}
