/**
 * The Sparkplug B namespace in the ACL (issue 18; Sparkplug 3.0 §4.1 topics, §7.3/7.4.3 ACLs),
 * default deny like the rest:
 *
 * | identity                                   | publish                                                                  | subscribe                                                        |
 * |--------------------------------------------|--------------------------------------------------------------------------|------------------------------------------------------------------|
 * | gateway with `sparkplug: {group, node}`    | spBv1.0/{group}/{NBIRTH,NDEATH,NDATA}/{node}, …/{DBIRTH,DDEATH,DDATA}/{node}/{device} | spBv1.0/{group}/NCMD/{node}(/#), spBv1.0/{group}/DCMD/{node}/#, spBv1.0/STATE/+ |
 * | ingest with `sparkplug: {hostId, groups}`  | spBv1.0/STATE/{hostId}, spBv1.0/{g}/NCMD/…, spBv1.0/{g}/DCMD/… of its groups | spBv1.0/{g}/# of its groups, spBv1.0/STATE/{hostId}                |
 * | any other gateway, ingest, viewer, operator | nothing under spBv1.0                                                    | nothing under spBv1.0                                            |
 * | admin, anonymous                           | as for every topic                                                       | as for every topic                                               |
 *
 * Only the host may command (NCMD/DCMD); an edge node may speak only as its own group/node.
 * The `/#` forms are granted because Tahu's client subscribes `…/NCMD/{node}/#`; only the host
 * can publish there, so they leak nothing.
 */
import { sparkplug } from '@ganzhi/device-profiles';
import type { Identity } from './identity.js';

export const SPB_PREFIX = 'spBv1.0/';

const NODE_PUBLISHES: ReadonlySet<string> = new Set([
  'NBIRTH',
  'NDEATH',
  'NDATA',
  'DBIRTH',
  'DDEATH',
  'DDATA',
]);

export function sparkplugPublishAllowed(id: Identity, topic: string): boolean {
  if (id.role === 'admin' || id.role === 'anonymous') return true;
  const t = sparkplug.parseSparkplugTopic(topic);
  if (!t) return false;
  if (id.role === 'gateway') {
    const sp = id.sparkplug;
    if (!sp || t.kind === 'state') return false;
    return t.group === sp.group && t.node === sp.node && NODE_PUBLISHES.has(t.type);
  }
  if (id.role === 'ingest') {
    const sp = id.sparkplug;
    if (!sp) return false;
    if (t.kind === 'state') return t.hostId === sp.hostId;
    return (t.type === 'NCMD' || t.type === 'DCMD') && sp.groups.includes(t.group);
  }
  return false;
}

/** Subscription patterns under spBv1.0 (appended to the role's contract patterns). */
export function sparkplugFilters(id: Identity): string[] {
  if (id.role === 'gateway' && id.sparkplug) {
    const { group, node } = id.sparkplug;
    return [
      `${SPB_PREFIX}${group}/NCMD/${node}/#`,
      `${SPB_PREFIX}${group}/DCMD/${node}/#`,
      `${SPB_PREFIX}STATE/+`,
    ];
  }
  if (id.role === 'ingest' && id.sparkplug) {
    const { groups, hostId } = id.sparkplug;
    return [...groups.map((g) => `${SPB_PREFIX}${g}/#`), `${SPB_PREFIX}STATE/${hostId}`];
  }
  return [];
}
