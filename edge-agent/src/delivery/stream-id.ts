import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

const STREAM_FILE = 'stream-id';

/**
 * The gateway stream's id: created once with the buffer directory and kept with it, so the
 * hub can tell a restarted gateway (same stream, sequence continues) from a wiped one (new
 * stream, sequence from 0).
 */
export function loadStreamId(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, STREAM_FILE);
  try {
    const id = readFileSync(file, 'utf8').trim();
    if (/^[A-Za-z0-9_-]{1,64}$/.test(id)) return id;
  } catch {
    // first start: create it below
  }
  const id = randomBytes(9).toString('base64url');
  writeFileSync(`${file}.tmp`, `${id}\n`);
  renameSync(`${file}.tmp`, file);
  return id;
}
