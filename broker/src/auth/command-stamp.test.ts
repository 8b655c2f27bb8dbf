import { decodeCommandRequest } from '@ganzhi/device-profiles/contract';
import { describe, expect, it } from 'vitest';
import { stampCommand } from './command-stamp.js';
import { ANONYMOUS, type Identity } from './identity.js';

const op: Identity = { role: 'operator', user: 'op-north', districts: ['north'], delegate: false };
const hub: Identity = { role: 'operator', user: 'hub', districts: ['north'], delegate: true };
const admin: Identity = { role: 'admin', user: 'root' };

const cmd = (extra: Record<string, unknown> = {}) =>
  JSON.stringify({ v: 1, id: 'cmd-0001', writes: [{ point: 'lamp', value: true }], expires: 2e12, ...extra });

function stampedOf(id: Identity, payload: string) {
  const s = stampCommand(id, Buffer.from(payload));
  if (!s.ok) throw new Error(s.why);
  const d = decodeCommandRequest(s.payload);
  if (!d.ok) throw new Error(d.error);
  return d.value;
}

describe('stampCommand', () => {
  it('writes the user name as issuer, over whatever the payload said', () => {
    expect(stampedOf(op, cmd()).issuer).toBe('op-north');
    expect(stampedOf(op, cmd({ issuer: 'root' })).issuer).toBe('op-north');
    expect(stampedOf(admin, cmd({ issuer: 'op-north' })).issuer).toBe('root');
    expect(stampedOf(ANONYMOUS, cmd({ issuer: 'root' })).issuer).toBe('anonymous');
  });
  it('keeps onBehalfOf only from a delegating operator', () => {
    expect(stampedOf(op, cmd({ onBehalfOf: 'mayor' }))).not.toHaveProperty('onBehalfOf');
    expect(stampedOf(admin, cmd({ onBehalfOf: 'mayor' }))).not.toHaveProperty('onBehalfOf');
    expect(stampedOf(hub, cmd({ onBehalfOf: 'alice', issuer: 'root' }))).toMatchObject({
      issuer: 'hub',
      onBehalfOf: 'alice',
    });
    expect(stampedOf(hub, cmd())).not.toHaveProperty('onBehalfOf');
  });
  it('keeps every other field as sent', () => {
    const v = stampedOf(op, cmd({ readback: false, issued: 2e12 - 1000 }));
    expect(v).toEqual({
      v: 1,
      id: 'cmd-0001',
      writes: [{ point: 'lamp', value: true }],
      expires: 2e12,
      readback: false,
      issued: 2e12 - 1000,
      issuer: 'op-north',
    });
  });
  it('refuses an invalid command without quoting its payload', () => {
    const secret = 'password=hunter2-secret';
    const notJson = stampCommand(op, Buffer.from(secret));
    expect(notJson).toEqual({ ok: false, why: 'invalid command: payload is not JSON' });
    expect(stampCommand(op, Buffer.from([0xff, 0xfe]))).toMatchObject({ ok: false, why: /UTF-8/ });
    const extra = stampCommand(op, Buffer.from(cmd({ secret })));
    expect(extra.ok).toBe(false);
    expect(JSON.stringify(extra)).not.toContain('hunter2');
    expect(extra).toMatchObject({ id: 'cmd-0001' });
    expect(stampCommand(op, Buffer.from(cmd({ writes: [] })))).toMatchObject({ ok: false, why: /writes/ });
    expect(stampCommand(op, Buffer.alloc(0))).toMatchObject({ ok: false });
    expect(stampCommand(op, Buffer.from('null'))).toMatchObject({ ok: false });
    expect(stampCommand(op, Buffer.from('{"__proto__":{"x":1}}'))).toMatchObject({ ok: false });
  });
  it('refuses to stamp a user name the contract cannot carry as issuer', () => {
    const odd: Identity = { role: 'admin', user: 'root admin' };
    expect(stampCommand(odd, Buffer.from(cmd()))).toMatchObject({ ok: false, why: /issuer/ });
  });
});
