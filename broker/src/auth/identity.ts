/** Who a connected client is, derived from its credentials or its client certificate. */
export type Role = 'gateway' | 'ingest' | 'viewer' | 'operator' | 'admin';

/** A gateway that is also a Sparkplug B edge node: its own group and node only (sparkplug-acl.ts). */
export interface SparkplugNodeScope {
  readonly group: string;
  readonly node: string;
}
/** The ingest as a Sparkplug host application: its host id and the groups it reads and commands. */
export interface SparkplugHostScope {
  readonly hostId: string;
  readonly groups: readonly string[];
}

export type Identity =
  | {
      readonly role: 'gateway';
      readonly user: string;
      readonly district: string;
      readonly gateway: string;
      readonly sparkplug?: SparkplugNodeScope;
    }
  | { readonly role: 'ingest'; readonly user: string; readonly sparkplug?: SparkplugHostScope }
  | { readonly role: 'viewer'; readonly user: string; readonly districts: readonly string[] }
  /**
   * Sends commands to the devices of its districts (issue 15) and reads those districts like a
   * viewer. `delegate`: the hub's own user, which acts for persons it authenticated itself, so the
   * broker keeps the `onBehalfOf` of its commands (from anyone else it is removed).
   */
  | {
      readonly role: 'operator';
      readonly user: string;
      readonly districts: readonly string[];
      readonly delegate: boolean;
    }
  | { readonly role: 'admin'; readonly user: string }
  /** Only with --allow-anonymous: everything except `$SYS`. */
  | { readonly role: 'anonymous'; readonly user: '' };

export const ROLES: readonly Role[] = ['gateway', 'ingest', 'viewer', 'operator', 'admin'];

export const ANONYMOUS: Identity = Object.freeze({ role: 'anonymous', user: '' });

/** Same role and same scope (district, gateway, districts). */
export function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.role !== b.role || a.user !== b.user) return false;
  if (a.role === 'gateway' && b.role === 'gateway')
    return (
      a.district === b.district &&
      a.gateway === b.gateway &&
      JSON.stringify(a.sparkplug) === JSON.stringify(b.sparkplug)
    );
  if (a.role === 'ingest' && b.role === 'ingest')
    return JSON.stringify(a.sparkplug) === JSON.stringify(b.sparkplug);
  if (a.role === 'viewer' && b.role === 'viewer') return sameList(a.districts, b.districts);
  if (a.role === 'operator' && b.role === 'operator')
    return a.delegate === b.delegate && sameList(a.districts, b.districts);
  return true;
}

function sameList(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
