// biome-ignore-all lint/suspicious/noTemplateCurlyInString: secret references are written ${ENV:NAME} on purpose
import { describe, expect, it } from 'vitest';
import { resolveSecrets } from './secrets.js';

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
