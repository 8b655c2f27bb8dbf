/**
 * Whether a server certificate is accepted: the trust mode's rule on top of the PKI's own
 * verdict (node-opcua-pki: trust lists, chain to a trusted CA, CRLs). Pure: the decision and the
 * words the field engineer reads, tested without a server (see trust-policy.test.ts).
 *
 *   strict       only certificates in trusted/ (or issued by a trusted CA) are accepted; an
 *                unknown one is refused and filed in rejected/ for the operator to decide
 *   tofu         the first certificate a device sees is pinned; later the same one is accepted,
 *                another one refused loudly (a trusted one replaces the pin: the operator decided)
 *   auto-accept  anything that is not expired or revoked
 *
 * In every mode an expired (or not yet valid) or revoked certificate is refused.
 */
import type { TrustMode } from './options.js';
import { type CertificateInfo, certificateLabel, type Pin } from './pki-store.js';

export interface TrustCheck {
  mode: TrustMode;
  pkiDir: string;
  /** gateway clock, ms */
  now: number;
  leaf: CertificateInfo;
  /** node-opcua-pki's verification status of the chain, e.g. `Good`, `BadCertificateUntrusted` */
  status: string;
  /** this device's pin (tofu) */
  pin?: Pin;
  /** the certificate is in rejected/ */
  rejected: boolean;
}

export type TrustVerdict =
  | { accept: true; action?: 'pin' | 'trust' }
  | {
      accept: false;
      reason: string;
      /** file the certificate in rejected/ (so `pki list` shows it and `pki trust` can take it) */
      file: boolean;
      /** a pinned certificate was replaced: worth an error-level log line */
      alarm?: boolean;
    };

const day = (d: Date) => d.toISOString().replace(/\.\d+Z$/, 'Z');

export function decideTrust(c: TrustCheck): TrustVerdict {
  const label = `server certificate ${certificateLabel(c.leaf)}`;
  const trustHint = `if it is the server's, trust it with: ganzhi-agent pki trust ${c.leaf.thumbprint}`;
  if (c.now < c.leaf.validFrom.getTime() || c.now >= c.leaf.validTo.getTime()) {
    const what = c.now < c.leaf.validFrom.getTime() ? 'not valid yet' : 'expired';
    return {
      accept: false,
      file: false,
      reason: `${label} is ${what}: valid ${day(c.leaf.validFrom)} to ${day(c.leaf.validTo)}, gateway clock ${day(new Date(c.now))}`,
    };
  }
  switch (c.status) {
    case 'Good':
      // trusted by the operator (trusted/), or issued by a trusted CA and not revoked
      if (c.mode === 'tofu' && c.pin?.thumbprint !== c.leaf.thumbprint)
        return { accept: true, action: 'pin' };
      return { accept: true };
    case 'BadCertificateUntrusted':
      if (c.mode === 'auto-accept') return { accept: true, action: 'trust' };
      if (c.mode === 'strict') {
        return {
          accept: false,
          file: true,
          reason: `${label} is not trusted: filed in ${c.pkiDir}/rejected; ${trustHint}`,
        };
      }
      if (c.rejected) {
        return {
          accept: false,
          file: false,
          reason: `${label} is in ${c.pkiDir}/rejected and is never pinned; ${trustHint}`,
        };
      }
      if (!c.pin) return { accept: true, action: 'pin' };
      if (c.pin.thumbprint === c.leaf.thumbprint) return { accept: true };
      return {
        accept: false,
        file: true,
        alarm: true,
        reason:
          `${label} is not the certificate pinned on ${c.pin.pinnedAt} (${c.pin.subject}, SHA-1 ${c.pin.thumbprint}): ` +
          `refused, the server may be impersonated. If the server's certificate was renewed, trust the new one with: ` +
          `ganzhi-agent pki trust ${c.leaf.thumbprint}`,
      };
    case 'BadCertificateRevoked':
      return { accept: false, file: false, reason: `${label} is revoked (in the CRL of ${c.leaf.issuer})` };
    case 'BadCertificateIssuerRevoked':
      return { accept: false, file: false, reason: `${label}: its issuer ${c.leaf.issuer} is revoked` };
    case 'BadCertificateRevocationUnknown':
    case 'BadCertificateIssuerRevocationUnknown':
      if (c.mode === 'auto-accept') return { accept: true, action: 'trust' };
      return {
        accept: false,
        file: false,
        reason:
          `${label}: the revocation list (CRL) of its issuer ${c.leaf.issuer} is missing, so revocation cannot be ` +
          `checked: put the CA's CRL in ${c.pkiDir}/issuers/crl (or trusted/crl)`,
      };
    case 'BadCertificateChainIncomplete':
      return {
        accept: false,
        file: c.mode !== 'auto-accept',
        reason: `${label} is issued by ${c.leaf.issuer}, whose CA certificate is not in ${c.pkiDir}/issuers/certs or trusted/certs`,
      };
    case 'BadCertificateIssuerTimeInvalid':
      return {
        accept: false,
        file: false,
        reason: `${label}: the certificate of its issuer ${c.leaf.issuer} is expired`,
      };
    default:
      return { accept: false, file: false, reason: `${label} refused: ${c.status}` };
  }
}
