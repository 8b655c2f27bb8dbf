/**
 * The hub side of commands (issue 15) through our broker (users, ACL) and a real ingest:
 * POST /api/commands → published QoS 1 on the device's cmd topic → a GATEWAY STAND-IN (an
 * MQTT client, not the agent) answers on the result topic → the ingest stores the command and
 * its outcomes in SQLite → GET /api/commands/:id. And the attacks at this boundary: another
 * district's operator, no or wrong credentials (throttled), bodies that are too large or
 * malformed, reading another district's commands, forged and duplicate results.
 *
 * The hub's MQTT user is an `operator` with `delegate: true`, as deployed: the broker stamps
 * `issuer` with it and keeps the `onBehalfOf` the hub names.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  type CommandResult,
  deviceTopic,
  encodeCommandResult,
  encodeDeviceMeta,
} from '@ganzhi/device-profiles/contract';
import type { MqttClient } from 'mqtt';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import type { CommandView } from '../src/commands/audit-store.js';
import type { Ingest } from '../src/ingest.js';
import { capturedLogger } from './captured-logger.js';
import { basic, type GatewayStandIn, gatewayStandIn } from './command-fixtures.js';
import { hubApi, hubCli, LONG_BACKOFF, startHubStack } from './hub-stack.js';
import { loginAs, type RealBroker } from './real-broker.js';

describe('hub commands through the real broker and ingest (gateway stand-in answers)', () => {
  let broker: RealBroker;
  let ingest: Ingest;
  let gwNorth: GatewayStandIn;
  let gwSouth: MqttClient;
  let watcher: MqttClient;
  const watched: { topic: string; payload: string }[] = [];
  let dir: string;
  const log = capturedLogger();

  const api = hubApi(() => ingest);

  const lamp = (district = 'north', gateway = 'gw-n', device = 'light-1') => ({
    district,
    gateway,
    device,
    writes: [
      { point: 'lamp_on', value: true },
      { point: 'dim_level', value: 60 },
    ],
  });

  const done = (id: string, auth = basic('alice')) =>
    waitFor(`command ${id} done`, async () => {
      const r = await api('GET', `/api/commands/${id}`, auth);
      const v = r.statusCode === 200 ? (r.json() as CommandView) : undefined;
      return v?.state === 'done' ? v : undefined;
    });

  const db = () => ingest.commands;
  const deadLetters = () =>
    readFileSync(join(dir, 'dead-letters.jsonl'), 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { reason: string; topic?: string });

  beforeAll(async () => {
    dir = tempDir('ganzhi-cmd-hub-');
    ({ broker, ingest } = await startHubStack({
      hubDistricts: ['north', 'south'],
      gateways: { north: ['gw-n'], south: ['gw-s'] },
      users: { watch: { role: 'admin' } },
      dir,
      clientId: 'ganzhi-ingest-cmd',
      operators: { alice: ['north'], bob: ['south'], carol: ['north', 'south'] },
      hub: { loginThrottle: LONG_BACKOFF },
      logger: log.logger,
    }));
    watcher = await loginAs(broker.url, 'watch');
    watcher.on('message', (topic, p) => {
      if (topic.endsWith('/cmd')) watched.push({ topic, payload: p.toString() });
    });
    await watcher.subscribeAsync('gz/v1/#', { qos: 1 });
    // one session per gateway user (a second login with the same client id takes the session over)
    const gwN = await loginAs(broker.url, 'gw-n');
    gwNorth = await gatewayStandIn(gwN, 'north', 'gw-n');
    gwSouth = await loginAs(broker.url, 'gw-s');
    // the hub learns light-1's profile from its retained meta (streetlight-controller)
    await gwN.publishAsync(
      deviceTopic('north', 'gw-n', 'light-1', 'meta'),
      encodeDeviceMeta({
        v: 1,
        profile: 'streetlight-controller',
        profileVersion: '1.0.0',
        model: 'SL-1',
        manufacturer: 'Test',
        measurement: 'streetlight',
        points: [
          { name: 'lamp_on', type: 'boolean', unit: '1', access: 'read-write' },
          { name: 'dim_level', type: 'integer', unit: '%', access: 'read-write' },
          { name: 'lamp_power', type: 'float', unit: 'W', access: 'read' },
        ],
      }),
      { qos: 1, retain: true },
    );
    await waitFor('meta seen', async () => {
      const r = await ingest.http.inject({ url: '/api/hub/devices?district=north' });
      return (
        (r.json() as { devices: { device: string; model: string }[] }).devices.some(
          (d) => d.model === 'streetlight-controller',
        ) || undefined
      );
    });
  }, 30_000);

  afterAll(async () => {
    await gwNorth?.close();
    await gwSouth?.endAsync();
    await watcher?.endAsync();
    await ingest?.close();
    await broker?.close();
  });

  it('sends a command, the stand-in answers, and the audit holds the command and one row per point', async () => {
    const r = await api('POST', '/api/commands', basic('alice'), { ...lamp(), ttlMs: 30_000 });
    expect(r.statusCode).toBe(202);
    const { id, topic, issued, expires } = r.json() as {
      id: string;
      topic: string;
      issued: number;
      expires: number;
    };
    expect(topic).toBe('gz/v1/north/gw-n/light-1/cmd');
    expect(expires - issued).toBe(30_000);
    const v = await done(id);
    expect(v).toMatchObject({
      id,
      district: 'north',
      gateway: 'gw-n',
      device: 'light-1',
      onBehalfOf: 'alice',
      readback: true,
      writes: lamp().writes,
      state: 'done',
    });
    expect(v.outcomes.map((o) => [o.point, o.outcome, o.requested, o.readback])).toEqual([
      ['dim_level', 'ok', 60, 60],
      ['lamp_on', 'ok', true, true],
    ]);
    const got = gwNorth.received.find((x) => x.cmd.id === id);
    expect(got?.cmd.onBehalfOf).toBe('alice');
    expect(got?.cmd.readback).toBeUndefined(); // default: read back
  });

  it('stores a redelivered command, a duplicate result and a repeat answer once', async () => {
    const r = await api('POST', '/api/commands', basic('alice'), lamp());
    const { id } = r.json() as { id: string };
    const first = await done(id);
    const again: CommandResult = {
      v: 1,
      id,
      device: 'light-1',
      received: first.outcomes[0]!.received,
      done: first.outcomes[0]!.done,
      outcomes: [{ point: 'lamp_on', outcome: 'timeout', reason: 'a different story' }],
    };
    await gwNorth.answer('light-1', again);
    await gwNorth.answer('light-1', { ...again, repeat: true });
    // and the same command redelivered by the broker (an admin republishes it)
    const cmd = gwNorth.received.find((x) => x.cmd.id === id)!.cmd;
    await watcher.publishAsync('gz/v1/north/gw-n/light-1/cmd', JSON.stringify(cmd), { qos: 1 });
    // barrier: a later command of the same gateway is stored after all of the above
    const later = (await api('POST', '/api/commands', basic('alice'), lamp())).json() as { id: string };
    await done(later.id);
    const v = (await api('GET', `/api/commands/${id}`, basic('alice'))).json() as CommandView;
    expect(v.outcomes.map((o) => [o.point, o.outcome, o.repeat])).toEqual([
      ['dim_level', 'ok', false],
      ['lamp_on', 'ok', false],
    ]);
    expect(db().byId(id)).toHaveLength(1);
  });

  it('refuses another district (403) and publishes nothing', async () => {
    const before = watched.length;
    const r = await api('POST', '/api/commands', basic('alice'), lamp('south', 'gw-s', 'light-9'));
    expect(r.statusCode).toBe(403);
    expect(r.json()).toEqual({
      code: 'GZ_FORBIDDEN',
      message: 'operator alice may not act on district south',
    });
    // barrier: alice's next permitted command is the first the watcher sees after the refusal
    const ok = (await api('POST', '/api/commands', basic('alice'), lamp())).json() as { id: string };
    await waitFor('watcher saw the permitted command', () => watched.length > before || undefined);
    expect(watched.slice(before).map((w) => w.topic)).toEqual(['gz/v1/north/gw-n/light-1/cmd']);
    expect(JSON.parse(watched[before]!.payload).id).toBe(ok.id);
    expect(
      log.lines.some(
        (l) =>
          l.event === 'operator-refused' &&
          String(l.what).includes('alice') &&
          String(l.what).includes('south'),
      ),
    ).toBe(true);
  });

  it('answers 401 without or with wrong credentials, then throttles that name', async () => {
    const none = await api('POST', '/api/commands', undefined, lamp());
    expect(none.statusCode).toBe(401);
    expect(none.headers['www-authenticate']).toMatch(/^Basic realm="ganzhi-hub"/);
    expect((await api('GET', '/api/commands', undefined)).statusCode).toBe(401);
    expect((await api('GET', '/api/commands', 'Bearer nonsense')).statusCode).toBe(401);
    expect((await api('GET', '/api/commands', 'Basic !!!')).statusCode).toBe(401);
    const codes: number[] = [];
    for (let i = 0; i < 7; i++)
      codes.push(
        (await api('POST', '/api/commands', basic('carol', 'guess'), lamp(), '10.0.0.7')).statusCode,
      );
    expect(codes.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(codes.slice(5)).toEqual([429, 429]);
    // during the back-off, even the right password is not checked (from any address)
    const right = await api('GET', '/api/commands', basic('carol'), undefined, '10.0.0.8');
    expect(right.statusCode).toBe(429);
    expect(Number(right.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    // an unknown name costs the same and fails the same
    expect((await api('GET', '/api/commands', basic('mallory'), undefined, '10.0.0.9')).statusCode).toBe(401);
    // the throttled address is refused for a name it has not tried too …
    expect((await api('GET', '/api/commands', basic('bob'), undefined, '10.0.0.7')).statusCode).toBe(429);
    // … but alice, verified before, still gets in from it
    expect((await api('GET', '/api/commands', basic('alice'), undefined, '10.0.0.7')).statusCode).toBe(200);
  });

  it('answers 400 naming the field, 413 for a huge body, and keeps serving', async () => {
    const bad = async (body: unknown) => {
      const r = await api('POST', '/api/commands', basic('alice'), body);
      return [r.statusCode, (r.json() as { message: string }).message] as const;
    };
    expect(await bad('{"district": "north", ')).toEqual([400, expect.stringMatching(/JSON/i)]);
    expect(await bad({ ...lamp(), writes: [] })).toEqual([400, expect.stringContaining('writes')]);
    expect(await bad({ ...lamp(), gateway: 'GW N' })).toEqual([400, expect.stringContaining('gateway')]);
    expect(await bad({ ...lamp(), writes: [{ point: 'lamp_on', value: null }] })).toEqual([
      400,
      expect.stringContaining('value'),
    ]);
    expect(await bad({ ...lamp(), ttlMs: 1e12 })).toEqual([400, expect.stringContaining('ttlMs')]);
    expect(await bad({ ...lamp(), issuer: 'root' })).toEqual([400, 'body.issuer: Unexpected property']);
    expect(
      await bad({
        ...lamp(),
        writes: [
          { point: 'lamp_on', value: true },
          { point: 'lamp_on', value: false },
        ],
      }),
    ).toEqual([400, 'body.writes.1.point: lamp_on is written twice']);
    // the profile the hub knows for light-1: read-only point, type, range
    expect(await bad({ ...lamp(), writes: [{ point: 'lamp_power', value: 5 }] })).toEqual([
      400,
      'body.writes.0.point: lamp_power of streetlight-controller is read-only',
    ]);
    expect(await bad({ ...lamp(), writes: [{ point: 'dim_level', value: 101 }] })).toEqual([
      400,
      'body.writes.0.value: dim_level: 101 is outside its range 0..100',
    ]);
    expect(await bad({ ...lamp(), writes: [{ point: 'lamp_on', value: 1 }] })).toEqual([
      400,
      'body.writes.0.value: lamp_on takes a boolean, got number',
    ]);
    const huge = await api('POST', '/api/commands', basic('alice'), { ...lamp(), pad: 'x'.repeat(100_000) });
    expect(huge.statusCode).toBe(413);
    expect((await api('GET', '/api/commands?limit=0', basic('alice'))).statusCode).toBe(400);
    expect((await api('GET', '/healthz')).statusCode).toBe(200);
  });

  it('does not show one district’s commands to another district’s operator', async () => {
    const { id } = (await api('POST', '/api/commands', basic('alice'), lamp())).json() as { id: string };
    await done(id);
    expect((await api('GET', `/api/commands/${id}`, basic('bob'))).statusCode).toBe(403);
    expect((await api('GET', '/api/commands/no-such-command', basic('bob'))).statusCode).toBe(404);
    const bobs = (await api('GET', '/api/commands', basic('bob'))).json() as { commands: CommandView[] };
    expect(bobs.commands.filter((c) => c.district !== 'south')).toEqual([]);
    expect((await api('GET', '/api/commands?district=north', basic('bob'))).statusCode).toBe(403);
    const alices = (
      await api('GET', '/api/commands?district=north&device=light-1&limit=2', basic('alice'))
    ).json() as {
      commands: CommandView[];
    };
    expect(alices.commands).toHaveLength(2);
    expect(alices.commands[0]!.id).toBe(id);
  });

  it('does not store a result for a command sent to another gateway, nor one speaking for another device', async () => {
    const { id } = (await api('POST', '/api/commands', basic('alice'), lamp())).json() as { id: string };
    await done(id);
    // gw-s (south) answers alice's north command on its own result topic: the broker lets it
    // publish there, the ingest's audit refuses it
    const forged: CommandResult = {
      v: 1,
      id,
      device: 'light-1',
      received: 1,
      done: 2,
      outcomes: [{ point: 'lamp_on', outcome: 'device-exception', code: '04' }],
    };
    await gwSouth.publishAsync(
      deviceTopic('south', 'gw-s', 'light-1', 'result'),
      encodeCommandResult(forged),
      {
        qos: 1,
      },
    );
    // a result whose payload names another device than its topic
    await gwSouth.publishAsync(
      deviceTopic('south', 'gw-s', 'pump-1', 'result'),
      encodeCommandResult({ ...forged, id: 'other-command-1' }),
      { qos: 1 },
    );
    await waitFor(
      'both refused to the dead letters',
      () => deadLetters().filter((d) => d.topic?.startsWith('gz/v1/south/gw-s/')).length >= 2 || undefined,
    );
    const reasons = deadLetters()
      .filter((d) => d.topic?.startsWith('gz/v1/south/gw-s/'))
      .map((d) => d.reason);
    expect(reasons).toEqual([
      'result for a command sent to another gateway',
      'payload ids differ from the topic',
    ]);
    const v = db().byId(id);
    expect(v).toHaveLength(1);
    expect(v[0]!.outcomes.map((o) => o.outcome)).toEqual(['ok', 'ok']);
    expect(db().byId('other-command-1')).toEqual([]);
  });

  it('ganzhi-command sends, waits, prints one line per point and exits 0 only if all are ok', async () => {
    const run = hubCli('ganzhi-command');
    const hub = ['--hub', ingest.httpUrl, '--user', 'alice'];
    const target = ['--district', 'north', '--gateway', 'gw-n', '--device', 'light-1'];
    const sent = await run([
      'send',
      ...hub,
      ...target,
      'lamp_on=false',
      'dim_level=25',
      '--ttl',
      '20s',
      '--wait',
      '20s',
    ]);
    expect(sent.err).toBe('');
    expect(sent.code).toBe(0);
    const lines = sent.out.trim().split('\n');
    expect(lines[0]).toMatch(/^command [0-9a-f-]{36} sent, expires /);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 2))).toEqual([
      ['lamp_on', 'ok'],
      ['dim_level', 'ok'],
    ]);
    const id = /command (\S+) sent/.exec(lines[0]!)![1]!;
    const got = gwNorth.received.find((x) => x.cmd.id === id)!.cmd;
    expect(got.writes).toEqual([
      { point: 'lamp_on', value: false },
      { point: 'dim_level', value: 25 },
    ]);
    expect(got.expires - got.issued!).toBe(20_000);
    // get and list
    const get = await run(['get', id, ...hub]);
    expect(get.code).toBe(0);
    expect(get.out).toContain(`${id} north/gw-n/light-1 done by alice`);
    const list = await run(['list', ...hub, '--device', 'light-1', '--limit', '1']);
    expect(list.out).toContain(id);
    // the password from a file
    const pwFile = join(dir, 'pw');
    writeFileSync(pwFile, 'alice-secret\n');
    const fromFile = await run(['send', ...hub, '--password-file', pwFile, ...target, 'dim_level=5'], {});
    expect(fromFile.code).toBe(0);
    expect(fromFile.out).toMatch(/dim_level\s+ok\s+requested=5 readback=5/);
    // errors: wrong password → 2 with the hub's message; no password → 2
    const wrong = await run(['send', ...hub, ...target, 'lamp_on=true'], { GANZHI_HUB_PASSWORD: 'nope' });
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain('the hub answered 401');
    const nopw = await run(['list', ...hub], {});
    expect(nopw.code).toBe(2);
    expect(nopw.err).toContain('GANZHI_HUB_PASSWORD');
  });

  it('ganzhi-command exits 1 when a point is not ok', async () => {
    const bin = new URL('../bin/ganzhi-command.js', import.meta.url).pathname;
    // gw-x has no stand-in: an admin answers in its place, rejected
    const args = [
      'send',
      '--hub',
      ingest.httpUrl,
      '--user',
      'alice',
      '--district',
      'north',
      '--gateway',
      'gw-x',
      '--device',
      'pump-1',
      'speed_set=40',
      '--wait',
      '20s',
    ];
    const child = new Promise<{ code: number; out: string }>((resolve) => {
      execFile(
        process.execPath,
        [bin, ...args],
        { env: { PATH: process.env.PATH ?? '', GANZHI_HUB_PASSWORD: 'alice-secret' } },
        (e, out) => resolve({ code: e ? ((e as { code?: number }).code ?? 1) : 0, out }),
      );
    });
    const cmd = await waitFor('the command on the watcher', () =>
      watched.find((w) => w.topic === 'gz/v1/north/gw-x/pump-1/cmd'),
    );
    const id = JSON.parse(cmd.payload).id as string;
    await watcher.publishAsync(
      'gz/v1/north/gw-x/pump-1/result',
      encodeCommandResult({
        v: 1,
        id,
        device: 'pump-1',
        received: 1,
        done: 2,
        outcomes: [{ point: 'speed_set', outcome: 'rejected', requested: 40, reason: 'out of range' }],
      }),
      { qos: 1 },
    );
    const r = await child;
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/speed_set\s+rejected\s+requested=40 reason="out of range"/);
  });

  it('an invalid command never reaches a gateway or the audit: the broker drops it', async () => {
    const before = watched.length;
    await watcher.publishAsync('gz/v1/north/gw-n/light-1/cmd', '{"v":1,"id":"x"}', { qos: 1 });
    // barrier: a later permitted command is the first the watcher (and the gateway) sees
    const ok = (await api('POST', '/api/commands', basic('alice'), lamp())).json() as { id: string };
    await done(ok.id);
    expect(watched.slice(before).map((w) => JSON.parse(w.payload).id)).toEqual([ok.id]);
    expect(gwNorth.received.some((x) => x.cmd.id === 'x')).toBe(false);
    expect(deadLetters().some((d) => d.topic === 'gz/v1/north/gw-n/light-1/cmd')).toBe(false);
    // and the audit's issuer is the broker's stamp (the hub's user), on behalf of the operator
    const v = (await api('GET', `/api/commands/${ok.id}`, basic('alice'))).json() as CommandView;
    expect([v.issuer, v.onBehalfOf]).toEqual(['hub', 'alice']);
  });
});
