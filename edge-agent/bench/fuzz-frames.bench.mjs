// Full-size frame fuzz (issue 9): serial lines until 100 000 of them are garbled, per builtin
// serial profile (gps-nmea, weather-ascii), through the real framer and frame parser, and
// 100 000 Modbus TCP responses (valid or mutated by a FAKE fault-injection server) against
// the real Modbus driver. It runs test/fuzz-frames.test.ts — the same seeded generators and checks as CI —
// with GZ_FUZZ_N=100000 and 40 parallel Modbus lines (timeouts overlap). GZ_FUZZ_SEED=<seed>
// replays a run. Not a throughput benchmark: the figures are how long the full run takes.
import { spawnSync } from 'node:child_process';
import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const seed = process.env.GZ_FUZZ_SEED ?? String((Date.now() ^ (process.pid << 16)) >>> 0);
const n = process.env.GZ_FUZZ_N ?? '100000';
const summaryFile = join(tmpdir(), `gz-fuzz-frames-${process.pid}.json`);
const t0 = performance.now();
const r = spawnSync(
  process.execPath,
  [join(root, 'node_modules/vitest/vitest.mjs'), 'run', 'edge-agent/test/fuzz-frames.test.ts'],
  {
    cwd: root,
    env: {
      ...process.env,
      GZ_FUZZ_SEED: seed,
      GZ_FUZZ_N: n,
      GZ_FUZZ_LINES: process.env.GZ_FUZZ_LINES ?? '40',
      GZ_FUZZ_GARBLED: process.env.GZ_FUZZ_GARBLED ?? n,
      GZ_FUZZ_SUMMARY: summaryFile,
    },
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  },
);
const wallS = (performance.now() - t0) / 1000;
if (r.status !== 0) {
  process.stderr.write(r.stdout + r.stderr);
  process.stderr.write(`\nframe fuzz FAILED (seed ${seed}); replay: GZ_FUZZ_SEED=${seed} GZ_FUZZ_N=${n}\n`);
  process.exit(1);
}
const s = JSON.parse(readFileSync(summaryFile, 'utf8'));
rmSync(summaryFile, { force: true });
const fmt = (o) =>
  Object.entries(o)
    .sort((a, b) => b[1] - a[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const serialRow = (id) => {
  const x = s[`serial-${id}`];
  return `| ${id} | ${x.lines} | ${x.garbled} | ${x.frames} | ${x.checksumFailed} | ${x.badValues} | ${x.dropped} | ${x.benign} | ${x.collisions} | ${x.undetected} |`;
};
const m = s.modbus;
console.log(`#### Frame fuzz at the agent (seed ${s.seed})

All checks passed: no exception escaped; every good serial line decoded to its values; every
reading has a quality, bad ones a reason; no good Modbus reading came from a malformed
response; every Modbus driver back to all-good on a correct server.

Serial (framer + parseFrame):

| profile | lines | garbled lines | frames | checksum refused | bad values (with reason) | bytes dropped (overlong) | harmless flips accepted | checksum collisions (≥2 bytes changed) | altered lines decoded (no checksum) |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${serialRow('gps-nmea')}
${serialRow('weather-ascii')}

Modbus TCP (${m.lines} lines in parallel, 25 ms timeout):

| figure | value |
| --- | ---: |
| responses | ${m.responses} |
| well-formed responses | ${m.validAnswers} |
| driver cycles | ${m.cycles} |
| good readings (each traced to a well-formed response) | ${m.goodReadings} |
| bad readings (with a reason) | ${m.badReadings} |
| recovery cycles on the correct server | ${m.recoveryCycles} |
| Modbus part | ${(m.ms / 1000).toFixed(1)} s |
| whole run incl. serial | ${wallS.toFixed(1)} s |
| responses/s (ratio responses / Modbus time) | ${Math.round(m.responses / (m.ms / 1000))} |

Mutations: ${fmt(m.mutations)}.  
Reasons: ${fmt(m.reasons)}.
`);
