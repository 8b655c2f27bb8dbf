/**
 * Server certificates for the OPC UA trust tests, made with node-opcua's own PKI tooling
 * (node-opcua-pki: a CertificateAuthority with the pure-JS backend, and the server's
 * CertificateManager for its key, CSR and self-signed certificates) — not with our code.
 *
 * The simulator's OPC UA server uses the certificate and key it finds in its PKI folder
 * (`<pkiDir>/server/own/certs/certificate.pem`, `own/private/private_key.pem`) and generates
 * them only when they are missing, so a test starts it with a chosen certificate by putting the
 * files there first: no simulator option is needed.
 */
import { copyFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { CertificateAuthority, CertificateManager } from 'node-opcua-pki';

/** the ApplicationUri the simulator's server presents (simulators/src/opcua/server.ts) */
const SIM_URI = 'urn:ganzhi:simulator:opcua';
const SAN = { applicationUri: SIM_URI, dns: ['localhost'], ip: ['127.0.0.1'] };
const DAY = 86_400_000;

export interface ServerCertificates {
  /** the server's private key (one key, several certificates) */
  key: string;
  caCert: string;
  /** the CA's revocation list (DER), listing `revoked` */
  crl: string;
  /** CA-signed, valid */
  caSigned: string;
  /** CA-signed, then revoked by the CA */
  revoked: string;
  /** CA-signed, expired a week ago */
  caExpired: string;
  /** self-signed, valid (two different ones) */
  selfSigned: string;
  selfSigned2: string;
  /** self-signed, expired */
  selfExpired: string;
}

export async function makeServerCertificates(dir: string): Promise<ServerCertificates> {
  const ca = new CertificateAuthority({
    keySize: 2048,
    location: join(dir, 'ca'),
    subject: '/CN=Ganzhi Test Plant CA',
    backend: 'native',
  });
  await ca.initialize();
  const cm = new CertificateManager({ location: join(dir, 'server-key'), keySize: 2048 });
  await cm.initialize();
  try {
    const csr = await cm.createCertificateRequest({ ...SAN, subject: '/CN=plant-opcua' });
    const signed = async (name: string, extra: { startDate?: Date; validity: number }) => {
      const file = join(dir, `${name}.pem`);
      await ca.signCertificateRequest(file, csr, { ...SAN, ...extra });
      return file;
    };
    const caSigned = await signed('ca-signed', { validity: 30 });
    const revoked = await signed('revoked', { validity: 30 });
    const caExpired = await signed('ca-expired', { startDate: new Date(Date.now() - 10 * DAY), validity: 3 });
    await ca.revokeCertificate(revoked, { reason: 'keyCompromise' });
    const self = async (name: string, subject: string, extra: { startDate?: Date; validity: number }) => {
      const outputFile = join(dir, `${name}.pem`);
      await cm.createSelfSignedCertificate({ ...SAN, subject, outputFile, startDate: new Date(), ...extra });
      return outputFile;
    };
    return {
      key: cm.privateKey,
      caCert: ca.caCertificate,
      crl: ca.revocationListDER,
      caSigned,
      revoked,
      caExpired,
      selfSigned: await self('self-signed', '/CN=plant-opcua-self', { validity: 30 }),
      selfSigned2: await self('self-signed-2', '/CN=plant-opcua-replaced', { validity: 30 }),
      selfExpired: await self('self-expired', '/CN=plant-opcua-old', {
        startDate: new Date(Date.now() - 10 * DAY),
        validity: 3,
      }),
    };
  } finally {
    await cm.dispose();
  }
}

/** Puts a certificate and its key where the simulator's server will use them. */
export function installServerCertificate(simPkiDir: string, certificate: string, key: string): void {
  const own = join(simPkiDir, 'server', 'own');
  mkdirSync(join(own, 'certs'), { recursive: true });
  mkdirSync(join(own, 'private'), { recursive: true });
  copyFileSync(certificate, join(own, 'certs', 'certificate.pem'));
  copyFileSync(key, join(own, 'private', 'private_key.pem'));
}
