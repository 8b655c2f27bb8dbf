/**
 * Debian peers used by integration tests. Outside CI a missing peer skips its tests with a
 * message naming the package to install; under CI=true a missing peer fails the run.
 */
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export interface Peer {
  ok: boolean;
  path: string;
  why: string;
}

const inCi = process.env.CI === 'true' || process.env.CI === '1';

function which(bin: string): string | undefined {
  if (bin.startsWith('/')) return existsSync(bin) ? bin : undefined;
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * Looks a peer binary up. Use as `const p = peer('influxd', 'influxdb'); describe.skipIf(!p.ok)(…)`.
 * Under CI=true a missing peer throws, so the test file fails instead of skipping.
 */
export function peer(bin: string, debianPackage: string): Peer {
  const path = which(bin);
  if (path) return { ok: true, path, why: '' };
  const why = `${bin} not found: install the Debian package ${debianPackage} (apt-get install -y ${debianPackage})`;
  if (inCi) throw new Error(`CI=true and a test peer is missing — ${why}`);
  console.warn(`skipping: ${why}`);
  return { ok: false, path: '', why };
}

/**
 * python3-pymodbus must be importable by Debian's /usr/bin/python3 — its client package too, which
 * needs python3-serial-asyncio (only a Recommends of python3-pymodbus, so `--no-install-recommends`
 * leaves it out and every `from pymodbus.client import …` fails).
 */
export function pymodbus(): Peer {
  const py = peer('/usr/bin/python3', 'python3');
  if (!py.ok) return py;
  try {
    execFileSync('/usr/bin/python3', ['-c', 'import pymodbus.client, pymodbus.server'], { stdio: 'ignore' });
    return py;
  } catch {
    const why =
      'pymodbus.client not importable by /usr/bin/python3: install the Debian packages python3-pymodbus python3-serial-asyncio';
    if (inCi) throw new Error(`CI=true and a test peer is missing — ${why}`);
    console.warn(`skipping: ${why}`);
    return { ok: false, path: '', why };
  }
}
