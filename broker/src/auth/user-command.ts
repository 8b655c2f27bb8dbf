/**
 * `ganzhi-broker user add|remove|list --users FILE`: manages the credentials file.
 * Passwords come from --password-file or the first line of stdin — never from argv.
 */
import { readFileSync } from 'node:fs';
import { ISSUER_PATTERN, isValidId } from '@ganzhi/device-profiles/contract';
import { BrokerError } from '../errors.js';
import {
  type CredentialsFile,
  readCredentialsFile,
  type UserEntry,
  writeCredentialsFile,
} from './credentials.js';
import { ROLES, type Role } from './identity.js';
import { hashPassword } from './password-hash.js';

export interface UserCommandArgs {
  action: string | undefined;
  name: string | undefined;
  users: string | undefined;
  role?: string;
  district?: string;
  gateway?: string;
  districts?: string;
  /** operator only: the hub's own user, whose commands and config pushes keep their onBehalfOf */
  delegate?: boolean;
  passwordFile?: string;
  noPassword?: boolean;
}

export interface UserCommandIo {
  readStdin(): Promise<string>;
  out(line: string): void;
}

function fail(message: string): never {
  throw new BrokerError('GZ_BROKER_USERS', message);
}

async function readPassword(args: UserCommandArgs, io: UserCommandIo): Promise<string> {
  const text = args.passwordFile ? readFileSync(args.passwordFile, 'utf8') : await io.readStdin();
  const pw = text.split(/\r?\n/)[0] ?? '';
  if (pw.length < 8) fail('password must be at least 8 characters (first line of stdin or --password-file)');
  return pw;
}

function checkId(what: string, v: string | undefined): string {
  if (!v) fail(`--${what} is required for this role`);
  if (!isValidId(v)) fail(`--${what} ${JSON.stringify(v)} must match [a-z0-9][a-z0-9_-]{0,63}`);
  return v;
}

export async function runUserCommand(args: UserCommandArgs, io: UserCommandIo): Promise<void> {
  if (!args.users) fail('--users FILE is required');
  const file = args.users;
  switch (args.action) {
    case 'list': {
      const creds = readCredentialsFile(file);
      for (const [name, e] of Object.entries(creds.users)) {
        const scope =
          e.role === 'gateway'
            ? ` district=${e.district} gateway=${e.gateway}`
            : e.role === 'viewer'
              ? ` districts=${e.districts.join(',')}`
              : e.role === 'operator'
                ? ` districts=${e.districts.join(',')}${e.delegate ? ' delegate' : ''}`
                : '';
        io.out(`${name}\t${e.role}${scope}${e.hash ? '' : '\t(certificate only)'}`);
      }
      return;
    }
    case 'remove': {
      const name = args.name ?? fail('usage: ganzhi-broker user remove NAME --users FILE');
      const creds = readCredentialsFile(file);
      if (!(name in creds.users)) fail(`no user ${name} in ${file}`);
      delete creds.users[name];
      writeCredentialsFile(file, creds);
      io.out(`removed ${name}`);
      return;
    }
    case 'add': {
      const name = args.name ?? fail('usage: ganzhi-broker user add NAME --role ROLE --users FILE');
      if (!ROLES.includes(args.role as Role)) fail(`--role must be one of ${ROLES.join(', ')}`);
      const role = args.role as Role;
      if (args.delegate && role !== 'operator') fail('--delegate is for the operator role only');
      if (role === 'operator' && !ISSUER_PATTERN.test(name))
        fail(
          `an operator's name is the issuer of its commands and config pushes and must match ${ISSUER_PATTERN.source}`,
        );
      const creds: CredentialsFile = readCredentialsFile(file, { missingOk: true });
      const hash = args.noPassword ? undefined : await hashPassword(await readPassword(args, io));
      let entry: UserEntry;
      switch (role) {
        case 'gateway':
          entry = {
            role,
            district: checkId('district', args.district),
            gateway: checkId('gateway', args.gateway ?? name),
          };
          break;
        case 'viewer':
        case 'operator': {
          const ds = (args.districts ?? '').split(',').filter(Boolean);
          if (ds.length === 0) fail(`--districts a,b is required for the ${role} role`);
          const districts = [...new Set(ds.map((d) => checkId('districts', d)))];
          entry =
            role === 'viewer'
              ? { role, districts }
              : { role, districts, ...(args.delegate ? { delegate: true } : {}) };
          break;
        }
        default:
          entry = { role };
      }
      if (hash) entry.hash = hash;
      const existed = name in creds.users;
      creds.users[name] = entry;
      writeCredentialsFile(file, creds);
      io.out(`${existed ? 'updated' : 'added'} ${name} (${role})`);
      return;
    }
    default:
      fail('usage: ganzhi-broker user add|remove|list [NAME] --users FILE');
  }
}
