/** A throwaway CA, server certificate (127.0.0.1/localhost) and client certificates, made with openssl. */
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface TlsFixture {
  dir: string;
  ca: string;
  cert: string;
  key: string;
  client(cn: string): { cert: string; key: string };
  /** A second server certificate for 127.0.0.1/localhost with an RSA key (for RSA key exchange tests). */
  rsaServer(): { cert: string; key: string };
}

function ossl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export function makeTlsFixture(dir: string): TlsFixture {
  ossl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '2',
    '-subj',
    '/CN=ganzhi-test-ca',
  ]);
  writeFileSync(join(dir, 'server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  ossl(dir, ['req', ...EC, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost']);
  ossl(dir, [
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.pem',
    '-days',
    '2',
    '-extfile',
    'server.ext',
  ]);
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    cert: join(dir, 'server.pem'),
    key: join(dir, 'server.key'),
    client(cn: string) {
      ossl(dir, ['req', ...EC, '-keyout', `${cn}.key`, '-out', `${cn}.csr`, '-subj', `/CN=${cn}`]);
      ossl(dir, [
        'x509',
        '-req',
        '-in',
        `${cn}.csr`,
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        `${cn}.pem`,
        '-days',
        '2',
      ]);
      return { cert: join(dir, `${cn}.pem`), key: join(dir, `${cn}.key`) };
    },
    rsaServer() {
      ossl(dir, [
        'req',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-keyout',
        'rsa.key',
        '-out',
        'rsa.csr',
        '-subj',
        '/CN=localhost',
      ]);
      ossl(dir, [
        'x509',
        '-req',
        '-in',
        'rsa.csr',
        '-CA',
        'ca.pem',
        '-CAkey',
        'ca.key',
        '-CAcreateserial',
        '-out',
        'rsa.pem',
        '-days',
        '2',
        '-extfile',
        'server.ext',
      ]);
      return { cert: join(dir, 'rsa.pem'), key: join(dir, 'rsa.key') };
    },
  };
}
