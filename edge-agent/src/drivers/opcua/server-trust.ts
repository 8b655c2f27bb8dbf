/**
 * The certificate manager a device's OPC UA client uses: node-opcua's, with the server
 * certificate check replaced by the device's trust mode (trust-policy.ts).
 *
 * node-opcua asks `checkCertificate(serverCertificate)` before it opens a secure channel
 * (Sign / SignAndEncrypt; with security None nothing is checked — and nothing authenticated).
 * Each check first re-reads the PKI folders, so `ganzhi-agent pki trust|reject` takes effect
 * at the next connection attempt of a running agent. node-opcua only learns "Bad…"; the words
 * for the field engineer (subject, SHA-1 thumbprint, what to do) are kept in `refusal`.
 */
import { X509Certificate } from 'node:crypto';
import type { Clock } from '@ganzhi/runtime';
import { OPCUACertificateManager, type StatusCode, StatusCodes } from 'node-opcua';
import type { Logger } from 'pino';
import type { TrustMode } from './options.js';
import {
  type CertificateInfo,
  certificateLabel,
  describeCertificate,
  listCertificates,
  readPin,
  splitDer,
  writePin,
} from './pki-store.js';
import { decideTrust } from './trust-policy.js';

type StatusCodeCallback = (err: Error | null, status?: StatusCode) => void;

export interface ServerTrustOptions {
  pkiDir: string;
  mode: TrustMode;
  device: string;
  endpoint: string;
  clock: Clock;
  logger: Logger;
}

export class ServerTrustManager extends OPCUACertificateManager {
  /** why the last check refused the server's certificate (undefined after an accepted one) */
  refusal: string | undefined;
  private lastAlarm = '';

  constructor(private readonly t: ServerTrustOptions) {
    super({ rootFolder: t.pkiDir, automaticallyAcceptUnknownCertificate: false, disableFileWatchers: true });
  }

  override checkCertificate(chain: Buffer | Buffer[]): Promise<StatusCode>;
  override checkCertificate(chain: Buffer | Buffer[], callback: StatusCodeCallback): void;
  override checkCertificate(
    chain: Buffer | Buffer[],
    callback?: StatusCodeCallback,
  ): Promise<StatusCode> | undefined {
    const p = this.decide(chain);
    if (!callback) return p;
    p.then(
      (s) => callback(null, s),
      (err: Error) => callback(err),
    );
    return undefined;
  }

  private refuse(reason: string, code: StatusCode): StatusCode {
    this.refusal = reason;
    return code;
  }

  private async decide(chain: Buffer | Buffer[]): Promise<StatusCode> {
    const certificates = (Array.isArray(chain) ? chain : [chain]).flatMap((c) => splitDer(c));
    const der = certificates[0];
    if (!der) return this.refuse('the server sent no certificate', StatusCodes.BadCertificateInvalid);
    let leaf: CertificateInfo;
    try {
      leaf = describeCertificate(new X509Certificate(der));
    } catch {
      return this.refuse('the server certificate cannot be parsed', StatusCodes.BadCertificateInvalid);
    }
    await this.reloadCertificates();
    const status = await this.verifyCertificate(certificates, {
      acceptCertificateWithValidIssuerChain: true,
    });
    const { mode, pkiDir, device } = this.t;
    const pin = mode === 'tofu' ? readPin(pkiDir, device) : undefined;
    const rejected =
      mode === 'tofu' &&
      listCertificates(pkiDir).some((c) => c.store === 'rejected' && c.thumbprint === leaf.thumbprint);
    const v = decideTrust({
      mode,
      pkiDir,
      now: this.t.clock.now(),
      leaf,
      status,
      ...(pin ? { pin } : {}),
      rejected,
    });
    const server = certificateLabel(leaf);
    if (v.accept) {
      this.refusal = undefined;
      if (v.action === 'pin') {
        writePin(pkiDir, {
          device,
          thumbprint: leaf.thumbprint,
          subject: leaf.subject,
          pinnedAt: new Date(this.t.clock.now()).toISOString(),
          endpoint: this.t.endpoint,
          certificate: new X509Certificate(der).toString(),
        });
        this.t.logger.info(
          { server, ...(pin ? { replaced: certificateLabel(pin) } : {}) },
          'opcua server certificate pinned (trust on first use)',
        );
      } else if (v.action === 'trust') {
        await this.trustCertificate(der);
        this.t.logger.warn(
          { server },
          'opcua server certificate accepted without a check (trust: auto-accept)',
        );
      }
      return StatusCodes.Good;
    }
    if (v.file) await this.rejectCertificate(der).catch(() => undefined);
    if (v.alarm && this.lastAlarm !== leaf.thumbprint) {
      this.lastAlarm = leaf.thumbprint;
      this.t.logger.error({ server, pinned: pin ? certificateLabel(pin) : undefined }, v.reason);
    }
    const byName = StatusCodes as unknown as Record<string, StatusCode | undefined>;
    const code = byName[status === 'Good' ? 'BadCertificateTimeInvalid' : status];
    return this.refuse(v.reason, code ?? StatusCodes.BadCertificateUntrusted);
  }
}
