import { describe, expect, it } from 'vitest';
import { FileCredentialStore, parseCredentials } from './credentials.js';
import { hashPassword, verifyPassword } from './password-hash.js';

const cheap = { N: 1024, r: 8, p: 1 };

describe('password hashes', () => {
  it('verifies the right password and refuses others, with a fresh salt each time', async () => {
    const a = await hashPassword('correct horse', cheap);
    const b = await hashPassword('correct horse', cheap);
    expect(a).not.toBe(b);
    expect(await verifyPassword('correct horse', a)).toBe(true);
    expect(await verifyPassword('correct horsE', a)).toBe(false);
    expect(await verifyPassword('x', 'not-a-hash')).toBe(false);
  });
});

describe('FileCredentialStore', () => {
  it('maps users to identities', async () => {
    const hash = await hashPassword('gw-password', cheap);
    const store = new FileCredentialStore({
      users: {
        gw1: { role: 'gateway', district: 'north', gateway: 'gw1', hash },
        certonly: { role: 'gateway', district: 'north', gateway: 'gw9' },
      },
    });
    expect(await store.verify('gw1', 'gw-password')).toEqual({
      role: 'gateway',
      user: 'gw1',
      district: 'north',
      gateway: 'gw1',
    });
    expect(await store.verify('gw1', 'gw-password')).toBeDefined(); // remembered path
    expect(await store.verify('gw1', 'wrong')).toBeUndefined();
    expect(await store.verify('nobody', 'gw-password')).toBeUndefined();
    expect(await store.verify('certonly', '')).toBeUndefined();
    expect(store.byCertificate('certonly')?.role).toBe('gateway');
  });
  it('rejects malformed files naming the field', () => {
    expect(() =>
      parseCredentials('users:\n  gw1: { role: gateway, district: North }\n', 'u.yaml'),
    ).toThrowError(/u\.yaml/);
    expect(() => parseCredentials('users:\n  x: { role: root }\n', 'u.yaml')).toThrowError(/users\.x/);
  });
});

describe('operators (issue 15)', () => {
  it('maps districts and delegate, and refuses a name the contract cannot carry as issuer', () => {
    const store = new FileCredentialStore({
      users: {
        'op-north': { role: 'operator', districts: ['north'] },
        hub: { role: 'operator', districts: ['north', 'east'], delegate: true },
      },
    });
    expect(store.lookup('op-north')).toEqual({
      role: 'operator',
      user: 'op-north',
      districts: ['north'],
      delegate: false,
    });
    expect(store.lookup('hub')).toMatchObject({ delegate: true, districts: ['north', 'east'] });
    expect(
      () => new FileCredentialStore({ users: { 'op north': { role: 'operator', districts: ['north'] } } }),
    ).toThrow(/issuer of its commands/);
    expect(() =>
      parseCredentials('users: { op: { role: operator, districts: [North] } }', 'users.yaml'),
    ).toThrow(/users.yaml: .*problem/);
    expect(() => parseCredentials('users: { op: { role: operator } }', 'users.yaml')).toThrow(/users.op/);
    expect(() =>
      parseCredentials('users: { v: { role: viewer, districts: [north], delegate: true } }', 'users.yaml'),
    ).toThrow(/users.yaml/);
  });
});
