/**
 * The OPC UA ApplicationUri the agent presents. Every OPC UA device of a gateway shares one
 * client certificate (in the PKI folder, made by node-opcua on first connect), and a server
 * may refuse a client whose ApplicationUri is not the URI in that certificate
 * (BadCertificateUriInvalid). So the URI is the one the existing certificate names, else
 * one per gateway host — never per device.
 */
import { X509Certificate } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** where node-opcua's client keeps its own certificate under the PKI folder */
export const CLIENT_CERTIFICATE = join('own', 'certs', 'client_certificate.pem');

export function clientApplicationUri(pkiDir: string, host = hostname()): string {
  try {
    const cert = new X509Certificate(readFileSync(join(pkiDir, CLIENT_CERTIFICATE)));
    const uri = /(?:^|,\s*)URI:([^,]+)/.exec(cert.subjectAltName ?? '')?.[1];
    if (uri) return uri.trim();
  } catch {
    // no certificate yet (first connect creates it with the URI below) or unreadable
  }
  return `urn:ganzhi:agent:${host}`;
}
