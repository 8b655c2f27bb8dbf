/**
 * One process per log directory. A `LOCK` file holds the owner's pid and the kernel boot id;
 * a lock left by a dead process (kill -9, power cut: other boot id) is taken over.
 */
import { join } from 'node:path';
import { DurableLogError } from './errors.js';
import type { LogFs } from './fs-facade.js';

const LOCK_FILE = 'LOCK';
const heldHere = new Set<string>();

function bootId(fs: LogFs): string {
  try {
    return fs.readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();
  } catch {
    return 'unknown';
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as { code?: string }).code === 'EPERM';
  }
}

/** Takes the directory lock; returns its release function. Throws GZ_LOG_LOCKED when a live process holds it. */
export function lockDir(fs: LogFs, dir: string): () => void {
  const path = join(dir, LOCK_FILE);
  if (heldHere.has(path)) {
    throw new DurableLogError('GZ_LOG_LOCKED', `${dir} is already open in this process`);
  }
  const me = bootId(fs);
  try {
    const [pidText, boot] = fs.readFileSync(path, 'utf8').trim().split(' ');
    const pid = Number(pidText);
    if (boot === me && Number.isInteger(pid) && pid > 0 && pid !== process.pid && alive(pid)) {
      throw new DurableLogError(
        'GZ_LOG_LOCKED',
        `${dir} is in use by process ${pid}; stop it first (or delete ${path} if that process is not a Ganzhi log owner)`,
      );
    }
  } catch (err) {
    if (err instanceof DurableLogError) throw err;
  }
  fs.writeFileSync(path, `${process.pid} ${me}\n`);
  heldHere.add(path);
  return () => {
    heldHere.delete(path);
    try {
      fs.unlinkSync(path);
    } catch {}
  };
}
