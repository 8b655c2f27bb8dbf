/**
 * The hub's command-line tools (`ganzhi-command`, `ganzhi-fleet`; built bins, run `npx tsc -b`
 * first) before they reach the hub: help, usage, unknown commands and options, and the missing
 * hub, user and password, each with its text and exit code. No hub runs here: every case ends
 * before the first HTTP call (the hub URL given points at a closed port on purpose).
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const TOOLS = [
  {
    name: 'ganzhi-command',
    verb: 'list',
    firstUsage: '  ganzhi-command send --hub URL',
    // an option only the other tool has
    foreign: ['--label', 'x'],
  },
  {
    name: 'ganzhi-fleet',
    verb: 'status',
    firstUsage: '  ganzhi-fleet status --hub URL',
    foreign: ['--ttl', '5s'],
  },
] as const;

const HUB = ['--hub', 'http://127.0.0.1:9', '--user', 'alice'];

function run(name: string, args: string[], env: NodeJS.ProcessEnv = {}) {
  const bin = fileURLToPath(new URL(`../bin/${name}.js`, import.meta.url));
  const dist = fileURLToPath(new URL('../dist/hub-cli.js', import.meta.url));
  if (!existsSync(dist)) throw new Error(`${dist} missing: run npx tsc -b first`);
  const r = spawnSync(process.execPath, [bin, ...args], {
    encoding: 'utf8',
    env: { PATH: process.env.PATH, ...env },
    timeout: 20_000,
  });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe.each(TOOLS)('$name before the hub', ({ name, verb, firstUsage, foreign }) => {
  it('--help and -h print the usage and exit 0; no command prints it and exits 2', () => {
    const help = run(name, ['--help']);
    expect(help).toMatchObject({ code: 0, err: '' });
    const lines = help.out.split('\n');
    expect(lines[0]).toBe('usage:');
    expect(lines[1]?.startsWith(firstUsage)).toBe(true);
    expect(lines.at(-2)).toBe('password: GANZHI_HUB_PASSWORD or --password-file FILE');
    expect(run(name, ['-h'])).toEqual(help);
    // help wins over a missing hub and over a command
    expect(run(name, [verb, '--help'])).toEqual(help);
    expect(run(name, [])).toEqual({ ...help, code: 2 });
    expect(run(name, ['--hub', 'http://127.0.0.1:9'])).toEqual({ ...help, code: 2 });
  });

  it('names a missing hub, user or password (exit 2), before looking at the command', () => {
    expect(run(name, ['frobnicate'])).toEqual({
      code: 2,
      out: '',
      err: `${name}: --hub URL is required (e.g. http://127.0.0.1:9464)\n`,
    });
    expect(run(name, [verb, '--hub', 'http://127.0.0.1:9'])).toEqual({
      code: 2,
      out: '',
      err: `${name}: --user NAME is required\n`,
    });
    expect(run(name, [verb, ...HUB])).toEqual({
      code: 2,
      out: '',
      err: `${name}: set GANZHI_HUB_PASSWORD or give --password-file\n`,
    });
  });

  it('an unknown command prints its name and the usage on stderr, exit 2', () => {
    const help = run(name, ['--help']).out;
    expect(run(name, ['frobnicate', ...HUB], { GANZHI_HUB_PASSWORD: 'pw' })).toEqual({
      code: 2,
      out: '',
      err: `${name}: unknown command "frobnicate"\n${help}`,
    });
  });

  it("an unknown option, or the other tool's option, is refused (exit 2), even with --help", () => {
    const cases: [string[], string][] = [
      [['--bogus'], '--bogus'],
      [[verb, ...HUB, ...foreign], foreign[0]],
      [['--help', ...foreign], foreign[0]],
    ];
    for (const [args, option] of cases) {
      const r = run(name, args, { GANZHI_HUB_PASSWORD: 'pw' });
      expect(r.code).toBe(2);
      expect(r.out).toBe('');
      expect(r.err.startsWith(`${name}: Unknown option '${option}'`)).toBe(true);
    }
  });
});
