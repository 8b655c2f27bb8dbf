#!/usr/bin/env node
// Runs the whole vitest suite and ends with the plain line CI reads: "N passed, N failed, N skipped".
// Extra arguments go to vitest (e.g. `npm test -- device-profiles`).
// Without arguments the suite runs in two phases: everything but the chaos run, then the chaos run
// alone. The chaos run kills and restarts brokers, agents, ingests and InfluxDB for minutes at full
// load; beside it, other integration tests' timing-sensitive waits became flaky on 2 cores.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const CHAOS = 'test/chaos.test.ts';
const extra = process.argv.slice(2);
const phases = extra.length > 0 ? [extra] : [['--exclude', CHAOS], [CHAOS]];

let passed = 0;
let failed = 0;
let skipped = 0;
let ok = true;
for (const [i, args] of phases.entries()) {
  const out = join(process.cwd(), `.vitest-results${i === 0 ? '' : `-${i + 1}`}.json`);
  rmSync(out, { force: true });
  const run = spawnSync(
    process.execPath,
    [
      'node_modules/vitest/vitest.mjs',
      'run',
      '--reporter=default',
      '--reporter=json',
      `--outputFile.json=${out}`,
      ...args,
    ],
    { stdio: 'inherit' },
  );
  if (run.status !== 0) ok = false;
  try {
    const r = JSON.parse(readFileSync(out, 'utf8'));
    passed += r.numPassedTests;
    let f = r.numFailedTests;
    skipped += r.numPendingTests + (r.numTodoTests ?? 0);
    // a test file that failed to load has no tests to count: count it as a failure
    f += (r.testResults ?? []).filter((t) => t.status === 'failed' && t.assertionResults.length === 0).length;
    failed += f;
  } catch {
    failed = Math.max(failed, 1);
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
