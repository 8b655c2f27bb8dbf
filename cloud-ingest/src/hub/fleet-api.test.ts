/**
 * The fleet API's handling of a push the broker acknowledged but dropped (it does so with a
 * stale or invalid desired config, broker/src/auth/acl-hooks.ts): the PUBLISH here is a FAULT
 * INJECTION FAKE (acknowledges, never delivers back a stamped copy), the store is real SQLite,
 * time a ManualClock. The path through the real broker is cloud-ingest/test/fleet-hub.test.ts.
 */
import { join } from 'node:path';
import { ManualClock } from '@ganzhi/runtime';
import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/process.js';
import { basic, operator } from '../../test/command-fixtures.js';
import { openFleetStore } from '../fleet/store.js';
import type { FleetGateway } from '../fleet/view.js';
import { fleetApi } from './fleet-api.js';
import { OperatorAuth } from './operator-auth.js';

describe('fleet API: a push the broker dropped', () => {
  it('counts as desired only within the grace; the next push still takes a higher version', async () => {
    const clock = new ManualClock(1_000_000);
    const store = openFleetStore(join(tempDir('ganzhi-fleet-api-'), 'ingest.db'));
    const ids = { district: 'north', gateway: 'gw-n' };
    const config = { gateway: 'gw-n', district: 'north', defaults: { pollIntervalMs: 5000 } };
    // v1 is what the broker retains (stamped copy seen by the ingest)
    store.recordPush(ids, { v: 1, version: 1, hash: 'a'.repeat(64), config, issuer: 'hub' }, clock.now());
    const published: string[] = [];
    const app = Fastify();
    await app.register(fleetApi, {
      auth: new OperatorAuth([await operator('alice', ['north'])]),
      store,
      clock,
      unconfirmedGraceMs: 30_000,
      publish: async (topic) => {
        published.push(topic); // FAULT INJECTION: acknowledged, dropped, nothing comes back
      },
    });
    const push = () =>
      app.inject({
        method: 'POST',
        url: '/api/fleet/push',
        headers: { authorization: basic('alice'), 'content-type': 'application/json' },
        payload: JSON.stringify({ target: ids, set: { 'defaults.pollIntervalMs': 2000 } }),
      });
    const desired = async () =>
      (
        (await app.inject({ url: '/api/fleet', headers: { authorization: basic('alice') } })).json() as {
          gateways: FleetGateway[];
        }
      ).gateways[0]?.desired?.version;

    expect((await push()).json()).toMatchObject({ pushes: [{ version: 2 }] });
    expect(await desired()).toBe(2);
    clock.advance(30_001);
    expect(await desired()).toBe(1); // never confirmed: not what the broker retains
    expect((await push()).json()).toMatchObject({ pushes: [{ version: 3 }] }); // above the dropped one
    expect(published).toEqual(['gz/v1/north/gw-n/config', 'gz/v1/north/gw-n/config']);
    await app.close();
    store.close();
  });
});
