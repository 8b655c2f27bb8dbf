/**
 * Network listeners for MQTT: TCP, TLS and WebSocket, each optional. Every accepted socket is
 * counted by the SocketGate before anything is read from it (for TLS and WebSocket: before the
 * handshake), then the MQTT byte stream goes through `admit` (admission.ts) to Aedes.
 */
import { readFileSync } from 'node:fs';
import { createServer as createHttpServer, type Server as HttpServer, type IncomingMessage } from 'node:http';
import {
  type AddressInfo,
  createServer as createNetServer,
  type Server as NetServer,
  type Socket,
} from 'node:net';
import type { Duplex } from 'node:stream';
import { createServer as createTlsServer, type Server as TlsServer } from 'node:tls';
import { createWebSocketStream, WebSocketServer } from 'ws';
import type { BrokerConfig } from '../config.js';
import { BrokerError } from '../errors.js';
import type { SocketGate } from './socket-gate.js';

export type ListenerName = 'tcp' | 'tls' | 'ws';

export interface Address {
  host: string;
  port: number;
}

/** Hands a connection to the broker: `socket` is the network socket for byte accounting. */
export type Admit = (conn: Duplex, socket: Socket, listener: ListenerName, req?: IncomingMessage) => void;

export interface Listeners {
  addresses: Partial<Record<ListenerName, Address>>;
  close(): Promise<void>;
}

function listen(server: NetServer, port: number, host: string, what: string): Promise<Address> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(
        new BrokerError('GZ_BROKER_LISTEN', `cannot listen for ${what} on ${host}:${port}`, { cause: err }),
      );
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address() as AddressInfo;
      resolve({ host: a.address, port: a.port });
    });
  });
}

function closeServer(server: NetServer): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as NetServer & { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/**
 * TLS: 1.2 and 1.3 only; on TLS 1.2 only ECDHE key exchange with AEAD ciphers (forward secrecy:
 * a stolen server key does not decrypt recorded sessions), as Mozilla's "intermediate" server
 * configuration (https://wiki.mozilla.org/Security/Server_Side_TLS) minus its finite-field DHE
 * suites; TLS 1.3's three suites are all forward-secret. Listed here so an OpenSSL default that
 * still allows RSA key exchange or CBC suites does not apply.
 */
export const TLS_CIPHERS = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

export interface ListenerLimits {
  /** the broker's packet limit, also the largest WebSocket message accepted */
  maxPacketBytes: number;
  /** a TLS socket that has not finished its handshake by then is closed */
  tlsHandshakeTimeoutMs: number;
}

/** An HTTP request (WebSocket upgrade) must have sent its headers within this time. */
const HTTP_HEADERS_TIMEOUT_MS = 10_000;

export async function startListeners(
  cfg: BrokerConfig['listeners'],
  gate: SocketGate,
  admit: Admit,
  limits: ListenerLimits,
): Promise<Listeners> {
  const servers: NetServer[] = [];
  const addresses: Listeners['addresses'] = {};
  try {
    if (cfg.tcp) {
      const server = createNetServer((socket) => {
        if (gate.accept(socket)) admit(socket, socket, 'tcp');
      });
      servers.push(server);
      addresses.tcp = await listen(server, cfg.tcp.port, cfg.tcp.host, 'MQTT/TCP');
    }
    if (cfg.tls) {
      let opts: { cert: Buffer; key: Buffer; ca?: Buffer };
      try {
        opts = { cert: readFileSync(cfg.tls.cert), key: readFileSync(cfg.tls.key) };
        if (cfg.tls.ca) opts.ca = readFileSync(cfg.tls.ca);
      } catch (cause) {
        throw new BrokerError('GZ_BROKER_TLS', 'cannot read the TLS certificate, key or CA file', { cause });
      }
      let server: TlsServer;
      try {
        server = createTlsServer(
          {
            ...opts,
            requestCert: cfg.tls.ca !== undefined,
            rejectUnauthorized: false,
            minVersion: 'TLSv1.2',
            ciphers: TLS_CIPHERS,
            honorCipherOrder: true,
            handshakeTimeout: limits.tlsHandshakeTimeoutMs,
          },
          (socket) => {
            admit(socket, socket, 'tls');
          },
        );
      } catch (cause) {
        throw new BrokerError('GZ_BROKER_TLS', 'invalid TLS certificate or key', { cause });
      }
      // the raw TCP socket, before the handshake: counted and limited like any other
      server.on('connection', (socket: Socket) => gate.accept(socket));
      // a failed or timed-out handshake (with a listener here Node leaves the socket open)
      server.on('tlsClientError', (_err, socket) => socket.destroy());
      servers.push(server);
      addresses.tls = await listen(server, cfg.tls.port, cfg.tls.host, 'MQTT/TLS');
    }
    if (cfg.ws) {
      const http: HttpServer = createHttpServer(
        { headersTimeout: HTTP_HEADERS_TIMEOUT_MS, requestTimeout: HTTP_HEADERS_TIMEOUT_MS },
        (_req, res) => {
          res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
        },
      );
      http.on('connection', (socket: Socket) => gate.accept(socket));
      // ws buffers a whole message (default limit 100 MiB) before the frame guard sees a byte:
      // its limit is the packet limit, and no compression (a small frame could inflate)
      const wss = new WebSocketServer({
        server: http,
        path: cfg.ws.path,
        handleProtocols: pickMqttProtocol,
        maxPayload: limits.maxPacketBytes,
        perMessageDeflate: false,
      });
      wss.on('connection', (ws, req) => {
        const stream = createWebSocketStream(ws);
        stream.on('error', () => {});
        admit(stream, req.socket, 'ws', req);
      });
      servers.push(http);
      addresses.ws = await listen(http, cfg.ws.port, cfg.ws.host, 'MQTT/WebSocket');
    }
  } catch (err) {
    await Promise.all(servers.map((s) => (s.listening ? closeServer(s) : undefined)));
    throw err;
  }
  return {
    addresses,
    async close() {
      gate.destroyAll();
      await Promise.all(servers.map(closeServer));
    },
  };
}

function pickMqttProtocol(protocols: Set<string>): string | false {
  if (protocols.has('mqtt')) return 'mqtt';
  if (protocols.has('mqttv3.1')) return 'mqttv3.1';
  return protocols.size === 0 ? false : (protocols.values().next().value ?? false);
}
