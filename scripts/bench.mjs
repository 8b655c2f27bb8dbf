#!/usr/bin/env node
// Runs the benchmarks: every <workspace>/bench/*.bench.mjs (they import the built dist/).
// `npm run bench` runs them all; `npm run bench -- durable-log` only those whose path
// contains the argument. Each bench prints a Markdown section; the sections are appended
// to BENCHMARKS.md (or to the file named by GANZHI_BENCH_OUT) with the date, the command and
// the machine.
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, readdirSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';

const filter = process.argv[2] ?? '';
const workspaces = ['device-profiles', 'durable-log', 'simulators', 'edge-agent', 'broker', 'cloud-ingest'];
const files = workspaces.flatMap((ws) => {
  const dir = join(ws, 'bench');
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((f) => f.endsWith('.bench.mjs'))
    .map((f) => join(dir, f));
});
const chosen = files.filter((f) => f.includes(filter));
if (chosen.length === 0) {
  console.error(`no benchmark matches "${filter}"; have: ${files.join(', ')}`);
  process.exit(1);
}
const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'cpu'}, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}`;
let failed = 0;
for (const file of chosen) {
  console.log(`\n### ${file}`);
  const loadBefore = loadavg()[0].toFixed(1);
  const r = spawnSync(process.execPath, ['--expose-gc', file], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  process.stdout.write(r.stdout);
  if (r.status !== 0) {
    failed++;
    continue;
  }
  appendFileSync(
    process.env.GANZHI_BENCH_OUT ?? 'BENCHMARKS.md',
    `\n## ${file} — ${new Date().toISOString().slice(0, 10)}\n\nCommand: \`npm run bench -- ${file}\`  \nMachine: ${machine}  \nLoad average (1 min) before / after: ${loadBefore} / ${loadavg()[0].toFixed(1)} (other work on this shared machine makes absolute rates noisy; compare the ratios)\n\n${r.stdout.trim()}\n`,
  );
}
process.exit(failed ? 1 : 0);
