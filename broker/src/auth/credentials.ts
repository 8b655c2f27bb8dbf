/**
 * The credentials file (JSON or YAML): users by name, each with a role and a scrypt hash.
 *
 *   users:
 *     gw-north-01: { role: gateway, district: north, gateway: gw-north-01, hash: "scrypt$…" }
 *     ingest:      { role: ingest, hash: "scrypt$…" }
 *     ops-north:   { role: viewer, districts: [north], hash: "scrypt$…" }
 *     op-north:    { role: operator, districts: [north, east], hash: "scrypt$…" }
 *     hub:         { role: operator, districts: [north, east], delegate: true, hash: "scrypt$…" }
 *     root:        { role: admin, hash: "scrypt$…" }
 *
 * A user without `hash` can log in only with a client certificate whose CN is its name.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { ISSUER_PATTERN, isValidId } from '@ganzhi/device-profiles/contract';
import { type Static, Type } from '@sinclair/typebox';
import { Value } from '@sinclair/typebox/value';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { BrokerError } from '../errors.js';
import type { Identity } from './identity.js';
import { dummyHash, HASH_PATTERN, verifyPassword } from './password-hash.js';

const Hash = Type.Optional(Type.String({ pattern: HASH_PATTERN }));
const Id = Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,63}$' });

/** A Sparkplug B group, edge node or host id: UTF-8 without + / # (Sparkplug 3.0 §4.1.2). */
const SpbId = Type.String({ minLength: 1, maxLength: 256, pattern: '^[^+/#\\u0000]+$' });

