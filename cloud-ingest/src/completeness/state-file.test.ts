import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tempDir } from '../../../test-support/process.js';
import { loadTrackerState, saveTrackerState } from './state-file.js';

describe('completeness state file', () => {
  const dirs: string[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });

  it('makes a missing directory on the first save, then overwrites the file', () => {
    const dir = tempDir('ganzhi-state-file-');
    dirs.push(dir);
    const file = join(dir, 'a', 'b', 'completeness.json');
    expect(loadTrackerState(file)).toBeUndefined();
    saveTrackerState(file, { v: 1, through: 7, streams: [] });
    expect(loadTrackerState(file)).toEqual({ v: 1, through: 7, streams: [] });
    saveTrackerState(file, { v: 1, through: 9, streams: [] });
    expect(loadTrackerState(file)?.through).toBe(9);
  });
});
