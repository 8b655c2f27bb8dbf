// Profile loading benchmark. Imports the built package (run `npx tsc -b` first).
// Prints: load time of the builtin library, parse+validate throughput for a real profile,
// validation time for large generated profiles (valid, and with an error in every point), and
// the machine-independent ratio of full validation to bare YAML parsing.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { builtinProfilesDir, ProfileRegistry, parseProfile, parseYamlDocument } from '../dist/index.js';

// The machine is shared: the fastest of n runs is the least disturbed estimate.
function minMs(fn, n) {
  for (let i = 0; i < Math.min(5, n); i++) fn();
  let best = Number.POSITIVE_INFINITY;
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    best = Math.min(best, performance.now() - t0);
  }
  return best;
}

const rate = (fn) => 1000 / minMs(fn, 200);

function generated(n, bad) {
  const lines = [
    'id: generated',
    'version: 1.0.0',
    'manufacturer: Bench',
    'model: Big',
    "description: ''",
    'source: { document: generated }',
    'measurement: bench',
    'protocol: modbus',
    'points:',
  ];
  for (let i = 0; i < n; i++) {
    const type = bad ? 'flaot32' : 'float32';
    lines.push(
      `  - { name: p${i}, unit: V, type: float, modbus: { table: holding, address: ${i * 2}, type: ${type} } }`,
    );
  }
  return `${lines.join('\n')}\n`;
}

const sdm630 = readFileSync(join(builtinProfilesDir, 'eastron-sdm630.yaml'), 'utf8');
const big = generated(1000, false);
const bigBad = generated(1000, true);
if (parseProfile(big, 'big.yaml').problems.length !== 0) throw new Error('generated profile should be valid');
if (parseProfile(bigBad, 'bad.yaml').problems.length !== 1000) throw new Error('expected 1000 problems');

const loadMs = minMs(() => ProfileRegistry.load([builtinProfilesDir]), 20);
const sdmRate = rate(() => parseProfile(sdm630, 'sdm630.yaml'));
const sdmYamlRate = rate(() => parseYamlDocument(sdm630, 'sdm630.yaml'));
const bigMs = minMs(() => parseProfile(big, 'big.yaml'), 10);
const bigYamlMs = minMs(() => parseYamlDocument(big, 'big.yaml'), 10);
const bigBadMs = minMs(() => parseProfile(bigBad, 'bad.yaml'), 10);

const f = (x, d = 1) => x.toFixed(d);
console.log(`| measurement | value |
|---|---|
| load the builtin library (${ProfileRegistry.builtin().ids().length} profiles, best of 20) | ${f(loadMs, 2)} ms |
| parse + validate eastron-sdm630 (30 points) | ${f(sdmRate, 0)} profiles/s |
| YAML parse only, eastron-sdm630 | ${f(sdmYamlRate, 0)} profiles/s |
| parse + validate a 1000-point Modbus profile (best of 10) | ${f(bigMs)} ms |
| YAML parse only, same 1000-point profile | ${f(bigYamlMs)} ms |
| 1000-point profile with a bad type in every point (1000 problems) | ${f(bigBadMs)} ms |

Ratios (machine-independent): full validation / bare YAML parse = ${f(sdmYamlRate / sdmRate, 2)}× (30 points),
${f(bigMs / bigYamlMs, 2)}× (1000 points); error path / valid path (1000 points) = ${f(bigBadMs / bigMs, 2)}×.`);
