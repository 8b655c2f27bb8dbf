#!/usr/bin/env node
// Runs the whole vitest suite and ends with the plain line CI reads: "N passed, N failed, N skipped".
// Before that line: one "FAILED <file> > <test>: <first line of the error>" line per failed test.
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
/** one line per failed test or file, repeated just above the summary: the tail of a long log names them */
const failures = [];
const COLOUR = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');
const firstLine = (text) =>
  String(text ?? '')
    .replace(COLOUR, '')
    .trim()
    .split('\n')[0]
    .slice(0, 300);
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
    for (const file of r.testResults ?? []) {
      const name = file.name.startsWith(process.cwd())
        ? file.name.slice(process.cwd().length + 1)
        : file.name;
      if (file.status === 'failed' && file.assertionResults.length === 0) {
        failures.push(`FAILED ${name}: ${firstLine(file.message)}`);
      }
      for (const t of file.assertionResults) {
        if (t.status === 'failed')
          failures.push(`FAILED ${name} > ${t.fullName}: ${firstLine(t.failureMessages?.[0])}`);
      }
    }
  } catch {
    failed = Math.max(failed, 1);
  }
}
for (const line of failures) console.log(line);
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`);
process.exit(ok && failed === 0 ? 0 : 1);
