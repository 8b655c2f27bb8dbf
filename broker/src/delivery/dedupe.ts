/**
 * Exact de-duplication of deliveries, instead of Aedes' "highest counter seen" (issue 13,
 * finding 6: a reconnected gateway stayed offline on the hub).
 *
 * Aedes 1.2 (lib/client.js `dedupe`) drops a message for a client when its broker counter is not
 * above the highest counter that client has been sent. Counters are handed out when a message is
 * published (`new Packet` in `Aedes.publish`), but a message reaches subscribers only after the
 * session store has stored it (`storeRetained`, then `enqueueOffline`, then the emit). A retained
 * message waits for one more store write than a data message, so when a gateway publishes its
 * retained state/meta/status and then data in one burst (the agent does, on every connect), the
 * data overtakes them; Aedes then takes the older retained messages for duplicates and drops
 * them — for a persistent subscriber they stay queued in its session, unsent, until it
 * reconnects. In disk and Redis modes this happened on every reconnect: the hub never saw the
 * gateway's "online" after its "offline" will (moscajs/aedes#955 and #994 report the same loss).
 *
 * What that dedupe is for is overlapping subscriptions (`a/#` and `a/b` of one client match one
 * message twice, [MQTT-3.3.5-1]). mqemitter calls all listeners of one message in one synchronous
 * loop, so both deliveries of the same message to a client come back to back. So:
 * - `bypassAedesDedupe` (innermost, around Aedes' own deliver functions) sets the client's
 *   remembered counter just below the message's, so Aedes' check always lets it through;
 * - `dropOverlapDuplicates` (outermost) drops a delivery whose (broker id, counter) is the one
 *   just delivered to the same client at the same or a higher QoS: the overlapping-subscription
 *   case, and only that.
 * Messages without a broker id (retained messages sent on SUBSCRIBE) were never deduplicated.
 */

interface Packet {
  brokerId?: string | null;
  brokerCounter?: number;
  qos?: number;
}

type Deliver = (packet: Packet, cb: (err?: unknown) => void) => void;

interface DeliveringClient {
  duplicates: Record<string, number>;
  deliverQoS: Deliver;
  deliver0: Deliver;
}

/** Lets every delivery through Aedes' own counter check (call right after `aedes.handle`). */
export function bypassAedesDedupe(client: DeliveringClient): void {
  const wrap = (deliver: Deliver): Deliver => {
    return (packet, cb) => {
      const id = packet.brokerId;
      if (id) client.duplicates[id] = (packet.brokerCounter ?? 1) - 1;
      deliver(packet, cb);
    };
  };
  client.deliverQoS = wrap(client.deliverQoS);
  client.deliver0 = wrap(client.deliver0);
}

/**
 * Drops a second delivery of one message to one client (overlapping subscriptions) — unless it is
 * at a higher QoS than the copy already sent: [MQTT-3.3.5-1] requires the message at the highest
 * QoS of the matching subscriptions, and allows further copies. (Aedes' own dedupe kept whichever
 * came first, so `a/#` at QoS 0 beside `a/b` at QoS 1 delivered a QoS 1 message at QoS 0 only.)
 * A delivery through `deliver0` is at QoS 0; through `deliverQoS` at the QoS published. Aedes'
 * deliverQoS hands a QoS 0 message to `client.deliver0` synchronously: that inner call is the
 * same delivery, not a second one, and passes unchecked.
 */
export function dropOverlapDuplicates(client: DeliveringClient): void {
  let lastId: string | undefined;
  let lastCounter = -1;
  let lastQos = -1;
  let inside = false;
  const wrap = (deliver: Deliver, atQos0: boolean): Deliver => {
    return (packet, cb) => {
      if (inside) {
        deliver(packet, cb);
        return;
      }
      const id = packet.brokerId;
      if (id) {
        const counter = packet.brokerCounter ?? 0;
        const qos = atQos0 ? 0 : (packet.qos ?? 0);
        if (counter === lastCounter && id === lastId) {
          if (qos <= lastQos) {
            setImmediate(cb);
            return;
          }
        } else {
          lastId = id;
          lastCounter = counter;
        }
        lastQos = qos;
      }
      inside = true;
      try {
        deliver(packet, cb);
      } finally {
        inside = false;
      }
    };
  };
  client.deliverQoS = wrap(client.deliverQoS, false);
  client.deliver0 = wrap(client.deliver0, true);
}
