/** Who a connected client is, derived from its credentials or its client certificate. */
export type Role = 'gateway' | 'ingest' | 'viewer' | 'admin';

export type Identity =
  | { readonly role: 'gateway'; readonly user: string; readonly district: string; readonly gateway: string }
  | { readonly role: 'ingest'; readonly user: string }
  | { readonly role: 'viewer'; readonly user: string; readonly districts: readonly string[] }
  | { readonly role: 'admin'; readonly user: string }
  /** Only with --allow-anonymous: everything except `$SYS`. */
  | { readonly role: 'anonymous'; readonly user: '' };

export const ROLES: readonly Role[] = ['gateway', 'ingest', 'viewer', 'admin'];

export const ANONYMOUS: Identity = Object.freeze({ role: 'anonymous', user: '' });

/** Same role and same scope (district, gateway, districts). */
export function sameIdentity(a: Identity, b: Identity): boolean {
  if (a.role !== b.role || a.user !== b.user) return false;
  if (a.role === 'gateway' && b.role === 'gateway')
    return a.district === b.district && a.gateway === b.gateway;
  if (a.role === 'viewer' && b.role === 'viewer') {
    return a.districts.length === b.districts.length && a.districts.every((d, i) => d === b.districts[i]);
  }
  return true;
}
