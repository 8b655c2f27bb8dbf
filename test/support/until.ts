/**
 * Polls `f` every `everyMs` until it returns a truthy value, which it returns; throws
 * `timed out waiting for <what>` once `ms` have passed. (The end-to-end tests in test/; it
 * starts and stops nothing.)
 */
export async function until<T>(
  what: string,
  f: () => Promise<T | undefined> | T | undefined,
  ms = 30_000,
  everyMs = 50,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
