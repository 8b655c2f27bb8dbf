/**
 * The command audit in a real InfluxDB (influxd from Debian; skipped with the reason when it
 * is absent, a failure under CI=true): the ingest with an InfluxDB v1 store writes
 * `command_audit` points for a command (outcome=issued) and its result (one per point), the
 * command id as a field, never a tag; a duplicate and a `repeat` result add no point. The
 * SQLite audit (hub.commandsFile) holds the same command for the hub's API. A GATEWAY
 * STAND-IN (an MQTT client, not the agent) answers.
 */
import type { CommandResult } from '@ganzhi/device-profiles/contract';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type InfluxdPeer, influxdPeer, seriesRows } from '../../test-support/influxdb.js';
import { waitFor } from '../../test-support/process.js';
import type { Ingest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { basic, type GatewayStandIn, gatewayStandIn } from './command-fixtures.js';
import { startInfluxAuditStack } from './hub-stack.js';
import { loginAs, type RealBroker } from './real-broker.js';

const p = influxdPeer();

describe.skipIf(!p.ok)('command_audit in InfluxDB 1.x (real influxd)', () => {
  let influx: InfluxdPeer;
  let broker: RealBroker;
  let ingest: Ingest;
  let gw: GatewayStandIn;
  const log = capturedLogger();

  beforeAll(async () => {
    ({ influx, broker, ingest } = await startInfluxAuditStack({
      dirPrefix: 'ganzhi-cmd-influx-',
      hubDistricts: ['north', 'south'],
      clientId: 'ganzhi-ingest-cmd-influx',
      logger: log.logger,
    }));
    gw = await gatewayStandIn(await loginAs(broker.url, 'gw-n'), 'north', 'gw-n');
  }, 60_000);

  afterAll(async () => {
    await gw?.close();
    await ingest?.close();
    await broker?.close();
    await influx?.close();
  });

  const points = async () =>
    seriesRows(await influx.query('SELECT * FROM command_audit GROUP BY *', 'audit'));

  it('writes the command and one point per outcome, id as a field, and stores duplicates once', async () => {
    const r = await ingest.http.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization: basic('alice'), 'content-type': 'application/json' },
      payload: JSON.stringify({
        district: 'north',
        gateway: 'gw-n',
        device: 'light-1',
        writes: [
          { point: 'lamp_on', value: true },
          { point: 'dim_level', value: 70 },
        ],
      }),
    });
    expect(r.statusCode).toBe(202);
    const { id, issued } = r.json() as { id: string; issued: number };
    const all = await waitFor('4 audit points', async () => {
      const ps = await points();
      return ps.length >= 4 ? ps : undefined;
    });
    const mine = all.filter((x) => x.id === id);
    const rows = mine
      .map((x) => [x.tags.point, x.tags.outcome, x.requested, x.readback ?? null])
      .sort((a, b) => String(a[0]).localeCompare(String(b[0])) || String(a[1]).localeCompare(String(b[1])));
    expect(rows).toEqual([
      ['dim_level', 'issued', '70', null],
      ['dim_level', 'ok', '70', '70'],
      ['lamp_on', 'issued', 'true', null],
      ['lamp_on', 'ok', 'true', 'true'],
    ]);
    for (const x of mine) {
      expect(x.tags).toMatchObject({ district: 'north', gateway: 'gw-n', device: 'light-1' });
      expect(Object.keys(x.tags).sort()).toEqual(['device', 'district', 'gateway', 'outcome', 'point']);
      expect(x.on_behalf_of).toBe('alice');
    }
    const issuedPoint = mine.find((x) => x.tags.outcome === 'issued')!;
    expect(issuedPoint.time).toBe(issued);

    // the same result again, and as a repeat: no new point, no changed field
    const done = mine.find((x) => x.tags.outcome === 'ok')!;
    const again: CommandResult = {
      v: 1,
      id,
      device: 'light-1',
      onBehalfOf: 'alice',
      received: done.received as number,
      executed: done.executed as number,
      done: done.time as number,
      outcomes: [
        { point: 'lamp_on', outcome: 'ok', requested: true, raw: true, readback: true },
        { point: 'dim_level', outcome: 'ok', requested: 70, raw: [70], readback: 70 },
      ],
    };
    await gw.answer('light-1', again);
    await gw.answer('light-1', { ...again, repeat: true });
    // barrier: another command's points arrive after those
    const r2 = await ingest.http.inject({
      method: 'POST',
      url: '/api/commands',
      headers: { authorization: basic('alice'), 'content-type': 'application/json' },
      payload: JSON.stringify({
        district: 'north',
        gateway: 'gw-n',
        device: 'light-2',
        writes: [{ point: 'lamp_on', value: false }],
      }),
    });
    const id2 = (r2.json() as { id: string }).id;
    await waitFor('second command stored', async () =>
      (await points()).filter((x) => x.id === id2).length === 2 ? true : undefined,
    );
    const after = (await points()).filter((x) => x.id === id);
    expect(after).toEqual(mine);
    // the SQLite audit for the hub's API
    expect(ingest.commands.byId(id)[0]?.outcomes.map((o) => o.outcome)).toEqual(['ok', 'ok']);
  });
});
