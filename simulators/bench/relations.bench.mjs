// The device model's cost: Modbus reads served per second by one simulated SDM630, in process
// (no sockets), with its profile's relations (16 derived points, 4 energy integrals) and with
// the same profile stripped of them (every point its own signal), for a read of the voltages
// and currents only (12 registers, inputs) and of the measurement block with the energies
// (80 registers, 29 points of which 19 derived, 4 of them integrals). The clock advances 1 ms per read, so every read is a new
// instant (no snapshot reuse); a second pass advances 1 s per read to include the integrals'
// steps. Also: how long the first read takes after a day of history (integrals from the start).
// Prints a Markdown section. Imports the built ../dist/index.js (run `npx tsc -b` first).
import { ProfileRegistry } from '@ganzhi/device-profiles';
import { ManualClock, SimDevice } from '../dist/index.js';

const T0 = Date.UTC(2026, 0, 1);
const meter = ProfileRegistry.builtin().get('eastron-sdm630');
const bare = { ...meter, relations: undefined };

function rate(profile, count, stepMs) {
  const clock = new ManualClock(T0);
  const d = new SimDevice({ id: 'em', profile, clock, seed: 7 });
  d.readRegisters('input', 0, count);
  const n = 20_000;
  const t0 = process.hrtime.bigint();
  for (let i = 0; i < n; i++) {
    clock.advance(stepMs);
    d.readRegisters('input', 0, count);
  }
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  return Math.round(n / s);
}

function firstReadAfter(profile, ms) {
  const clock = new ManualClock(T0);
  const d = new SimDevice({ id: 'em', profile, clock, seed: 7 });
  clock.advance(ms);
  const t0 = process.hrtime.bigint();
  d.readRegisters('input', 0, 80);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

rate(meter, 80, 1000); // warm-up: the first cells are not slowed by compilation
rate(bare, 80, 1000);
const rows = [];
for (const [what, count] of [
  ['12 registers (voltages, currents: inputs)', 12],
  ['80 registers (29 points, 19 derived, 4 integrals)', 80],
]) {
  for (const stepMs of [1, 1000]) {
    rows.push(
      `| ${what} | ${stepMs === 1 ? '1 ms' : '1 s'} | ${rate(bare, count, stepMs).toLocaleString('en')} | ${rate(meter, count, stepMs).toLocaleString('en')} |`,
    );
  }
}
console.log(`One SDM630, in-process reads per second (no sockets), 20 000 reads per cell:

| read | clock step per read | without relations | with relations |
|---|---|---:|---:|
${rows.join('\n')}

First read of 80 registers after a day of history (4 integrals stepped 86 400 times from the
start): ${firstReadAfter(meter, 86_400_000).toFixed(0)} ms; after that, reads cost as above.`);
