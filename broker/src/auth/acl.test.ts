import { describe, expect, it } from 'vitest';
import {
  commandPublishRefusal,
  configPublishRefusal,
  grantedFilters,
  isConfigTopic,
  publishAllowed,
  publishDenialReason,
  subscribeAllowed,
  willAllowed,
} from './acl.js';
import type { Identity } from './identity.js';

const gw: Identity = { role: 'gateway', user: 'gw1', district: 'north', gateway: 'gw1' };
const ingest: Identity = { role: 'ingest', user: 'ing' };
const viewer: Identity = { role: 'viewer', user: 'v', districts: ['north', 'east'] };
const admin: Identity = { role: 'admin', user: 'root' };
const operator: Identity = { role: 'operator', user: 'op', districts: ['north', 'east'], delegate: false };
const anon: Identity = { role: 'anonymous', user: '' };

describe('publishAllowed', () => {
  it('lets a gateway publish only its own state, meta, data and status', () => {
    expect(publishAllowed(gw, 'gz/v1/north/gw1/state')).toBe(true);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/data')).toBe(true);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/meta')).toBe(true);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/status')).toBe(true);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/cmd')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/cmd')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/north/gw2/pm1/data')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/south/gw1/pm1/data')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/data/extra')).toBe(false);
    expect(publishAllowed(gw, 'other/topic')).toBe(false);
    expect(publishAllowed(gw, '$SYS/x')).toBe(false);
  });
  it('lets ingest and viewers publish nothing', () => {
    expect(publishAllowed(ingest, 'gz/v1/north/gw1/cmd')).toBe(false);
    expect(publishAllowed(viewer, 'gz/v1/north/gw1/pm1/data')).toBe(false);
  });
  it('lets admin and anonymous publish anything but $SYS', () => {
    expect(publishAllowed(admin, 'gz/v1/north/gw1/cmd')).toBe(true);
    expect(publishAllowed(admin, '$SYS/broker/x')).toBe(false);
    expect(publishAllowed(anon, 'x/y')).toBe(true);
  });
});

describe('subscribeAllowed', () => {
  it('limits a gateway to its own command topics', () => {
    expect(subscribeAllowed(gw, 'gz/v1/north/gw1/cmd')).toBe(true);
    expect(subscribeAllowed(gw, 'gz/v1/north/gw1/+/cmd')).toBe(true);
    expect(subscribeAllowed(gw, 'gz/v1/north/gw1/pm1/cmd')).toBe(true);
    expect(subscribeAllowed(gw, 'gz/v1/north/gw1/#')).toBe(false);
    expect(subscribeAllowed(gw, 'gz/v1/north/+/cmd')).toBe(false);
    expect(subscribeAllowed(gw, 'gz/v1/south/gw1/cmd')).toBe(false);
    expect(subscribeAllowed(gw, '#')).toBe(false);
  });
  it('gives ingest data, meta, state and status of every district and nothing else', () => {
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/+/data')).toBe(true);
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/state')).toBe(true);
    expect(subscribeAllowed(ingest, 'gz/v1/south/+/+/status')).toBe(true);
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/+/cmd')).toBe(true); // the command audit (issue 15)
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/cmd')).toBe(false);
    expect(subscribeAllowed(ingest, 'gz/v1/#')).toBe(false);
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/+/+')).toBe(false);
    expect(subscribeAllowed(ingest, '$SYS/#')).toBe(false);
  });
  it('keeps a viewer inside its districts', () => {
    expect(subscribeAllowed(viewer, 'gz/v1/north/#')).toBe(true);
    expect(subscribeAllowed(viewer, 'gz/v1/east/+/+/data')).toBe(true);
    expect(subscribeAllowed(viewer, 'gz/v1/south/#')).toBe(false);
    expect(subscribeAllowed(viewer, 'gz/v1/+/+/+/data')).toBe(false);
    expect(subscribeAllowed(viewer, 'gz/v1/#')).toBe(false);
  });
  it('reserves $SYS for admins', () => {
    expect(subscribeAllowed(admin, '$SYS/#')).toBe(true);
    expect(subscribeAllowed(admin, '#')).toBe(true);
    expect(subscribeAllowed(anon, '$SYS/#')).toBe(false);
    expect(subscribeAllowed(anon, '#')).toBe(true);
  });
});