export const UserSchema = Type.Union([
  Type.Object(
    {
      role: Type.Literal('gateway'),
      district: Id,
      gateway: Id,
      hash: Hash,
      sparkplug: Type.Optional(Type.Object({ group: SpbId, node: SpbId }, { additionalProperties: false })),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      role: Type.Literal('ingest'),
      hash: Hash,
      sparkplug: Type.Optional(
        Type.Object(
          { hostId: SpbId, groups: Type.Array(SpbId, { minItems: 1, maxItems: 1000 }) },
          { additionalProperties: false },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  Type.Object(
    { role: Type.Literal('viewer'), districts: Type.Array(Id, { minItems: 1 }), hash: Hash },
    { additionalProperties: false },
  ),
  Type.Object(
    {
      role: Type.Literal('operator'),
      districts: Type.Array(Id, { minItems: 1 }),
      delegate: Type.Optional(
        Type.Boolean({
          description:
            "the hub's own user: the broker keeps its commands' onBehalfOf (the person the hub authenticated)",
        }),
      ),
      hash: Hash,
    },
    { additionalProperties: false },
  ),
  Type.Object({ role: Type.Literal('admin'), hash: Hash }, { additionalProperties: false }),
]);
export type UserEntry = Static<typeof UserSchema>;

export const CredentialsSchema = Type.Object(
  { users: Type.Record(Type.String({ minLength: 1, maxLength: 256 }), UserSchema) },
  { additionalProperties: false },
);
export type CredentialsFile = Static<typeof CredentialsSchema>;

export function identityOf(user: string, e: UserEntry): Identity {
  switch (e.role) {
    case 'gateway':
      return {
        role: 'gateway',
        user,
        district: e.district,
        gateway: e.gateway,
        ...(e.sparkplug ? { sparkplug: { ...e.sparkplug } } : {}),
      };
    case 'viewer':
      return { role: 'viewer', user, districts: [...e.districts] };
    case 'ingest':
      return {
        role: 'ingest',
        user,
        ...(e.sparkplug
          ? { sparkplug: { hostId: e.sparkplug.hostId, groups: [...e.sparkplug.groups] } }
          : {}),
      };
    case 'operator':
      return { role: 'operator', user, districts: [...e.districts], delegate: e.delegate === true };
    case 'admin':
      return { role: 'admin', user };
  }
}

export interface VerifyOptions {
  /**
   * Runs the expensive part (one scrypt) when the broker's login throttle allows it
   * (auth/login-throttle.ts); without it, at once.
   */
  schedule?: (work: () => Promise<boolean>) => Promise<boolean>;
  /** only a password this store already verified (no scrypt): what a back-off still lets in */
  rememberedOnly?: boolean;
}

/** Who may log in, and as what. `CredentialStore` is the role the broker codes against. */
export interface CredentialStore {
  /** Resolves the identity when the password matches; undefined otherwise (same cost either way). */
  verify(username: string, password: Buffer | string, opts?: VerifyOptions): Promise<Identity | undefined>;
  /** The identity of a user named by a verified client certificate's CN. */
  byCertificate(cn: string): Identity | undefined;
  /** The current identity of a user (after a reload it may differ or be gone). */
  lookup(user: string): Identity | undefined;
  readonly size: number;
}

export function parseCredentials(text: string, file: string): CredentialsFile {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (cause) {
    throw new BrokerError('GZ_BROKER_USERS', `${file}: not valid YAML/JSON`, { cause });
  }
  doc ??= { users: {} };
  const problems = [...Value.Errors(CredentialsSchema, doc)].map(
    (e) => `  ${e.path.slice(1).replace(/\//g, '.') || '(root)'}: ${e.message}`,
  );
  if (problems.length > 0) {
    throw new BrokerError(
      'GZ_BROKER_USERS',
      `${file}: ${problems.length} problem(s):\n${[...new Set(problems)].join('\n')}`,
    );
  }
  return doc as CredentialsFile;
}

export function readCredentialsFile(file: string, { missingOk = false } = {}): CredentialsFile {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    if (missingOk && (cause as NodeJS.ErrnoException).code === 'ENOENT') return { users: {} };
    throw new BrokerError('GZ_BROKER_USERS', `cannot read credentials file ${file}`, { cause });
  }
  return parseCredentials(text, file);
}

/** Writes atomically (temp file + rename), mode 0600; JSON if the name ends in .json, else YAML. */
export function writeCredentialsFile(file: string, creds: CredentialsFile): void {
  const text = file.endsWith('.json') ? `${JSON.stringify(creds, null, 2)}\n` : stringifyYaml(creds);
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, file);
}

/**
 * In-memory store over a parsed credentials file. A successful scrypt verification is
 * remembered (as a SHA-256 of salt+password, in memory only) so reconnect storms do not
 * cost one scrypt each.
 */
export class FileCredentialStore implements CredentialStore {
  readonly #users: Map<string, UserEntry>;
  readonly #verified = new Map<string, Buffer>();
  /** scrypt checks in progress, by user + fingerprint, so a reconnect storm of one user costs one */
  readonly #pending = new Map<string, Promise<boolean>>();
  readonly #maxRemembered: number;

  constructor(creds: CredentialsFile, opts: { maxRemembered?: number } = {}) {
    this.#users = new Map(Object.entries(creds.users));
    this.#maxRemembered = opts.maxRemembered ?? 100_000;
    for (const [name, e] of this.#users) {
      if (e.role === 'gateway' && !(isValidId(e.district) && isValidId(e.gateway))) {
        throw new BrokerError(
          'GZ_BROKER_USERS',
          `user ${name}: district/gateway ids are not valid contract ids`,
        );
      }
      // the broker writes an operator's name into its commands as `issuer` (contract v1)
      if (e.role === 'operator' && !ISSUER_PATTERN.test(name)) {
        throw new BrokerError(
          'GZ_BROKER_USERS',
          `user ${JSON.stringify(name.slice(0, 64))}: an operator's name is the issuer of its commands and config pushes and must match ${ISSUER_PATTERN.source}`,
        );
      }
    }
  }

  static fromFile(file: string): FileCredentialStore {
    return new FileCredentialStore(readCredentialsFile(file));
  }

  get size(): number {
    return this.#users.size;
  }

  async verify(
    username: string,
    password: Buffer | string,
    opts: VerifyOptions = {},
  ): Promise<Identity | undefined> {
    const schedule = opts.schedule ?? ((work: () => Promise<boolean>) => work());
    const entry = this.#users.get(username);
    const hash = entry?.hash;
    if (!entry || !hash) {
      if (opts.rememberedOnly) return undefined;
      const dummy = await dummyHash();
      await schedule(() => verifyPassword(password, dummy));
      return undefined;
    }
    const fingerprint = createHash('sha256').update(hash).update('\u0000').update(password).digest();
    const known = this.#verified.get(username);
    if (known && timingSafeEqual(known, fingerprint)) return identityOf(username, entry);
    if (opts.rememberedOnly) return undefined;
    const key = `${username}\u0000${fingerprint.toString('base64')}`;
    let check = this.#pending.get(key);
    if (!check) {
      check = schedule(() => verifyPassword(password, hash)).finally(() => this.#pending.delete(key));
      this.#pending.set(key, check);
    }
    if (!(await check)) return undefined;
    if (this.#verified.size >= this.#maxRemembered) this.#verified.clear();
    this.#verified.set(username, fingerprint);
    return identityOf(username, entry);
  }

  byCertificate(cn: string): Identity | undefined {
    return this.lookup(cn);
  }

  lookup(user: string): Identity | undefined {
    const entry = this.#users.get(user);
    return entry ? identityOf(user, entry) : undefined;
  }
}

/**
 * A credential store whose contents can be replaced at run time (SIGHUP in the CLI). Clients
 * already connected keep the identity they logged in with until they reconnect.
 */
export class ReloadableCredentialStore implements CredentialStore {
  #inner: CredentialStore;

  constructor(inner: CredentialStore) {
    this.#inner = inner;
  }

  replace(inner: CredentialStore): void {
    this.#inner = inner;
  }

  get size(): number {
    return this.#inner.size;
  }

  verify(username: string, password: Buffer | string, opts?: VerifyOptions): Promise<Identity | undefined> {
    return this.#inner.verify(username, password, opts);
  }

  byCertificate(cn: string): Identity | undefined {
    return this.#inner.byCertificate(cn);
  }

  lookup(user: string): Identity | undefined {
    return this.#inner.lookup(user);
  }
}
