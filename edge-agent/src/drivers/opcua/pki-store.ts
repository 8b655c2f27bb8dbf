/**
 * The OPC UA certificate store on disk, as the operator sees it (`ganzhi-agent pki …`) and as
 * the trust policy reads it — plain files, no node-opcua (so the CLI stays light):
 *
 *   <pkiDir>/own/            the agent's own client certificate and key (made on first connect)
 *   <pkiDir>/trusted/certs/  server certificates (and CA certificates) the operator trusts
 *   <pkiDir>/trusted/crl/    revocation lists of trusted CAs
 *   <pkiDir>/issuers/certs/  CA certificates needed to build chains (not trusted by themselves)
 *   <pkiDir>/issuers/crl/    their revocation lists
 *   <pkiDir>/rejected/       refused server certificates, waiting for a decision
 *   <pkiDir>/pinned/<device>.json   trust on first use: the certificate a device pinned
 *
 * The running agent re-reads these folders at every connection attempt, so a move made here
 * takes effect at the next attempt, without a restart.
 */
import { X509Certificate } from 'node:crypto';
import {
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';

export type CertificateStore = 'trusted' | 'rejected' | 'issuers';

export const STORE_FOLDERS: Record<CertificateStore, string> = {
  trusted: join('trusted', 'certs'),
  rejected: 'rejected',
  issuers: join('issuers', 'certs'),
};

export interface CertificateInfo {
  /** `CN=…` when the subject has a common name, else the whole subject on one line */
  subject: string;
  issuer: string;
  /** SHA-1 of the DER bytes, `AB:CD:…` (what OPC UA calls the thumbprint) */
  thumbprint: string;
  validFrom: Date;
  validTo: Date;
  selfSigned: boolean;
  ca: boolean;
}

export interface StoredCertificate extends CertificateInfo {
  store: CertificateStore;
  file: string;
}

export interface Pin {
  device: string;
  thumbprint: string;
  subject: string;
  /** ISO time the pin was made */
  pinnedAt: string;
  endpoint: string;
  /** the pinned certificate (PEM), so that `pki trust|reject` can file it */
  certificate?: string;
}

const oneLine = (dn: string) => dn.replace(/\n/g, ', ');

function nameOf(dn: string): string {
  const cn = /^CN=(.*)$/m.exec(dn)?.[1];
  return cn ? `CN=${cn}` : oneLine(dn);
}

export function describeCertificate(cert: X509Certificate): CertificateInfo {
  return {
    subject: nameOf(cert.subject),
    issuer: nameOf(cert.issuer),
    thumbprint: cert.fingerprint,
    validFrom: new Date(cert.validFrom),
    validTo: new Date(cert.validTo),
    selfSigned: cert.subject === cert.issuer,
    ca: cert.ca,
  };
}

/** `CN=plant-opcua (SHA-1 AB:CD:…)`: how a certificate is named in messages. */
export const certificateLabel = (c: Pick<CertificateInfo, 'subject' | 'thumbprint'>): string =>
  `${c.subject} (SHA-1 ${c.thumbprint})`;

/** A thumbprint as typed by a person (any case, with or without colons) → `AB:CD:…`. */
export function normaliseThumbprint(t: string): string {
  const hex = t.replace(/[:\s]/g, '').toUpperCase();
  if (!/^[0-9A-F]{40}$/.test(hex)) throw new Error(`"${t}" is not a SHA-1 thumbprint (40 hex digits)`);
  return hex.match(/../g)!.join(':');
}

/** The DER certificates in a buffer: one DER certificate, a concatenated chain, or PEM text. */
export function certificatesIn(data: Buffer): Buffer[] {
  const text = data.toString('latin1');
  if (text.includes('-----BEGIN CERTIFICATE-----')) {
    const blocks = text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
    return blocks.map((b) => Buffer.from(b.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, ''), 'base64'));
  }
  return splitDer(data);
}

/** Splits concatenated DER SEQUENCEs (a certificate chain as OPC UA sends it). */
export function splitDer(data: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let at = 0;
  while (at + 2 <= data.length) {
    if (data[at] !== 0x30) break;
    const first = data[at + 1]!;
    let len: number;
    let header: number;
    if (first < 0x80) {
      len = first;
      header = 2;
    } else {
      const n = first & 0x7f;
      if (n === 0 || n > 4 || at + 2 + n > data.length) break;
      len = 0;
      for (let i = 0; i < n; i++) len = len * 256 + data[at + 2 + i]!;
      header = 2 + n;
    }
    const end = at + header + len;
    if (end > data.length) break;
    out.push(data.subarray(at, end));
    at = end;
  }
  return out;
}

