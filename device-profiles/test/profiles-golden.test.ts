/**
 * Golden cases for profile problems: test/profiles-bad/<case>.yaml is validated and its
 * problems, one formatProblem line each, must equal <case>.expected.txt.
 * Set GZ_UPDATE_GOLDEN=1 to rewrite the expected files after an intended message change.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { formatProblem } from '../src/config/problem.js';
import { parseProfile } from '../src/loader/load-profile.js';

const dir = fileURLToPath(new URL('./profiles-bad/', import.meta.url));
const cases = readdirSync(dir)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => f.slice(0, -'.yaml'.length))
  .sort();

describe('bad profiles (golden)', () => {
  it('has cases', () => {
    expect(cases.length).toBeGreaterThanOrEqual(5);
  });

  it.each(cases)('%s', (name) => {
    const text = readFileSync(`${dir}${name}.yaml`, 'utf8');
    const r = parseProfile(text, `${name}.yaml`);
    expect(r.profile).toBeUndefined();
    const actual = `${r.problems.map(formatProblem).join('\n')}\n`;
    if (process.env.GZ_UPDATE_GOLDEN === '1') writeFileSync(`${dir}${name}.expected.txt`, actual);
    expect(actual).toBe(readFileSync(`${dir}${name}.expected.txt`, 'utf8'));
  });
});
