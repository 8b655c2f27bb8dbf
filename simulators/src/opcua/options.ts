import type { Logger } from 'pino';
import type { SimPointSource } from '../device/source.js';

export type OpcuaSecurityMode = 'None' | 'Sign' | 'SignAndEncrypt';

export interface OpcuaUser {
  username: string;
  password: string;
}

export interface OpcuaSecurityOptions {
  /**
   * Endpoints to offer. None uses security policy None; Sign and SignAndEncrypt use
   * Basic256Sha256. Default: all three.
   */
  modes?: OpcuaSecurityMode[];
  /** username/password identities; checked in constant time */
  users?: OpcuaUser[];
  /**
   * X509 user certificates (PEM text or DER bytes) whose holders may activate a session
   * with a certificate identity (the client proves it holds the private key). Any other
   * user certificate is refused with BadIdentityTokenRejected. The token is signed with
   * Basic256Sha256, so offer Sign or SignAndEncrypt (a None endpoint then accepts it too).
   */
  userCertificates?: (string | Uint8Array)[];
  /**
   * anonymous sessions; default true without users or user certificates, false when
   * either is given
   */
  allowAnonymous?: boolean;
}

export interface OpcuaServerOptions {
  /** interface to listen on; default 127.0.0.1 (loopback) */
  host?: string;
  /** TCP port; 0 picks a free one (read it back from the handle) */
  port: number;
  devices: SimPointSource[];
  security?: OpcuaSecurityOptions;
  /**
   * Folder the server's PKI lives in (own certificate and key, trusted/rejected client
   * certificates). Created when missing; the self-signed certificate is generated on
   * first start and reused afterwards. node-opcua never touches the home folder.
   */
  pkiDir: string;
  logger?: Logger;
  /** how often every point is sampled and its variable updated; default 1000 ms */
  tickMs?: number;
  /** FAULT INJECTION for client tests: server behaviour a plant server may show */
  faultInjection?: OpcuaFaultInjection;
}

export interface OpcuaFaultInjection {
  /**
   * CreateSubscription is answered with BadTooManySubscriptions (as by a small PLC whose
   * subscriptions are used up, or one without the Subscription service set); Read works.
   */
  refuseSubscriptions?: boolean;
}

export interface OpcuaServerHandle {
  port: number;
  /** opc.tcp://host:port */
  endpointUrl: string;
  /** stops the tick, disconnects sessions and closes the port; idempotent */
  close(): Promise<void>;
}
