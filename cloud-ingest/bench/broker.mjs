// Helper for ingest.bench.mjs (not a bench itself): an Aedes broker in its own process, so
// the broker and the ingest each get a core. Prints the port, exits on SIGTERM.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const broker = await Aedes.createBroker();
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => {
  process.stdout.write(`${server.address().port}\n`);
});
process.on('SIGTERM', () => {
  broker.close(() => server.close(() => process.exit(0)));
});
