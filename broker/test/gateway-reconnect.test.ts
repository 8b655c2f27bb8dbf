/**
 * Issue 13, finding 6: after an agent reconnect the hub showed the gateway offline until the
 * ingest restarted; the agent's new online/meta/status messages sat in the ingest's queue on the
 * broker (depth 85 → 90 → 95) while the offline will arrived.
 *
 * Cause (Aedes 1.2, lib/client.js `dedupe`): a message gets its broker counter when it is
 * published, but reaches subscribers only after the session store has stored it; a retained
 * message waits for one more store write than a data message published right after it by the
 * same gateway, so the data message arrives first, and Aedes, which remembers only the highest
 * counter a client has seen, then drops the older retained message as a "duplicate" — leaving it
 * queued in the persistent session without sending it (moscajs/aedes#955, #994).
 *
 * The real thing end to end: a simulated Modbus meter, the real agent (`runGateway`), the real
 * broker in memory, disk and Redis modes, the real ingest (`startIngest`, persistent session,
 * SQLite store) and its hub API. The agent's socket is killed on the broker side (what `ss -K`
 * does to it); the hub must show the gateway online again within seconds, every time, and the
 * ingest's queue on the broker must not grow. In disk mode the broker is also restarted.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Ingest } from '@ganzhi/cloud-ingest';
import { parseConfig as parseIngestConfig, startIngest } from '@ganzhi/cloud-ingest';
import { loadConfigFile } from '@ganzhi/edge-agent';
import { parseScenario, Simulation } from '@ganzhi/simulators';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayHandle, runGateway } from '../../edge-agent/src/run-gateway.js';
import { peer } from '../../test-support/peers.js';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { RunningBroker } from '../src/index.js';
import { inMode, type PersistenceMode, startTestBroker, storedQueue } from './helpers.js';
import { type RedisServer, startRedis } from './redis-fixture.js';

const redisBin = peer('redis-server', 'redis-server');
const modes: PersistenceMode[] = redisBin.ok ? ['memory', 'disk', 'redis'] : ['memory', 'disk'];
const logger = pino({ level: process.env.GZ_TEST_LOG ?? 'silent' });

const USERS = {
  'gw-rc': { role: 'gateway' as const, district: 'north', gateway: 'gw-rc' },
  ingest: { role: 'ingest' as const },
};
const AGENT_ID = 'gz-north-gw-rc';
const INGEST_ID = 'ganzhi-ingest-1';

let redis: RedisServer | undefined;
let sim: Simulation;
beforeAll(async () => {
  if (redisBin.ok) redis = await startRedis(redisBin.path);
  const { loaded, problems } = parseScenario(
    [
      'seed: 7',
      'devices:',
      '  - { id: em-1, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 5 }',
      '  - { id: em-2, profile: eastron-sdm120, endpoint: { protocol: modbus-tcp, port: 0 }, unit: 6 }',
    ].join('\n'),
    join(tempDir('gz-rc-sim-'), 'scenario.yaml'),
  );
  if (!loaded) throw new Error(JSON.stringify(problems));
  sim = await Simulation.start({ loaded, anyPort: true });
});
afterAll(async () => {
  await sim?.stop();
  await redis?.stop();
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => {});
});

function agentConfig(dir: string, port: number): string {
  const pw = join(dir, 'gw.pw');
  writeFileSync(pw, 'gw-rc-password');
  const file = join(dir, 'gateway.yaml');
  const dev = (id: string, unit: number, device: string) =>
    `  - { id: ${device}, profile: eastron-sdm120, endpoint: "modbus-tcp://${sim.describe(id)?.address}", unitId: ${unit}, pollIntervalMs: 300 }`;
  writeFileSync(
    file,
    [
      'gateway: gw-rc',
      'district: north',
      'stateDir: ./state',
      'devices:',
      dev('em-1', 5, 'meter-1'),
      dev('em-2', 6, 'meter-2'),
      'delivery:',
      `  mqtt: { url: "mqtt://127.0.0.1:${port}", username: gw-rc, password: "\${FILE:${pw}}", reconnect: { initialMs: 100, maxMs: 400 } }`,
      '  buffer: { fsync: never }',
      'http: { port: 0 }',
    ].join('\n'),
  );
  return file;
}

async function startAgent(dir: string, port: number): Promise<GatewayHandle> {
  const loaded = loadConfigFile(agentConfig(dir, port));
  expect(loaded.problems).toEqual([]);
  const gw = await runGateway(loaded, { logger });
  cleanups.push(() => gw.stop(500));
  return gw;
}

async function startHubIngest(dir: string, port: number): Promise<Ingest> {
  const pw = join(dir, 'ingest.pw');
  writeFileSync(pw, 'ingest-password');
  const cfg = parseIngestConfig(
    JSON.stringify({
      mqtt: { url: `mqtt://127.0.0.1:${port}`, clientId: INGEST_ID, username: 'ingest', passwordFile: pw },
      store: { type: 'sqlite', file: join(dir, 'ingest.db') },
      batch: { lines: 500, flushMs: 50 },
      log: { dir: join(dir, 'log'), fsyncIntervalMs: 0 },
      deadLetterFile: join(dir, 'dead-letters.jsonl'),
      completeness: { file: join(dir, 'completeness.json'), writeEveryMs: 0 },
      http: { port: 0 },
      logLevel: 'warn',
    }),
    join(dir, 'ingest.json'),
    {},
  );
  const ingest = await startIngest(cfg, { logger });
  cleanups.push(() => ingest.close({ flushTimeoutMs: 500 }));
  return ingest;
}

/** The gateway's state as the hub page shows it, and since when (an online message's own ts). */
async function hubState(ingest: Ingest): Promise<{ state: string; since: number | null } | undefined> {
  const o = (await ingest.http.inject({ url: '/api/hub/overview' })).json() as {
    districts: { district: string; gateways: { gateway: string; state: string; since: number | null }[] }[];
  };
  return o.districts.find((d) => d.district === 'north')?.gateways.find((g) => g.gateway === 'gw-rc');
}

