#!/usr/bin/env node
// Committed launcher for the ganzhi-broker command: npm links bins at install time, before
// `tsc -b` has built dist/, so the bin must be a file that exists in the repository.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'ganzhi-broker: not built yet; run `npx tsc -b` at the repository root (npm install does it)',
  );
  process.exit(1);
}
await import(cli.href);
