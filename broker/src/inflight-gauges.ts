/** Scrape-time gauges over the connected clients' outgoing in-flight windows. */
import type { OutboundWindow } from './inflight-window.js';

export interface WindowGauges {
  inflightOut: number;
  waitingOut: number;
  /** the `top` clients with the most messages in flight plus waiting */
  inflightByClient: { clientId: string; inflight: number; waiting: number }[];
}

export function windowGauges(
  windows: ReadonlyMap<{ id: string | null }, OutboundWindow>,
  top = 20,
): WindowGauges {
  let inflightOut = 0;
  let waitingOut = 0;
  const busy: WindowGauges['inflightByClient'] = [];
  for (const [client, w] of windows) {
    const inflight = w.inflight;
    const waiting = w.waiting;
    inflightOut += inflight;
    waitingOut += waiting;
    if (client.id !== null && inflight + waiting > 0) busy.push({ clientId: client.id, inflight, waiting });
  }
  busy.sort((a, b) => b.inflight + b.waiting - (a.inflight + a.waiting));
  return { inflightOut, waitingOut, inflightByClient: busy.slice(0, top) };
}
