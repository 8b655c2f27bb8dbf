// Bare Aedes for the benchmarks: no hooks, default options. `--queue` swaps in our
// QueuePersistence to isolate its effect. Prints "port N" once listening.
import { createServer } from 'node:net';
import { Aedes } from 'aedes';

const useQueue = process.argv.includes('--queue');
const opts = {};
if (useQueue) {
  const { QueuePersistence } = await import('../dist/persistence/queue-persistence.js');
  opts.persistence = new QueuePersistence({});
}
const broker = await Aedes.createBroker(opts);
const server = createServer(broker.handle);
server.listen(0, '127.0.0.1', () => console.log(`port ${server.address().port}`));
process.on('SIGTERM', () => {
  server.close();
  broker.close(() => process.exit(0));
});
