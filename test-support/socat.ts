/**
 * A pseudo-terminal pair from Debian socat: a serial line for RTU and serial tests.
 * `a` and `b` are symlinks to the two ends; whatever is written to one is read on the other.
 */

import { peer } from './peers.js';
import { startPtyPair } from './peers-start.mjs';
import { type Spawned, tempDir } from './procs.mjs';

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
  const { a, b, proc } = await startPtyPair('socat', dir, {
    a: `ttyA-${n}`,
    b: `ttyB-${n}`,
    name: `socat-${n}`,
    timeoutMs: 5000,
    everyMs: 20,
  });
  return { a, b, proc, close: () => proc.stop(1000) };
}
