/**
 * The delivery steps wrapped around each client right after `aedes.handle`, before it can
 * subscribe (Aedes captures the deliver functions per subscription), innermost first:
 * Aedes' own deliveries with its counter check let through (dedupe.ts), the resume order
 * (resume-order.ts), the exact dedupe of overlapping subscriptions (dedupe.ts).
 */
import type { Client } from 'aedes';
import { bypassAedesDedupe, dropOverlapDuplicates } from './dedupe.js';
import type { ResumeOrder } from './resume-order.js';

export function wrapDeliveries(client: Client, resumeOrder: ResumeOrder): void {
  const c = client as unknown as Parameters<typeof bypassAedesDedupe>[0] &
    Parameters<ResumeOrder['track']>[0];
  bypassAedesDedupe(c);
  resumeOrder.track(c);
  dropOverlapDuplicates(c);
}
