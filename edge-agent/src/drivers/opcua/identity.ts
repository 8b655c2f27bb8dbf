/**
 * The OPC UA user identity of a device's session, from `opcua.identity`, and the words a
 * field engineer reads when it fails. Files are read at every (re)connect, so a renewed
 * certificate is picked up without a restart. Error texts name files, the username or
 * the certificate's subject and SHA-1 thumbprint — never a password or key material.
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { type UserIdentityInfo, UserTokenType } from 'node-opcua';
import type { OpcuaIdentity } from './options.js';

export interface SessionIdentity {
  info: UserIdentityInfo;
  /** `anonymous`, `user "ops"`, `certificate CN=gw-01 (SHA-1 12:AB:…)` */
  label: string;
}

/** The configured identity cannot be used (file missing, not PEM, key of another certificate, expired). */
export class IdentityError extends Error {
  override readonly name = 'IdentityError';
}

/** node-opcua's status names for a refused ActivateSession identity */
const REFUSED = /Bad(IdentityTokenRejected|IdentityTokenInvalid|UserAccessDenied|UserSignatureInvalid)/;

const readText = (what: string, path: string): string => {
  try {
    return readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new IdentityError(`identity: cannot read ${what} ${path} (${code})`);
  }
};

/** The session identity; `now` (the gateway clock) checks a certificate's validity. */
export function loadIdentity(id: OpcuaIdentity | undefined, now: number): SessionIdentity {
  if (!id || id.type === 'anonymous') return { info: { type: UserTokenType.Anonymous }, label: 'anonymous' };
  if (id.type === 'username') {
    return {
      info: { type: UserTokenType.UserName, userName: id.username, password: id.password },
      label: `user "${id.username}"`,
    };
  }
  const pem = readText('certificateFile', id.certificateFile);
  const block = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem)?.[0];
  let cert: X509Certificate;
  try {
    if (!block) throw new Error('no PEM certificate');
    cert = new X509Certificate(block);
  } catch {
    throw new IdentityError(`identity: certificateFile ${id.certificateFile} holds no PEM certificate`);
  }
  const keyPem = readText('privateKeyFile', id.privateKeyFile);
  let matches: boolean;
  try {
    matches = cert.checkPrivateKey(createPrivateKey(keyPem));
  } catch {
    throw new IdentityError(
      `identity: privateKeyFile ${id.privateKeyFile} holds no unencrypted PEM private key`,
    );
  }
  const label = `certificate ${subjectOf(cert)} (SHA-1 ${cert.fingerprint})`;
  if (!matches) {
    throw new IdentityError(
      `identity: privateKeyFile ${id.privateKeyFile} is not the key of ${label} in ${id.certificateFile}`,
    );
  }
  if (Date.parse(cert.validTo) < now || Date.parse(cert.validFrom) > now) {
    throw new IdentityError(
      `identity: ${label} is valid only from ${cert.validFrom} to ${cert.validTo} (gateway clock ${new Date(now).toISOString()})`,
    );
  }
  const der = cert.raw;
  return {
    info: {
      type: UserTokenType.Certificate,
      certificateData: der,
      privateKey: keyPem,
    } as UserIdentityInfo,
    label,
  };
}

function subjectOf(cert: X509Certificate): string {
  const cn = /^CN=(.*)$/m.exec(cert.subject)?.[1];
  return cn ? `CN=${cn}` : cert.subject.replace(/\n/g, ', ');
}

/**
 * The error to report when creating/activating the session failed: for a refused identity
 * it says which identity and what the server answered; anything else passes unchanged.
 */
export function sessionFailure(err: unknown, identity: SessionIdentity): Error {
  const message = (err as Error)?.message?.split('\n')[0] ?? String(err);
  const status = REFUSED.exec(message);
  if (status) {
    return new Error(`server refused ${identity.label}: ${message.trim()}`, { cause: err });
  }
  return err instanceof Error ? err : new Error(message);
}
