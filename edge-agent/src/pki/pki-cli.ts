/**
 * `ganzhi-agent pki list|trust|reject`: the OPC UA server certificates of a gateway — what is
 * trusted, what was refused (and why to look at it), what a device pinned. A running agent
 * re-reads the PKI folders at each connection attempt, so a decision here takes effect without
 * a restart. Light: plain files and node:crypto, no node-opcua.
 */
import { parseArgs } from 'node:util';
import { formatProblem, sortProblems } from '@ganzhi/device-profiles';
import { loadConfigFile } from '../config/load-config.js';
import {
  addTrustedFile,
  certificateLabel,
  listCertificates,
  listPins,
  listRevocationLists,
  moveCertificate,
  normaliseThumbprint,
  type StoredCertificate,
} from '../drivers/opcua/pki-store.js';

export const PKI_USAGE = `usage:
  ganzhi-agent pki list   --config FILE [--device ID]
  ganzhi-agent pki trust  THUMBPRINT --config FILE [--device ID]   trust a refused (or pinned) server certificate
  ganzhi-agent pki trust  --file CERT.pem --config FILE [--device ID]   trust a server's or a CA's certificate file
  ganzhi-agent pki reject THUMBPRINT --config FILE [--device ID]   stop trusting a certificate
  (--pki-dir DIR instead of --config works on one certificate folder)`;

interface Folder {
  dir: string;
  devices: string[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);

export async function pki(
  args: string[],
  out: (l: string) => void,
  err: (l: string) => void,
): Promise<number> {
  const [command, ...rest] = args;
  if (!command || command === '--help' || command === 'help') {
    (command ? out : err)(PKI_USAGE);
    return command ? 0 : 2;
  }
  const { values: v, positionals } = parseArgs({
    args: rest,
    options: {
      config: { type: 'string', short: 'c' },
      'pki-dir': { type: 'string' },
      device: { type: 'string' },
      file: { type: 'string' },
    },
    allowPositionals: true,
    strict: true,
  });
  const folders = pkiFolders(v.config, v['pki-dir'], v.device, err);
  if (!folders) return 1;
  switch (command) {
    case 'list':
      for (const f of folders) list(f, out);
      return 0;
    case 'trust':
    case 'reject': {
      if (command === 'trust' && v.file) {
        for (const f of folders) {
          const c = addTrustedFile(f.dir, v.file);
          out(`trusted ${describe(c)} in ${f.dir}`);
        }
        out('takes effect at the next connection attempt of each device (no restart needed)');
        return 0;
      }
      const [thumbprint] = positionals;
      if (!thumbprint) {
        err(`${command}: a SHA-1 thumbprint is required (see \`ganzhi-agent pki list\`)\n${PKI_USAGE}`);
        return 2;
      }
      const want = normaliseThumbprint(thumbprint);
      let moved = 0;
      for (const f of folders) {
        const c = moveCertificate(f.dir, want, command === 'trust' ? 'trusted' : 'rejected');
        if (!c) continue;
        moved++;
        out(`${command === 'trust' ? 'trusted' : 'rejected'} ${describe(c)} in ${f.dir}`);
        if (command === 'reject' && !c.selfSigned) {
          out(
            `note: it is issued by ${c.issuer}; while that CA is trusted, certificates it issued are accepted: ` +
              'revoke it at the CA (its new CRL in issuers/crl or trusted/crl) or stop trusting the CA',
          );
        }
      }
      if (moved === 0) {
        err(`no certificate with SHA-1 ${want} in ${folders.map((f) => f.dir).join(', ')}`);
        return 1;
      }
      out('takes effect at the next connection attempt of each device (no restart needed)');
      return 0;
    }
    default:
      err(`unknown pki command "${command}"\n${PKI_USAGE}`);
      return 2;
  }
}

/** The certificate folders of the config's OPC UA devices (or the one given). */
function pkiFolders(
  config: string | undefined,
  dir: string | undefined,
  device: string | undefined,
  err: (l: string) => void,
): Folder[] | undefined {
  if (dir) return [{ dir, devices: [] }];
  if (!config) {
    err(`--config FILE (or --pki-dir DIR) is required\n${PKI_USAGE}`);
    return undefined;
  }
  // the layout is needed, not the secrets: references stay unresolved
  const loaded = loadConfigFile(config, { secrets: 'keep' });
  if (loaded.problems.length > 0) {
    for (const p of sortProblems(loaded.problems)) err(formatProblem(p));
    return undefined;
  }
  const folders = new Map<string, Folder>();
  for (const d of loaded.devices) {
    if (d.protocol !== 'opcua' || (device !== undefined && d.id !== device)) continue;
    const f = folders.get(d.opcua.pkiDir) ?? { dir: d.opcua.pkiDir, devices: [] };
    f.devices.push(`${d.id} (trust: ${d.opcua.trust}, securityMode: ${d.opcua.securityMode ?? 'None'})`);
    folders.set(d.opcua.pkiDir, f);
  }
  if (folders.size === 0) {
    err(
      device ? `no enabled OPC UA device "${device}" in ${config}` : `no enabled OPC UA device in ${config}`,
    );
    return undefined;
  }
  return [...folders.values()];
}

function describe(c: StoredCertificate): string {
  const by = c.selfSigned ? 'self-signed' : `issued by ${c.issuer}`;
  return `${certificateLabel(c)}, ${by}, valid ${day(c.validFrom)} to ${day(c.validTo)}`;
}

function list(f: Folder, out: (l: string) => void): void {
  out(`${f.dir}${f.devices.length > 0 ? `  — ${f.devices.join(', ')}` : ''}`);
  const now = Date.now();
  const certs = listCertificates(f.dir);
  for (const store of ['trusted', 'rejected', 'issuers'] as const) {
    const here = certs.filter((c) => c.store === store);
    if (here.length === 0) out(`  ${store.padEnd(9)} (none)`);
    for (const c of here) {
      const expired =
        now >= c.validTo.getTime() ? '  EXPIRED' : now < c.validFrom.getTime() ? '  NOT YET VALID' : '';
      out(`  ${store.padEnd(9)} ${describe(c)}${c.ca ? '  [CA]' : ''}${expired}`);
    }
  }
  for (const crl of listRevocationLists(f.dir)) out(`  crl       ${crl}`);
  for (const p of listPins(f.dir)) {
    out(`  pinned    ${p.device} → ${p.subject} (SHA-1 ${p.thumbprint}) since ${p.pinnedAt}`);
  }
}
