/** The ganzhi-broker CLI as a user runs it (built dist/cli.js): user management and start-up. */
import { execFile, spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir, waitFor } from '../../test-support/process.js';
import { closed, collect, connect, endAll, subscribe } from './helpers.js';

const CLI = fileURLToPath(new URL('../dist/cli.js', import.meta.url));

function cli(args: string[], stdin?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = execFile(process.execPath, [CLI, ...args], { timeout: 20_000 }, (err, stdout, stderr) => {
      resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr });
    });
    child.stdin?.end(stdin ?? '');
  });
}

describe('ganzhi-broker user', () => {
  it('adds, lists and removes users; passwords come from stdin or a file and are stored hashed', async () => {
    const dir = tempDir('ganzhi-broker-cli-');
    const users = join(dir, 'users.yaml');
    expect(
      (
        await cli(
          ['user', 'add', 'gw-1', '--role', 'gateway', '--district', 'north', '--users', users],
          'pw-gateway-1\n',
        )
      ).code,
    ).toBe(0);
    writeFileSync(join(dir, 'pw.txt'), 'pw-viewer-1\n');
    const v = await cli([
      'user',
      'add',
      'ops',
      '--role',
      'viewer',
      '--districts',
      'north,east',
      '--users',
      users,
      '--password-file',
      join(dir, 'pw.txt'),
    ]);
    expect(v.code).toBe(0);
    const bad = await cli(
      ['user', 'add', 'x', '--role', 'gateway', '--district', 'North', '--users', users],
      'long-enough-pw\n',
    );
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--district/);
    const short = await cli(['user', 'add', 'y', '--role', 'ingest', '--users', users], 'short\n');
    expect(short.code).toBe(2);

    const text = readFileSync(users, 'utf8');
    expect(text).toContain('scrypt$');
    expect(text).not.toContain('pw-gateway-1');
    const list = await cli(['user', 'list', '--users', users]);
    expect(list.stdout).toContain('gw-1\tgateway district=north gateway=gw-1');
    expect(list.stdout).toContain('ops\tviewer districts=north,east');
    expect(list.stdout).not.toContain('scrypt');
    expect((await cli(['user', 'remove', 'ops', '--users', users])).code).toBe(0);
    expect((await cli(['user', 'list', '--users', users])).stdout).not.toContain('ops');
  });
});

describe('ganzhi-broker user add --role operator', () => {
  it('stores the districts and the delegate flag, lists them, and refuses what an operator cannot be', async () => {
    const dir = tempDir('ganzhi-broker-cli-op-');
    const users = join(dir, 'users.yaml');
    const add = (name: string, ...rest: string[]) =>
      cli(['user', 'add', name, '--role', 'operator', ...rest, '--users', users], 'pw-operator-1\n');
    expect((await add('op-north', '--districts', 'north,east')).code).toBe(0);
    expect((await add('hub', '--districts', 'north,east', '--delegate')).code).toBe(0);
    const list = await cli(['user', 'list', '--users', users]);
    expect(list.stdout).toContain('op-north\toperator districts=north,east\n');
    expect(list.stdout).toContain('hub\toperator districts=north,east delegate');
    const text = readFileSync(users, 'utf8');
    expect(text).toMatch(/hub:\n\s+role: operator\n\s+districts:\n\s+- north\n\s+- east\n\s+delegate: true/);
    expect(text).not.toContain('pw-operator-1');

    const noDistricts = await add('op-x');
    expect(noDistricts.code).toBe(2);
    expect(noDistricts.stderr).toMatch(/--districts a,b is required for the operator role/);
    const badDistrict = await add('op-y', '--districts', 'North');
    expect(badDistrict.code).toBe(2);
    expect(badDistrict.stderr).toMatch(/--districts "North"/);
    // the name becomes the issuer of its commands: the contract's issuer pattern
    const badName = await add('op north', '--districts', 'north');
    expect(badName.code).toBe(2);
    expect(badName.stderr).toMatch(/issuer/);
    const delegateViewer = await cli(
      ['user', 'add', 'v', '--role', 'viewer', '--districts', 'north', '--delegate', '--users', users],
      'pw-viewer-12\n',
    );
    expect(delegateViewer.code).toBe(2);
    expect(delegateViewer.stderr).toMatch(/--delegate is for the operator role only/);
  });
});

describe('ganzhi-broker', () => {
  it('starts from a config file, prints where it listens, serves, and stops on SIGTERM', async () => {
    const dir = tempDir('ganzhi-broker-cli-');
    await cli(
      ['user', 'add', 'gw-1', '--role', 'gateway', '--district', 'north', '--users', join(dir, 'users.yaml')],
      'pw-gateway-1\n',
    );
    await cli(
      ['user', 'add', 'ing', '--role', 'ingest', '--users', join(dir, 'users.yaml')],
      'pw-ingest-1\n',
    );
    writeFileSync(
      join(dir, 'broker.yaml'),
      'listeners:\n  tcp: { port: 0 }\nhttp: { port: 0 }\nusers: users.yaml\nlogLevel: warn\n',
    );
    const child = spawn(process.execPath, [CLI, '--config', join(dir, 'broker.yaml')], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    try {
      const port = await waitFor('listening line', () => /mqtt:\/\/127\.0\.0\.1:(\d+)/.exec(out)?.[1]);
      expect(out).toMatch(/http:\/\/127\.0\.0\.1:\d+/);
      const ing = await connect(`mqtt://127.0.0.1:${port}`, {
        username: 'ing',
        password: 'pw-ingest-1',
        clientId: 'ganzhi-ingest-1',
      });
      const got = collect(ing);
      await subscribe(ing, 'gz/v1/+/+/+/data');
      const gw = await connect(`mqtt://127.0.0.1:${port}`, {
        username: 'gw-1',
        password: 'pw-gateway-1',
        clientId: 'gw-1',
      });
      await gw.publishAsync('gz/v1/north/gw-1/d1/data', 'hi', { qos: 1 });
      await got.until(1);
      await endAll(ing, gw);

      // after SIGHUP a user added while running is known, and a removed user's client is closed
      const url = `mqtt://127.0.0.1:${port}`;
      const removed = await connect(url, { username: 'gw-1', password: 'pw-gateway-1', clientId: 'gw-1' });
      const removedGone = closed(removed, 15_000);
      await cli(
        ['user', 'add', 'late', '--role', 'admin', '--users', join(dir, 'users.yaml')],
        'pw-late-user\n',
      );
      await cli(['user', 'remove', 'gw-1', '--users', join(dir, 'users.yaml')]);
      await expect(
        connect(url, { username: 'late', password: 'pw-late-user', clientId: 'late' }),
      ).rejects.toThrow(/Bad username/i);
      child.kill('SIGHUP');
      const late = await waitFor('reloaded users', () =>
        connect(url, { username: 'late', password: 'pw-late-user', clientId: 'late' }).catch(() => undefined),
      );
      await removedGone;
      await endAll(late, removed);
    } finally {
      child.kill('SIGTERM');
    }
    expect(await exited).toBe(0);
  });

  it('refuses a bad config naming every bad field, and warns about anonymous access', async () => {
    const dir = tempDir('ganzhi-broker-cli-');
    writeFileSync(
      join(dir, 'bad.yaml'),
      'listeners:\n  tcp: { port: 99999 }\nlimits: { maxConnections: 0 }\n',
    );
    const r = await cli(['--config', join(dir, 'bad.yaml')]);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('GZ_BROKER_CONFIG');
    expect(r.stderr).toContain('listeners.tcp.port');
    expect(r.stderr).toContain('limits.maxConnections');
  });
});
