// Aedes' own abstract persistence suite (aedes-persistence/abstract.js, node:test) run against
// QueuePersistence. Spawned by persistence-abstract.test.ts; needs the built dist/.
import { createRequire } from 'node:module';
import { test } from 'node:test';
import { QueuePersistence } from '../dist/persistence/queue-persistence.js';

const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js');

abstractPersistence({ test, persistence: () => new QueuePersistence(), testAsync: true });
