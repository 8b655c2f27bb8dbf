#!/usr/bin/env node
// Committed launcher for the ganzhi-fleet CLI (push gateway configurations through the hub and
// see what each gateway runs): npm links bins before `tsc -b` has built dist/, so the bin is a
// file that exists in the repository.
import { existsSync } from 'node:fs';

const cli = new URL('../dist/fleet-cli.js', import.meta.url);
if (!existsSync(cli)) {
  console.error('ganzhi-fleet: not built yet; run `npx tsc -b` at the repository root (npm install does it)');
  process.exit(1);
}
await import(cli.href);
