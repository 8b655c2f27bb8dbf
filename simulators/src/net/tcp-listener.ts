/**
 * A loopback-by-default TCP listener shared by every TCP front-end: tracks connections,
 * closes them all on close(), and implements the `refuse` fault for real: while the
 * device refuses, the port is closed (clients get ECONNREFUSED) and open connections are
 * dropped; when the fault ends the same port listens again.
 */
import { createServer, type Server, type Socket } from 'node:net';
import type { Logger } from 'pino';
import { simError } from '../errors.js';

export interface Listening {
  port: number;
  host: string;
  /** open connections right now */
  connections(): number;
  close(): Promise<void>;
}

export interface TcpListenerOptions {
  host?: string;
  port: number;
  /** for messages: "modbus tcp", "serial device dc-gps" */
  what: string;
  onConnection(sock: Socket): void;
  /** checked every refuseCheckMs; true = the port should be closed */
  refusing?: () => boolean;
  refuseCheckMs?: number;
  logger?: Logger;
}

function listenOnce(server: Server, host: string, port: number, what: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (err: Error) =>
      reject(simError('GZ_SIM_LISTEN', `${what} cannot listen on ${host}:${port}`, err));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export async function startTcpListener(opts: TcpListenerOptions): Promise<Listening> {
  const host = opts.host ?? '127.0.0.1';
  const sockets = new Set<Socket>();
  const make = () =>
    createServer((sock) => {
      sockets.add(sock);
      sock.on('error', () => {});
      sock.on('close', () => sockets.delete(sock));
      opts.onConnection(sock);
    });
  let server: Server | undefined = make();
  const port = await listenOnce(server, host, opts.port, opts.what);
  let closed = false;
  let busy = false;
  const dropAll = () => {
    for (const s of sockets) s.destroy();
  };
  const shut = (s: Server) => new Promise<void>((resolve) => s.close(() => resolve()));
  const gate = opts.refusing
    ? setInterval(async () => {
        if (busy || closed) return;
        busy = true;
        try {
          const refuse = opts.refusing!();
          if (refuse && server) {
            const s = server;
            server = undefined;
            dropAll();
            await shut(s);
            opts.logger?.info({ port }, `${opts.what}: refusing connections (fault)`);
          } else if (!refuse && !server) {
            const s = make();
            await listenOnce(s, host, port, opts.what);
            server = s;
            opts.logger?.info({ port }, `${opts.what}: accepting connections again`);
          }
        } catch (err) {
          opts.logger?.warn({ err: (err as Error).message }, `${opts.what}: cannot reopen the port yet`);
        } finally {
          busy = false;
        }
      }, opts.refuseCheckMs ?? 100)
    : undefined;
  gate?.unref();
  return {
    port,
    host,
    connections: () => sockets.size,
    close: async () => {
      closed = true;
      if (gate) clearInterval(gate);
      dropAll();
      if (server) await shut(server);
      server = undefined;
    },
  };
}
