/**
 * A pseudo-terminal pair from Debian socat: a serial line for RTU and serial tests.
 * `a` and `b` are symlinks to the two ends; whatever is written to one is read on the other.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { peer } from './peers.js';
import { type Spawned, spawnLogged, tempDir, waitFor } from './process.js';

export const socatPeer = () => peer('socat', 'socat');

export interface PtyPair {
  a: string;
  b: string;
  proc: Spawned;
  close(): Promise<void>;
}

let seq = 0;

export async function ptyPair(dir = tempDir('ganzhi-pty-')): Promise<PtyPair> {
  const n = `${process.pid}-${seq++}`;
  const a = join(dir, `ttyA-${n}`);
  const b = join(dir, `ttyB-${n}`);
  const proc = spawnLogged('socat', ['-d', '-d', `pty,raw,echo=0,link=${a}`, `pty,raw,echo=0,link=${b}`], {
    dir,
    name: `socat-${n}`,
  });
  await waitFor('socat pty pair', () => existsSync(a) && existsSync(b), 5000, 20);
  return { a, b, proc, close: () => proc.stop(1000) };
}
