/**
 * The fleet audit in a real InfluxDB (influxd from Debian; skipped with the reason when it is
 * absent, a failure under CI=true): the ingest with an InfluxDB v1 store writes `config_audit`
 * points for each push (kind=push, stamped issuer) and each reported state (kind=state); a
 * redelivered state adds no point. The SQLite fleet tables (hub.commandsFile) hold the same
 * for the hub's API. A GATEWAY STAND-IN (an MQTT client, not the agent) reports the state.
 */
import { configHash, encodeConfigState, gatewayTopic } from '@ganzhi/device-profiles/contract';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdPeer, influxdPeer, seriesRows } from '../../test-support/influxdb.js';
import { waitFor } from '../../test-support/process.js';
import type { Ingest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { basic } from './command-fixtures.js';
import { startInfluxAuditStack } from './hub-stack.js';
import { loginAs, type RealBroker } from './real-broker.js';

const p = influxdPeer();

describe.skipIf(!p.ok)('config_audit in InfluxDB 1.x (real influxd)', () => {
  let influx: InfluxdPeer;
  let broker: RealBroker;
  let ingest: Ingest;
  let gw: MqttClient;
  const log = capturedLogger();

  beforeAll(async () => {
    ({ influx, broker, ingest } = await startInfluxAuditStack({
      dirPrefix: 'ganzhi-fleet-influx-',
      hubDistricts: ['north'],
      clientId: 'ganzhi-ingest-fleet-influx',
      logger: log.logger,
    }));
    gw = await loginAs(broker.url, 'gw-n');
  }, 60_000);

  afterAll(async () => {
    await gw?.endAsync();
    await ingest?.close();
    await broker?.close();
    await influx?.close();
  });

  const points = async () => seriesRows(await influx.query('SELECT * FROM config_audit GROUP BY *', 'audit'));

  const push = async (body: unknown) => {
    const r = await ingest.http.inject({
      method: 'POST',
      url: '/api/fleet/push',
      headers: { authorization: basic('alice'), 'content-type': 'application/json' },
      payload: JSON.stringify(body),
    });
    expect(r.statusCode).toBe(202);
    return (r.json() as { pushes: { version: number; hash: string }[] }).pushes[0]!;
  };

  it('writes a point per push and per state, a redelivered state once', async () => {
    const config = { gateway: 'gw-n', district: 'north', defaults: { pollIntervalMs: 5000 }, devices: [] };
    const v1 = await push({ target: { district: 'north', gateway: 'gw-n' }, config });
    expect(v1).toMatchObject({ version: 1, hash: configHash(config) });
    const state = encodeConfigState({
      v: 1,
      ts: Date.now(),
      desiredVersion: 1,
      desiredHash: v1.hash,
      appliedVersion: 1,
      appliedHash: v1.hash,
      status: 'applied',
    });
    for (let i = 0; i < 3; i++)
      await gw.publishAsync(gatewayTopic('north', 'gw-n', 'config-state'), state, { qos: 1, retain: true });
    // barrier: a second push's point arrives after the redelivered states
    await push({ target: { district: 'north', gateway: 'gw-n' }, set: { 'defaults.pollIntervalMs': 2000 } });
    const all = await waitFor('2 push points and a state', async () => {
      const ps = await points();
      return ps.filter((x) => x.tags.kind === 'push').length >= 2 && ps.some((x) => x.tags.kind === 'state')
        ? ps
        : undefined;
    });
    expect(all).toHaveLength(3);
    const rows = all
      .map((x) => [
        x.tags.kind,
        x.tags.status,
        x.version,
        x.applied_version ?? null,
        x.issuer ?? null,
        x.on_behalf_of ?? null,
      ])
      .sort((a, b) => Number(a[2]) - Number(b[2]) || String(a[0]).localeCompare(String(b[0])));
    expect(rows).toEqual([
      ['push', 'pushed', 1, null, 'hub', 'alice'],
      ['state', 'applied', 1, 1, null, null],
      ['push', 'pushed', 2, null, 'hub', 'alice'],
    ]);
    for (const x of all)
      expect(Object.keys(x.tags).sort()).toEqual(['district', 'gateway', 'kind', 'status']);
    // the SQLite fleet tables hold the same for the hub
    expect(ingest.fleet.desired({ district: 'north', gateway: 'gw-n' })).toMatchObject({
      version: 2,
      issuer: 'hub',
    });
    expect(ingest.fleet.history({ district: 'north', gateway: 'gw-n' }, 50).states).toHaveLength(1);
  });
});
