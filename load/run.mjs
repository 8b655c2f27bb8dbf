#!/usr/bin/env node
// Runs the load and latency scripts one after the other (each bounded to ~3 minutes) and
// writes their Markdown sections to load/RESULTS.md (LOAD_OUT overrides) and stdout.
// Needs the built workspaces (`npx tsc -b`) and Debian redis-server for the cluster run.
//
//   node load/run.mjs                 # e2e, city single, city redis
//   node load/run.mjs city            # only the scripts whose name contains "city"
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './lib/procs.mjs';

const filter = process.argv[2] ?? '';
const runs = [
  { name: 'e2e-latency', args: ['load/e2e-latency.mjs'] },
  { name: 'city-single', args: ['load/city.mjs', 'single'] },
  { name: 'city-redis', args: ['load/city.mjs', 'redis'] },
].filter((r) => r.name.includes(filter));

const sections = [];
let failed = 0;
for (const r of runs) {
  process.stderr.write(`\n== ${r.name}\n`);
  const res = spawnSync(process.execPath, r.args, {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: 240_000,
    killSignal: 'SIGTERM',
  });
  if (res.status !== 0) {
    failed++;
    sections.push(`### ${r.name}: failed (exit ${res.status ?? res.signal})\n`);
    continue;
  }
  sections.push(res.stdout.trim());
}
const text = `${sections.join('\n\n')}\n`;
writeFileSync(process.env.LOAD_OUT ?? join(ROOT, 'load/RESULTS.md'), text);
process.stdout.write(text);
process.exit(failed ? 1 : 0);
