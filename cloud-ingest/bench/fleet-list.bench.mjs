// The cost of the hub's fleet listing (GET /api/fleet's store part) for a city of 1000
// gateways with 5 pushes and 5 states each (20-device configs), and of recording one push or
// state (each its own SQLite transaction, as the writer does). Run after `npx tsc -b`:
//   node cloud-ingest/bench/fleet-list.bench.mjs
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { configHash } from '@ganzhi/device-profiles/contract';
import { openFleetStore } from '../dist/fleet/store.js';
import { fleetGateway, fleetGatewayDetail } from '../dist/fleet/view.js';

const GATEWAYS = 1000;
const VERSIONS = 5;
const dir = mkdtempSync(join(tmpdir(), 'ganzhi-fleet-bench-'));
const store = openFleetStore(join(dir, 'ingest.db'));
const districts = Array.from({ length: 10 }, (_, i) => `d${i}`);

let t = performance.now();
for (let i = 0; i < GATEWAYS; i++) {
  const ids = { district: districts[i % 10], gateway: `gw-${i}` };
  for (let v = 1; v <= VERSIONS; v++) {
    const config = {
      gateway: ids.gateway,
      district: ids.district,
      labels: ['pilot'],
      defaults: { pollIntervalMs: 1000 * v },
      devices: Array.from({ length: 20 }, (_, k) => ({
        id: `dev-${k}`,
        profile: 'eastron-sdm630',
        endpoint: `modbus-tcp://10.0.${k}.1:502`,
      })),
    };
    store.recordPush(
      ids,
      { v: 1, version: v, hash: configHash(config), config, issued: v, issuer: 'hub' },
      v,
    );
    store.recordState(ids, { v: 1, ts: v * 10, desiredVersion: v, appliedVersion: v, status: 'applied' }, v);
  }
}
const rows = GATEWAYS * VERSIONS * 2;
const recordMs = performance.now() - t;
console.log(
  `record: ${rows} rows in ${recordMs.toFixed(0)} ms (${((recordMs / rows) * 1000).toFixed(0)} µs per row)`,
);

const runs = [];
for (let r = 0; r < 5; r++) {
  t = performance.now();
  const list = store.gateways(districts).map((g) => fleetGateway(store, g, 'online'));
  runs.push(performance.now() - t);
  if (list.length !== GATEWAYS) throw new Error(`listed ${list.length}`);
}
runs.sort((a, b) => a - b);
console.log(
  `list ${GATEWAYS} gateways: median ${runs[2].toFixed(0)} ms (min ${runs[0].toFixed(0)}, max ${runs[4].toFixed(0)})`,
);
t = performance.now();
for (let i = 0; i < 100; i++)
  fleetGatewayDetail(store, { district: districts[i % 10], gateway: `gw-${i}` }, 'online');
console.log(`one gateway's view with its document: ${((performance.now() - t) / 100).toFixed(2)} ms`);
store.close();
rmSync(dir, { recursive: true, force: true });
