import { fileURLToPath } from 'node:url';

/**
 * Absolute path of the profiles shipped with this package (device-profiles/profiles).
 * This file sits at src/profiles/ (vitest) or dist/profiles/ (runtime): two levels below
 * the package root either way.
 */
export const builtinProfilesDir: string = fileURLToPath(new URL('../../profiles/', import.meta.url)).replace(
  /[\\/]$/,
  '',
);