describe('commands (issue 15)', () => {
  it('lets an operator publish device commands of its districts only', () => {
    expect(publishAllowed(operator, 'gz/v1/north/gw1/pm1/cmd')).toBe(true);
    expect(publishAllowed(operator, 'gz/v1/east/gw9/lamp-3/cmd')).toBe(true);
    expect(publishAllowed(operator, 'gz/v1/south/gw1/pm1/cmd')).toBe(false);
    // the gateway-level command has no payload contract: not for operators
    expect(publishAllowed(operator, 'gz/v1/north/gw1/cmd')).toBe(false);
    for (const kind of ['data', 'meta', 'status', 'result'])
      expect(publishAllowed(operator, `gz/v1/north/gw1/pm1/${kind}`)).toBe(false);
    expect(publishAllowed(operator, 'gz/v1/north/gw1/state')).toBe(false);
    expect(publishAllowed(operator, 'gz/v1/north/gw1/cmd/pm1/cmd')).toBe(false);
    expect(publishAllowed(operator, 'spBv1.0/g/DCMD/n/d')).toBe(false);
    expect(publishAllowed(operator, '$SYS/x')).toBe(false);
  });
  it('lets an operator read its districts like a viewer, results included, and nothing else', () => {
    expect(subscribeAllowed(operator, 'gz/v1/north/+/+/result')).toBe(true);
    expect(subscribeAllowed(operator, 'gz/v1/east/#')).toBe(true);
    expect(subscribeAllowed(operator, 'gz/v1/south/+/+/result')).toBe(false);
    expect(subscribeAllowed(operator, 'gz/v1/+/+/+/result')).toBe(false);
    expect(subscribeAllowed(operator, 'gz/v1/#')).toBe(false);
    expect(subscribeAllowed(operator, '#')).toBe(false);
    expect(subscribeAllowed(operator, '$SYS/#')).toBe(false);
  });
  it('lets a gateway publish results only as itself, and never a command', () => {
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/result')).toBe(true);
    expect(publishAllowed(gw, 'gz/v1/north/gw2/pm1/result')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/south/gw1/pm1/result')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/pm1/cmd')).toBe(false);
    expect(publishAllowed(viewer, 'gz/v1/north/gw1/pm1/cmd')).toBe(false);
    expect(publishAllowed(ingest, 'gz/v1/north/gw1/pm1/cmd')).toBe(false);
    expect(publishAllowed(ingest, 'gz/v1/north/gw1/pm1/result')).toBe(false);
  });
  it('lets the ingest read every command and result (the audit), not the gateway-level command', () => {
    expect(grantedFilters(ingest)).toContain('gz/v1/+/+/+/cmd');
    expect(grantedFilters(ingest)).toContain('gz/v1/+/+/+/result');
    expect(subscribeAllowed(ingest, 'gz/v1/+/+/cmd')).toBe(false);
  });
  it('refuses retained commands for everyone (admin may clear one with an empty payload) and wills on command topics', () => {
    for (const id of [operator, admin, anon])
      expect(commandPublishRefusal(id, 'gz/v1/north/gw1/pm1/cmd', true, false)).toMatch(/retained command/);
    expect(commandPublishRefusal(admin, 'gz/v1/north/gw1/cmd', true, false)).toMatch(/retained command/);
    expect(commandPublishRefusal(admin, 'gz/v1/north/gw1/pm1/cmd', true, true)).toBeUndefined();
    expect(commandPublishRefusal(operator, 'gz/v1/north/gw1/pm1/cmd', true, true)).toMatch(/retained/);
    expect(commandPublishRefusal(operator, 'gz/v1/north/gw1/pm1/cmd', false, false)).toBeUndefined();
    expect(commandPublishRefusal(gw, 'gz/v1/north/gw1/pm1/status', true, false)).toBeUndefined();
    expect(willAllowed(operator, 'gz/v1/north/gw1/pm1/cmd')).toBe(false);
    expect(willAllowed(admin, 'gz/v1/north/gw1/cmd')).toBe(false);
    expect(willAllowed(gw, 'gz/v1/north/gw1/state')).toBe(true);
  });
  it('says why a command was refused without quoting anything but the topic', () => {
    expect(publishDenialReason(operator, 'gz/v1/south/gw1/pm1/cmd')).toMatch(/district south/);
    expect(publishDenialReason(operator, 'gz/v1/north/gw1/cmd')).toMatch(/devices only/);
    expect(publishDenialReason(gw, 'gz/v1/north/gw1/pm1/cmd')).toMatch(/gateways never publish commands/);
    expect(publishDenialReason(viewer, 'gz/v1/north/gw1/pm1/cmd')).toMatch(/viewer role/);
    expect(publishDenialReason(gw, 'gz/v1/south/gw1/pm1/data')).toBe('publish not allowed');
  });
});

