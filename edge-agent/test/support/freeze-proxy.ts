/**
 * A TCP proxy for FAULT INJECTION: forwards bytes both ways until frozen; while frozen it
 * passes nothing and closes nothing — a hung server or a half-open link, the case only a
 * liveness watchdog can detect.
 */
import { createConnection, createServer, type Socket } from 'node:net';

export interface FreezeProxy {
  port: number;
  frozen: boolean;
  close(): Promise<void>;
}

export async function startFreezeProxy(targetPort: number): Promise<FreezeProxy> {
  const sockets = new Set<Socket>();
  const state = { frozen: false };
  const server = createServer((client) => {
    const upstream = createConnection({ host: '127.0.0.1', port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (d) => {
      if (!state.frozen) upstream.write(d);
    });
    upstream.on('data', (d) => {
      if (!state.frozen) client.write(d);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as { port: number }).port,
    get frozen() {
      return state.frozen;
    },
    set frozen(v: boolean) {
      state.frozen = v;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