function readCertificateFile(file: string): X509Certificate | undefined {
  try {
    const [der] = certificatesIn(readFileSync(file));
    return der ? new X509Certificate(der) : undefined;
  } catch {
    return undefined;
  }
}

/** Every certificate in the store's folders (files that are not certificates are skipped). */
export function listCertificates(pkiDir: string): StoredCertificate[] {
  const out: StoredCertificate[] = [];
  for (const store of Object.keys(STORE_FOLDERS) as CertificateStore[]) {
    const dir = join(pkiDir, STORE_FOLDERS[store]);
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch {
      continue;
    }
    for (const name of names) {
      const file = join(dir, name);
      if (!statSync(file, { throwIfNoEntry: false })?.isFile()) continue;
      const cert = readCertificateFile(file);
      if (cert) out.push({ ...describeCertificate(cert), store, file });
    }
  }
  return out;
}

/** The CRL files of the store (trusted/crl, issuers/crl). */
export function listRevocationLists(pkiDir: string): string[] {
  const out: string[] = [];
  for (const sub of [join('trusted', 'crl'), join('issuers', 'crl')]) {
    try {
      for (const name of readdirSync(join(pkiDir, sub)).sort()) out.push(join(pkiDir, sub, name));
    } catch {
      /* no such folder yet */
    }
  }
  return out;
}

/**
 * Moves every copy of the certificate with this thumbprint into `to` (trusted or rejected).
 * Returns the certificate, or undefined when the store has none with that thumbprint.
 */
export function moveCertificate(
  pkiDir: string,
  thumbprint: string,
  to: 'trusted' | 'rejected',
): StoredCertificate | undefined {
  const want = normaliseThumbprint(thumbprint);
  const found = listCertificates(pkiDir).filter((c) => c.thumbprint === want && c.store !== 'issuers');
  const target = join(pkiDir, STORE_FOLDERS[to]);
  if (found.length === 0) {
    // a certificate only a device's pin knows (trust on first use)
    const pinned = listPins(pkiDir).find((p) => p.thumbprint === want && p.certificate);
    if (!pinned?.certificate) return undefined;
    const cert = new X509Certificate(pinned.certificate);
    const info = describeCertificate(cert);
    mkdirSync(target, { recursive: true });
    const file = join(target, fileName(info));
    writeFileSync(file, cert.toString());
    return { ...info, store: to, file };
  }
  mkdirSync(target, { recursive: true });
  // one copy ends up in `to`; other copies of the same bytes (same thumbprint) are removed
  let kept = found.find((c) => c.store === to);
  for (const c of found) {
    if (c === kept) continue;
    if (kept) {
      unlinkSync(c.file);
      continue;
    }
    const file = join(target, fileName(c));
    renameSync(c.file, file);
    kept = { ...c, store: to, file };
  }
  return kept;
}

/** Copies a certificate file (a server's, or a CA's) into trusted/certs. */
export function addTrustedFile(pkiDir: string, source: string): StoredCertificate {
  const cert = readCertificateFile(source);
  if (!cert) throw new Error(`${source} holds no certificate (PEM or DER)`);
  const info = describeCertificate(cert);
  const dir = join(pkiDir, STORE_FOLDERS.trusted);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, fileName(info));
  writeFileSync(file, cert.toString());
  return { ...info, store: 'trusted', file };
}

const fileName = (c: Pick<CertificateInfo, 'subject' | 'thumbprint'>): string =>
  `${c.subject
    .replace(/^CN=/, '')
    .replace(/[^A-Za-z0-9_.-]+/g, '_')
    .slice(0, 48)}[${c.thumbprint.replace(/:/g, '').toLowerCase()}].pem`;

// ---------------------------------------------------------------- pins (trust on first use)

const pinFile = (pkiDir: string, device: string) => join(pkiDir, 'pinned', `${device}.json`);

export function readPin(pkiDir: string, device: string): Pin | undefined {
  try {
    const p = JSON.parse(readFileSync(pinFile(pkiDir, device), 'utf8')) as Pin;
    return typeof p.thumbprint === 'string'
      ? { ...p, thumbprint: normaliseThumbprint(p.thumbprint) }
      : undefined;
  } catch {
    return undefined;
  }
}

export function writePin(pkiDir: string, pin: Pin): void {
  const file = pinFile(pkiDir, pin.device);
  mkdirSync(join(pkiDir, 'pinned'), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(pin, null, 2)}\n`);
  renameSync(tmp, file);
}

export function listPins(pkiDir: string): Pin[] {
  let names: string[];
  try {
    names = readdirSync(join(pkiDir, 'pinned'))
      .filter((n) => n.endsWith('.json'))
      .sort();
  } catch {
    return [];
  }
  return names.flatMap((n) => readPin(pkiDir, n.slice(0, -'.json'.length)) ?? []);
}
