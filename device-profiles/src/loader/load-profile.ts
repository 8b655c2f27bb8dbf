/**
 * Loads one device profile: parse (YAML or JSON) → schema → cross-checks. All problems come
 * back at once; `profile` is set only when there are none.
 */
import { readFileSync } from 'node:fs';
import { formatPath, type Problem } from '../config/problem.js';
import { validateAgainst } from '../config/validate.js';
import { locateNearest, parseYamlDocument } from '../config/yaml-document.js';
import { Profile } from '../profile-schema.js';
import { crossCheckProfile } from './cross-check.js';

export interface ProfileResult {
  profile?: Profile;
  problems: Problem[];
}

/** Parses profile text; `file` is only used to name the file in problems. */
export function parseProfile(text: string, file: string): ProfileResult {
  const doc = parseYamlDocument(text, file);
  if (doc.value === undefined) return { problems: doc.problems };
  if (doc.value === null) return { problems: [{ file, path: '', message: 'empty file' }] };
  const problems = validateAgainst(Profile, doc.value, file, doc.locate);
  for (const f of crossCheckProfile(doc.value)) {
    const at = locateNearest(doc.locate, f.at ?? f.path);
    problems.push({
      file,
      ...(at ? { line: at.line, column: at.column } : {}),
      path: formatPath(f.path),
      message: f.message,
    });
  }
  if (problems.length > 0) {
    problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0) || (a.column ?? 0) - (b.column ?? 0));
    return { problems };
  }
  return { profile: doc.value as Profile, problems };
}

/** Reads and parses a profile file (synchronously: profiles are loaded once at start-up). */
export function loadProfileFile(file: string): ProfileResult {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EISDIR' ? 'is a directory' : (err as Error).message;
    return { problems: [{ file, path: '', message: `cannot read profile: ${reason}` }] };
  }
  return parseProfile(text, file);
}
