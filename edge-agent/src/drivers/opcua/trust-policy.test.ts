import { describe, expect, it } from 'vitest';
import type { TrustMode } from './options.js';
import type { CertificateInfo, Pin } from './pki-store.js';
import { decideTrust, type TrustCheck } from './trust-policy.js';

const DAY = 86_400_000;
const NOW = Date.parse('2026-12-06T00:00:00Z');
const leaf: CertificateInfo = {
  subject: 'CN=plant-opcua',
  issuer: 'CN=plant-opcua',
  thumbprint: 'AA:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD',
  validFrom: new Date(NOW - 10 * DAY),
  validTo: new Date(NOW + 300 * DAY),
  selfSigned: true,
  ca: false,
};
const pinOf = (thumbprint: string): Pin => ({
  device: 'ps-1',
  thumbprint,
  subject: 'CN=plant-opcua',
  pinnedAt: '2026-11-01T00:00:00.000Z',
  endpoint: 'opc.tcp://plc:4840',
});
const check = (mode: TrustMode, status: string, over: Partial<TrustCheck> = {}): TrustCheck => ({
  mode,
  pkiDir: '/var/lib/ganzhi/pki/opcua',
  now: NOW,
  leaf,
  status,
  rejected: false,
  ...over,
});

describe('decideTrust', () => {
  it('strict: accepts what the PKI trusts, refuses and files an unknown certificate, naming it', () => {
    expect(decideTrust(check('strict', 'Good'))).toEqual({ accept: true });
    const v = decideTrust(check('strict', 'BadCertificateUntrusted'));
    expect(v).toMatchObject({ accept: false, file: true });
    if (v.accept) return;
    expect(v.reason).toBe(
      `server certificate CN=plant-opcua (SHA-1 ${leaf.thumbprint}) is not trusted: filed in ` +
        `/var/lib/ganzhi/pki/opcua/rejected; if it is the server's, trust it with: ganzhi-agent pki trust ${leaf.thumbprint}`,
    );
  });

  it('tofu: pins the first certificate, accepts it again, refuses another one loudly', () => {
    expect(decideTrust(check('tofu', 'BadCertificateUntrusted'))).toEqual({ accept: true, action: 'pin' });
    expect(decideTrust(check('tofu', 'BadCertificateUntrusted', { pin: pinOf(leaf.thumbprint) }))).toEqual({
      accept: true,
    });
    const other = pinOf('11:22:33:44:55:66:77:88:99:00:AA:BB:CC:DD:EE:FF:00:11:22:33');
    const v = decideTrust(check('tofu', 'BadCertificateUntrusted', { pin: other }));
    expect(v).toMatchObject({ accept: false, file: true, alarm: true });
    if (v.accept) return;
    expect(v.reason).toContain(
      `is not the certificate pinned on 2026-11-01T00:00:00.000Z (CN=plant-opcua, SHA-1 ${other.thumbprint})`,
    );
    expect(v.reason).toContain(`ganzhi-agent pki trust ${leaf.thumbprint}`);
    // the operator trusted the new one (trusted/): it replaces the pin
    expect(decideTrust(check('tofu', 'Good', { pin: other }))).toEqual({ accept: true, action: 'pin' });
    // a certificate the operator rejected is never pinned, nor accepted on its pin
    expect(decideTrust(check('tofu', 'BadCertificateUntrusted', { rejected: true }))).toMatchObject({
      accept: false,
    });
    expect(
      decideTrust(check('tofu', 'BadCertificateUntrusted', { rejected: true, pin: pinOf(leaf.thumbprint) })),
    ).toMatchObject({ accept: false });
  });

  it('auto-accept: accepts an unknown certificate and trusts it', () => {
    expect(decideTrust(check('auto-accept', 'BadCertificateUntrusted'))).toEqual({
      accept: true,
      action: 'trust',
    });
  });

  it('every mode refuses an expired, a not yet valid and a revoked certificate', () => {
    for (const mode of ['strict', 'tofu', 'auto-accept'] as const) {
      const expired = decideTrust(
        check(mode, 'Good', { leaf: { ...leaf, validTo: new Date(NOW - DAY) }, pin: pinOf(leaf.thumbprint) }),
      );
      expect(expired).toMatchObject({ accept: false });
      if (!expired.accept)
        expect(expired.reason).toMatch(
          /is expired: valid 2026-11-26T00:00:00Z to 2026-12-05T00:00:00Z, gateway clock 2026-12-06T00:00:00Z$/,
        );
      const early = decideTrust(
        check(mode, 'BadCertificateUntrusted', { leaf: { ...leaf, validFrom: new Date(NOW + DAY) } }),
      );
      expect(early).toMatchObject({ accept: false });
      if (!early.accept) expect(early.reason).toContain('is not valid yet');
      const revoked = decideTrust(
        check(mode, 'BadCertificateRevoked', { leaf: { ...leaf, issuer: 'CN=Plant CA' } }),
      );
      expect(revoked).toMatchObject({ accept: false });
      if (!revoked.accept) expect(revoked.reason).toContain('is revoked (in the CRL of CN=Plant CA)');
    }
  });

  it('a missing CRL of the issuing CA is refused except in auto-accept, and says where it belongs', () => {
    const v = decideTrust(
      check('strict', 'BadCertificateRevocationUnknown', { leaf: { ...leaf, issuer: 'CN=Plant CA' } }),
    );
    expect(v).toMatchObject({ accept: false });
    if (!v.accept) expect(v.reason).toContain("put the CA's CRL in /var/lib/ganzhi/pki/opcua/issuers/crl");
    expect(decideTrust(check('auto-accept', 'BadCertificateRevocationUnknown')).accept).toBe(true);
  });
});
