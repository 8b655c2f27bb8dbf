import { join } from 'node:path';
import type { CommandRequest, CommandResult } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/process.js';
import { openCommandAudit } from './audit-store.js';

const ids = { district: 'north', gateway: 'gw-n', device: 'light-1' };
const cmd: CommandRequest = {
  v: 1,
  id: 'cmd-00000001',
  writes: [
    { point: 'lamp_on', value: true },
    { point: 'dim_level', value: 40 },
  ],
  issued: 1000,
  expires: 61_000,
  onBehalfOf: 'alice',
};
const result: CommandResult = {
  v: 1,
  id: 'cmd-00000001',
  device: 'light-1',
  received: 1100,
  executed: 1110,
  done: 1200,
  outcomes: [
    { point: 'lamp_on', outcome: 'ok', requested: true, raw: true, readback: true },
    { point: 'dim_level', outcome: 'readback-mismatch', requested: 40, raw: [40], readback: 39 },
  ],
};

describe('the SQLite command audit', () => {
  it('stores a command and its outcomes once, fills the broker-stamped issuer once, refuses other gateways', () => {
    const s = openCommandAudit(join(tempDir('ganzhi-audit-'), 'a.db'));
    expect(s.recordCommand(ids, cmd, 1001)).toBe(true); // as the hub published it
    s.recordCommand(ids, { ...cmd, issuer: 'hub' }, 1002); // the broker's copy
    s.recordCommand(ids, { ...cmd, issuer: 'mallory' }, 1003); // never over a known issuer
    expect(s.byId(cmd.id)).toMatchObject([
      { issuer: 'hub', onBehalfOf: 'alice', seen: 1001, state: 'pending' },
    ]);
    expect(s.recordResult(ids, result, 1300)).toEqual({ ok: true, fresh: 2 });
    expect(s.recordResult(ids, { ...result, repeat: true }, 1400)).toEqual({ ok: true, fresh: 0 });
    expect(s.recordResult({ ...ids, gateway: 'gw-s' }, result, 1500)).toEqual({
      ok: false,
      reason: 'result for a command sent to another gateway',
    });
    expect(s.recordResult({ ...ids, device: 'light-2' }, { ...result, device: 'light-2' }, 1500)).toEqual({
      ok: false,
      reason: 'result for a command sent to another device',
    });
    const [v] = s.byId(cmd.id);
    expect(v?.state).toBe('done');
    expect(v?.outcomes.map((o) => [o.point, o.outcome, o.readback, o.repeat])).toEqual([
      ['dim_level', 'readback-mismatch', 39, false],
      ['lamp_on', 'ok', true, false],
    ]);
    expect(s.list({ districts: ['south'], limit: 10 })).toEqual([]);
    expect(s.list({ districts: ['north'], device: 'light-1', limit: 10 }).map((c) => c.id)).toEqual([cmd.id]);
    // a result whose command was never seen is kept (an orphan), refused whole → one '*' row
    expect(
      s.recordResult(ids, { ...result, id: 'cmd-00000002', outcomes: [], reason: 'commands disabled' }, 2000),
    ).toEqual({ ok: true, fresh: 1 });
    expect(s.byId('cmd-00000002')[0]?.outcomes).toMatchObject([
      { point: '*', outcome: 'rejected', commandReason: 'commands disabled' },
    ]);
    s.close();
  });
});
