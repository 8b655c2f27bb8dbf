import { configHash, decodeDesiredConfig } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { retainedConfigVersion, stampConfig } from './config-stamp.js';
import { ANONYMOUS, type Identity } from './identity.js';

const op: Identity = { role: 'operator', user: 'op-north', districts: ['north'], delegate: false };
const hub: Identity = { role: 'operator', user: 'hub', districts: ['north'], delegate: true };
const admin: Identity = { role: 'admin', user: 'root' };
const target = { district: 'north', gateway: 'gw-1', retainedVersion: undefined };

const config = (extra: Record<string, unknown> = {}) => ({
  gateway: 'gw-1',
  district: 'north',
  devices: [],
  ...extra,
});
const doc = (extra: Record<string, unknown> = {}, cfg = config()) =>
  JSON.stringify({ v: 1, version: 3, hash: configHash(cfg), config: cfg, ...extra });

function stampedOf(id: Identity, payload: string, t: typeof target | { retainedVersion: number } = target) {
  const s = stampConfig(id, { ...target, ...t }, payload);
  if (!s.ok) throw new Error(s.why);
  const d = decodeDesiredConfig(s.payload);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

describe('stampConfig', () => {
  it('writes the user name as issuer, over whatever the payload said', () => {
    expect(stampedOf(op, doc()).issuer).toBe('op-north');
    expect(stampedOf(op, doc({ issuer: 'root' })).issuer).toBe('op-north');
    expect(stampedOf(admin, doc({ issuer: 'op-north' })).issuer).toBe('root');
    expect(stampedOf(ANONYMOUS, doc({ issuer: 'root' })).issuer).toBe('anonymous');
  });
  it('keeps onBehalfOf only from a delegating operator, and the rest of the document as it was', () => {
    expect(stampedOf(op, doc({ onBehalfOf: 'mayor' }))).not.toHaveProperty('onBehalfOf');
    expect(stampedOf(admin, doc({ onBehalfOf: 'mayor' }))).not.toHaveProperty('onBehalfOf');
    const d = stampedOf(hub, doc({ onBehalfOf: 'mayor', issued: 1234 }));
    expect(d).toEqual({
      v: 1,
      version: 3,
      hash: configHash(config()),
      config: config(),
      issued: 1234,
      issuer: 'hub',
      onBehalfOf: 'mayor',
    });
  });
  it('refuses an invalid document without quoting it', () => {
    const cases: [string, RegExp][] = [
      ['{"secret": "hunter2', /payload is not JSON$/],
      [doc({ hash: 'a'.repeat(64) }), /hash/],
      [doc({ extra: 1 }), /invalid desired config/],
      [
        doc({}, config({ mqtt: { password: 'hunter2' } })),
        /config\.mqtt\.password: a secret must be a reference/,
      ],
    ];
    for (const [payload, why] of cases) {
      const s = stampConfig(op, target, payload);
      expect(s.ok).toBe(false);
      if (!s.ok) {
        expect(s.why).toMatch(why);
        expect(s.why).not.toContain('hunter2');
      }
    }
  });
  it('refuses a document naming another gateway or district than its topic', () => {
    const s1 = stampConfig(op, target, doc({}, config({ gateway: 'gw-2' })));
    expect(s1).toMatchObject({ ok: false, version: 3 });
    expect(!s1.ok && s1.why).toMatch(/config\.gateway is not the topic's gateway \(gw-1\)/);
    const s2 = stampConfig(op, target, doc({}, config({ district: 'south' })));
    expect(!s2.ok && s2.why).toMatch(/config\.district is not the topic's district \(north\)/);
  });
  it('refuses a version not above the retained one', () => {
    expect(stampedOf(op, doc(), { retainedVersion: 2 }).version).toBe(3);
    for (const retainedVersion of [3, 4]) {
      const s = stampConfig(op, { ...target, retainedVersion }, doc());
      expect(!s.ok && s.why).toBe(
        `version 3 is not above the retained desired config's version ${retainedVersion}`,
      );
    }
  });
  it('reads the version of a retained document, whatever else it holds', () => {
    expect(retainedConfigVersion(Buffer.from(doc()))).toBe(3);
    expect(retainedConfigVersion(Buffer.from('{"version": 0}'))).toBeUndefined();
    expect(retainedConfigVersion(Buffer.from('not json'))).toBeUndefined();
    expect(retainedConfigVersion(Buffer.alloc(0))).toBeUndefined();
    expect(retainedConfigVersion(undefined)).toBeUndefined();
  });
});
