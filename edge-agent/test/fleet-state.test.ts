/**
 * The fleet record against the config file on disk at start (issue 16). Seen with the demo
 * (`npm start` used to rewrite every agent config at each start): the gateway ran the rewritten
 * file while its record still named the pushed document's hash, and its report kept the old
 * time, so the hub — which keeps one report per gateway and time — went on showing the pushed
 * version as applied.
 */
import { configHash } from '@ganzhi/device-profiles';
import { describe, expect, it } from 'vitest';
import { type FleetRecord, reconcile } from '../src/fleet/fleet-state.js';

const pushed = { gateway: 'gw-1', district: 'north', defaults: { pollIntervalMs: 2000 }, devices: [] };
const applied: FleetRecord = {
  appliedVersion: 2,
  appliedHash: configHash(pushed),
  desiredVersion: 3,
  desiredHash: 'c'.repeat(64),
  status: 'rejected',
  refused: { version: 3, hash: 'c'.repeat(64) },
  ts: 1000,
};

describe('reconcile', () => {
  it('keeps the record (and its time) when the file is the applied document', () => {
    expect(reconcile(applied, JSON.stringify(pushed, null, 2), 5000)).toEqual(applied);
  });

  it('a file replaced on the gateway (hand-written YAML) runs no pushed version: no applied hash, a new time', () => {
    const r = reconcile(applied, '# by hand\ngateway: gw-1\ndistrict: north\n', 5000);
    expect(r.appliedVersion).toBe(0);
    expect(r.appliedHash).toBeUndefined();
    expect(r.ts).toBe(5000);
    // what was refused stays refused: the retained desired config is not retried
    expect(r.refused).toEqual(applied.refused);
  });

  it('a JSON file edited on the gateway: the same', () => {
    const r = reconcile(applied, JSON.stringify({ ...pushed, defaults: { pollIntervalMs: 1000 } }), 5000);
    expect(r).toMatchObject({ appliedVersion: 0, ts: 5000 });
    expect(r.appliedHash).toBeUndefined();
  });

  it('a kill after the config write: the pending version is the applied one, with a new time', () => {
    const r = reconcile(
      { ...applied, pending: { version: 4, hash: configHash(pushed) }, appliedHash: 'd'.repeat(64) },
      JSON.stringify(pushed),
      5000,
    );
    expect(r).toMatchObject({
      appliedVersion: 4,
      appliedHash: configHash(pushed),
      status: 'applied',
      ts: 5000,
    });
    expect(r.pending).toBeUndefined();
  });

  it('a kill before the config write: the old document runs, the pending version is forgotten', () => {
    const r = reconcile(
      { ...applied, pending: { version: 4, hash: 'e'.repeat(64) } },
      JSON.stringify(pushed),
      5000,
    );
    expect(r).toEqual(applied);
  });
});
