/**
 * The shared process helpers (procs.mjs) that the tests, the chaos run and the load scripts
 * all stand on: log capture, stop escalation, process-group kill, waits that end early.
 */
import { existsSync, rmSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { fatal, procSample, type Spawned, spawnLogged, tempDir, waitFor, waitForLog } from '../procs.mjs';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('procs.mjs', () => {
  const dirs: string[] = [];
  const procs: Spawned[] = [];
  const dir = () => {
    const d = tempDir('ganzhi-procs-test-');
    dirs.push(d);
    return d;
  };
  afterEach(async () => {
    for (const p of procs.splice(0)) await p.kill9();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('captures stdout and stderr in DIR/NAME.log and reports the exit', async () => {
    const d = dir();
    const p = spawnLogged('sh', ['-c', 'echo out; echo err >&2; exit 3'], { dir: d, name: 'talk' });
    procs.push(p);
    const exit = await p.exited;
    expect(exit.code).toBe(3);
    expect(p.logFile).toBe(`${d}/talk.log`);
    expect(p.log()).toContain('out\n');
    expect(p.log()).toContain('err\n');
    expect(p.running()).toBe(false);
  });

  it('stop() sends SIGKILL after the grace period to a process that ignores SIGTERM', async () => {
    const d = dir();
    const p = spawnLogged('sh', ['-c', "trap '' TERM; echo up; while :; do sleep 0.05; done"], { dir: d });
    procs.push(p);
    await waitForLog(p, /up/, 'sh up', 5000, 20);
    await p.stop(200);
    const exit = await p.exited;
    expect(exit.signal).toBe('SIGKILL');
  });

  it('with group: true the SIGKILL reaches the grandchildren too', async () => {
    const d = dir();
    // parent and grandchild ignore SIGTERM; a SIGKILL of the parent alone leaves the grandchild
    const p = spawnLogged('sh', ['-c', "trap '' TERM; sh -c 'echo $$; exec sleep 30' & wait"], {
      dir: d,
      name: 'tree',
      group: true,
    });
    procs.push(p);
    const m = await waitForLog(p, /^(\d+)$/m, 'grandchild pid', 5000, 20);
    const grandchild = Number(m[1]);
    try {
      expect(alive(grandchild)).toBe(true);
      await p.stop(200);
      expect((await p.exited).signal).toBe('SIGKILL');
      await waitFor('grandchild gone', () => !alive(grandchild), 5000, 20);
    } finally {
      if (alive(grandchild)) process.kill(grandchild, 'SIGKILL');
    }
  });

  it('waitFor returns the first defined value, stops at once on fatal() and names the last error on timeout', async () => {
    let n = 0;
    await expect(waitFor('three', () => (++n >= 3 ? n : undefined), 5000, 1)).resolves.toBe(3);
    let calls = 0;
    await expect(
      waitFor(
        'never',
        () => {
          calls++;
          throw fatal('child exited');
        },
        5000,
        1,
      ),
    ).rejects.toThrow('child exited');
    expect(calls).toBe(1);
    await expect(
      waitFor(
        'port',
        () => {
          throw new Error('ECONNREFUSED');
        },
        30,
        5,
      ),
    ).rejects.toThrow(/timed out after 30 ms waiting for port: ECONNREFUSED/);
  });

  it('procSample reads CPU and RSS of a live PID and undefined for a gone one', async () => {
    const s = procSample(process.pid);
    expect(s?.cpu).toBeGreaterThan(0);
    expect(s?.rssMiB).toBeGreaterThan(1);
    const d = dir();
    const p = spawnLogged('true', [], { dir: d });
    const pid = p.pid as number;
    await p.exited;
    expect(existsSync(`/proc/${pid}`)).toBe(false);
    expect(procSample(pid)).toBeUndefined();
  });
});
