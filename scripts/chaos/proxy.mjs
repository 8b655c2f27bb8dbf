/**
 * A TCP proxy between the gateways and the broker: the "network" the chaos run can cut.
 * cut() destroys every open connection and refuses new ones (accepted, then reset at once)
 * until heal(); the listening port stays the same, as a real link that goes down and up.
 */
import { createConnection, createServer } from 'node:net';

export async function startProxy(target) {
  const pairs = new Set();
  let down = false;
  let connections = 0;
  const server = createServer((client) => {
    if (down) {
      client.resetAndDestroy();
      return;
    }
    connections++;
    const upstream = createConnection({ host: target.host, port: target.port });
    const pair = { client, upstream };
    pairs.add(pair);
    const close = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', close);
    upstream.on('error', close);
    client.on('close', close);
    upstream.on('close', close);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const port = server.address().port;
  return {
    port,
    get connections() {
      return connections;
    },
    get open() {
      return pairs.size;
    },
    cut() {
      down = true;
      for (const { client, upstream } of pairs) {
        client.resetAndDestroy();
        upstream.destroy();
      }
      pairs.clear();
    },
    heal() {
      down = false;
    },
    close() {
      this.cut();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