describe('fleet config topics (issue 16)', () => {
  const gw: Identity = { role: 'gateway', user: 'gw1', district: 'north', gateway: 'gw1' };
  const other: Identity = { role: 'gateway', user: 'gw2', district: 'north', gateway: 'gw2' };
  const viewer: Identity = { role: 'viewer', user: 'v', districts: ['north'] };

  it('a gateway reads only its own desired config and may never write one, not even its own', () => {
    expect(subscribeAllowed(gw, 'gz/v1/north/gw1/config')).toBe(true);
    expect(subscribeAllowed(gw, 'gz/v1/north/gw2/config')).toBe(false);
    expect(subscribeAllowed(gw, 'gz/v1/north/+/config')).toBe(false);
    expect(publishAllowed(gw, 'gz/v1/north/gw1/config')).toBe(false);
    expect(publishAllowed(other, 'gz/v1/north/gw1/config')).toBe(false);
    expect(publishAllowed(viewer, 'gz/v1/north/gw1/config')).toBe(false);
  });

  it('a gateway reports only its own config state', () => {
    expect(publishAllowed(gw, 'gz/v1/north/gw1/config-state')).toBe(true);
    expect(publishAllowed(other, 'gz/v1/north/gw1/config-state')).toBe(false);
  });

  it('an operator pushes desired configs for its districts only; admin and anonymous anywhere', () => {
    const op: Identity = { role: 'operator', user: 'op', districts: ['north'], delegate: false };
    const ingest: Identity = { role: 'ingest', user: 'ing' };
    expect(publishAllowed(op, 'gz/v1/north/gw1/config')).toBe(true);
    expect(publishAllowed(op, 'gz/v1/south/gw1/config')).toBe(false);
    expect(publishAllowed(op, 'gz/v1/north/gw1/config-state')).toBe(false);
    expect(publishAllowed(op, 'gz/v1/north/gw1/state')).toBe(false);
    expect(publishAllowed(op, 'gz/v1/north/gw1/pm1/config')).toBe(false);
    expect(publishAllowed(ingest, 'gz/v1/north/gw1/config')).toBe(false);
    expect(publishAllowed(admin, 'gz/v1/south/gw1/config')).toBe(true);
    expect(publishAllowed(anon, 'gz/v1/south/gw1/config')).toBe(true);
    expect(isConfigTopic('gz/v1/north/gw1/config')).toBe(true);
    expect(isConfigTopic('gz/v1/north/gw1/config-state')).toBe(false);
    expect(isConfigTopic('gz/v1/north/gw1/x/config')).toBe(false);
    expect(publishDenialReason(op, 'gz/v1/south/gw1/config')).toMatch(/district south/);
    expect(publishDenialReason(gw, 'gz/v1/north/gw1/config')).toMatch(/gateways never publish/);
    expect(publishDenialReason(viewer, 'gz/v1/north/gw1/config')).toMatch(/viewer role/);
  });

  it('a desired config is retained only, cleared by admin only, and never a will', () => {
    const op: Identity = { role: 'operator', user: 'op', districts: ['north'], delegate: true };
    const t = 'gz/v1/north/gw1/config';
    for (const id of [op, admin, anon]) {
      expect(configPublishRefusal(id, t, false, false)).toMatch(/must be published retained/);
      expect(configPublishRefusal(id, t, true, false)).toBeUndefined();
      expect(willAllowed(id, t)).toBe(false);
    }
    expect(configPublishRefusal(op, t, true, true)).toMatch(/only admin clears/);
    expect(configPublishRefusal(admin, t, true, true)).toBeUndefined();
    expect(configPublishRefusal(op, 'gz/v1/north/gw1/pm1/cmd', false, false)).toBeUndefined();
  });
});
