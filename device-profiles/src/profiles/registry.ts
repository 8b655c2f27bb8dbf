/**
 * The set of device profiles a process knows, by id. Built from directories of profile
 * files (`<id>.yaml`, `.yml` or `.json`); the package's own library is `builtin()`.
 */
import { readdirSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import type { Problem } from '../config/problem.js';
import { loadProfileFile } from '../loader/load-profile.js';
import { ProfileError } from '../loader/profile-error.js';
import type { Profile } from '../profile-schema.js';
import { builtinProfilesDir } from './builtin-dir.js';

const PROFILE_EXT = new Set(['.yaml', '.yml', '.json']);

interface Entry {
  profile: Profile;
  file: string;
}

/** Profile files in a directory (not recursive), sorted by name. */
export function listProfileFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((d) => d.isFile() && PROFILE_EXT.has(extname(d.name)))
    .map((d) => join(dir, d.name))
    .sort();
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v)) deepFreeze(x);
  }
  return v;
}

let builtinCache: ProfileRegistry | undefined;

export class ProfileRegistry {
  private constructor(private readonly entries: ReadonlyMap<string, Entry>) {}

  /** The profiles shipped in this package (loaded once, then cached). Throws if any is invalid. */
  static builtin(): ProfileRegistry {
    builtinCache ??= ProfileRegistry.fromDirs([builtinProfilesDir]);
    return builtinCache;
  }

  /**
   * Loads every profile file of the directories. A later directory's profile replaces an
   * earlier one with the same id (so a site directory can patch a builtin profile); two
   * files with one id in the same directory are a problem. Throws a ProfileError
   * (code GZ_PROFILE_INVALID) listing every problem of every file.
   */
  static fromDirs(dirs: readonly string[]): ProfileRegistry {
    const { registry, problems } = ProfileRegistry.load(dirs);
    if (problems.length > 0) throw ProfileError.invalid(problems);
    return registry;
  }

  /** Like fromDirs, but returns the problems instead of throwing (valid profiles are kept). */
  static load(dirs: readonly string[]): { registry: ProfileRegistry; problems: Problem[] } {
    const entries = new Map<string, Entry>();
    const problems: Problem[] = [];
    for (const dir of dirs) {
      let files: string[];
      try {
        files = listProfileFiles(dir);
      } catch (err) {
        problems.push({
          file: dir,
          path: '',
          message: `cannot read profile directory: ${(err as Error).message}`,
        });
        continue;
      }
      const inThisDir = new Map<string, string>();
      for (const file of files) {
        const r = loadProfileFile(file);
        problems.push(...r.problems);
        if (!r.profile) continue;
        const id = r.profile.id;
        const stem = basename(file, extname(file));
        if (stem !== id) {
          problems.push({
            file,
            line: 1,
            path: 'id',
            message: `profile ${id} must be in a file named ${id}${extname(file)}`,
          });
          continue;
        }
        const other = inThisDir.get(id);
        if (other !== undefined) {
          problems.push({ file, path: 'id', message: `profile id ${id} is also defined in ${other}` });
          continue;
        }
        inThisDir.set(id, file);
        entries.set(id, { profile: deepFreeze(r.profile), file });
      }
    }
    return { registry: new ProfileRegistry(entries), problems };
  }

  /** A registry of profiles already in memory (tests, generated profiles). */
  static of(profiles: readonly Profile[]): ProfileRegistry {
    const entries = new Map<string, Entry>();
    for (const profile of profiles) entries.set(profile.id, { profile, file: `<memory:${profile.id}>` });
    return new ProfileRegistry(entries);
  }

  get(id: string): Profile | undefined {
    return this.entries.get(id)?.profile;
  }

  /** Like get, but throws a ProfileError (code GZ_PROFILE_UNKNOWN) naming the known ids. */
  require(id: string): Profile {
    const p = this.get(id);
    if (p) return p;
    throw new ProfileError(
      'GZ_PROFILE_UNKNOWN',
      `unknown profile ${id}; known: ${this.ids().join(', ') || '(none)'}`,
    );
  }

  has(id: string): boolean {
    return this.entries.has(id);
  }

  /** All profiles, sorted by id. */
  list(): Profile[] {
    return this.ids().map((id) => this.entries.get(id)!.profile);
  }

  ids(): string[] {
    return [...this.entries.keys()].sort();
  }

  /** The file a profile was loaded from. */
  fileOf(id: string): string | undefined {
    return this.entries.get(id)?.file;
  }
}
