/**
 * Secret references in config values: a whole string value `${ENV:NAME}` is replaced by the
 * environment variable, `${FILE:/path}` by the file's content (trailing newline trimmed).
 * Problems name the reference, never the secret.
 */
import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

const REF = /^\$\{(ENV|FILE):([^}]+)\}$/;

/** Keys whose values are secrets: they belong in the environment or a file, not in the config. */
const SECRET_KEY = /^(password|passphrase|secret|token)$|(Password|Secret|Token)$/;

export interface SecretProblem {
  path: (string | number)[];
  message: string;
}

export interface SecretSources {
  env: NodeJS.ProcessEnv;
  /** base folder for relative FILE paths */
  baseDir: string;
  readFile?: (path: string) => string;
}

/** Returns a copy of `value` with every reference resolved, plus a problem per unresolved one. */
export function resolveSecrets(
  value: unknown,
  src: SecretSources,
): { value: unknown; problems: SecretProblem[] } {
  const problems: SecretProblem[] = [];
  const read = src.readFile ?? ((p: string) => readFileSync(p, 'utf8'));
  const walk = (v: unknown, path: (string | number)[]): unknown => {
    if (typeof v === 'string') {
      const m = REF.exec(v);
      if (!m) return v;
      const [, kind, name] = m as unknown as [string, 'ENV' | 'FILE', string];
      if (kind === 'ENV') {
        const got = src.env[name];
        if (got === undefined) problems.push({ path, message: `environment variable ${name} is not set` });
        return got ?? '';
      }
      const file = isAbsolute(name) ? name : resolve(src.baseDir, name);
      try {
        return read(file).replace(/\r?\n$/, '');
      } catch (err) {
        const code = (err as { code?: string }).code ?? 'unreadable';
        problems.push({ path, message: `secret file ${file} cannot be read (${code})` });
        return '';
      }
    }
    if (Array.isArray(v)) return v.map((x, i) => walk(x, [...path, i]));
    if (v && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, x] of Object.entries(v)) out[k] = walk(x, [...path, k]);
      return out;
    }
    return v;
  };
  return { value: walk(value, []), problems };
}

/**
 * Secret values written into the config itself (not `${ENV:…}` / `${FILE:…}`): each one's path,
 * for a warning that names where it is — never the value.
 */
export function inlineSecrets(value: unknown): (string | number)[][] {
  const found: (string | number)[][] = [];
  const walk = (v: unknown, path: (string | number)[]): void => {
    if (Array.isArray(v)) {
      for (const [i, x] of v.entries()) walk(x, [...path, i]);
      return;
    }
    if (!v || typeof v !== 'object') return;
    for (const [k, x] of Object.entries(v)) {
      if (SECRET_KEY.test(k) && typeof x === 'string' && x !== '' && !REF.test(x)) found.push([...path, k]);
      else walk(x, [...path, k]);
    }
  };
  walk(value, []);
  return found;
}
