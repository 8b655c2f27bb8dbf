#!/usr/bin/env node
// Committed launcher for the ganzhi-command CLI (send a command through the hub and wait for
// its outcome): npm links bins before `tsc -b` has built dist/, so the bin is a file that
// exists in the repository.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/command-cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error(
    'ganzhi-command: not built yet; run `npx tsc -b` at the repository root (npm install does it)',
  );
  process.exit(1);
}
await import(cli.href);
