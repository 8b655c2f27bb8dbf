// biome-ignore-all lint/suspicious/noTemplateCurlyInString: secret references are written ${ENV:NAME} on purpose
import { describe, expect, it } from 'vitest';
import { inlineSecrets, resolveSecrets } from './secrets.js';

describe('resolveSecrets', () => {
  it('replaces whole-value ENV and FILE references, leaves other strings alone', () => {
    const files: Record<string, string> = { '/etc/gz/pw': 's3cret\n' };
    const r = resolveSecrets(
      { a: '${ENV:GZ_PW}', b: ['${FILE:/etc/gz/pw}'], c: 'plain ${ENV:GZ_PW}', n: 3 },
      {
        env: { GZ_PW: 'hunter2' },
        baseDir: '/',
        readFile: (p) => {
          const v = files[p];
          if (v === undefined) throw Object.assign(new Error('nope'), { code: 'ENOENT' });
          return v;
        },
      },
    );
    expect(r.problems).toEqual([]);
    expect(r.value).toEqual({ a: 'hunter2', b: ['s3cret'], c: 'plain ${ENV:GZ_PW}', n: 3 });
  });

  it('reports missing variables and files by path, without any secret', () => {
    const r = resolveSecrets(
      { x: { pw: '${ENV:MISSING}' }, y: '${FILE:./nope}' },
      {
        env: {},
        baseDir: '/tmp/ganzhi-none',
        readFile: () => {
          throw Object.assign(new Error(), { code: 'ENOENT' });
        },
      },
    );
    expect(r.problems).toEqual([
      { path: ['x', 'pw'], message: 'environment variable MISSING is not set' },
      { path: ['y'], message: 'secret file /tmp/ganzhi-none/nope cannot be read (ENOENT)' },
    ]);
  });
});

describe('inlineSecrets', () => {
  it('finds secrets written into the config by path, and leaves references, names and empties alone', () => {
    const config = {
      delivery: { mqtt: { username: 'gw', password: 'hunter2' } },
      devices: [
        { opcua: { identity: { type: 'username', username: 'ops', password: '${ENV:PW}' } } },
        { opcua: { identity: { type: 'username', username: 'ops', password: 'plain-pw' } } },
        { opcua: { identity: { type: 'certificate', privateKeyFile: '/etc/key.pem' } } },
      ],
      other: { apiToken: 'abc', secret: '${FILE:/run/s}', password: '' },
    };
    expect(inlineSecrets(config)).toEqual([
      ['delivery', 'mqtt', 'password'],
      ['devices', 1, 'opcua', 'identity', 'password'],
      ['other', 'apiToken'],
    ]);
  });
});
