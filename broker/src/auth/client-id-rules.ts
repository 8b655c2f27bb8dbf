/**
 * Which client ids an identity may connect with (issue 13, finding 2): a session belongs to its
 * client id, so whoever may use an id may resume that session, acknowledge its queue, wipe it
 * with clean=1, or take it over and fire the owner's will. Ids are therefore bound to identities,
 * one table per role:
 *
 * | role    | may use (defaults)                                                     |
 * |---------|------------------------------------------------------------------------|
 * | gateway | `gz-{district}-{gateway}` (the agent's default), `gz-{district}-{gateway}.*`, `{user}`, `{user}.*` |
 * | ingest  | `ganzhi-ingest-*` (the ingest's ids), `{user}`, `{user}.*`              |
 * | viewer  | `{user}`, `{user}.*`                                                   |
 * | operator | `{user}`, `{user}.*`                                                  |
 * | admin   | `{user}`, `{user}.*`                                                   |
 *
 * `{user}`, `{district}`, `{gateway}` are filled in from the identity; `*` stands for one or more
 * of `A-Z a-z 0-9 _ - .`. The suffix forms use `.`, which contract ids cannot contain, so
 * `gz-north-gw-1.probe` cannot be another gateway's id (a `-` suffix could: `gw-1-a` may be a
 * gateway of its own). Reserved forms belong to one role: `gz-*` to gateways, `ganzhi-ingest-*`
 * to the ingest role; no other role may use them, whatever its own forms say. An empty client id
 * (clean session only) is always allowed: the broker then picks a random one. Anonymous clients
 * (`--allow-anonymous`, the local demo) are not bound by these rules. The broker config's
 * `clientIds` section replaces a role's forms.
 *
 * These rules say what an identity may use; the session-owner table (persistence/session-owners.ts)
 * makes sure that where two users' forms overlap, neither takes the other's session.
 */
import type { Identity, Role } from './identity.js';

/** Per role, the id forms its users may use; `reserved`: per role, forms only that role may use. */
export type ClientIdRules = Readonly<Record<Role, readonly string[]>> & {
  readonly reserved: Readonly<Partial<Record<Role, readonly string[]>>>;
};

export const DEFAULT_CLIENT_ID_RULES: ClientIdRules = Object.freeze({
  gateway: ['gz-{district}-{gateway}', 'gz-{district}-{gateway}.*', '{user}', '{user}.*'],
  ingest: ['ganzhi-ingest-*', '{user}', '{user}.*'],
  viewer: ['{user}', '{user}.*'],
  operator: ['{user}', '{user}.*'],
  admin: ['{user}', '{user}.*'],
  reserved: Object.freeze({ gateway: ['gz-*'], ingest: ['ganzhi-ingest-*'] }),
});

const PLACEHOLDERS: Readonly<Record<Role, readonly string[]>> = {
  gateway: ['user', 'district', 'gateway'],
  ingest: ['user'],
  viewer: ['user'],
  operator: ['user'],
  admin: ['user'],
};

const WILDCARD = '[A-Za-z0-9_.\\-]+';

function literal(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&');
}

/** The regular expression of a form, with the identity's values filled in. */
function compile(form: string, values: Record<string, string>): RegExp {
  let re = '';
  for (const part of form.split(/(\{[a-z]+\}|\*)/)) {
    if (part === '*') re += WILDCARD;
    else if (part.startsWith('{') && part.endsWith('}')) re += literal(values[part.slice(1, -1)] ?? '\u0000');
    else re += literal(part);
  }
  return new RegExp(`^${re}$`);
}

function valuesOf(id: Identity): Record<string, string> {
  return id.role === 'gateway'
    ? { user: id.user, district: id.district, gateway: id.gateway }
    : { user: id.user };
}

/** Why `clientId` is refused for `identity`, or undefined when it may use it. */
export function clientIdRefusal(
  rules: ClientIdRules,
  identity: Identity,
  clientId: string,
): string | undefined {
  if (identity.role === 'anonymous') return undefined;
  for (const [role, forms] of Object.entries(rules.reserved) as [Role, readonly string[]][]) {
    if (role === identity.role) continue;
    for (const f of forms) {
      if (compile(f, {}).test(clientId)) return `client id reserved for the ${role} role`;
    }
  }
  const values = valuesOf(identity);
  for (const f of rules[identity.role]) if (compile(f, values).test(clientId)) return undefined;
  return `client id not among the ${identity.role} role's forms`;
}

/** Problems with configured forms, each naming its path (for config validation). */
export function clientIdRuleProblems(rules: {
  reserved?: Partial<Record<string, string[]>>;
  [role: string]: unknown;
}): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const { reserved, ...rest } = rules;
  const allow = rest as Partial<Record<string, string[]>>;
  for (const [section, table] of [
    ['allow', allow],
    ['reserved', reserved],
  ] as const) {
    for (const [role, forms] of Object.entries(table ?? {})) {
      const allowed = section === 'reserved' ? [] : (PLACEHOLDERS[role as Role] ?? []);
      (forms ?? []).forEach((f, i) => {
        for (const m of f.matchAll(/\{([^}]*)\}/g)) {
          if (!allowed.includes(m[1] ?? '')) {
            out.push({
              path: `clientIds.${section === 'allow' ? '' : 'reserved.'}${role}[${i}]`,
              message: `{${m[1]}} is not a placeholder a ${section === 'reserved' ? 'reserved form' : `${role} form`} can use${allowed.length ? ` (${allowed.map((a) => `{${a}}`).join(', ')})` : ''}`,
            });
          }
        }
      });
    }
  }
  return out;
}
