/**
 * Our agent as a Sparkplug B edge node (issue 18), end to end: a Modbus TCP simulator →
 * `runGateway` with `delivery.format: both` → our broker (startBroker, the gateway credential
 * mapped to its Sparkplug group/node) → the real ingest with the Sparkplug host → SQLite.
 *
 * Proves: births wait for the primary host's STATE; the same readings arrive through both
 * formats with the same values, quality and source timestamps; a dropped link ends the
 * session (NDEATH will), the reconnect carries bdSeq + 1 and the buffered backlog is replayed
 * as is_historical data; the Sparkplug data never holds a value the contract path did not.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseScenario, Simulation } from '@ganzhi/simulators';
import Database from 'better-sqlite3';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  emptyConfig,
  FileCredentialStore,
  hashPassword,
  type RunningBroker,
  startBroker,
} from '../../broker/src/index.js';
import { parseConfig } from '../../cloud-ingest/src/config.js';
import { type Ingest, startIngest } from '../../cloud-ingest/src/ingest.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import { loadConfigFile } from '../src/config/load-config.js';
import { type GatewayHandle, runGateway } from '../src/run-gateway.js';
import { logger } from './helpers.js';

const CHEAP = { N: 1024, r: 8, p: 1 };
type Row = { ts: number; point: string; value: number | null; text: string | null; quality: string };

let broker: RunningBroker;
let sim: Simulation;
let ingest: Ingest;
let gw: GatewayHandle;
let db: Database.Database;
const dir = tempDir('ganzhi-spb-agent-');

const rows = (model: string, from: number, to: number): Row[] =>
  db
    .prepare(
      `SELECT ts, point, value, text, quality FROM readings_v
        WHERE district = 'dongcheng' AND gateway = 'gw-spb' AND device = 'meter-1' AND model = ?
          AND ts >= ? AND ts < ? ORDER BY ts, point`,
    )
    .all(model, from, to) as Row[];

beforeAll(async () => {
  const cfg = emptyConfig();
  cfg.listeners.tcp = { port: 0, host: '127.0.0.1' };
  broker = await startBroker(cfg, {
    logger: pino({ level: 'silent' }),
    credentials: new FileCredentialStore({
      users: {
        'gw-spb': {
          role: 'gateway',
          district: 'dongcheng',
          gateway: 'gw-spb',
          sparkplug: { group: 'dongcheng', node: 'gw-spb' },
          hash: await hashPassword('gw-spb-password', CHEAP),
        },
        hub: {
          role: 'ingest',
          sparkplug: { hostId: 'ganzhi-hub', groups: ['dongcheng'] },
          hash: await hashPassword('hub-password', CHEAP),
        },
      },
    }),
  });
  const url = `mqtt://127.0.0.1:${broker.addresses.tcp?.port}`;

  const { loaded, problems } = parseScenario(
    'seed: 7\ndevices:\n  - { id: em-1, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 5 }\n',
    join(dir, 'scenario.yaml'),
  );
  if (!loaded) throw new Error(JSON.stringify(problems));
  sim = await Simulation.start({ loaded, anyPort: true });

  ingest = await startIngest(
    parseConfig(
      JSON.stringify({
        mqtt: { url, clientId: 'ganzhi-ingest-spb-agent', username: 'hub', password: 'hub-password' },
        store: { type: 'sqlite', file: join(dir, 'ingest.db') },
        batch: { lines: 500, flushMs: 50 },
        log: { dir: join(dir, 'log'), fsyncIntervalMs: 0 },
        deadLetterFile: join(dir, 'dead-letters.jsonl'),
        completeness: { file: join(dir, 'completeness.json'), writeEveryMs: 0 },
        http: { port: 0 },
        logLevel: 'warn',
        sparkplug: {
          hostId: 'ganzhi-hub',
          groups: [{ group: 'dongcheng', district: 'dongcheng', measurement: 'energy_meter' }],
        },
      }),
      join(dir, 'ingest.json'),
      {},
    ),
    { logger: pino({ level: 'silent' }) },
  );
  await ingest.sparkplug?.ready();
  db = new Database(join(dir, 'ingest.db'), { readonly: true });

  process.env.GZ_TEST_SPB_PASSWORD = 'gw-spb-password';
  const file = join(dir, 'gateway.yaml');
  writeFileSync(
    file,
    [
      'gateway: gw-spb',
      'district: dongcheng',
      'stateDir: ./state',
      'devices:',
      `  - { id: meter-1, profile: eastron-sdm120, endpoint: "modbus-tcp://${sim.describe('em-1')?.address}", unitId: 5, pollIntervalMs: 200 }`,
      'delivery:',
      `  mqtt: { url: "${url}", username: gw-spb, password: "\${ENV:GZ_TEST_SPB_PASSWORD}", reconnect: { initialMs: 50, maxMs: 500 } }`,
      '  buffer: { fsync: never }',
      '  format: both',
      '  sparkplug: { group: dongcheng, primaryHostId: ganzhi-hub }',
      'http: { port: 0 }',
    ].join('\n'),
  );
  const loadedCfg = loadConfigFile(file);
  expect(loadedCfg.problems).toEqual([]);
  gw = await runGateway(loadedCfg, { logger });
});

afterAll(async () => {
  await gw?.stop(1000);
  db?.close();
  await ingest?.close();
  await sim?.stop();
  await broker?.close();
});

describe('agent in Sparkplug mode → hub', () => {
  it('births after the primary host is online, then the same data through both formats', async () => {
    await waitFor('Sparkplug births', () => gw.sparkplug?.node.online || undefined);
    const node = await waitFor('the host took the births', () =>
      ingest.sparkplug?.host.onlineNodes().find((n) => n.gateway === 'gw-spb'),
    );
    expect(node).toMatchObject({ group: 'dongcheng', node: 'gw-spb', district: 'dongcheng', bdSeq: '0' });
    const from = Date.now();
    await new Promise((r) => setTimeout(r, 2000));
    const to = Date.now();
    // both paths have written the window once the newest reading of each is past it
    await waitFor(
      'both formats stored the window',
      () =>
        rows('eastron-sdm120', to, to + 60_000).length > 0 &&
        rows('sparkplug-b', to, to + 60_000).length > 0 &&
        rows('eastron-sdm120', from, to).length > 0,
    );
    const contract = rows('eastron-sdm120', from, to);
    const spb = rows('sparkplug-b', from, to);
    expect(contract.length).toBeGreaterThan(10);
    expect(spb).toEqual(contract);
  });

  it('a dropped link: NDEATH, reconnect with bdSeq + 1, the backlog replayed as historical data', async () => {
    const node = gw.sparkplug!.node;
    const before = { births: node.counters.births, historical: node.counters.historicalPublished };
    const deaths = ingest.sparkplug!.counters.deaths;
    const client = (node as unknown as { client: { stream: { destroy(): void } } }).client;
    const cut = Date.now();
    client.stream.destroy(); // no DISCONNECT: the broker publishes the NDEATH will
    await waitFor('host saw the death', () => ingest.sparkplug!.counters.deaths > deaths || undefined);
    await waitFor('rebirth', () => node.counters.births > before.births || undefined);
    const back = Date.now();
    await waitFor(
      'the host took the new births (bdSeq 1)',
      () =>
        ingest.sparkplug?.host.onlineNodes().find((n) => n.gateway === 'gw-spb')?.bdSeq === '1' || undefined,
    );
    expect(readFileSync(join(dir, 'state', 'sparkplug', 'bdseq'), 'utf8').trim()).toBe('1');
    expect(node.counters.historicalPublished).toBeGreaterThan(before.historical);
    // nothing in the Sparkplug series that the contract path did not also deliver
    await new Promise((r) => setTimeout(r, 1000));
    const contract = new Set(rows('eastron-sdm120', cut - 5000, back).map((r) => JSON.stringify(r)));
    const spb = rows('sparkplug-b', cut - 5000, back).filter((r) => r.quality === 'good');
    expect(spb.length).toBeGreaterThan(0);
    for (const r of spb) expect(contract.has(JSON.stringify(r)), JSON.stringify(r)).toBe(true);
  });
});