/** Waits until the hub shows the gateway online through an online message sent after `after`. */
function waitOnline(ingest: Ingest, what: string, after = 0): Promise<true> {
  return waitFor(
    what,
    async () => {
      const g = await hubState(ingest);
      return g?.state === 'online' && (g.since ?? 0) > after ? true : undefined;
    },
    15_000,
  );
}

/** Kills the agent's connection from the broker's side, as `ss -K` does. */
function killAgentSocket(b: RunningBroker): void {
  const client = (b.aedes as unknown as { clients: Record<string, { conn: { destroy(): void } }> }).clients[
    AGENT_ID
  ];
  if (!client) throw new Error('the agent is not connected');
  client.conn.destroy();
}

describe.each(modes)('%s mode: the hub sees a reconnected gateway online again', (mode) => {
  it('after the agent’s socket is killed three times, within seconds each time, and the ingest’s queue does not grow', async () => {
    const dir = tempDir(`gz-rc-${mode}-`);
    const b = await startTestBroker(
      inMode(mode, { dir: join(dir, 'broker'), ...(redis ? { redisUrl: redis.url } : {}), redisDb: 3 }),
      USERS,
    );
    cleanups.push(() => b.close());
    const port = b.addresses.tcp?.port ?? 0;
    const ingest = await startHubIngest(dir, port);
    await waitFor('ingest connected', () => ingest.receiver.connected || undefined);
    const gw = await startAgent(dir, port);
    await waitOnline(ingest, 'hub shows the gateway online at first');

    for (let round = 1; round <= 3; round++) {
      const before = gw.uplink?.counters.reconnects ?? 0;
      const killedAt = Date.now();
      killAgentSocket(b);
      await waitFor(`agent reconnected (round ${round})`, () =>
        (gw.uplink?.counters.reconnects ?? 0) > before && gw.uplink?.counters.connected ? true : undefined,
      );
      await waitOnline(ingest, `hub shows the gateway online after kill ${round}`, killedAt);
    }
    // nothing of the agent's sits in the ingest's queue (in flight may be a few data batches)
    await waitFor(
      'the ingest’s queue drains',
      async () => ((await storedQueue(b, INGEST_ID)).length === 0 ? true : undefined),
      10_000,
    );
  });
});

describe('disk mode: after a broker restart', () => {
  it('the hub shows the gateway online again within seconds', async () => {
    const dir = tempDir('gz-rc-restart-');
    const where = { dir: join(dir, 'broker') };
    let b = await startTestBroker(inMode('disk', where), USERS);
    const port = b.addresses.tcp?.port ?? 0;
    cleanups.push(() => b.close());
    const ingest = await startHubIngest(dir, port);
    await waitFor('ingest connected', () => ingest.receiver.connected || undefined);
    const gw = await startAgent(dir, port);
    await waitOnline(ingest, 'hub shows the gateway online at first');

    for (let round = 1; round <= 2; round++) {
      const before = gw.uplink?.counters.reconnects ?? 0;
      const stoppedAt = Date.now();
      await b.close();
      b = await startTestBroker((cfg) => {
        inMode('disk', where)(cfg);
        cfg.listeners.tcp = { port, host: '127.0.0.1' };
      }, USERS);
      await waitFor(`agent reconnected after restart ${round}`, () =>
        (gw.uplink?.counters.reconnects ?? 0) > before && gw.uplink?.counters.connected ? true : undefined,
      );
      await waitOnline(ingest, `hub shows the gateway online after restart ${round}`, stoppedAt);
    }
    await waitFor('the ingest’s queue drains', async () =>
      (await storedQueue(b, INGEST_ID)).length === 0 ? true : undefined,
    );
  });
});
