// Aedes' own abstract persistence suite (aedes-persistence/abstract.js, node:test) run against
// DiskPersistence, each test on a fresh file. Spawned by disk-persistence-abstract.test.ts; needs
// the built dist/.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DiskPersistence } from '../dist/persistence/disk-persistence.js';

const require = createRequire(import.meta.url);
const abstractPersistence = require('aedes-persistence/abstract.js');

const dir = mkdtempSync(join(tmpdir(), 'gz-disk-abstract-'));
let n = 0;
after(() => rmSync(dir, { recursive: true, force: true }));

abstractPersistence({
  test,
  persistence: () => new DiskPersistence({ file: join(dir, `t${++n}.db`) }),
  testAsync: true,
});
