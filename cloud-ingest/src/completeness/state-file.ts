/**
 * Persisting the completeness state in a small JSON file next to the log, written to a
 * temp file and renamed (atomic), so a restart does not reset the figures.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { TrackerState } from './tracker.js';

export function loadTrackerState(file: string): TrackerState | undefined {
  if (!existsSync(file)) return undefined;
  const s = JSON.parse(readFileSync(file, 'utf8')) as TrackerState;
  if (s?.v !== 1 || !Array.isArray(s.streams)) return undefined;
  return s;
}

export function saveTrackerState(file: string, state: TrackerState): void {
  const tmp = `${file}.tmp`;
  const text = JSON.stringify(state);
  try {
    writeFileSync(tmp, text);
  } catch (err) {
    // the directory is made once, not on every save (this runs every second on the writer's thread)
    if ((err as { code?: string }).code !== 'ENOENT') throw err;
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(tmp, text);
  }
  renameSync(tmp, file);
}
