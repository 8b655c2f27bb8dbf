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
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.tmp`;
  writeFileSync(tmp, JSON.stringify(state));
  renameSync(tmp, file);
}
