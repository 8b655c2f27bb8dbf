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

export async function startListeners(
  cfg: BrokerConfig['listeners'],
  gate: SocketGate,
  admit: Admit,
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
          { ...opts, requestCert: cfg.tls.ca !== undefined, rejectUnauthorized: false },
          (socket) => {
            admit(socket, socket, 'tls');
          },
        );
      } catch (cause) {
        throw new BrokerError('GZ_BROKER_TLS', 'invalid TLS certificate or key', { cause });
      }
      // the raw TCP socket, before the handshake: counted and limited like any other
      server.on('connection', (socket: Socket) => gate.accept(socket));
      server.on('tlsClientError', () => {});
      servers.push(server);
      addresses.tls = await listen(server, cfg.tls.port, cfg.tls.host, 'MQTT/TLS');
    }
    if (cfg.ws) {
      const http: HttpServer = createHttpServer((_req, res) => {
        res.writeHead(426, { 'content-type': 'text/plain' }).end('MQTT over WebSocket only\n');
      });
      http.on('connection', (socket: Socket) => gate.accept(socket));
      const wss = new WebSocketServer({ server: http, path: cfg.ws.path, handleProtocols: pickMqttProtocol });
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
